import { lstatSync, statSync } from 'node:fs';
import { sep } from 'node:path';
import { Worker } from 'node:worker_threads';
import { blockSize } from './archive-manifest';
import { decodeName, fsPath } from './byte-names';
import { FolderStat, folderStatFields, nativeFs, type NativeFs } from '../native/native-fs';
import { excludeMatcher, mayBeTooLongToOpen, tooLongToOpen, typeOf, walkRoots, walkSources, type WalkEntry } from './source-walk';
import { workerThreadScript } from './worker-thread-script';

/**
 * The totals of a tree no snapshot has described yet (a schedule's first backup), and the size of
 * the archive that would hold it all, counted by a walk of its own on a helper thread while the
 * backup already writes: the walk that writes is not held up by the one that counts, as it was
 * when the count came first (a tenth of a million-file first backup).
 */

/** What an entry adds to an archive besides its data, at most: its headers and its manifest line. */
export const entryOverheadEstimate = 2 * blockSize + 256;

/** What one walked entry adds to an archive that stores it, at most: its data in whole blocks, and the overhead. */
export function storedBytesEstimate(entry: WalkEntry): number {
  return entryOverheadEstimate + Math.ceil((entry.linkTarget === undefined ? entry.size : 0) / blockSize) * blockSize;
}

/** An archive's own end (the manifest's and index's headers, the trailer, the end blocks), in the estimate. */
export const archiveEndEstimate = 8 * blockSize;

/** A tree's totals: its files and their bytes (each hardlink group's data once), and the estimated size of an archive of all of it. */
export interface TreeTotals {
  files: number;
  bytes: number;
  estimate: number;
}

/** Counts a tree on the calling thread. */
export function countTree(sources: readonly string[], excludes: readonly string[]): TreeTotals {
  const native = nativeFs();
  if (native) return countWithListings(native, sources, excludes);
  const totals = { files: 0, bytes: 0, estimate: archiveEndEstimate };
  for (const entry of walkSources(sources, excludes, [])) add(totals, entry);
  return totals;
}

/**
 * countTree from the addon's folder listings, entry by entry in their numbers: the same totals as
 * the walk gives (the same entries skipped, each hardlink group's data once), without the walk's
 * objects, names and sorting for every entry, which made half of the counting thread's time (it
 * shares two cores with the backup it counts for). Only folders' names are decoded, and every
 * name when something is excluded.
 */
function countWithListings(native: NativeFs, sources: readonly string[], excludes: readonly string[]): TreeTotals {
  const totals = { files: 0, bytes: 0, estimate: archiveEndEstimate };
  const groups = new Set<string>();
  /** Adds one entry by its stat; whether it is a folder to count the contents of. */
  const count = (mode: number, size: number, nlink: number, dev: number, ino: number): boolean => {
    const type = typeOf(mode);
    if (type === null) return false;
    totals.estimate += entryOverheadEstimate;
    if (type !== 'file') return type === 'directory';
    totals.files += 1;
    if (nlink > 1) {
      const key = `${dev}:${ino}`;
      if (groups.has(key)) return false;
      groups.add(key);
    }
    totals.bytes += size;
    totals.estimate += Math.ceil(size / blockSize) * blockSize;
    return false;
  };
  for (const root of walkRoots(sources)) {
    const excluded = excludeMatcher(root, excludes);
    let stats;
    try {
      stats = lstatSync(fsPath(root));
      // A source folder given through a symlink means the folder it points to, as in the walk.
      if (stats.isSymbolicLink()) stats = statSync(root);
    } catch {
      continue;
    }
    if (!count(stats.mode, stats.size, stats.nlink, stats.dev, stats.ino)) continue;
    const folders = [root.endsWith(sep) ? root : root + sep];
    for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
      let listing;
      try {
        listing = native.listFolder(fsPath(folder));
      } catch {
        continue;
      }
      const { names, stats: fields } = listing;
      for (let start = 0, at = 0; start < names.length; at += folderStatFields) {
        const end = names.indexOf(0, start);
        const nameStart = start;
        start = end + 1;
        if ((fields[at + FolderStat.errno] as number) !== 0) continue;
        const mode = fields[at + FolderStat.mode] as number;
        const isFolder = typeOf(mode) === 'directory';
        // A file's name is decoded only to be matched, or when its path may be too long to open (its bytes bound its characters).
        const path = isFolder || excluded !== null || mayBeTooLongToOpen(folder.length + end - nameStart) ? folder + decodeName(names.subarray(nameStart, end)) : null;
        if (path !== null && ((excluded !== null && excluded(path)) || tooLongToOpen(path))) continue;
        if (count(mode, fields[at + FolderStat.size] as number, fields[at + FolderStat.nlink] as number, fields[at + FolderStat.dev] as number, fields[at + FolderStat.ino] as number)) folders.push(`${path as string}${sep}`);
      }
    }
  }
  return totals;
}

