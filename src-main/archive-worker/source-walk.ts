import { lstatSync, readdirSync, statSync, type BigIntStats } from 'node:fs';
import { basename, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { archiveEntryName, type EntryType } from './archive-manifest';
import { decodeName, displayName, fsPath } from './byte-names';

/** One thing found under a source folder, with the metadata the header and manifest need. */
export interface WalkEntry {
  absolutePath: string;
  /** The name it is stored under in the archive and the manifest. */
  name: string;
  type: EntryType;
  size: number;
  mode: number;
  mtimeMs: number;
  /** The modification time to the nanosecond (negative before 1970). */
  mtimeNs: bigint;
  ctimeMs: number;
  ino: number;
  uid: number;
  gid: number;
  /** For a second or later name of a file with several (a hardlink group): the name first met, whose data the archive holds. */
  linkTarget?: string;
}

/** What the walk found, its size estimate, and what it had to leave out. */
export interface WalkResult {
  entries: WalkEntry[];
  totalBytes: number;
  warnings: string[];
}

/**
 * Builds the exclude test for one source folder, or null when nothing is excluded (the walk then
 * skips the test). A pattern without a slash matches a name at any depth (`*.tmp`, `node_modules`);
 * one with a slash matches the path below the source (`**\/cache`, `build/**`) or, when it starts
 * with a slash, the absolute path.
 */
export function excludeMatcher(sourceRoot: string, patterns: readonly string[]): ((absolutePath: string) => boolean) | null {
  if (patterns.length === 0) return null;
  const byName = patterns.filter((pattern) => !pattern.includes('/'));
  const byPath = patterns.filter((pattern) => pattern.includes('/') && !pattern.startsWith('/'));
  const byAbsolute = patterns.filter((pattern) => pattern.startsWith('/'));
  const options = { dot: true };
  const nameMatch = byName.length > 0 ? picomatch(byName, options) : () => false;
  const pathMatch = byPath.length > 0 ? picomatch(byPath, options) : () => false;
  const absoluteMatch = byAbsolute.length > 0 ? picomatch(byAbsolute, options) : () => false;
  const prefix = sourceRoot.endsWith(sep) ? sourceRoot : sourceRoot + sep;
  const slashes = (path: string) => (sep === '/' ? path : path.split(sep).join('/'));
  return (absolutePath) => {
    const below = absolutePath.startsWith(prefix) ? absolutePath.slice(prefix.length) : relative(sourceRoot, absolutePath);
    return nameMatch(basename(absolutePath)) || (below !== '' && pathMatch(slashes(below))) || absoluteMatch(slashes(absolutePath));
  };
}

/**
 * A folder's entry names, sorted. A name that is not valid UTF-8 is kept byte for byte in
 * Dormouse's string form (byte-names.ts); such names are rare, so the bytes are only read when a
 * U+FFFD shows up in the plain listing.
 */
function folderNames(path: string): string[] {
  const names = readdirSync(fsPath(path));
  if (names.some((name) => name.includes('\uFFFD'))) {
    names.length = 0;
    for (const raw of readdirSync(fsPath(path), { encoding: 'buffer' })) names.push(decodeName(raw));
  }
  return names.sort();
}

function typeOf(stats: BigIntStats): EntryType | null {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFIFO()) return 'fifo';
  return null;
}

/** A time in milliseconds exactly as Node's plain Stats computes it (`mtimeMs`), so manifests compare across versions. */
export function millisecondsOf(ns: bigint): number {
  const seconds = ns >= 0n ? ns / 1_000_000_000n : -((-ns + 999_999_999n) / 1_000_000_000n);
  return Number(seconds) * 1e3 + Number(ns - seconds * 1_000_000_000n) / 1e6;
}

function unsupportedKind(stats: BigIntStats): string {
  if (stats.isSocket()) return 'a socket, which only lives while its program runs';
  if (stats.isBlockDevice() || stats.isCharacterDevice()) return 'a device node';
  return 'not a file, folder, link or FIFO';
}

/** Why an entry could not be read, in words (the path is said by the caller). */
export function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'vanished during the backup';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENAMETOOLONG') return 'not backed up, its path is longer than the system lets a program open (PATH_MAX); move it higher up to back it up';
  return (error as Error).message;
}

/**
 * Walks the source folders, skipping excluded paths without descending into them, never
 * following symlinks. Entries come in a stable order (each folder before its contents, names
 * sorted). Things that vanish or cannot be read become warnings, not failures.
 */
export function walkSources(sources: readonly string[], excludes: readonly string[]): WalkResult {
  const entries: WalkEntry[] = [];
  const warnings: string[] = [];
  let totalBytes = 0;

  /** The first name met of each file with several names, by device and inode. */
  const linkGroups = new Map<string, string>();
  for (const root of sources) {
    const excluded = excludeMatcher(root, excludes);
    const visit = (path: string): void => {
      let stats: BigIntStats;
      try {
        stats = lstatSync(fsPath(path), { bigint: true });
        // A source folder given through a symlink (~/Documents -> /data/Documents) means the folder it
        // points to; links below a source are stored as links, never followed.
        if (path === root && stats.isSymbolicLink()) stats = statSync(path, { bigint: true });
      } catch (error) {
        warnings.push(`${displayName(path)}: ${describeError(error)}`);
        return;
      }
      const type = typeOf(stats);
      if (type === null) {
        warnings.push(`${displayName(path)}: not backed up, it is ${unsupportedKind(stats)}`);
        return;
      }
      const name = archiveEntryName(path);
      let linkTarget: string | undefined;
      if (type === 'file' && stats.nlink > 1n) {
        const key = `${stats.dev}:${stats.ino}`;
        linkTarget = linkGroups.get(key);
        if (linkTarget === undefined) linkGroups.set(key, name);
      }
      const size = type === 'file' ? Number(stats.size) : 0;
      entries.push({
        absolutePath: path,
        name,
        type,
        size,
        mode: Number(stats.mode) & 0o7777,
        mtimeMs: millisecondsOf(stats.mtimeNs),
        mtimeNs: stats.mtimeNs,
        ctimeMs: millisecondsOf(stats.ctimeNs),
        ino: Number(stats.ino),
        uid: Number(stats.uid),
        gid: Number(stats.gid),
        ...(linkTarget === undefined ? {} : { linkTarget }),
      });
      if (type === 'file' && linkTarget === undefined) totalBytes += size;
      if (type !== 'directory') return;
      let names: string[];
      try {
        names = folderNames(path);
      } catch (error) {
        warnings.push(`${displayName(path)}: contents not backed up (${describeError(error)})`);
        return;
      }
      const folder = path.endsWith(sep) ? path : path + sep;
      for (const name of names) {
        const child = folder + name;
        if (excluded === null || !excluded(child)) visit(child);
      }
    };
    visit(root);
  }
  return { entries, totalBytes, warnings };
}
