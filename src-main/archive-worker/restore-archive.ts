import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import { blockSize, type ManifestEntry } from './archive-manifest';
import { archiveNameKind } from '../destinations/destination-layout';
import { DamagedRangeError } from '../encryption/damaged-range-error';
import type { S3Settings } from '../s3/s3-settings';
import { archiveExists, keysOf, openArchiveFile, plaintextStream, type ArchiveFile, type ArchiveKeys } from './archive-file';
import { comparePaths, isSameOrBelow } from './path-order';
import { SnapshotView } from './snapshot-view';
import { displayName } from './byte-names';
import { ContentSink } from './content-sink';
import { decodeHeader, isPaxBlock, paddedSize, type StoredHeader } from './entry-header';
import { parsePaxRecords } from './pax-records';
import { SafeWriter, type OpenFile } from './safe-writer';
import { TarScanner } from './tar-scanner';

export { unsafeName } from './safe-writer';

/** What to restore: a snapshot's archive, where to, which paths (all when empty), and whether existing files may be replaced. */
export interface RestoreRequest {
  /** The S3 buckets (and keys) of `s3://` archives. */
  s3?: S3Settings[];
  archivePath: string;
  /** Where the earlier archives an incremental's entries live in are: snapshot id → archive path. */
  archives: Record<string, string>;
  target: string;
  paths: string[];
  overwrite: boolean;
  /** The destination's identity (`AGE-SECRET-KEY-1…`) when its archives are encrypted. */
  identity?: string | undefined;
}

/** What a restore did: files written, existing files left alone, entries refused or not restored (with why), damaged files, attributes not applied. */
export interface RestoreResult {
  target: string;
  files: number;
  bytes: number;
  conflicts: string[];
  refused: string[];
  damaged: string[];
  unapplied: string[];
}

export interface RestoreHost {
  progress(files: number, bytes: number, totalFiles: number, totalBytes: number, currentPath: string): void;
  cancelled(): boolean;
}

/** A restore asked for paths the snapshot does not have: nothing is restored. */
export class NotInSnapshot extends Error {}

/** A cancel asked for by the user: the restore stops, removing what it was writing. */
class Cancelled extends Error {}

/** The first entry at `path` in the snapshot, or undefined. */
function lookUp(view: SnapshotView, path: string): ManifestEntry | undefined {
  const first = view.entries(path).next().value;
  return first?.path === path ? first : undefined;
}

/**
 * The entries a restore of `paths` takes (all of them when empty), read from the snapshot's chain
 * from each path on, and the paths the snapshot does not have.
 */
function selected(view: SnapshotView, paths: readonly string[]): { chosen: ManifestEntry[]; unknown: string[] } {
  if (paths.length === 0) return { chosen: [...view.entries()], unknown: [] };
  const wanted = [...new Set(paths.map((path) => path.replace(/^\/+/, '').replace(/\/+$/, '')))].sort(comparePaths);
  const chosen: ManifestEntry[] = [];
  const unknown: string[] = [];
  let last: string | null = null;
  for (const path of wanted) {
    if (last !== null && isSameOrBelow(path, last)) continue;
    last = path;
    let found = false;
    for (const entry of view.entries(path)) {
      if (!isSameOrBelow(entry.path, path)) break;
      chosen.push(entry);
      found = true;
    }
    if (!found) unknown.push(paths.find((given) => given.replace(/^\/+/, '').replace(/\/+$/, '') === path) ?? path);
  }
  return { chosen, unknown };
}

/** The folders above the chosen entries that the snapshot holds: a `--path` restore makes them with their own modes and times. */
function foldersAbove(view: SnapshotView, chosen: readonly ManifestEntry[]): ManifestEntry[] {
  const have = new Set(chosen.map((entry) => entry.path));
  const needed = new Set<string>();
  for (const entry of chosen) {
    for (let folder = posix.dirname(entry.path); folder !== '.' && folder !== '/' && !have.has(folder) && !needed.has(folder); folder = posix.dirname(folder)) needed.add(folder);
  }
  return [...needed]
    .sort(comparePaths)
    .map((folder) => lookUp(view, folder))
    .filter((entry): entry is ManifestEntry => entry?.type === 'directory');
}

