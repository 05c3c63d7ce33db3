import { unlinkSync } from 'node:fs';
import { unlink } from 'node:fs/promises';

/** Removes a file that may already be gone (a partial archive, a marker being rolled back). */
export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** removeQuietly off the event loop, for files on a destination that may stop answering. */
export async function removeQuietlyAsync(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch {
    // already gone
  }
}

/** Waits for `work` at most `ms`: its value, or `timedOut` when it took longer (the work itself goes on). */
export async function withinTime<T>(work: Promise<T>, ms: number): Promise<{ timedOut: false; value: T } | { timedOut: true }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ timedOut: true }>((resolve) => {
    timer = setTimeout(() => resolve({ timedOut: true }), ms);
  });
  try {
    return await Promise.race([work.then((value) => ({ timedOut: false as const, value })), late]);
  } finally {
    clearTimeout(timer);
  }
}
