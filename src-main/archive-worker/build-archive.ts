import { closeSync, constants, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readlinkSync, readSync, renameSync, statfsSync, writeSync } from 'node:fs';
import { removeQuietly } from '../common/files';
import { basename, dirname } from 'node:path';
import {
  archiveFormatVersion,
  blockSize,
  encodeTrailer,
  manifestEntryName,
  sidecarPath,
  trailerEntryName,
  type ArchiveManifest,
  type ManifestEntry,
} from './archive-manifest';
import type { ArchiveRequest, ArchiveResult, ArchiveProgress } from './archive-protocol';
import { walkSources, type WalkEntry, type WalkResult } from './source-walk';
import { readManifest } from './archive-reader';
import { TarWriter, type HeaderFields } from './tar-writer';
import { ArchiveOutput } from './archive-output';

/** An expected way for an archive to end badly, with the code the job records. */
export class ArchiveError extends Error {
  constructor(
    readonly code: 'INSUFFICIENT_SPACE' | 'CANCELLED' | 'WRITE_FAILED',
    message: string,
  ) {
    super(message);
  }
}

/** What the builder asks of its host process: progress reports, and whether to stop. */
export interface ArchiveHost {
  progress(progress: ArchiveProgress): void;
  cancelled(): boolean;
}

const progressIntervalMs = 250;
const yieldIntervalMs = 50;
const manifestBytesPerEntry = 256;

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Bytes the archive will take at most: every header, every padded content block, the manifest and the end. */
export function estimateArchiveBytes(entries: readonly WalkEntry[]): number {
  let bytes = 0;
  for (const entry of entries) {
    bytes += 2 * blockSize + Math.ceil(entry.size / blockSize) * blockSize + manifestBytesPerEntry;
  }
  return bytes + 8 * blockSize;
}

/** Free space to keep beyond the estimate: file systems need room of their own. */
export function spaceMargin(estimate: number): number {
  return 16 * 1024 * 1024 + Math.ceil(estimate / 100);
}

function headerFor(entry: WalkEntry, linkTarget: string | undefined, size: number, mtimeMs = entry.mtimeMs): HeaderFields {
  const mtimeSeconds = Math.floor(mtimeMs / 1000);
  if (entry.type === 'directory') return { path: `${entry.name}/`, type: 'Directory', size: 0, mode: entry.mode, mtimeSeconds, uid: entry.uid, gid: entry.gid };
  if (entry.type === 'symlink') return { path: entry.name, type: 'SymbolicLink', size: 0, mode: entry.mode, mtimeSeconds, uid: entry.uid, gid: entry.gid, linkpath: linkTarget ?? '' };
  return { path: entry.name, type: 'File', size, mode: entry.mode, mtimeSeconds, uid: entry.uid, gid: entry.gid };
}