function add(totals: TreeTotals, entry: WalkEntry): void {
  if (entry.type === 'file') {
    totals.files += 1;
    if (entry.linkTarget === undefined) totals.bytes += entry.size;
  }
  totals.estimate += storedBytesEstimate(entry);
}

/** What the counting thread is given. */
export interface CountThreadData {
  role: 'count';
  sources: string[];
  excludes: string[];
  /** Float64 files, bytes, estimate, then the Int32 state at byte 24: 0 counting, 1 counted, 2 failed. */
  shared: SharedArrayBuffer;
}

const stateWord = 6;

/**
 * The counting thread's body (worker-thread-main.ts): the totals are published once, then the
 * state. It runs at the lowest priority: on two cores it would otherwise take CPU from the threads
 * that read, hash and write (5% of a 125,000-file first backup), and the backup no longer needs it
 * once it is done writing.
 */
export function runCountThread(data: CountThreadData): void {
  nativeFs()?.lowerThreadPriority();
  const numbers = new Float64Array(data.shared, 0, 3);
  const state = new Int32Array(data.shared);
  let outcome = 2;
  try {
    const totals = countTree(data.sources, data.excludes);
    numbers.set([totals.files, totals.bytes, totals.estimate]);
    outcome = 1;
  } finally {
    Atomics.store(state, stateWord, outcome);
    Atomics.notify(state, stateWord);
  }
}

/**
 * A count running on its own thread. `totals` is null until it is done; a count that failed (the
 * thread could not start) is done again on the calling thread when asked, so a backup never goes
 * without its totals and its free-space check.
 */
export class TreeCount {
  private readonly shared = new SharedArrayBuffer(32);
  private readonly state = new Int32Array(this.shared);
  private readonly thread: Worker | null;
  private counted: TreeTotals | null = null;
  /** Whether the thread has exited (having counted, failed, or never started). */
  private threadGone = false;
  /** Whether the count was stopped before it was done (close): its totals then never come. */
  private stopped = false;
  private readonly ended: Promise<void>;

  constructor(
    private readonly sources: readonly string[],
    private readonly excludes: readonly string[],
  ) {
    const data: CountThreadData = { role: 'count', sources: [...sources], excludes: [...excludes], shared: this.shared };
    let thread: Worker | null = null;
    try {
      thread = new Worker(workerThreadScript(), { workerData: data });
    } catch {
      thread = null;
    }
    this.thread = thread;
    this.threadGone = thread === null;
    this.ended = thread
      ? new Promise((resolve) =>
          thread.once('exit', () => {
            this.threadGone = true;
            resolve();
          }),
        )
      : Promise.resolve();
    // A thread that failed to load says so on 'error' before it exits; either way `state` tells.
    thread?.on('error', () => undefined);
  }

  /** The totals, once the thread has counted (or failed: then counted here, synchronously). Null while counting. */
  get totals(): TreeTotals | null {
    if (this.counted) return this.counted;
    const state = Atomics.load(this.state, stateWord);
    if (state !== 1 && this.stopped) return null;
    if (state === 0 && !this.threadGone) return null;
    if (state === 1) {
      const [files, bytes, estimate] = new Float64Array(this.shared, 0, 3) as unknown as [number, number, number];
      this.counted = { files, bytes, estimate };
    } else this.counted = countTree(this.sources, this.excludes);
    return this.counted;
  }

  /** Waits for the totals, letting the event loop run (a cancel message) meanwhile: the thread ends once it has counted. */
  async settled(): Promise<TreeTotals> {
    await this.ended;
    return this.totals as TreeTotals;
  }

  /** Stops the thread (a backup that ended before its count); totals stay what they were (null when not counted). */
  async close(): Promise<void> {
    this.stopped = true;
    await this.thread?.terminate();
  }
}
