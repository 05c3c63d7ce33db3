import { closeSync, constants, fsyncSync, openSync, renameSync, rmdirSync } from 'node:fs';
import { isSameOrInside, removeQuietly, writeAllAt } from '../common/files';
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
import { SourceWalk, walkRoots, type WalkEntry } from './source-walk';
import { ManifestWriter, type ManifestLine } from './manifest-writer';
import { isSameOrBelow } from './path-order';
import { displayName } from './byte-names';
import { TarWriter } from './tar-writer';
import { publishUpload, S3ArchiveSink, s3TargetOf } from './s3-archive-sink';
import { ArchiveOutput } from './archive-output';
import { startAgeFile } from '../encryption/age-encryptor';
import { writeManifestCopy } from './manifest-copy';
import { ArchiveError, carriedEntry, compareWithBase, openBase, planArchive, requireRoom, spaceMargin, type ArchivePlan } from './archive-plan';
import { storedBytesEstimate } from './tree-count';
import { typeChanged, writeEntry } from './entry-writer';
import { Fifo } from '../common/fifo';
import { makeFolders } from '../common/make-folders';
import { isNoSpace, noSpaceWords } from '../common/disk-full';

/** What the builder asks of its host process: progress reports, and whether to stop. */
export interface ArchiveHost {
  progress(progress: ArchiveProgress): void;
  cancelled(): boolean;
}

const progressIntervalMs = 250;
const yieldIntervalMs = 50;

/**
 * Builds one archive: walks the sources, checks the destination has room before writing a byte,
 * writes `<archive>.partial` (0600) with the manifest, index and trailer, fsyncs it and renames it
 * into place. Any failure removes the partial files and leaves every other archive untouched.
 */