function isNoSpace(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** What the walk found and what an incremental carries over, once the destination is known to have room for the rest. */
interface ArchivePlan {
  previous: Map<string, ManifestEntry> | null;
  walk: WalkResult;
  kind: 'full' | 'incremental';
  /** Per walked entry: the previous snapshot's entry when it is unchanged (pointing at the archive that holds it), else null. */
  carried: (ManifestEntry | null)[];
  totalFiles: number;
  baseProblem: string[];
}

/** Reads the previous manifest, walks the sources and checks the free space before a byte is written. */
function planArchive(request: ArchiveRequest): ArchivePlan {
  const baseProblem: string[] = [];
  const previous = request.base ? previousEntries(request.base.archivePath, baseProblem) : null;
  const walk = walkSources(request.sources, request.excludes);
  // An unreadable previous archive makes this backup a full one rather than failing every backup from now on.
  const kind = previous ? request.snapshot.kind : 'full';
  const totalFiles = walk.entries.filter((entry) => entry.type === 'file').length;
  const baseId = request.base?.id ?? '';
  const carried = walk.entries.map((entry) => {
    const before = previous?.get(entry.name);
    if (!before || !unchanged(entry, before)) return null;
    return before.archive === undefined ? { ...before, archive: baseId } : before;
  });
  const folder = dirname(request.archivePath);
  const estimate = estimateArchiveBytes(walk.entries.filter((_, index) => carried[index] === null));
  const needed = estimate + spaceMargin(estimate);
  const stats = statfsSync(nearestExistingFolder(folder));
  const available = Number(stats.bavail) * Number(stats.bsize);
  if (available < needed) {
    throw new ArchiveError(
      'INSUFFICIENT_SPACE',
      `the backup needs about ${mebibytes(needed)} (${needed} bytes) on the destination but only ${mebibytes(available)} (${available} bytes) are free; free some space or choose another destination`,
    );
  }
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  return { previous, walk, kind, carried, totalFiles, baseProblem };
}

/**
 * Builds one archive: walks the sources, checks the destination has room before writing a byte,
 * writes `<archive>.partial` (0600) with the manifest and trailer, fsyncs it and renames it into
 * place. Any failure removes the partial file and leaves every other archive untouched.
 */
export async function buildArchive(request: ArchiveRequest, host: ArchiveHost): Promise<ArchiveResult> {
  // The hashing and writing threads boot while the sources are walked.
  const output = new ArchiveOutput();
  let plan: ArchivePlan;
  try {
    plan = planArchive(request);
  } catch (error) {
    await output.abandon();
    throw error;
  }
  const { previous, walk, kind, carried, totalFiles, baseProblem } = plan;
  const warnings = [...baseProblem, ...walk.warnings];
  const partial = `${request.archivePath}.partial`;
  let finished = false;
  const writer = new TarWriter(output, request.compression === 'gzip');
  try {
    output.open(partial);
    const manifestEntries: ManifestEntry[] = [];
    let files = 0;
    let bytes = 0;
    let treeFiles = 0;
    let treeBytes = 0;
    let lastProgress = 0;
    let lastYield = Date.now();
    /** Reports at most every 250 ms; `copying` is how much of the current file is already in the archive. */
    const report = (currentPath: string, force = false, copying = 0) => {
      const now = Date.now();
      if (!force && now - lastProgress < progressIntervalMs) return;
      lastProgress = now;
      host.progress({ files, bytes: bytes + copying, totalFiles, totalBytes: walk.totalBytes, currentPath });
    };
    /** Lets the event loop take messages (a cancel) now and then. */
    const pauseForMessages = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = Date.now();
      if (host.cancelled()) throw new ArchiveError('CANCELLED', 'cancelled');
    };

    for (const [index, entry] of walk.entries.entries()) {
      if (Date.now() - lastYield >= yieldIntervalMs) await pauseForMessages();
      report(entry.absolutePath);
      const kept = carried[index] ?? null;
      let written = kept;
      if (kept === null) {
        const steps = writeEntry(writer, entry, warnings);
        try {
          for (let step = steps.next(); ; step = steps.next()) {
            if (step.done) {
              written = step.value;
              break;
            }
            report(entry.absolutePath, false, step.value);
            if (Date.now() - lastYield >= yieldIntervalMs) await pauseForMessages();
          }
        } finally {
          steps.return(null); // closes the file when a cancel stopped it midway
        }
      }
      if (written === null) continue;
      manifestEntries.push(written);
      if (entry.type !== 'file') continue;
      treeFiles += 1;
      treeBytes += written.size;
      if (kept === null) {
        files += 1;
        bytes += written.size;
      }
    }
    report('', true);

    const manifest: ArchiveManifest = {
      dormouse: 'manifest',
      format: archiveFormatVersion,
      snapshot: { ...request.snapshot, kind, baseId: previous ? request.snapshot.baseId : null, compression: request.compression, sources: request.sources, excludes: request.excludes },
      entries: manifestEntries,
    };
    writer.flush();
    const manifestMemberOffset = request.compression === 'gzip' ? writer.writtenBytes : null;
    const manifestOffset = writer.tarOffset;
    if (request.compression === 'gzip') manifest.gzipMembers = writer.gzipMembers;
    const manifestJson = Buffer.from(JSON.stringify(manifest), 'utf8');
    const now = Math.floor(Date.now() / 1000);
    writer.writeHeader({ path: manifestEntryName, type: 'File', size: manifestJson.length, mode: 0o600, mtimeSeconds: now, uid: 0, gid: 0 });
    writer.write(manifestJson);
    writer.padToBlock();
    writer.flush();
    const trailer = encodeTrailer({ dormouse: 'trailer', format: archiveFormatVersion, manifestOffset, manifestBytes: manifestJson.length, manifestMemberOffset });
    writer.writeHeader({ path: trailerEntryName, type: 'File', size: trailer.length, mode: 0o600, mtimeSeconds: now, uid: 0, gid: 0 });
    writer.write(trailer);
    writer.write(Buffer.alloc(2 * blockSize));
    writer.flush({ stored: true });
    const { sha256 } = output.finish();
    finished = true;
    renameSync(partial, request.archivePath);
    writeSidecar(request.archivePath, sha256);
    syncFolder(dirname(request.archivePath));
    return { archivePath: request.archivePath, kind, baseUnreadable: baseProblem.length > 0, sha256, files, bytes, treeFiles, treeBytes, archiveBytes: writer.writtenBytes, entries: manifestEntries.length, warnings };
  } catch (error) {
    if (!finished) await output.abandon();
    removeQuietly(partial);
    if (error instanceof ArchiveError) throw error;
    if (isNoSpace(error)) {
      throw new ArchiveError('INSUFFICIENT_SPACE', `the destination ran out of space while writing ${request.archivePath}; the partial archive was removed and older archives are untouched; free some space and run the backup again`);
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EIO' || code === 'ENODEV' || code === 'ENXIO') {
      throw new ArchiveError('WRITE_FAILED', `the destination went away while ${request.archivePath} was being written (${code}): was the drive unplugged? Older archives are untouched; the backup runs again when it is back`);
    }
    throw new ArchiveError('WRITE_FAILED', `could not write ${request.archivePath}: ${(error as Error).message}`);
  }
}