/** Reads the header an entry's recorded offset points at (with its PAX records) and checks it is that entry's. */
function headerAt(archive: ArchiveFile, entry: ManifestEntry, storedAs = entry.path): { header: StoredHeader; contentAt: number } {
  const block = Buffer.alloc(blockSize);
  let position = entry.offset;
  if (archive.readInto(block, position) !== blockSize) throw new Error(`the archive ends before ${displayName(entry.path)}; verify it`);
  let records: Map<string, Buffer> | null = null;
  if (isPaxBlock(block)) {
    const size = decodeHeader(block, null, position).size;
    const content = Buffer.alloc(size);
    archive.readInto(content, position + blockSize);
    records = parsePaxRecords(content);
    position += blockSize + paddedSize(size);
    archive.readInto(block, position);
  }
  const header = decodeHeader(block, records, position);
  if (header.path.replace(/\/+$/, '') !== storedAs) throw new Error(`the archive does not hold ${displayName(storedAs)} at byte ${entry.offset}; verify it`);
  return { header, contentAt: position + blockSize };
}

/** The full size of a sparse file from its GNU sparse 1.0 records, or null when the entry is not sparse. */
function sparseSize(records: Map<string, Buffer>): number | null {
  const size = records.get('GNU.sparse.realsize');
  if (records.get('GNU.sparse.major')?.toString() !== '1' || size === undefined) return null;
  const value = Number(size.toString('latin1'));
  if (!Number.isSafeInteger(value) || value < 0) throw new Error('a damaged sparse file record');
  return value;
}

/** The stored content's length: a sparse file stores its map and data, not its full size. */
function storedLength(entry: ManifestEntry, header: StoredHeader): number {
  return entry.sparse === true ? header.size : entry.size;
}

/**
 * Restores one file from an uncompressed archive by seeking to its recorded header: no reading from
 * the start. Yields the bytes copied so far after each MiB, for progress and a cancel inside a large file.
 */
function* copyAtOffset(archive: ArchiveFile, entry: ManifestEntry, header: StoredHeader, contentAt: number, sink: ContentSink): Generator<number, void, void> {
  const length = storedLength(entry, header);
  let remaining = length;
  let at = contentAt;
  const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, Math.max(remaining, 1)));
  while (remaining > 0) {
    const slice = chunk.subarray(0, Math.min(chunk.length, remaining));
    const read = archive.readInto(slice, at);
    if (read === 0) throw new Error(`the archive ends inside ${displayName(entry.path)}; verify it`);
    sink.push(slice.subarray(0, read));
    remaining -= read;
    at += read;
    if (remaining > 0) yield length - remaining;
  }
}

/** One file being written from a gzip archive's stream. */
interface Streaming {
  entry: ManifestEntry;
  destination: string;
  file: OpenFile;
  sink: ContentSink;
  records: Map<string, Buffer>;
  failed: boolean;
}

