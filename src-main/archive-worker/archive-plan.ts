import { existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ManifestEntry } from './archive-manifest';
import type { ArchiveRequest } from './archive-protocol';
import { comparePaths } from './path-order';
import { SnapshotView } from './snapshot-view';
import { mtimeTextOf, walkSources, type WalkEntry } from './source-walk';
import { archiveEndEstimate, countTree, entryOverheadEstimate, storedBytesEstimate, TreeCount } from './tree-count';
import { makeFolders } from '../common/make-folders';

/**
 * Before a backup writes a byte: its base (the previous snapshot's file list, walked beside the
 * tree), whether the destination has room, and the totals progress is measured against.
 */

/** An expected way for an archive to end badly, with the code the job records. */
export class ArchiveError extends Error {
  constructor(
    readonly code: 'INSUFFICIENT_SPACE' | 'CANCELLED' | 'WRITE_FAILED',
    message: string,
  ) {
    super(message);
  }
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Free space to keep beyond the estimate: file systems need room of their own. */
export function spaceMargin(estimate: number): number {
  return 16 * 1024 * 1024 + Math.ceil(estimate / 100);
}

/** The type an entry has in the manifest: a second name of a file is a hardlink. */
function manifestType(entry: WalkEntry): ManifestEntry['type'] {
  return entry.linkTarget !== undefined ? 'hardlink' : entry.type;
}

/** A walked entry beside the base snapshot's entry for the same path (null: new), or a path of the base that is gone. */
export type Compared = { entry: WalkEntry; before: ManifestEntry | null } | { gone: string };

/**
 * The walk side by side with the base snapshot's file list, both in path order: each walked entry
 * with the base's entry for its path, and the base's paths the walk no longer has. Neither side is
 * held in memory.
 */
export function* compareWithBase(walk: Generator<WalkEntry, void, void>, base: Generator<ManifestEntry, void, void> | null): Generator<Compared, void, void> {
  let before = base?.next().value ?? null;
  for (const entry of walk) {
    while (before && comparePaths(before.path, entry.name) < 0) {
      yield { gone: before.path };
      before = base?.next().value ?? null;
    }
    if (before && before.path === entry.name) {
      yield { entry, before };
      before = base?.next().value ?? null;
    } else yield { entry, before: null };
  }
  while (before) {
    yield { gone: before.path };
    before = base?.next().value ?? null;
  }
}

/**
 * The base snapshot's file list, or null (and a warning) when it cannot be read: the backup is then a
 * full one. An encrypted chain is read from the local copies of its manifests: no passphrase needed.
 */
export function openBase(request: ArchiveRequest, problems: string[]): SnapshotView | null {
  if (!request.base) return null;
  try {
    return SnapshotView.open(request.base.archivePath, { ...request.base.archives, [request.base.id]: request.base.archivePath }, { keys: { identity: null, manifestCopies: request.base.manifestCopies } });
  } catch (error) {
    problems.push(`the previous snapshot's archive could not be read (${(error as Error).message}); this backup is a full one`);
    return null;
  }
}

/** The base entry a walked entry keeps (pointing at the archive that holds it), or null when it changed. */
export function carriedEntry(entry: WalkEntry, before: ManifestEntry | null, baseId: string): ManifestEntry | null {
  if (!before || !unchanged(entry, before)) return null;
  return before.archive === undefined ? { ...before, archive: baseId } : before;
}

/** What the backup expects before writing: totals for progress, and whether it is an incremental. */
export interface ArchivePlan {
  kind: 'full' | 'incremental';
  totalFiles: number;
  totalBytes: number;
  baseProblem: string[];
  /** The free bytes where the archive goes (infinite in a bucket). */
  available: number;
  /**
   * A tree no snapshot described, being counted while the backup writes: the totals and the
   * free-space check come when it is done, and the backup must not write past `available` less the
   * margin before that.
   */
  count: TreeCount | null;
  /** The first folder the plan made for the archive (the machine's or the schedule's), to take away again if the backup ends without an archive there. */
  madeFolder: string | null;
}

/**
 * The free space below which a first backup counts its tree before writing, as any backup did
 * before: with less, a tree is written only once it is known to fit.
 */
const countAheadSpace = 256 * 1024 * 1024;

/** Whether an archive of `estimate` bytes fits in `available` with the margin. */
function fits(estimate: number, available: number): boolean {
  return available >= estimate + spaceMargin(estimate);
}

/** Refuses a backup whose archive of `estimate` bytes does not fit, naming what it needs and what is free. */
export function requireRoom(estimate: number, available: number): void {
  if (fits(estimate, available)) return;
  const needed = estimate + spaceMargin(estimate);
  throw new ArchiveError(
    'INSUFFICIENT_SPACE',
    `the backup needs about ${mebibytes(needed)} (${needed} bytes) on the destination but only ${mebibytes(available)} (${available} bytes) are free; free some space or choose another destination`,
  );
}

/** The free bytes where the archive goes. */
function freeBytesAt(archivePath: string): number {
  const stats = statfsSync(nearestExistingFolder(dirname(archivePath)));
  return Number(stats.bavail) * Number(stats.bsize);
}

/**
 * Checks the free space before a byte is written. A backup whose destination has room for the whole
 * tree its schedule's previous snapshot protected (an incremental's base, from its index; else what
 * the catalog recorded) goes ahead at once with those totals: it walks the tree once. A tree no
 * snapshot describes (a schedule's first backup) is counted on a helper thread while the backup
 * writes (TreeCount). An incremental with little room walks the tree first beside the base's file
 * list, keeping only totals and the size of what would be written; the writing pass walks it again.
 * A tree of a million files is never held in memory either way.
 */
export function planArchive(request: ArchiveRequest): ArchivePlan {
  const baseProblem: string[] = [];
  const base = openBase(request, baseProblem);
  const kind = base ? request.snapshot.kind : 'full';
  // Object storage has no free space to run out of.
  const available = request.s3 ? Number.POSITIVE_INFINITY : freeBytesAt(request.archivePath);
  const makeFolder = () => (request.s3 ? null : (makeFolders(dirname(request.archivePath), 0o700) ?? null));
  try {
    const known = base ? { files: base.own.totals.treeFiles, bytes: base.own.totals.treeBytes, entries: base.own.totals.treeEntries } : request.expected;
    if (known && fits(known.bytes + known.entries * entryOverheadEstimate, available)) {
      return { kind, totalFiles: known.files, totalBytes: known.bytes, baseProblem, available, count: null, madeFolder: makeFolder() };
    }
    if (!base && fits(countAheadSpace, available)) {
      return { kind, totalFiles: 0, totalBytes: 0, baseProblem, available, count: new TreeCount(request.sources, request.excludes), madeFolder: makeFolder() };
    }
    if (!base) {
      const counted = countTree(request.sources, request.excludes);
      requireRoom(counted.estimate, available);
      return { kind, totalFiles: counted.files, totalBytes: counted.bytes, baseProblem, available, count: null, madeFolder: makeFolder() };
    }
    let totalFiles = 0;
    let totalBytes = 0;
    let estimate = archiveEndEstimate;
    for (const compared of compareWithBase(walkSources(request.sources, request.excludes, []), base.entries())) {
      if ('gone' in compared) continue;
      const { entry, before } = compared;
      if (entry.type === 'file') {
        totalFiles += 1;
        if (entry.linkTarget === undefined) totalBytes += entry.size;
      }
      if (carriedEntry(entry, before, '') !== null) continue;
      estimate += storedBytesEstimate(entry);
    }
    requireRoom(estimate, available);
    return { kind, totalFiles, totalBytes, baseProblem, available, count: null, madeFolder: makeFolder() };
  } finally {
    base?.close();
  }
}

/**
 * An entry is unchanged when its type, size, mtime, inode, ctime and owner are all as they were (a
 * hardlink also names the same file). An entry from a format 1 manifest never is: it lacks what
 * format 2 records, so the first backup after an upgrade stores every file again.
 */
function unchanged(entry: WalkEntry, before: ManifestEntry): boolean {
  if (before.mtimeNs === undefined) return false;
  return (
    before.type === manifestType(entry) &&
    before.size === entry.size &&
    before.mtimeNs === mtimeTextOf(entry) &&
    before.ino === entry.ino &&
    before.ctimeMs === entry.ctimeMs &&
    before.uid === entry.uid &&
    before.gid === entry.gid &&
    (entry.linkTarget === undefined || before.linkTarget === entry.linkTarget)
  );
}

function nearestExistingFolder(folder: string): string {
  let current = folder;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

