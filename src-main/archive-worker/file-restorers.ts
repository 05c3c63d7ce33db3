import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { encodeJobs, type FileJob, type FileOutcome, type RestoreThreadAnswer, type RestoreThreadData } from './file-restore-thread';
import { WriteFailure } from './content-sink';
import { workerThreadScript } from './worker-thread-script';

/** Files sent to a thread at once: one message per batch keeps the messaging cost off the files (a message per file cost a million-file restore's own thread 6 s). */
const batchSize = 64;
/** Files up to this size in one folder go to one thread (threadFor); larger ones are worth spreading. */
const stickyFileLimit = 1024 * 1024;
/** Files handed out and not yet finished, at most: enough that no thread waits, few enough to hold in memory at a million files. */
const inFlightLimit = 1024;

/** The outcome of every file a thread restored with nothing to say: one object, not one per file. */
const plainlyRestored: FileOutcome = Object.freeze({ id: 0, outcome: 'restored', notes: Object.freeze([]) as unknown as string[] });

interface RestoreThread {
  worker: Worker;
  batch: FileJob[];
  inFlight: number;
  /** Resolves when the thread has ended. */
  ended: Promise<void>;
}

/**
 * A restore's file threads (file-restore-thread.ts), one per core up to four: the restore hands
 * each file whose name it has placed to one of them (threadFor), and hears back how each ended (in the
 * order it handed them to that thread). Handing out waits while `inFlightLimit` files are
 * unfinished. A thread that fails, or a file that fails to be written, stops the restore: `drain`
 * and `add` then throw.
 */
export class FileRestorers {
  private readonly threads: RestoreThread[];
  /** Bytes of each thread's current file written so far (file-restore-thread.ts keeps its own up to date). */
  private readonly copying: Float64Array;
  /** 1 once the restore stops (file-restore-thread.ts looks at it between chunks). */
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  private readonly waiting = new Map<number, (outcome: FileOutcome) => void>();
  private nextId = 0;
  /** The thread the last small file went to: the next small file in its folder goes there too. */
  private lastThread: RestoreThread | null = null;
  private failure: Error | null = null;
  private stopping: Promise<void> | null = null;
  /** Wakes a handing out or a drain that waits for files to finish. */
  private wake: (() => void) | null = null;

  constructor(identity: string | null, count = Math.max(1, Math.min(4, availableParallelism()))) {
    this.copying = new Float64Array(new SharedArrayBuffer(8 * count));
    this.threads = Array.from({ length: count }, (_, slot) => {
      const workerData: RestoreThreadData = { role: 'restore', identity, copying: this.copying.buffer as SharedArrayBuffer, slot, stop: this.stopFlag.buffer as SharedArrayBuffer };
      const worker = new Worker(workerThreadScript(), { workerData });
      const thread: RestoreThread = { worker, batch: [], inFlight: 0, ended: new Promise((resolveEnd) => worker.once('exit', () => resolveEnd())) };
      worker.on('message', (answer: string) => this.finished(thread, JSON.parse(answer) as RestoreThreadAnswer));
      worker.on('error', (error) => this.fail(new Error(`a restore thread failed: ${error.message}`)));
      worker.on('exit', (code) => this.fail(new Error(`a restore thread stopped (exit code ${code})`)));
      return thread;
    });
  }

  /** Bytes of the files being written so far, for progress inside large files. */
  get bytesCopying(): number {
    return this.copying.reduce((sum, bytes) => sum + bytes, 0);
  }

  /**
   * Hands a file to a thread (giving it its id); `done` hears how it ended. Waits first while too many are
   * unfinished, calling `waiting` at least every 50 ms meanwhile (progress; it throws to cancel).
   * `besideLast`: the file is in the folder of the name placed before it (SafeWriter.placedBeside).
   */
  add(job: FileJob, done: (outcome: FileOutcome) => void, waiting: () => void, besideLast = false): Promise<void> | undefined {
    // A promise only when the threads have too many files already (a million files made millions of them).
    if (this.waiting.size >= inFlightLimit && this.failure === null) return this.addWhenRoom(job, done, waiting, besideLast);
    this.addNow(job, done, besideLast);
    return undefined;
  }

