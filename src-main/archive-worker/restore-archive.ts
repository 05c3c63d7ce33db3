import { type Stats, closeSync, createReadStream, existsSync, fsyncSync, fchmodSync, lstatSync, lutimesSync, mkdirSync, openSync, readSync, renameSync, symlinkSync, utimesSync, writeSync, chmodSync, unlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createGunzip } from 'node:zlib';
import { removeQuietly } from '../common/files';
import { blockSize, type ManifestEntry } from './archive-manifest';
import { readManifest } from './archive-reader';
import { TarScanner } from './tar-scanner';
import { Header, Pax } from 'tar';

/** What to restore: a snapshot's archive, where to, which paths (all when empty), and whether existing files may be replaced. */
export interface RestoreRequest {
  archivePath: string;
  /** Where the earlier archives an incremental's entries live in are: snapshot id → archive path. */
  archives: Record<string, string>;
  target: string;
  paths: string[];
  overwrite: boolean;
}

/** What a restore did: files written, existing files left alone, entries refused for safety. */
export interface RestoreResult {
  target: string;
  files: number;
  bytes: number;
  conflicts: string[];
  refused: string[];
}

export interface RestoreHost {
  progress(files: number, bytes: number, totalFiles: number, totalBytes: number, currentPath: string): void;
  cancelled(): boolean;
}

/** A restore asked for paths the snapshot does not have: nothing is restored. */
export class NotInSnapshot extends Error {}

/** Why an entry's name may not be written under the target, or null when it is safe. */
export function unsafeName(name: string): string | null {
  if (name === '' || name.includes('\0')) return 'an empty or invalid name';
  if (isAbsolute(name) || /^[a-zA-Z]:[\\/]/.test(name)) return 'an absolute path';
  if (name.split(/[\\/]/).includes('..')) return 'a ".." path component';
  return null;
}

function selected(entries: readonly ManifestEntry[], paths: readonly string[]): ManifestEntry[] {
  if (paths.length === 0) return [...entries];
  const wanted = paths.map((path) => path.replace(/^\/+/, '').replace(/\/+$/, ''));
  return entries.filter((entry) => wanted.some((path) => entry.path === path || entry.path.startsWith(`${path}/`)));
}

/**
 * Writes entries under the target folder and nowhere else: every name is checked, and no entry is
 * written through a symlink (one planted by an earlier entry, or already there), so a hostile
 * archive cannot reach outside the target.
 */
class SafeWriter {
  readonly conflicts: string[] = [];
  readonly refused: string[] = [];
  private readonly folders: { path: string; entry: ManifestEntry }[] = [];
  private readonly open = new Set<string>();
  files = 0;
  bytes = 0;

  constructor(
    private readonly target: string,
    private readonly overwrite: boolean,
  ) {}

  /** The place an entry goes, or null (with the reason recorded) when it must not be written. */
  place(entry: ManifestEntry): string | null {
    const why = unsafeName(entry.path);
    if (why) {
      this.refused.push(`${entry.path}: refused, ${why}`);
      return null;
    }
    const destination = resolve(this.target, entry.path);
    const inside = relative(this.target, destination);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      this.refused.push(`${entry.path}: refused, it would land outside ${this.target}`);
      return null;
    }
    let folder = this.target;
    for (const part of inside.split(sep).slice(0, -1)) {
      folder = join(folder, part);
      try {
        const stats = lstatSync(folder);
        if (stats.isSymbolicLink()) {
          this.refused.push(`${entry.path}: refused, it would be written through the symlink ${folder}`);
          return null;
        }
        if (!stats.isDirectory()) {
          this.refused.push(`${entry.path}: refused, ${folder} is not a folder`);
          return null;
        }
      } catch {
        break;
      }
    }
    let existing: Stats | null = null;
    try {
      existing = lstatSync(destination);
    } catch {
      existing = null;
    }
    if (existing !== null) {
      if (entry.type === 'directory' && existing.isDirectory()) {
        if (this.overwrite) this.folders.push({ path: destination, entry });
        return null;
      }
      // A folder in the way of a file or link is never deleted, even when overwriting.
      if (!this.overwrite || existing.isDirectory()) {
        this.conflicts.push(`/${entry.path}`);
        return null;
      }
      // Overwriting replaces a file or a link itself (never what a link points to).
      unlinkSync(destination);
    }
    mkdirSync(dirname(destination), { recursive: true });
    return destination;
  }

  folder(entry: ManifestEntry, destination: string): void {
    mkdirSync(destination, { recursive: true, mode: 0o700 });
    this.folders.push({ path: destination, entry });
  }

  symlink(entry: ManifestEntry, destination: string): void {
    symlinkSync(entry.linkTarget ?? '', destination);
    try {
      lutimesSync(destination, entry.mtimeMs / 1000, entry.mtimeMs / 1000);
    } catch {
      // not every file system keeps a link's own times
    }
  }

  /** Opens a file's temporary twin; the content is written, then it is renamed into place. */
  openFile(destination: string): { fd: number; temporary: string } {
    const temporary = `${destination}.dormouse-restore`;
    removeQuietly(temporary);
    const fd = openSync(temporary, 'wx', 0o600);
    this.open.add(temporary);
    return { fd, temporary };
  }

  closeFile(entry: ManifestEntry, destination: string, file: { fd: number; temporary: string }): void {
    fchmodSync(file.fd, entry.mode);
    fsyncSync(file.fd);
    closeSync(file.fd);
    utimesSync(file.temporary, entry.mtimeMs / 1000, entry.mtimeMs / 1000);
    renameSync(file.temporary, destination);
    this.open.delete(file.temporary);
    this.files += 1;
    this.bytes += entry.size;
  }

  /** Removes the temporary twin of a file a cancelled or failed restore was writing: nothing half-written stays. */
  abandon(): void {
    for (const temporary of this.open) removeQuietly(temporary);
    this.open.clear();
  }

  /** Folder modes and times last, deepest first, since writing inside a folder changes its mtime. */
  finish(): void {
    for (const { path, entry } of [...this.folders].reverse()) {
      try {
        // Only a real folder: chmod and utimes would follow a link planted meanwhile.
        if (!lstatSync(path).isDirectory()) continue;
        chmodSync(path, entry.mode);
        utimesSync(path, entry.mtimeMs / 1000, entry.mtimeMs / 1000);
      } catch {
        // a folder that was already there and is not ours to change
      }
    }
  }
}