/** Streams a gzip archive once, writing the wanted files as they pass. */
async function restoreFromGzip(archivePath: string, keys: ArchiveKeys, wanted: Map<string, ManifestEntry>, writer: SafeWriter, host: RestoreHost, report: (path: string) => void): Promise<void> {
  const seen = new Set<string>();
  let current: Streaming | null = null;
  const scanner = new TarScanner({
    entry: (scanned) => {
      const stored = scanned.path.replace(/\/+$/, '');
      const entry = wanted.get(stored);
      current = null;
      if (!entry || entry.type !== 'file') return;
      seen.add(stored);
      report(entry.path);
      const destination = writer.place(entry);
      if (destination === null) return;
      const file = writer.openFile(destination);
      const records = scanned.records;
      current = { entry, destination, file, records, sink: new ContentSink(file.fd, entry.sparse === true ? sparseSize(records) : null), failed: false };
    },
    content: (chunk) => {
      const open = current as Streaming | null;
      if (!open || open.failed) return;
      try {
        open.sink.push(chunk);
      } catch {
        open.failed = true;
      }
    },
    entryEnd: () => {
      const open = current as Streaming | null;
      current = null;
      if (!open) return;
      let sha256 = '';
      try {
        sha256 = open.failed ? '' : open.sink.finish();
      } catch {
        sha256 = '';
      }
      if (sha256 === '') {
        writer.discard(open.file);
        writer.damaged.push(`/${displayName(open.entry.path)}`);
      } else writer.closeFile(open.entry, open.destination, open.file, sha256, open.records);
    },
  });
  const gunzip = createGunzip();
  try {
    const file = plaintextStream(archivePath, keys);
    file.on('error', (error) => gunzip.destroy(error));
    for await (const chunk of file.pipe(gunzip)) {
      if (scanner.ended) break;
      scanner.push(chunk as Buffer);
      if (host.cancelled()) throw new Cancelled('cancelled');
    }
  } catch (error) {
    if (error instanceof Cancelled) throw error;
    const open = current as Streaming | null;
    if (open) writer.discard(open.file);
    for (const [path, entry] of wanted) if (!seen.has(path) || open?.entry === entry) writer.refused.push(`/${displayName(entry.path)}: not restored, ${archivePath} cannot be read past this point (${(error as Error).message}); verify it`);
    return;
  }
  for (const [path, entry] of wanted) if (!seen.has(path)) writer.refused.push(`/${displayName(entry.path)}: not restored, ${archivePath} does not hold it though its manifest lists it; verify it`);
}

/**
 * The PAX records (extended attributes, ACLs) of the folders, FIFOs and links that have them, read
 * from the archive holding each: by seeking in an uncompressed archive, by one pass through a gzip one.
 */
async function recordsOfOthers(entries: readonly ManifestEntry[], request: RestoreRequest, keys: ArchiveKeys, writer: SafeWriter): Promise<Map<string, Map<string, Buffer>>> {
  const found = new Map<string, Map<string, Buffer>>();
  const groups = new Map<string, ManifestEntry[]>();
  for (const entry of entries) {
    if (entry.attributes !== true || entry.type === 'file' || entry.type === 'hardlink') continue;
    const archive = entry.archive === undefined ? request.archivePath : request.archives[entry.archive];
    if (archive === undefined) continue;
    const group = groups.get(archive);
    if (group) group.push(entry);
    else groups.set(archive, [entry]);
  }
  for (const [archivePath, group] of groups) {
    try {
      if (!archiveNameKind(archivePath).gzip) {
        const archive = openArchiveFile(archivePath, keys);
        try {
          for (const entry of group) found.set(entry.path, headerAt(archive, entry).header.records);
        } finally {
          archive.close();
        }
        continue;
      }
      const wanted = new Set(group.map((entry) => entry.path));
      const scanner = new TarScanner({ entry: (scanned) => void (wanted.has(scanned.path.replace(/\/+$/, '')) && found.set(scanned.path.replace(/\/+$/, ''), scanned.records)) });
      const gunzip = plaintextStream(archivePath, keys).pipe(createGunzip());
      for await (const chunk of gunzip) {
        if (scanner.ended) break;
        scanner.push(chunk as Buffer);
      }
    } catch (error) {
      for (const entry of group) if (!found.has(entry.path)) writer.unapplied.push(`/${displayName(entry.path)}: extended attributes and ACLs (${(error as Error).message})`);
    }
  }
  return found;
}

/**
 * The hardlinks whose file is not part of this restore (a `--path` that selects one name of a
 * group) become files with that file's content; the others wait for their file to be written.
 */
function resolveHardlinks(view: SnapshotView, entries: ManifestEntry[], refused: string[]): { files: ManifestEntry[]; links: ManifestEntry[]; storedAs: Map<string, string> } {
  const storedAs = new Map<string, string>();
  const chosen = new Set(entries.map((entry) => entry.path));
  const files = entries.filter((entry) => entry.type === 'file');
  const links: ManifestEntry[] = [];
  const stand = new Map<string, string>();
  for (const entry of entries) {
    if (entry.type !== 'hardlink') continue;
    const target = entry.linkTarget ?? '';
    if (chosen.has(target)) {
      links.push(entry);
      continue;
    }
    const standIn = stand.get(target);
    if (standIn !== undefined) {
      links.push({ ...entry, linkTarget: standIn });
      continue;
    }
    const holder = lookUp(view, target);
    if (!holder || holder.type !== 'file') {
      refused.push(`/${displayName(entry.path)}: not restored, the file it is another name of (/${displayName(target)}) is not in this snapshot`);
      continue;
    }
    stand.set(target, entry.path);
    storedAs.set(entry.path, holder.path);
    files.push({ ...holder, path: entry.path, mode: entry.mode });
  }
  return { files, links, storedAs };
}