/** The previous snapshot's entries by path, read from its archive's manifest alone; null (and a warning) when it cannot be read. */
function previousEntries(archivePath: string, problems: string[]): Map<string, ManifestEntry> | null {
  try {
    return new Map(readManifest(archivePath).entries.map((entry) => [entry.path, entry]));
  } catch (error) {
    problems.push(`the previous snapshot's archive could not be read (${(error as Error).message}); this backup is a full one`);
    return null;
  }
}

/** An entry is unchanged when its type, size, mtime, inode and ctime are all as they were. */
function unchanged(entry: WalkEntry, before: ManifestEntry): boolean {
  return before.type === entry.type && before.size === entry.size && before.mtimeMs === entry.mtimeMs && before.ino === entry.ino && before.ctimeMs === entry.ctimeMs;
}

/**
 * Writes one entry; returns its manifest entry, or null (with a warning) when it could not be read.
 * A generator: while a file is copied it yields the bytes copied so far after each buffer, so the
 * caller can report progress and take a cancel in the middle of a large file.
 */
function* writeEntry(writer: TarWriter, entry: WalkEntry, warnings: string[]): Generator<number, ManifestEntry | null, void> {
  const { name: path, type, mode } = entry;
  if (type === 'directory') {
    return { path, type, mode, mtimeMs: entry.mtimeMs, ino: entry.ino, ctimeMs: entry.ctimeMs, size: 0, offset: writer.writeHeader(headerFor(entry, undefined, 0)) };
  }
  if (entry.type === 'symlink') {
    let target: string;
    try {
      target = readlinkSync(entry.absolutePath);
    } catch (error) {
      warnings.push(`${entry.absolutePath}: ${(error as Error).message}`);
      return null;
    }
    return { path, type, mode, mtimeMs: entry.mtimeMs, ino: entry.ino, ctimeMs: entry.ctimeMs, size: 0, linkTarget: target, offset: writer.writeHeader(headerFor(entry, target, 0)) };
  }
  let fd: number;
  try {
    // Non-blocking, as GNU tar opens: a file swapped for a FIFO must not hang the backup.
    fd = openSync(entry.absolutePath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    warnings.push(`${entry.absolutePath}: ${code === 'ENOENT' ? 'vanished during the backup' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (error as Error).message}`);
    return null;
  }
  try {
    const before = fstatSync(fd);
    if (!before.isFile()) {
      warnings.push(`${entry.absolutePath}: no longer a regular file; skipped`);
      return null;
    }
    const size = before.size;
    const offset = writer.writeHeader(headerFor(entry, undefined, size, before.mtimeMs));
    let remaining = size;
    let shrank = false;
    while (remaining > 0) {
      const slice = writer.reserve(remaining);
      const read = shrank ? 0 : readSync(fd, slice, 0, slice.length, null);
      if (read === 0) {
        shrank = true;
        slice.fill(0);
        writer.commit(slice.length);
        remaining -= slice.length;
        continue;
      }
      writer.commit(read);
      remaining -= read;
      if (remaining > 0) yield size - remaining;
    }
    writer.padToBlock();
    const after = fstatSync(fd);
    if (shrank || after.size !== size || after.mtimeMs !== before.mtimeMs) {
      warnings.push(`${entry.absolutePath}: changed while it was being backed up; the archived copy may be incomplete`);
    }
    return { path, type, mode, mtimeMs: before.mtimeMs, ino: before.ino, ctimeMs: before.ctimeMs, size, offset };
  } finally {
    closeSync(fd);
  }
}

/** Writes `<archive>.sha256` (as sha256sum prints it), so a catalog rebuilt from the destination can still verify the archive. */
function writeSidecar(archivePath: string, sha256: string): void {
  const sidecar = sidecarPath(archivePath);
  const fd = openSync(`${sidecar}.partial`, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  try {
    writeSync(fd, `${sha256}  ${basename(archivePath)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(`${sidecar}.partial`, sidecar);
}

function nearestExistingFolder(folder: string): string {
  let current = folder;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

function syncFolder(folder: string): void {
  try {
    const fd = openSync(folder, constants.O_RDONLY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some file systems (and Windows) cannot fsync a folder; the rename itself is still atomic
  }
}
