import { type Stats, closeSync, lstatSync, openSync, readSync, readlinkSync } from 'node:fs';
import type { ManifestEntry } from './archive-manifest';
import { contentHasher, recordedDigest, type ContentHashKind, type ContentHasher } from './content-hash';
import { fsPath } from './byte-names';
import { sparseMap, sparseSegments } from './entry-attributes';
import { restoredGid, restoredUid } from './owner-names';
import { asRoot, entryTimeNs, restoredMode } from './restore-attributes';

/** How much of an existing file is read at a time to compare it with what a snapshot holds. */
const compareChunk = 1024 * 1024;

/**
 * Whether what is at a restore's destination already holds the entry: a file of the same size whose
 * bytes have the content hash recorded at backup time, a symlink to the same target, a FIFO, or another
 * name of the very file the entry's hardlink names (`linkedAt`, where that name is restored), each
 * with the mode, time and owner the restore would give it (hasRestoredAttributes). Such a name
 * needs no restore, so it is not a conflict; anything else there is (and an archive without file
 * hashes never matches).
 */
export function holdsEntry(destination: string, existing: Stats, entry: ManifestEntry, linkedAt: string | null): boolean {
  // The attributes first: one lstat, where the content may mean reading the whole file.
  return (entry.type === 'hardlink' || hasRestoredAttributes(destination, entry)) && holdsContent(destination, existing, entry, linkedAt);
}

/** How far a file system's stored time may fall short of the recorded one: those that keep microseconds, milliseconds or (FAT) two seconds truncate. */
const coarsestTimeNs = 2_000_000_000n;

/**
 * Whether an existing name has the mode, modification time and (restoring as root) owner a restore
 * would give the entry, so "as in the snapshot" holds for more than its bytes: a file whose mode was
 * changed since (a `chmod -R` to undo) or that was touched is not left alone as if it were restored.
 * The time matches to the nanosecond, or truncated as a coarser file system keeps it; a symlink's
 * own time and mode are not compared, nor extended attributes and ACLs.
 */
function hasRestoredAttributes(destination: string, entry: ManifestEntry): boolean {
  if (entry.type === 'symlink') return true;
  const stats = lstatSync(fsPath(destination), { bigint: true });
  if ((Number(stats.mode) & 0o7777) !== restoredMode(entry)) return false;
  if (asRoot && entry.uid !== undefined && entry.gid !== undefined) {
    if (Number(stats.uid) !== restoredUid(entry.user, entry.uid) || Number(stats.gid) !== restoredGid(entry.group, entry.gid)) return false;
  }
  const short = entryTimeNs(entry) - stats.mtimeNs;
  return short === 0n || (short > 0n && short < coarsestTimeNs && stats.mtimeNs % 1000n === 0n);
}

/** Whether the existing name holds what the entry holds: its bytes, its link target, a FIFO, or the very file another name of it was restored as. */
function holdsContent(destination: string, existing: Stats, entry: ManifestEntry, linkedAt: string | null): boolean {
  if (entry.type === 'fifo') return existing.isFIFO();
  if (entry.type === 'hardlink') {
    if (linkedAt === null || !existing.isFile()) return false;
    const linked = lstatSync(fsPath(linkedAt), { throwIfNoEntry: false });
    return linked !== undefined && linked.ino === existing.ino && linked.dev === existing.dev;
  }
  if (entry.type === 'symlink' && existing.isSymbolicLink() && entry.linkTarget !== undefined) {
    const wanted = fsPath(entry.linkTarget);
    return readlinkSync(fsPath(destination), 'buffer').equals(typeof wanted === 'string' ? Buffer.from(wanted) : wanted);
  }
  const recorded = recordedDigest(entry);
  if (entry.type !== 'file' || !existing.isFile() || existing.size !== entry.size || recorded === undefined) return false;
  let fd: number;
  try {
    fd = openSync(fsPath(destination), 'r');
  } catch {
    return false;
  }
  try {
    return storedFormHash(fd, existing, entry, recorded.kind) === recorded.hex;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * The content hash (of the kind the entry records) an existing file would have been recorded with, had it been backed up as the entry
 * was: of its bytes, or for a sparse entry of its stored form (the GNU sparse map of its data
 * segments, then their bytes), which is what the manifest's hash covers. A sparse entry matches only
 * a file with the same data segments (a restored one, or its source); null when the file is not
 * sparse or cannot be told (no native addon): it then differs.
 */
function storedFormHash(fd: number, existing: Stats, entry: ManifestEntry, kind: ContentHashKind): string | null {
  const hash = contentHasher(kind);
  const chunk = Buffer.allocUnsafe(Math.min(compareChunk, Math.max(1, entry.size)));
  if (entry.sparse !== true) return hashRange(fd, hash, chunk, 0, entry.size) ? hash.digest() : null;
  const segments = sparseSegments(fd, existing.size, existing.blocks * 512);
  if (segments === null) return null;
  hash.update(sparseMap(segments));
  for (const { offset, length } of segments) if (!hashRange(fd, hash, chunk, offset, length)) return null;
  return hash.digest();
}

/** Hashes `length` bytes of the file from `offset`; false when it ends first. */
function hashRange(fd: number, hash: ContentHasher, chunk: Buffer, offset: number, length: number): boolean {
  for (let read = 0; read < length; ) {
    const got = readSync(fd, chunk, 0, Math.min(chunk.length, length - read), offset + read);
    if (got === 0) return false;
    hash.update(chunk.subarray(0, got));
    read += got;
  }
  return true;
}
