import { closeSync, constants, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readlinkSync, readSync, renameSync, statfsSync, writeSync } from 'node:fs';
import { removeQuietly } from '../common/files';
import { basename, dirname } from 'node:path';
import {
  archiveEntryName,
  archiveFormatVersion,
  blockSize,
  encodeTrailer,
  indexEntryName,
  manifestLinesEntryName,
  partialPaths,
  sidecarPath,
  trailerEntryName,
  type ManifestEntry,
  type ManifestIndex,
} from './archive-manifest';
import type { ArchiveRequest, ArchiveResult, ArchiveProgress } from './archive-protocol';
import { describeError, millisecondsOf, SourceWalk, walkRoots, walkSources, type WalkEntry } from './source-walk';
import { ManifestWriter, type ManifestLine } from './manifest-writer';
import { comparePaths, isSameOrBelow } from './path-order';
import { SnapshotView } from './snapshot-view';
import { createHash, type Hash } from 'node:crypto';
import { decodeName, displayName, encodeName, fsPath } from './byte-names';
import { attributeRecords, sparseMap, sparseSegments } from './entry-attributes';
import type { PaxRecords } from './pax-records';
import { posix } from 'node:path';
import { groupName, userName } from './owner-names';
import { TarWriter, type EntryFields } from './tar-writer';
import { publishUpload, S3ArchiveSink, s3TargetOf } from './s3-archive-sink';
import { ArchiveOutput } from './archive-output';
import { startAgeFile } from '../encryption/age-encryptor';
import { writeManifestCopy } from './manifest-copy';
import { openSourceFile, type SourceFile } from './source-file';

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

/** Free space to keep beyond the estimate: file systems need room of their own. */
export function spaceMargin(estimate: number): number {
  return 16 * 1024 * 1024 + Math.ceil(estimate / 100);
}

/** The format 2 header of a walked entry (`linkTarget`: a symlink's target or, for a hardlink, the name holding the data). */
function entryFields(entry: WalkEntry, type: ManifestEntry['type'], size: number, mtimeNs: bigint, linkTarget?: string): EntryFields {
  const owner = { mode: entry.mode, mtimeNs, uid: entry.uid, gid: entry.gid, uname: userName(entry.uid), gname: groupName(entry.gid) };
  if (type === 'directory') return { path: `${entry.name}/`, type: 'Directory', size: 0, ...owner };
  if (type === 'symlink') return { path: entry.name, type: 'SymbolicLink', size: 0, linkpath: linkTarget ?? '', ...owner };
  if (type === 'hardlink') return { path: entry.name, type: 'Link', size: 0, linkpath: linkTarget ?? '', ...owner };
  if (type === 'fifo') return { path: entry.name, type: 'FIFO', size: 0, ...owner };
  return { path: entry.name, type: 'File', size, ...owner };
}

/** The manifest's record of a walked entry, less where it is stored. */
function manifestFields(entry: WalkEntry, type: ManifestEntry['type'], mtimeNs: bigint): Omit<ManifestEntry, 'offset' | 'size'> {
  return {
    path: entry.name,
    type,
    mode: entry.mode,
    mtimeMs: millisecondsOf(mtimeNs),
    mtimeNs: mtimeNs.toString(),
    uid: entry.uid,
    gid: entry.gid,
    user: userName(entry.uid),
    group: groupName(entry.gid),
    ino: entry.ino,
    ctimeMs: entry.ctimeMs,
  };
}

/** The type an entry has in the manifest: a second name of a file is a hardlink. */
function manifestType(entry: WalkEntry): ManifestEntry['type'] {
  return entry.linkTarget !== undefined ? 'hardlink' : entry.type;
}

