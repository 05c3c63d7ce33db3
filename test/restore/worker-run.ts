import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/cli';
import type { RestoreReport } from '../incremental/incremental-kit';
import { workerEnv, workerExecArgv } from '../../src-main/archive-worker/worker-start';

/** A restore run in the archive worker as the CLI starts it, watched from outside: its answer, memory, progress and each thread's writes. */
export interface WorkerRun {
  /** The worker's answer, or null when it was killed first. */
  answer: { type: string; result?: RestoreReport; message?: string } | null;
  /** Its peak resident memory (VmHWM), read from /proc while it ran. */
  peakBytes: number;
  progress: { files: number; bytes: number; totalFiles: number }[];
  /** Bytes each of its threads wrote (wchar of /proc/PID/task/TID/io), by thread id, as last seen while it ran. */
  threadWrites: Map<number, number>;
}

function peakOf(pid: number): number {
  try {
    const found = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return found ? Number(found[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Adds what each thread of `pid` has written so far to `writes` (a thread that ended keeps its last count). */
function sampleThreadWrites(pid: number, writes: Map<number, number>): void {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const tid of threads) {
    try {
      const found = /^wchar:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/task/${tid}/io`, 'utf8'));
      if (found) writes.set(Number(tid), Math.max(writes.get(Number(tid)) ?? 0, Number(found[1])));
    } catch {
      // the thread ended meanwhile
    }
  }
}

export type Progress = WorkerRun['progress'][number];

/**
 * Runs a whole-tree restore in the archive worker, started as the CLI starts it. With `kill`, the
 * worker is held still (SIGSTOP) at each progress report, as a slow drive would hold it, and
 * either killed there (SIGKILL) when `kill` says so, or let go 300 ms later; so the next report
 * comes at the next file or MiB, whatever the machine's speed.
 */
export function restoreInWorker(archivePath: string, target: string, kill?: (progress: Progress, previous: Progress | undefined) => boolean, env: NodeJS.ProcessEnv = process.env): Promise<WorkerRun> {
  // V8's young generation grows with the rate of allocation up to 48 MiB, whatever is kept; held at
  // 1 MiB semi-spaces, the peak shows what the restore keeps rather than how fast it makes garbage.
  const worker = fork(join(repoRoot, 'dist', 'main', 'archive-worker.cjs'), [], { serialization: 'advanced', stdio: 'ignore', execArgv: [...workerExecArgv, '--max-semi-space-size=1'], env: workerEnv(env) });
  const pid = worker.pid as number;
  const run: WorkerRun = { answer: null, peakBytes: 0, progress: [], threadWrites: new Map() };
  const timer = setInterval(() => {
    run.peakBytes = Math.max(run.peakBytes, peakOf(pid));
    sampleThreadWrites(pid, run.threadWrites);
  }, 20);
  worker.on('message', (message: WorkerRun['answer'] & { progress?: WorkerRun['progress'][number] }) => {
    run.peakBytes = Math.max(run.peakBytes, peakOf(pid));
    if (message.type !== 'progress' || !message.progress) {
      run.answer = message;
      return;
    }
    const previous = run.progress.at(-1);
    run.progress.push(message.progress);
    if (!kill) return;
    worker.kill('SIGSTOP');
    if (kill(message.progress, previous)) worker.kill('SIGKILL');
    else setTimeout(() => worker.kill('SIGCONT'), 300);
  });
  worker.send({ type: 'restore', request: { archivePath, archives: {}, target, paths: [], overwrite: false } });
  return new Promise((resolve) =>
    worker.on('exit', () => {
      clearInterval(timer);
      resolve(run);
    }),
  );
}