export async function buildArchive(request: ArchiveRequest, host: ArchiveHost): Promise<ArchiveResult> {
  // A full backup's hashing, writing and uploading threads boot while the sources are walked; an incremental's when it meets content.
  const sink = request.s3 ? new S3ArchiveSink(request.archivePath, s3TargetOf(request.s3)) : null;
  const output = new ArchiveOutput({ ...(request.encryption ? { encryption: startAgeFile([request.encryption.recipient]) } : {}), ...(sink ? { upload: sink.ring } : {}), lazy: request.base !== undefined });
  let plan: ArchivePlan;
  try {
    plan = planArchive(request);
  } catch (error) {
    await output.abandon();
    await sink?.abort();
    throw error;
  }
  const { kind, baseProblem, count } = plan;
  const warnings = [...baseProblem];
  // A local copy of the manifest is kept for an encrypted archive, and for any in S3: the next incremental reads it, not the destination.
  const manifestCopy = request.encryption?.manifestCopy ?? request.s3?.manifestCopy;
  const { archive: partial, manifest: manifestPartial } = partialPaths(request.archivePath, manifestCopy);
  let finished = false;
  let refused = false;
  const writer = new TarWriter(output, request.compression === 'gzip');
  const base = kind === 'incremental' ? openBase(request, warnings) : null;
  const baseId = request.base?.id ?? '';
  let manifest: ManifestWriter | null = null;
  try {
    output.open(sink ? null : partial);
    makeFolders(dirname(manifestPartial), 0o700);
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
    /** The totals progress is measured against; null while a first backup's tree is still being counted. */
    const totals = (): { files: number; bytes: number } | null => (count ? count.totals : { files: plan.totalFiles, bytes: plan.totalBytes });
    /** Reports at most every 250 ms, once the totals are known; `copying` is how much of the current file is already in the archive. */
    const report = (currentPath: string, force = false, copying = 0) => {
      const now = Date.now();
      if (!force && now - lastProgress < progressIntervalMs) return;
      // A backup done before its count (stopped then) ends on its own totals: it met every entry.
      const known = totals() ?? (force ? { files: treeFiles, bytes: treeBytes } : null);
      if (known === null) return;
      lastProgress = now;
      // Totals taken from the previous snapshot may be short of a tree that grew since: never less than what is done.
      host.progress({ files, bytes: bytes + copying, totalFiles: Math.max(known.files, files), totalBytes: Math.max(known.bytes, bytes + copying), currentPath });
    };
    let countChecked = count === null;
    /**
     * A first backup's free-space check, once its tree is counted: the archive it would write must
     * fit with the margin. Until then nothing is written past the free space less the margin: an
     * entry that would go further waits for the count.
     */
    const checkCount = (next: WalkEntry): Promise<void> | undefined => {
      if (countChecked || count === null) return undefined;
      const counted = count.totals;
      if (counted === null) {
        const ahead = writer.tarOffset + storedBytesEstimate(next);
        if (ahead + spaceMargin(ahead) <= plan.available) return undefined;
        return count.settled().then((settled) => {
          countChecked = true;
          requireRoom(settled.estimate, plan.available);
        });
      }
      countChecked = true;
      requireRoom(counted.estimate, plan.available);
      return undefined;
    };
    /** Lets the event loop take messages (a cancel) now and then. */
    const pauseForMessages = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = Date.now();
      if (host.cancelled()) throw new ArchiveError('CANCELLED', 'cancelled');
    };
    /** Written entries wait here until their content hash is known (the tapping thread settles them in order), then become manifest lines. */
    const waiting = new Fifo<ManifestLine>();
    const flushSettled = (all = false): Promise<void> | undefined => {
      for (let line = waiting.peek(); line !== undefined && (all || 'deleted' in line || line.type !== 'file' || line.xxh128 !== undefined || line.sha256 !== undefined); line = waiting.peek()) {
        waiting.shift();
        const compressing = lines.add(line);
        if (compressing !== undefined) return compressing.then(() => flushSettled(all));
      }
      return undefined;
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
    type Stored = { entry: WalkEntry; written: ManifestEntry | null };
    /** What store gives once writeEntry has its outcome. */
    const storedAs = (entry: WalkEntry, outcome: ManifestEntry | null | typeof typeChanged, lookedAgain: boolean): Stored | Promise<Stored> => {
      if (outcome !== typeChanged) return { entry, written: outcome };
      const now = lookedAgain ? null : walk.again(entry.absolutePath);
      if (now !== null) return store(now, true);
      if (lookedAgain) warnings.push(`${displayName(entry.absolutePath)}: no longer a regular file; skipped`);
      return { entry, written: null };
    };
    /** The rest of an entry whose copy yielded (a large file): progress and a cancel between its buffers. */
    const storeLarge = async (entry: WalkEntry, steps: ReturnType<typeof writeEntry>, first: number, lookedAgain: boolean): Promise<Stored> => {
      let outcome: ManifestEntry | null | typeof typeChanged;
      try {
        let copied = first;
        for (;;) {
          report(entry.absolutePath, false, copied);
          if (Date.now() - lastYield >= yieldIntervalMs) await pauseForMessages();
          const step = steps.next();
          if (step.done) {
            outcome = step.value;
            break;
          }
          copied = step.value;
        }
      } finally {
        steps.return(null); // closes the file when a cancel stopped it midway
      }
      return storedAs(entry, outcome, lookedAgain);
    };
    /**
     * Writes one entry; most (folders, links, small files) are written without a pause, so they are
     * done here without a promise (a million entries made millions of them), and only a large file
     * goes on asynchronously.
     */
    const store = (entry: WalkEntry, lookedAgain = false): Stored | Promise<Stored> => {
      const steps = writeEntry(writer, entry, leaders.get(entry.linkTarget ?? ''), warnings);
      const step = steps.next();
      if (!step.done) return storeLarge(entry, steps, step.value, lookedAgain);
      return storedAs(entry, step.value, lookedAgain);
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
    /** Whether a carried folder above the current entry is not stored yet (in a full backup none is). */
    const foldersToStore = () => {
      for (const folder of folders) if (!folder.stored) return true;
      return false;
    };
    const walk = new SourceWalk(request.sources, request.excludes, warnings);
    for (const compared of compareWithBase(walk.entries(), base?.entries() ?? null)) {
      if (Date.now() - lastYield >= yieldIntervalMs) await pauseForMessages();
      const path = 'gone' in compared ? compared.gone : compared.entry.name;
      while (folders.length > 0 && !isSameOrBelow(path, (folders[folders.length - 1] as (typeof folders)[number]).entry.name)) folders.pop();
      if ('gone' in compared) {
        // The folders above a deletion are stored too: the manifest keeps its order, a folder before what was in it.
        if (foldersToStore()) await storeFolders();
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
        // Awaited only when there is something to wait for: most entries are written without a promise.
        const counting = checkCount(entry);
        if (counting !== undefined) await counting;
        if (foldersToStore()) await storeFolders();
        let outcome = store(entry);
        if (outcome instanceof Promise) outcome = await outcome;
        ({ entry, written } = outcome);
      }
      if (written === null) {
        if (before) waiting.push({ path: entry.name, deleted: true });
        continue;
      }
      treeEntries += 1;
      if (kept === null) stored(written);
      else if (roots.has(written.path)) top.push(written);
      if (entry.type === 'directory') folders.push({ entry, written, stored: kept === null });
      const flushing = flushSettled();
      if (flushing !== undefined) await flushing;
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
    // A tree written before its count came in: the count is not waited for, the last report has the backup's own totals.
    if (count !== null && count.totals === null) await count.close();
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
    refused = error instanceof ArchiveError && error.code === 'INSUFFICIENT_SPACE';
    if (error instanceof ArchiveError) throw error;
    if (isNoSpace(error)) {
      throw new ArchiveError('INSUFFICIENT_SPACE', `${noSpaceWords(dirname(request.archivePath), error)} while ${request.archivePath} was being written; the partial archive was removed and older archives are untouched; free some room there and run the backup again`);
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EIO' || code === 'ENODEV' || code === 'ENXIO') {
      throw new ArchiveError('WRITE_FAILED', `the destination went away while ${request.archivePath} was being written (${code}): was the drive unplugged? Older archives are untouched; the backup runs again when it is back`);
    }
    throw new ArchiveError('WRITE_FAILED', `could not write ${request.archivePath}: ${(error as Error).message}`);
  } finally {
    await count?.close();
    base?.close();
    manifest?.close();
    removeQuietly(manifestPartial);
    // Refused for want of space (a first backup's count): the destination is left as it was found.
    if (refused) removeEmptyFolders(dirname(request.archivePath), plan.madeFolder);
  }
}

/** Writes `<archive>.sha256` (as sha256sum prints it), so a catalog rebuilt from the destination can still verify the archive. */
function writeSidecar(archivePath: string, sha256: string): void {
  const sidecar = sidecarPath(archivePath);
  const fd = openSync(`${sidecar}.partial`, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  try {
    writeAllAt(fd, `${sha256}  ${basename(archivePath)}\n`, null);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(`${sidecar}.partial`, sidecar);
}

/** Removes `folder` and the folders above it up to `top` (the first one the plan made), each only when empty. */
function removeEmptyFolders(folder: string, top: string | null): void {
  if (top === null || !isSameOrInside(folder, top)) return;
  for (let current = folder; ; current = dirname(current)) {
    try {
      rmdirSync(current);
    } catch {
      return; // not empty, or already gone
    }
    if (current === top) return;
  }
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