function readFully(fd: number, buffer: Buffer, position: number): number {
  let done = 0;
  while (done < buffer.length) {
    const read = readSync(fd, buffer, done, buffer.length - done, position + done);
    if (read === 0) break;
    done += read;
  }
  return done;
}

/**
 * Restores one file from an uncompressed archive by seeking to its recorded header: no reading from
 * the start. Yields the bytes copied so far after each MiB, for progress and a cancel inside a large file.
 */
function* copyAtOffset(archive: number, entry: ManifestEntry, out: number): Generator<number, void, void> {
  const block = Buffer.alloc(blockSize);
  let position = entry.offset;
  readFully(archive, block, position);
  let header = new Header(block);
  let path = header.path;
  if (header.type === 'ExtendedHeader') {
    const paxBytes = Buffer.alloc(header.size ?? 0);
    readFully(archive, paxBytes, position + blockSize);
    path = Pax.parse(paxBytes.toString('utf8'), undefined, false).path ?? path;
    position += blockSize + Math.ceil(paxBytes.length / blockSize) * blockSize;
    readFully(archive, block, position);
    header = new Header(block);
  }
  if (!header.cksumValid || path?.replace(/\/+$/, '') !== entry.path) throw new Error(`the archive does not hold ${entry.path} at byte ${entry.offset}; verify it`);
  let remaining = entry.size;
  let at = position + blockSize;
  const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, Math.max(remaining, 1)));
  while (remaining > 0) {
    const slice = chunk.subarray(0, Math.min(chunk.length, remaining));
    const read = readFully(archive, slice, at);
    if (read === 0) throw new Error(`the archive ends inside ${entry.path}; verify it`);
    writeSync(out, slice, 0, read);
    remaining -= read;
    at += read;
    if (remaining > 0) yield entry.size - remaining;
  }
}

/** Streams a gzip archive once, writing the wanted files as they pass. */
async function restoreFromGzip(archivePath: string, wanted: Map<string, ManifestEntry>, writer: SafeWriter, host: RestoreHost, report: (path: string) => void): Promise<void> {
  const seen = new Set<string>();
  let current: { entry: ManifestEntry; destination: string; file: { fd: number; temporary: string } } | null = null;
  const scanner = new TarScanner({
    entry: (scanned) => {
      const entry = wanted.get(scanned.path.replace(/\/+$/, ''));
      current = null;
      if (!entry || entry.type !== 'file') return;
      seen.add(entry.path);
      report(entry.path);
      const destination = writer.place(entry);
      if (destination !== null) current = { entry, destination, file: writer.openFile(destination) };
    },
    content: (chunk) => {
      if (current) writeSync(current.file.fd, chunk);
    },
    entryEnd: () => {
      if (current) writer.closeFile(current.entry, current.destination, current.file);
      current = null;
    },
  });
  const file = createReadStream(archivePath);
  const gunzip = createGunzip();
  file.on('error', (error) => gunzip.destroy(error));
  for await (const chunk of file.pipe(gunzip)) {
    if (scanner.ended) break;
    scanner.push(chunk as Buffer);
    if (host.cancelled()) throw new Error('cancelled');
  }
  const missing = [...wanted.keys()].filter((path) => !seen.has(path));
  if (missing.length > 0) throw new Error(`the archive does not hold ${missing[0]}${missing.length > 1 ? ` and ${missing.length - 1} more` : ''} that its manifest lists; verify it`);
}