/**
 * Makes the restore durable once, at the end, as `tar -x` followed by `sync` would: one syncfs of
 * the target's file system (coreutils `sync -f`) rather than an fsync per file. Until then a crash
 * can lose restored files, but never puts wrong bytes under a real name: a file takes its name only
 * after its content checked out.
 */
function flushToDisk(target: string): void {
  if (process.platform === 'win32') return;
  spawnSync('sync', process.platform === 'linux' ? ['-f', target] : [], { stdio: 'ignore', timeout: 600_000 });
}

/**
 * Restores a snapshot, or chosen files and folders of it, into a target folder: contents, modes,
 * times to the nanosecond, owners (as root), extended attributes and ACLs, hardlinks, FIFOs and
 * symlinks come back; existing files are left alone unless overwriting was asked for; unsafe
 * entries are refused and reported. Every file's content is checked against the SHA-256 recorded
 * at backup time before it takes its name: a damaged one is listed and the rest goes on. Folders
 * are made first, then files are read from the archive that holds each one (uncompressed archives
 * by seeking to each entry, gzip ones read through once), then other names of files, FIFOs and
 * symlinks (so no file of this restore is ever written through one), then the folders' own
 * attributes. A failure part-way (a missing archive, a read error) is reported per entry, not thrown.
 */