  private async addWhenRoom(job: FileJob, done: (outcome: FileOutcome) => void, waiting: () => void, besideLast: boolean): Promise<void> {
    while (this.waiting.size >= inFlightLimit && this.failure === null) {
      this.flush();
      await this.nextFinish();
      waiting();
    }
    this.addNow(job, done, besideLast);
  }

  private addNow(job: FileJob, done: (outcome: FileOutcome) => void, besideLast: boolean): void {
    if (this.failure) throw this.failure;
    const id = (this.nextId += 1);
    this.waiting.set(id, done);
    job.id = id;
    const thread = this.threadFor(job, besideLast);
    thread.batch.push(job);
    if (thread.batch.length >= batchSize) this.send(thread);
  }

  /**
   * The thread a file goes to: the least busy one, except that a small file in the folder of the
   * file before it goes where that one went. Creating and renaming in a folder takes the folder's
   * lock, so two threads writing in one folder wait for each other: at a million files of about
   * eight a folder, handing files out by folder cut a whole-tree restore's time by a twentieth.
   */
  private threadFor(job: FileJob, besideLast: boolean): RestoreThread {
    const small = job.length <= stickyFileLimit;
    const last = this.lastThread;
    if (last !== null && small && besideLast) return last;
    let thread = this.threads[0] as RestoreThread;
    for (const candidate of this.threads) if (candidate.inFlight + candidate.batch.length < thread.inFlight + thread.batch.length) thread = candidate;
    this.lastThread = small ? thread : null;
    return thread;
  }

  /** Sends every file handed out and waits until all have finished, calling `waiting` as add does. */
  async drain(waiting: () => void): Promise<void> {
    this.flush();
    while (this.waiting.size > 0 && this.failure === null) {
      await this.nextFinish();
      waiting();
    }
    if (this.failure) throw this.failure;
  }

  /**
   * Ends the threads: each leaves the file it is writing (removing its temporary twin), closes the
   * archives it opened and ends; one that does not within 5 s is terminated.
   */
  stop(): Promise<void> {
    this.failure ??= new Error('the restore stopped');
    Atomics.store(this.stopFlag, 0, 1);
    this.stopping ??= Promise.all(
      this.threads.map(async (thread) => {
        thread.worker.postMessage('close');
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolveLate) => (timer = setTimeout(() => resolveLate('late'), 5000)));
        if ((await Promise.race([thread.ended, late])) === 'late') await thread.worker.terminate();
        clearTimeout(timer);
      }),
    ).then(() => undefined);
    return this.stopping;
  }

  /** Sends the files handed out that wait for a full batch (the restore calls it whenever it pauses, so no thread waits long). */
  flush(): void {
    for (const thread of this.threads) if (thread.batch.length > 0) this.send(thread);
  }

  private send(thread: RestoreThread): void {
    thread.inFlight += thread.batch.length;
    thread.worker.postMessage(encodeJobs(thread.batch));
    thread.batch = [];
  }

  /** Resolves when files finish, or after 50 ms at the latest. */
  private nextFinish(): Promise<void> {
    return new Promise((resolveWake) => {
      const timer = setTimeout(() => this.wakeUp(), 50);
      this.wake = () => {
        clearTimeout(timer);
        resolveWake();
      };
    });
  }

  private finished(thread: RestoreThread, { restored, others }: RestoreThreadAnswer): void {
    thread.inFlight -= restored.length + others.length;
    for (const id of restored) {
      const done = this.waiting.get(id);
      this.waiting.delete(id);
      done?.(plainlyRestored);
    }
    for (const outcome of others) {
      const done = this.waiting.get(outcome.id);
      this.waiting.delete(outcome.id);
      if (outcome.outcome === 'failed') this.failure ??= new WriteFailure(outcome.reason ?? 'a file could not be written', outcome.code);
      done?.(outcome);
    }
    this.wakeUp();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** A restore's file threads, or null where threads cannot start (the restore then writes its files itself). */
export function startFileRestorers(identity: string | null): FileRestorers | null {
  try {
    return new FileRestorers(identity);
  } catch {
    return null;
  }
}