function isNoSpace(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** A walked entry beside the base snapshot's entry for the same path (null: new), or a path of the base that is gone. */
type Compared = { entry: WalkEntry; before: ManifestEntry | null } | { gone: string };

/**
 * The walk side by side with the base snapshot's file list, both in path order: each walked entry
 * with the base's entry for its path, and the base's paths the walk no longer has. Neither side is
 * held in memory.
 */
function* compareWithBase(walk: Generator<WalkEntry, void, void>, base: Generator<ManifestEntry, void, void> | null): Generator<Compared, void, void> {
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
function openBase(request: ArchiveRequest, problems: string[]): SnapshotView | null {
  if (!request.base) return null;
  try {
    return SnapshotView.open(request.base.archivePath, { ...request.base.archives, [request.base.id]: request.base.archivePath }, { keys: { identity: null, manifestCopies: request.base.manifestCopies } });
  } catch (error) {
    problems.push(`the previous snapshot's archive could not be read (${(error as Error).message}); this backup is a full one`);
    return null;
  }
}

/** The base entry a walked entry keeps (pointing at the archive that holds it), or null when it changed. */
function carriedEntry(entry: WalkEntry, before: ManifestEntry | null, baseId: string): ManifestEntry | null {
  if (!before || !unchanged(entry, before)) return null;
  return before.archive === undefined ? { ...before, archive: baseId } : before;
}

/** What the backup expects before writing: totals for progress, and whether it is an incremental. */
interface ArchivePlan {
  kind: 'full' | 'incremental';
  totalFiles: number;
  totalBytes: number;
  baseProblem: string[];
}

/** The free bytes where the archive goes. */
function freeBytesAt(archivePath: string): number {
  const stats = statfsSync(nearestExistingFolder(dirname(archivePath)));
  return Number(stats.bavail) * Number(stats.bsize);
}

/**
 * Checks the free space before a byte is written. A backup whose destination has room for the whole
 * tree its schedule's previous snapshot protected (an incremental's base, from its index; else what
 * the catalog recorded) goes ahead at once with those totals: it walks the tree once. Otherwise (the
 * first backup of a schedule, or little room) a first pass walks the
 * tree beside the base's file list and keeps only totals and the size of what would be written; the
 * writing pass walks it again. A tree of a million files is never held in memory either way.
 */
function planArchive(request: ArchiveRequest): ArchivePlan {
  const baseProblem: string[] = [];
  const base = openBase(request, baseProblem);
  const kind = base ? request.snapshot.kind : 'full';
  // Object storage has no free space to run out of.
  const available = request.s3 ? Number.POSITIVE_INFINITY : freeBytesAt(request.archivePath);
  const makeFolder = () => {
    if (!request.s3) mkdirSync(dirname(request.archivePath), { recursive: true, mode: 0o700 });
  };
  try {
    const known = base ? { files: base.own.totals.treeFiles, bytes: base.own.totals.treeBytes, entries: base.own.totals.treeEntries } : request.expected;
    if (known) {
      const whole = known.bytes + known.entries * (2 * blockSize + manifestBytesPerEntry);
      if (available >= whole + spaceMargin(whole)) {
        makeFolder();
        return { kind, totalFiles: known.files, totalBytes: known.bytes, baseProblem };
      }
    }
    let totalFiles = 0;
    let totalBytes = 0;
    let estimate = 8 * blockSize;
    for (const compared of compareWithBase(walkSources(request.sources, request.excludes, []), base?.entries() ?? null)) {
      if ('gone' in compared) continue;
      const { entry, before } = compared;
      if (entry.type === 'file') {
        totalFiles += 1;
        if (entry.linkTarget === undefined) totalBytes += entry.size;
      }
      if (carriedEntry(entry, before, '') !== null) continue;
      estimate += 2 * blockSize + Math.ceil((entry.linkTarget === undefined ? entry.size : 0) / blockSize) * blockSize + manifestBytesPerEntry;
    }
    const needed = estimate + spaceMargin(estimate);
    if (available < needed) {
      throw new ArchiveError(
        'INSUFFICIENT_SPACE',
        `the backup needs about ${mebibytes(needed)} (${needed} bytes) on the destination but only ${mebibytes(available)} (${available} bytes) are free; free some space or choose another destination`,
      );
    }
    makeFolder();
    return { kind, totalFiles, totalBytes, baseProblem };
  } finally {
    base?.close();
  }
}

/**
 * Builds one archive: walks the sources, checks the destination has room before writing a byte,
 * writes `<archive>.partial` (0600) with the manifest, index and trailer, fsyncs it and renames it
 * into place. Any failure removes the partial files and leaves every other archive untouched.
 */
export async function buildArchive(request: ArchiveRequest, host: ArchiveHost): Promise<ArchiveResult> {
  // The hashing, writing and uploading threads boot while the sources are walked.
  const sink = request.s3 ? new S3ArchiveSink(request.archivePath, s3TargetOf(request.s3)) : null;
  const output = new ArchiveOutput({ ...(request.encryption ? { encryption: startAgeFile([request.encryption.recipient]) } : {}), ...(sink ? { upload: sink.ring } : {}) });
  let plan: ArchivePlan;
  try {
    plan = planArchive(request);
  } catch (error) {
    await output.abandon();
    await sink?.abort();
    throw error;
  }
  const { kind, totalFiles, baseProblem } = plan;
  const warnings = [...baseProblem];
  // A local copy of the manifest is kept for an encrypted archive, and for any in S3: the next incremental reads it, not the destination.
  const manifestCopy = request.encryption?.manifestCopy ?? request.s3?.manifestCopy;
  const { archive: partial, manifest: manifestPartial } = partialPaths(request.archivePath, manifestCopy);
  let finished = false;
  const writer = new TarWriter(output, request.compression === 'gzip');
  const base = kind === 'incremental' ? openBase(request, warnings) : null;
  const baseId = request.base?.id ?? '';
  let manifest: ManifestWriter | null = null;
  try {
    output.open(sink ? null : partial);
    mkdirSync(dirname(manifestPartial), { recursive: true, mode: 0o700 });
    manifest = new ManifestWriter(manifestPartial, {
      dormouse: 'manifest',
      format: archiveFormatVersion,
      snapshot: { ...request.snapshot, kind, baseId: base ? request.snapshot.baseId : null, compression: request.compression, sources: request.sources, excludes: request.excludes },
    });
    const lines = manifest;
    let files = 0;
    let bytes = 0;
    let treeFiles = 0;
    let treeBytes = 0;
    let treeEntries = 0;
    let lastProgress = 0;
    let lastYield = Date.now();
    /** Reports at most every 250 ms; `copying` is how much of the current file is already in the archive. */
    const report = (currentPath: string, force = false, copying = 0) => {
      const now = Date.now();
      if (!force && now - lastProgress < progressIntervalMs) return;
      lastProgress = now;
      // Totals taken from the previous snapshot may be short of a tree that grew since: never less than what is done.
      host.progress({ files, bytes: bytes + copying, totalFiles: Math.max(totalFiles, files), totalBytes: Math.max(plan.totalBytes, bytes + copying), currentPath });
    };
    /** Lets the event loop take messages (a cancel) now and then. */
    const pauseForMessages = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = Date.now();
      if (host.cancelled()) throw new ArchiveError('CANCELLED', 'cancelled');
    };
    /** Written entries wait here until their SHA-256 is known (the hashing thread settles them in order), then become manifest lines. */
    const waiting: ManifestLine[] = [];
    const flushSettled = async (all = false) => {
      for (let line = waiting[0]; line !== undefined && (all || 'deleted' in line || line.type !== 'file' || line.sha256 !== undefined); line = waiting[0]) {
        waiting.shift();
        await lines.add(line);
      }
    };
    const roots = new Set(walkRoots(request.sources).map((source) => archiveEntryName(source).replace(/\/+$/, '')));
    const top: ManifestEntry[] = [];

    /** The name that holds each hardlink group's data in this snapshot, by the name the walk met first. */
    const leaders = new Map<string, string>();
    /**
     * The folders above the current entry, carried or stored. A carried folder is stored after all
     * once something below it is (before that entry, so the archive keeps its order), so tar
     * extracting the chain in order gives each folder its time, and a listing of this archive alone
     * shows where things go.
     */
    const folders: { entry: WalkEntry; written: ManifestEntry; stored: boolean }[] = [];
    /** Writes one entry into the archive; its manifest entry, or null when it could not be read. */
    /**
     * Writes one entry into the archive: its manifest entry (null when it could not be read), and
     * the entry as written — looked at again when it had changed type since its folder was listed
     * (a file become a symlink or a folder is stored as what it now is).
     */
    const store = async (entry: WalkEntry, lookedAgain = false): Promise<{ entry: WalkEntry; written: ManifestEntry | null }> => {
      const steps = writeEntry(writer, entry, leaders.get(entry.linkTarget ?? ''), warnings);
      let outcome: ManifestEntry | null | typeof typeChanged;
      try {
        for (let step = steps.next(); ; step = steps.next()) {
          if (step.done) {
            outcome = step.value;
            break;
          }
          report(entry.absolutePath, false, step.value);
          if (Date.now() - lastYield >= yieldIntervalMs) await pauseForMessages();
        }
      } finally {
        steps.return(null); // closes the file when a cancel stopped it midway
      }
      if (outcome !== typeChanged) return { entry, written: outcome };
      const now = lookedAgain ? null : walk.again(entry.absolutePath);
      if (now !== null) return store(now, true);
      if (lookedAgain) warnings.push(`${displayName(entry.absolutePath)}: no longer a regular file; skipped`);
      return { entry, written: null };
    };
    /** Records an entry this archive stores: a manifest line once its SHA-256 is known, and the top level. */
    const stored = (written: ManifestEntry, replacing?: ManifestEntry) => {
      waiting.push(written);
      if (!roots.has(written.path)) return;
      const at = replacing === undefined ? -1 : top.indexOf(replacing);
      if (at >= 0) top[at] = written;
      else top.push(written);
    };
    /** Stores the carried folders above the current entry. */
    const storeFolders = async () => {
      for (const folder of folders) {
        if (folder.stored) continue;
        const { written: again } = await store(folder.entry);
        folder.stored = true;
        if (again) stored(again, folder.written);
      }
    };
    const walk = new SourceWalk(request.sources, request.excludes, warnings);
    for (const compared of compareWithBase(walk.entries(), base?.entries() ?? null)) {
      if (Date.now() - lastYield >= yieldIntervalMs) await pauseForMessages();
      const path = 'gone' in compared ? compared.gone : compared.entry.name;
      while (folders.length > 0 && !isSameOrBelow(path, (folders[folders.length - 1] as (typeof folders)[number]).entry.name)) folders.pop();
      if ('gone' in compared) {
        // The folders above a deletion are stored too: the manifest keeps its order, a folder before what was in it.
        await storeFolders();
        waiting.push({ path: compared.gone, deleted: true });
        await flushSettled();
        continue;
      }
      const { before } = compared;
      let { entry } = compared;
      report(entry.absolutePath);
      let kept = carriedEntry(entry, before, baseId);
      // A carried second name must point at a name that holds the data in this very snapshot.
      if (kept?.type === 'hardlink' && leaders.get(entry.linkTarget ?? '') !== kept.linkTarget) kept = null;
      let written = kept;
      if (kept === null) {
        await storeFolders();
        ({ entry, written } = await store(entry));
      }
      if (written === null) {
        if (before) waiting.push({ path: entry.name, deleted: true });
        continue;
      }
      treeEntries += 1;
      if (kept === null) stored(written);
      else if (roots.has(written.path)) top.push(written);
      if (entry.type === 'directory') folders.push({ entry, written, stored: kept === null });
      await flushSettled();
      if (written.type === 'file' && entry.linked) leaders.set(entry.linkTarget ?? entry.name, entry.name);
      if (written.type !== 'file' && written.type !== 'hardlink') continue;
      treeFiles += 1;
      if (written.type === 'hardlink') continue;
      treeBytes += written.size;
      if (kept === null) {
        files += 1;
        bytes += written.size;
      }
    }
    report('', true);

    writer.settleHashes();
    await flushSettled(true);
    const manifestBytes = await lines.finish();
    writer.flush();
    // From here on the archive is its manifest, index and trailer: an encrypted one keeps a local copy.
    if (manifestCopy !== undefined) output.record();
    const gzipMembers = request.compression === 'gzip' ? writer.gzipMembers : undefined;
    const manifestMemberOffset = request.compression === 'gzip' ? writer.writtenBytes : null;
    const manifestOffset = writer.tarOffset;
    const now = BigInt(Math.floor(Date.now() / 1000)) * 1_000_000_000n;
    const own = { type: 'File', mode: 0o600, mtimeNs: now, uid: 0, gid: 0, uname: '', gname: '' } as const;
    writer.writeHeader({ ...own, path: manifestLinesEntryName, size: manifestBytes });
    for (const chunk of lines.chunks(1024 * 1024)) writer.writeCompressed(chunk);
    writer.padToBlock();
    writer.flush({ stored: true });
    const index: ManifestIndex = { dormouse: 'index', format: archiveFormatVersion, members: lines.members, lines: lines.lines, files, bytes, treeFiles, treeBytes, treeEntries, top, ...(gzipMembers ? { gzipMembers } : {}) };
    const indexJson = Buffer.from(JSON.stringify(index), 'utf8');
    const indexMemberOffset = request.compression === 'gzip' ? writer.writtenBytes : null;
    const indexOffset = writer.tarOffset;
    writer.writeHeader({ ...own, path: indexEntryName, size: indexJson.length });
    writer.write(indexJson);
    writer.padToBlock();
    writer.flush();
    const trailer = encodeTrailer({
      dormouse: 'trailer',
      format: archiveFormatVersion,
      manifestOffset,
      manifestBytes,
      manifestMemberOffset,
      indexOffset,
      indexBytes: indexJson.length,
      indexMemberOffset,
    });
    writer.writeHeader({ ...own, path: trailerEntryName, size: trailer.length });
    writer.write(trailer);
    writer.write(Buffer.alloc(2 * blockSize));
    writer.flush({ stored: true });
    const { sha256, bytes: plaintextBytes, fileBytes } = output.finish();
    finished = true;
    if (sink) await publishUpload(sink, request.archivePath, sha256);
    else {
      renameSync(partial, request.archivePath);
      writeSidecar(request.archivePath, sha256);
      syncFolder(dirname(request.archivePath));
    }
    const recorded = output.recorded;
    if (manifestCopy !== undefined && recorded) {
      try {
        writeManifestCopy(manifestCopy, recorded.start, plaintextBytes, recorded.pieces);
      } catch (error) {
        warnings.push(`the local copy of the manifest could not be written (${(error as Error).message}); the next backup is a full one`);
      }
    }
    return { archivePath: request.archivePath, kind, baseUnreadable: baseProblem.length > 0, sha256, files, bytes, treeFiles, treeBytes, archiveBytes: fileBytes, entries: treeEntries, warnings };
  } catch (error) {
    if (!finished) await output.abandon();
    if (sink) {
      await sink.abort();
      if (error instanceof ArchiveError) throw error;
      throw new ArchiveError('WRITE_FAILED', `the upload of ${request.archivePath} failed: ${(error as Error).message}; nothing of it was published and older snapshots are untouched`);
    }
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
  } finally {
    base?.close();
    manifest?.close();
    removeQuietly(manifestPartial);
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
    before.mtimeNs === entry.mtimeNs.toString() &&
    before.ino === entry.ino &&
    before.ctimeMs === entry.ctimeMs &&
    before.uid === entry.uid &&
    before.gid === entry.gid &&
    (entry.linkTarget === undefined || before.linkTarget === entry.linkTarget)
  );
}

/** What writeEntry gives for a file that is no longer one (a symlink, a folder, a FIFO now): the walk looks at it again. */
const typeChanged = Symbol('type changed');

/**
 * Writes one entry; returns its manifest entry, or null (with a warning) when it could not be read.
 * `leader` is the name holding the data of the entry's hardlink group in this snapshot (none yet:
 * this name stores the data itself). A generator: while a file is copied it yields the bytes
 * copied so far after each buffer, so the caller can report progress and take a cancel in the
 * middle of a large file.
 */
function* writeEntry(writer: TarWriter, entry: WalkEntry, leader: string | undefined, warnings: string[]): Generator<number, ManifestEntry | null | typeof typeChanged, void> {
  const where = displayName(entry.absolutePath);
  const warn = (what: string) => warnings.push(`${where}: ${what}`);
  const type = entry.type === 'file' && leader !== undefined ? 'hardlink' : entry.type;
  if (type === 'directory' || type === 'fifo') {
    const extra = attributeRecords(entry.absolutePath, type === 'directory', warn);
    const fields = { ...entryFields(entry, type, 0, entry.mtimeNs), ...(extra.length > 0 ? { extra } : {}) };
    return { ...manifestFields(entry, type, entry.mtimeNs), size: 0, ...(extra.length > 0 ? { attributes: true } : {}), offset: writer.writeHeader(fields) };
  }
  if (type === 'hardlink') {
    return { ...manifestFields(entry, type, entry.mtimeNs), size: entry.size, linkTarget: leader, offset: writer.writeHeader(entryFields(entry, type, 0, entry.mtimeNs, leader)) };
  }
  if (type === 'symlink') {
    let target: string;
    try {
      target = decodeName(readlinkSync(fsPath(entry.absolutePath), { encoding: 'buffer' }));
    } catch (error) {
      warnings.push(`${where}: ${(error as Error).message}`);
      return null;
    }
    return { ...manifestFields(entry, type, entry.mtimeNs), size: 0, linkTarget: target, offset: writer.writeHeader(entryFields(entry, type, 0, entry.mtimeNs, target)) };
  }
  let file: SourceFile;
  try {
    file = openSourceFile(entry.absolutePath);
  } catch (error) {
    // A symlink now (open never follows one): the walk looks at it again.
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') return typeChanged;
    warnings.push(`${where}: ${describeError(error)}`);
    return null;
  }
  try {
    if (!file.isFile) return typeChanged;
    const { size, content } = file;
    const extra = file.mayHaveAttributes ? attributeRecords(entry.absolutePath, false, warn) : [];
    const segments = content === null ? sparseSegments(file.fd, size, file.allocated) : null;
    // Each file's SHA-256 is computed by the output's hashing thread where it can be (uncompressed), else here.
    const digest: { sha256?: string; entry?: ManifestEntry } = {};
    const settle = (sha256: string) => {
      digest.sha256 = sha256;
      if (digest.entry) digest.entry.sha256 = sha256;
    };
    let hash: Hash | null = null;
    let offset: number;
    let map: Buffer | null = null;
    if (segments === null) {
      offset = writer.writeHeader({ ...entryFields(entry, 'file', size, file.mtimeNs), ...(extra.length > 0 ? { extra } : {}) });
      if (!writer.hashOnThread(size, settle)) hash = createHash('sha256');
    } else {
      map = sparseMap(segments);
      const stored = map.length + segments.reduce((sum, segment) => sum + segment.length, 0);
      const sparseName = posix.join(posix.dirname(entry.name), 'GNUSparseFile.0', posix.basename(entry.name));
      const sparseRecords: PaxRecords = [
        ['GNU.sparse.major', Buffer.from('1')],
        ['GNU.sparse.minor', Buffer.from('0')],
        ['GNU.sparse.name', encodeName(entry.name)],
        ['GNU.sparse.realsize', Buffer.from(String(size))],
      ];
      offset = writer.writeHeader({ ...entryFields(entry, 'file', stored, file.mtimeNs), path: sparseName, extra: [...sparseRecords, ...extra] });
      if (!writer.hashOnThread(stored, settle)) hash = createHash('sha256');
      hash?.update(map);
      writer.write(map);
    }
    let shrank = false;
    let after = file.after;
    if (content !== null) {
      // Read whole when it was opened: a file that shrank meanwhile is padded with zeros to the size in its header.
      hash?.update(content);
      writer.write(content);
      if (content.length < size) {
        shrank = true;
        const zeros = Buffer.alloc(size - content.length);
        hash?.update(zeros);
        writer.write(zeros);
      }
    } else {
      let copied = 0;
      for (const segment of segments ?? [{ offset: 0, length: size }]) {
        let remaining = segment.length;
        let position = segment.offset;
        while (remaining > 0) {
          const slice = writer.reserve(remaining);
          // A dense file is read in order from the file position (as other tools see it in fdinfo); a sparse one at each segment.
          const read = shrank ? 0 : readSync(file.fd, slice, 0, slice.length, segments === null ? null : position);
          if (read === 0) {
            shrank = true;
            slice.fill(0);
            hash?.update(slice);
            writer.commit(slice.length);
            remaining -= slice.length;
            continue;
          }
          hash?.update(slice.subarray(0, read));
          writer.commit(read);
          remaining -= read;
          position += read;
          copied += read;
          if (remaining > 0) yield copied;
        }
      }
      const stats = fstatSync(file.fd, { bigint: true });
      after = { size: Number(stats.size), mtimeNs: stats.mtimeNs };
    }
    writer.padToBlock();
    if (shrank || after === null || after.size !== size || after.mtimeNs !== file.mtimeNs) {
      warnings.push(`${where}: changed while it was being backed up; the archived copy may be incomplete`);
    }
    if (hash) settle(hash.digest('hex'));
    const written: ManifestEntry = {
      ...manifestFields(entry, 'file', file.mtimeNs),
      ino: file.ino,
      ctimeMs: file.ctimeMs,
      size,
      offset,
      ...(digest.sha256 === undefined ? {} : { sha256: digest.sha256 }),
      ...(extra.length > 0 ? { attributes: true } : {}),
      ...(map !== null ? { sparse: true } : {}),
    };
    digest.entry = written;
    return written;
  } finally {
    if (file.fd >= 0) closeSync(file.fd);
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