/**
 * Restores a snapshot, or chosen files and folders of it, into a target folder: contents, modes,
 * mtimes and symlinks come back; existing files are left alone unless overwriting was asked for;
 * unsafe entries are refused and reported. Folders are made first, then files are read from the
 * archive that holds each one (an incremental's unchanged files live in earlier archives):
 * uncompressed archives by seeking to each entry, gzip ones read through once; symlinks come last,
 * so no file of this restore is ever written through one.
 */
export async function restoreArchive(request: RestoreRequest, host: RestoreHost): Promise<RestoreResult> {
  const manifest = readManifest(request.archivePath);
  const target = resolve(request.target);
  mkdirSync(target, { recursive: true });
  const unknown = request.paths.filter((path) => selected(manifest.entries, [path]).length === 0);
  if (unknown.length > 0) throw new NotInSnapshot(`${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in this snapshot; list it with \`dormouse ls\``);
  const entries = selected(manifest.entries, request.paths);
  const files = entries.filter((entry) => entry.type === 'file');
  const totalBytes = files.reduce((sum, entry) => sum + entry.size, 0);
  const writer = new SafeWriter(target, request.overwrite);
  let lastProgress = 0;
  /** Reports at most every 250 ms; `copying` is how much of the current file is already restored. */
  const report = (path: string, copying = 0) => {
    if (Date.now() - lastProgress < 250) return;
    lastProgress = Date.now();
    host.progress(writer.files, writer.bytes + copying, files.length, totalBytes, path);
  };
  let sinceYield = Date.now();
  /** Lets the event loop take messages (a cancel) every 50 ms. */
  const pauseNowAndThen = async () => {
    if (Date.now() - sinceYield <= 50) return;
    await new Promise((resolveYield) => setImmediate(resolveYield));
    if (host.cancelled()) throw new Error('cancelled');
    sinceYield = Date.now();
  };

  try {
    for (const entry of entries) {
      if (entry.type !== 'directory') continue;
      const destination = writer.place(entry);
      if (destination !== null) writer.folder(entry, destination);
    }

    const groups = new Map<string, ManifestEntry[]>();
    for (const entry of files) {
      const archive = entry.archive === undefined ? request.archivePath : request.archives[entry.archive];
      if (archive === undefined) throw new Error(`the archive of snapshot ${entry.archive} that holds ${entry.path} is not in the catalog; import its destination`);
      groups.set(archive, [...(groups.get(archive) ?? []), entry]);
    }
    for (const [archivePath, group] of groups) {
      if (!existsSync(archivePath)) throw new Error(`the archive ${archivePath}, which holds ${group[0]?.path ?? 'files'} of this snapshot, is missing; connect its destination`);
      if (archivePath.endsWith('.gz')) {
        await restoreFromGzip(archivePath, new Map(group.map((entry) => [entry.path, entry])), writer, host, report);
        continue;
      }
      const archive = openSync(archivePath, 'r');
      try {
        for (const entry of group) {
          await pauseNowAndThen();
          report(entry.path);
          const destination = writer.place(entry);
          if (destination === null) continue;
          const file = writer.openFile(destination);
          try {
            const steps = copyAtOffset(archive, entry, file.fd);
            for (let step = steps.next(); !step.done; step = steps.next()) {
              report(entry.path, step.value);
              await pauseNowAndThen();
            }
          } catch (error) {
            closeSync(file.fd);
            unlinkSync(file.temporary);
            throw error;
          }
          writer.closeFile(entry, destination, file);
        }
      } finally {
        closeSync(archive);
      }
    }

    for (const entry of entries) {
      if (entry.type !== 'symlink') continue;
      const destination = writer.place(entry);
      if (destination !== null) writer.symlink(entry, destination);
    }
  } catch (error) {
    writer.abandon();
    throw error;
  }
  writer.finish();
  host.progress(writer.files, writer.bytes, files.length, totalBytes, '');
  return { target, files: writer.files, bytes: writer.bytes, conflicts: writer.conflicts, refused: writer.refused };
}
