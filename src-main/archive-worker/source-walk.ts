import { lstatSync, readdirSync, statSync, type BigIntStats } from 'node:fs';
import { basename, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { archiveEntryName, type EntryType } from './archive-manifest';
import { decodeName, displayName, fsPath } from './byte-names';
import { comparePaths, isSameOrBelow } from './path-order';

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
  /** A file with several names (the first met of its group included). */
  linked: boolean;
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
 * The source folders in the walk's order, each once: a source inside another is already walked
 * with it. Sorted as entries are (path-order.ts), so the whole walk comes out in that order.
 */
export function walkRoots(sources: readonly string[]): string[] {
  const names = [...new Set(sources)].map((source) => ({ source, name: archiveEntryName(source).replace(/\/+$/, '') }));
  names.sort((a, b) => comparePaths(a.name, b.name));
  const roots: typeof names = [];
  for (const item of names) {
    const last = roots.at(-1);
    if (last && (last.name === '' || isSameOrBelow(item.name, last.name))) continue;
    roots.push(item);
  }
  return roots.map((item) => item.source);
}

/**
 * Walks the source folders, skipping excluded paths without descending into them, never
 * following symlinks. A generator: entries come one at a time in the order of path-order.ts (each
 * folder before its contents, names sorted), so a tree of a million files is never held in memory.
 * Things that vanish or cannot be read become warnings (pushed to `warnings`), not failures.
 */
export function* walkSources(sources: readonly string[], excludes: readonly string[], warnings: string[]): Generator<WalkEntry, void, void> {
  /** The first name met of each file with several names, by device and inode. */
  const linkGroups = new Map<string, string>();
  for (const root of walkRoots(sources)) {
    const excluded = excludeMatcher(root, excludes);
    /** Folders met and not yet descended into, each with its children's names still to visit. */
    const pending: { folder: string; names: string[]; next: number }[] = [];
    const visit = (path: string): WalkEntry | null => {
      let stats: BigIntStats;
      try {
        stats = lstatSync(fsPath(path), { bigint: true });
        // A source folder given through a symlink (~/Documents -> /data/Documents) means the folder it
        // points to; links below a source are stored as links, never followed.
        if (path === root && stats.isSymbolicLink()) stats = statSync(path, { bigint: true });
      } catch (error) {
        warnings.push(`${displayName(path)}: ${describeError(error)}`);
        return null;
      }
      const type = typeOf(stats);
      if (type === null) {
        warnings.push(`${displayName(path)}: not backed up, it is ${unsupportedKind(stats)}`);
        return null;
      }
      const name = archiveEntryName(path);
      let linkTarget: string | undefined;
      const linked = type === 'file' && stats.nlink > 1n;
      if (linked) {
        const key = `${stats.dev}:${stats.ino}`;
        linkTarget = linkGroups.get(key);
        if (linkTarget === undefined) linkGroups.set(key, name);
      }
      if (type === 'directory') {
        try {
          pending.push({ folder: path.endsWith(sep) ? path : path + sep, names: folderNames(path), next: 0 });
        } catch (error) {
          warnings.push(`${displayName(path)}: contents not backed up (${describeError(error)})`);
        }
      }
      return {
        absolutePath: path,
        name,
        type,
        size: type === 'file' ? Number(stats.size) : 0,
        mode: Number(stats.mode) & 0o7777,
        mtimeMs: millisecondsOf(stats.mtimeNs),
        mtimeNs: stats.mtimeNs,
        ctimeMs: millisecondsOf(stats.ctimeNs),
        ino: Number(stats.ino),
        uid: Number(stats.uid),
        gid: Number(stats.gid),
        linked,
        ...(linkTarget === undefined ? {} : { linkTarget }),
      };
    };
    const first = visit(root);
    if (first) yield first;
    while (pending.length > 0) {
      const top = pending[pending.length - 1] as (typeof pending)[number];
      if (top.next === top.names.length) {
        pending.pop();
        continue;
      }
      const child = top.folder + (top.names[top.next] as string);
      top.next += 1;
      if (excluded !== null && excluded(child)) continue;
      const entry = visit(child);
      if (entry) yield entry;
    }
  }
}