export async function restoreArchive(request: RestoreRequest, host: RestoreHost): Promise<RestoreResult> {
  const keys = keysOf(request.identity, request.s3);
  const view = SnapshotView.open(request.archivePath, request.archives, { partial: true, keys });
  let entries: ManifestEntry[];
  let resolved: ReturnType<typeof resolveHardlinks>;
  const target = resolve(request.target);
  const writer = new SafeWriter(target, request.overwrite);
  try {
    const { chosen, unknown } = selected(view, request.paths);
    // With an earlier archive of the chain missing, what is not found may be listed there.
    if (view.missing !== null) {
      for (const path of unknown) writer.refused.push(`${path}: not restored, ${view.missing}`);
      if (request.paths.length === 0) writer.refused.push(`the files only earlier snapshots list are not restored: ${view.missing}`);
    } else if (unknown.length > 0) throw new NotInSnapshot(`${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in this snapshot; list it with \`dormouse ls\``);
    entries = [...foldersAbove(view, chosen), ...chosen];
    resolved = resolveHardlinks(view, entries, writer.refused);
  } finally {
    view.close();
  }
  mkdirSync(target, { recursive: true });
  const { files, links, storedAs } = resolved;
  const totalBytes = files.reduce((sum, entry) => sum + entry.size, 0);
  const totalFiles = files.length + links.length;
  let lastProgress = 0;
  /** Reports at most every 250 ms; `copying` is how much of the current file is already restored. */
  const report = (path: string, copying = 0) => {
    if (Date.now() - lastProgress < 250) return;
    lastProgress = Date.now();
    host.progress(writer.files, writer.bytes + copying, totalFiles, totalBytes, path);
  };
  let sinceYield = Date.now();
  /** Lets the event loop take messages (a cancel) every 50 ms. */
  const pauseNowAndThen = async () => {
    if (Date.now() - sinceYield <= 50) return;
    await new Promise((resolveYield) => setImmediate(resolveYield));
    if (host.cancelled()) throw new Cancelled('cancelled');
    sinceYield = Date.now();
  };

  try {
    const others = await recordsOfOthers(entries, request, keys, writer);
    for (const entry of entries) {
      if (entry.type !== 'directory') continue;
      const destination = writer.place(entry, others.get(entry.path) ?? null);
      if (destination !== null) writer.folder(entry, destination, others.get(entry.path) ?? null);
    }

    const groups = new Map<string, ManifestEntry[]>();
    for (const entry of files) {
      const archive = entry.archive === undefined ? request.archivePath : request.archives[entry.archive];
      if (archive === undefined) {
        writer.refused.push(`/${displayName(entry.path)}: not restored, the archive of snapshot ${entry.archive} that holds it is not in the catalog; import its destination`);
        continue;
      }
      const group = groups.get(archive);
      if (group) group.push(entry);
      else groups.set(archive, [entry]);
    }
    for (const [archivePath, group] of groups) {
      if (!archiveExists(archivePath, keys)) {
        for (const entry of group) writer.refused.push(`/${displayName(entry.path)}: not restored, the archive ${archivePath} that holds it is missing; connect its destination`);
        continue;
      }
      if (archiveNameKind(archivePath).gzip) {
        await restoreFromGzip(archivePath, keys, new Map(group.map((entry) => [storedAs.get(entry.path) ?? entry.path, entry])), writer, host, report);
        continue;
      }
      let archive: ArchiveFile;
      try {
        archive = openArchiveFile(archivePath, keys);
      } catch (error) {
        for (const entry of group) writer.refused.push(`/${displayName(entry.path)}: not restored, ${(error as Error).message}`);
        continue;
      }
      try {
        for (const entry of group) {
          await pauseNowAndThen();
          report(entry.path);
          let located: ReturnType<typeof headerAt>;
          try {
            located = headerAt(archive, entry, storedAs.get(entry.path));
          } catch (error) {
            // A header in an encrypted chunk that fails authentication: the file is damaged like one whose content is.
            if (error instanceof DamagedRangeError) writer.damaged.push(`/${displayName(entry.path)}`);
            else writer.refused.push(`/${displayName(entry.path)}: not restored, ${(error as Error).message}`);
            continue;
          }
          const destination = writer.place(entry);
          if (destination === null) continue;
          const file = writer.openFile(destination);
          let sha256: string;
          try {
            const sink = new ContentSink(file.fd, entry.sparse === true ? sparseSize(located.header.records) : null);
            const steps = copyAtOffset(archive, entry, located.header, located.contentAt, sink);
            for (let step = steps.next(); !step.done; step = steps.next()) {
              report(entry.path, step.value);
              await pauseNowAndThen();
            }
            sha256 = sink.finish();
          } catch (error) {
            writer.discard(file);
            if (error instanceof Cancelled) throw error;
            writer.damaged.push(`/${displayName(entry.path)}`);
            continue;
          }
          writer.closeFile(entry, destination, file, sha256, located.header.records);
        }
      } finally {
        archive.close();
      }
    }

    for (const entry of links) {
      const leader = writer.restored.get(entry.linkTarget ?? '');
      if (leader === undefined) {
        writer.refused.push(`/${displayName(entry.path)}: not restored, the file it is another name of (/${displayName(entry.linkTarget ?? '')}) was not restored`);
        continue;
      }
      const destination = writer.place(entry);
      if (destination !== null) writer.hardlink(destination, leader);
    }
    for (const entry of entries) {
      if (entry.type !== 'fifo') continue;
      const destination = writer.place(entry);
      if (destination !== null) writer.fifo(entry, destination, others.get(entry.path) ?? null);
    }
    for (const entry of entries) {
      if (entry.type !== 'symlink') continue;
      const destination = writer.place(entry);
      if (destination !== null) writer.symlink(entry, destination);
    }
  } catch (error) {
    writer.abandon();
    if (error instanceof Cancelled) throw error;
    writer.refused.push(`the restore stopped: ${(error as Error).message}; what is not listed as restored was not restored`);
  }
  writer.finish();
  flushToDisk(target);
  host.progress(writer.files, writer.bytes, totalFiles, totalBytes, '');
  return { target, files: writer.files, bytes: writer.bytes, conflicts: writer.conflicts, refused: writer.refused, damaged: writer.damaged, unapplied: writer.unapplied };
}
