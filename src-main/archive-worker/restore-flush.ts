import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/**
 * Makes the restore durable once, at the end, as `tar -x` followed by `sync` would: one syncfs of
 * the target's file system (coreutils `sync -f`) rather than an fsync per file. Until then a crash
 * can lose restored files, but never puts wrong bytes under a real name: a file takes its name only
 * after its content checked out.
 */
export function flushToDisk(target: string): void {
  if (process.platform === 'win32') return;
  spawnSync('sync', process.platform === 'linux' ? ['-f', target] : [], { stdio: 'ignore', timeout: 600_000 });
}

/** Restores smaller than this leave their writing to the sync at the end. */
export const writebackFromBytes = 16 * 1024 * 1024;

/** The pause between one `sync -f` ending and the next. */
const writebackPauseMs = 250;

/**
 * While a large restore writes, has the kernel write its files to the drive as it goes: `sync -f` of
 * the target's file system in a child process, again a quarter second after each ends. The drive
 * then works while the restore does, and the sync at the end finds little left; no thread of the
 * restore waits for it. Linux only (elsewhere `sync` takes no file system).
 */
export class Writeback {
  private child: ChildProcess | null = null;
  private ended: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly target: string) {
    if (process.platform === 'linux') this.next();
    else this.stopped = true;
  }

  private next(): void {
    if (this.stopped) return;
    const child = spawn('sync', ['-f', this.target], { stdio: 'ignore' });
    this.child = child;
    this.ended = new Promise((resolveEnd) => {
      child.once('error', () => {
        // No `sync` here: the sync at the end does all the work, as it would without this.
        this.stopped = true;
        resolveEnd();
      });
      child.once('exit', () => {
        this.child = null;
        if (!this.stopped) this.timer = setTimeout(() => this.next(), writebackPauseMs);
        resolveEnd();
      });
    });
  }

  /** Starts no more syncs and waits for the one running, so none outlives the restore. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.child !== null) await this.ended;
  }
}
