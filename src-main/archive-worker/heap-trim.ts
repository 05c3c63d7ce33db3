import { getHeapStatistics } from 'node:v8';

/**
 * V8 lets garbage that outlived two scavenges (a manifest member's lines, a folder's listing, read
 * and passed over within a few milliseconds) pile up in old space until its first full collection,
 * about 256 MB on. At a million files that doubled the worker's memory: a no-change incremental on
 * a chain of 15 archives peaked at 380–450 MB where it holds about 50 MB. The worker process is
 * started with `--expose-gc` (workerExecArgv) and collects itself once its heap has grown by
 * `allowance` beyond what the last collection kept; a few full collections of ~50 MB each over a
 * backup cost tens of milliseconds.
 */

/**
 * The Node flags the archive worker process starts with (plain Node's fork and Electron's
 * utilityProcess alike): `gc` for keepHeapTrimmed. The young generation keeps V8's size: 8 MB
 * semi-spaces instead of 16 cost a full backup of a million files 1.7 s more in scavenges.
 */
export const workerExecArgv: readonly string[] = ['--expose-gc'];

/**
 * The environment the archive worker process starts with: its parent's, with glibc's malloc held to
 * two arenas unless the user chose otherwise. Each of the worker's threads (a restore's file threads,
 * a backup's output threads) otherwise grew an arena of its own that kept its freed blocks: a
 * 100,000-file restore's worker crept 10 MB higher than with the threads sharing two, at the same
 * speed (125,000-file restores and backups measured both ways). Other allocators ignore the variable.
 */
export function workerEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, MALLOC_ARENA_MAX: base.MALLOC_ARENA_MAX ?? '2' };
}

/** Garbage let pile up before the worker collects it. */
const allowance = 48 * 1024 * 1024;
const checkEveryMs = 100;

/**
 * Starts the check (an unref'ed timer: it runs whenever the worker's loops yield, as a backup's
 * walk does every 50 ms). Does nothing where `gc` is not exposed: a worker thread inside the app or
 * the CLI, whose heap is the owner's to manage. Gives the function that stops it.
 */
export function keepHeapTrimmed(collect: (() => void) | undefined = (globalThis as { gc?: () => void }).gc): () => void {
  if (collect === undefined) return () => undefined;
  let limit = getHeapStatistics().used_heap_size + allowance;
  const timer = setInterval(() => {
    if (getHeapStatistics().used_heap_size < limit) return;
    collect();
    limit = getHeapStatistics().used_heap_size + allowance;
  }, checkEveryMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Collects the young generation now, where `gc` is exposed (the worker process): for a loop that
 * makes a large buffer at a time and little else, such as the scan of a manifest's members for
 * hardlinks, no scavenge would come to free them. Left to pile up, they made a 100,000-file
 * restore's worker peak 15–20 MB higher (freed large blocks leave the allocator's arenas grown);
 * a scavenge of a nearly empty young generation costs about a tenth of a millisecond.
 */
export function collectYoungGarbage(collect: ((options: { type: 'minor' }) => void) | undefined = (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc): void {
  collect?.({ type: 'minor' });
}
