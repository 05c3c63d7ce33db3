import { getHeapStatistics } from 'node:v8';

/**
 * V8 lets garbage that outlived two scavenges (a manifest member's lines, a folder's listing, read
 * and passed over within a few milliseconds) pile up in old space until its first full collection,
 * about 256 MB on. At a million files that doubled the worker's memory: a no-change incremental on
 * a chain of 15 archives peaked at 380–450 MB where it holds about 50 MB. The worker process is
 * started with `--expose-gc` (workerExecArgv in worker-start.ts) and collects itself once its heap has grown by
 * `allowance` beyond what the last collection kept; a few full collections of ~50 MB each over a
 * backup cost tens of milliseconds.
 */

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
