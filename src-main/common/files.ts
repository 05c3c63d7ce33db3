import { readSync, unlinkSync, writeSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';

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

/** Removes files one after another: on a share that stops answering that holds one thread, not one per file. */
export async function removeQuietlyInTurn(paths: readonly string[]): Promise<void> {
  for (const path of paths) await removeQuietlyAsync(path);
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

/**
 * Reads still out, by the folder they touch. A read of a share that stopped answering keeps one
 * thread of Node's pool until the share answers, so a read of the same folder, or of one inside
 * it, never runs beside it: retries on a share out of reach would otherwise use up the pool, and
 * the local drive would look as if it hung too.
 */
const readsOut = new Map<string, Promise<void>>();

/** True when the path `inner` is `outer` or lies below it (the one such check for file-system paths). */
export function isSameOrInside(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** A read still out on this folder or on one that holds it. (One inside it may be another drive, or a link to one.) */
function readOutFor(path: string): Promise<void> | undefined {
  for (const [folder, read] of readsOut) if (isSameOrInside(path, folder)) return read;
  return undefined;
}

/**
 * Runs a read of (or under) `path` off the event loop and waits for it at most `ms`: its value,
 * or `timedOut` when it took longer (the read itself goes on). While a read of a related folder
 * is still out, it first waits for that one, within the same `ms`, so a folder that does not
 * answer holds at most one thread. `read` should touch the file system one call at a time.
 */
export async function answerWithin<T>(path: string, read: () => Promise<T>, ms: number): Promise<{ timedOut: false; value: T } | { timedOut: true }> {
  const deadline = Date.now() + ms;
  for (let earlier = readOutFor(path); earlier; earlier = readOutFor(path)) {
    const waited = await withinTime(earlier, deadline - Date.now());
    if (waited.timedOut) return waited;
  }
  const work = read();
  const settled = work.then(
    () => undefined,
    () => undefined,
  );
  readsOut.set(path, settled);
  void settled.then(() => {
    if (readsOut.get(path) === settled) readsOut.delete(path);
  });
  // A read that could start only once a related one answered gets a moment of its own.
  return withinTime(work, Math.max(deadline - Date.now(), Math.min(ms, 1000)));
}

/**
 * Writes all of `data` at `position` (or, with null, where the file is): a write that stops short (a
 * disk filling up gives fewer bytes before it gives ENOSPC) is carried on, so the rest either lands
 * or throws; never a file silently shorter than what was hashed.
 */
export function writeAllAt(fd: number, data: Buffer | string, position: number | null): void {
  const buffer = typeof data === 'string' ? Buffer.from(data) : data;
  for (let done = 0; done < buffer.length; ) {
    const wrote = writeSync(fd, buffer, done, buffer.length - done, position === null ? null : position + done);
    if (wrote === 0) throw Object.assign(new Error('ENOSPC: the write stopped short'), { code: 'ENOSPC', syscall: 'write' });
    done += wrote;
  }
}

/** Fills `buffer` from an open file at `position`; the bytes read, fewer only where the file ends. */
export function readInto(fd: number, buffer: Buffer, position: number): number {
  let done = 0;
  while (done < buffer.length) {
    const read = readSync(fd, buffer, done, buffer.length - done, position + done);
    if (read === 0) break;
    done += read;
  }
  return done;
}
