import { constants, lstatSync, readdirSync, statSync, type BigIntStats } from 'node:fs';
import { getSystemErrorName } from 'node:util';
import { FolderStat, folderStatFields, nativeFs } from '../native/native-fs';
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
  /** The modification time to the nanosecond as the system gives it: whole seconds since 1970 (negative before), and nanoseconds 0–999,999,999 (mtimeNsOf). */
  mtimeSec: number;
  mtimeNsec: number;
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

/** The stat fields the walk uses, from the addon's folder listing or from an lstat. */
interface EntryStat {
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  ino: number;
  dev: number;
  mtimeSec: number;
  mtimeNsec: number;
  /** Milliseconds, as Node's plain Stats gives them. */
  mtimeMs: number;
  ctimeMs: number;
}

function fromBigIntStats(stats: BigIntStats): EntryStat {
  const seconds = floorSeconds(stats.mtimeNs);
  return {
    mode: Number(stats.mode),
    nlink: Number(stats.nlink),
    uid: Number(stats.uid),
    gid: Number(stats.gid),
    size: Number(stats.size),
    ino: Number(stats.ino),
    dev: Number(stats.dev),
    mtimeSec: Number(seconds),
    mtimeNsec: Number(stats.mtimeNs - seconds * 1_000_000_000n),
    mtimeMs: millisecondsOf(stats.mtimeNs),
    ctimeMs: millisecondsOf(stats.ctimeNs),
  };
}

/**
 * A folder's entries in name order. With the addon, `fields` holds every entry's stat as listed
 * (`order[i]`: where the i-th name's numbers are), read when the entry is visited (statAt): a
 * folder of thousands of entries then holds numbers, not an object per entry until its turn.
 * Without it, each is lstat'ed when visited.
 */
interface FolderListing {
  names: string[];
  fields: Float64Array | null;
  order: number[] | null;
}

/** The stat of the `at`-th entry of a listing (or why it has none), or undefined when the listing has no stats. */
function statAt(listing: FolderListing, at: number, path: string): EntryStat | Error | undefined {
  const { fields, order } = listing;
  if (fields === null || order === null) return undefined;
  const start = (order[at] as number) * folderStatFields;
  // Each field by its fixed place (a lookup by a name that varies was a megamorphic load per field of every entry).
  const errno = fields[start + FolderStat.errno] as number;
  if (errno !== 0) return errnoError(errno, path);
  const mtimeSec = fields[start + FolderStat.mtimeSec] as number;
  const mtimeNsec = fields[start + FolderStat.mtimeNsec] as number;
  return {
    mode: fields[start + FolderStat.mode] as number,
    nlink: fields[start + FolderStat.nlink] as number,
    uid: fields[start + FolderStat.uid] as number,
    gid: fields[start + FolderStat.gid] as number,
    size: fields[start + FolderStat.size] as number,
    ino: fields[start + FolderStat.ino] as number,
    dev: fields[start + FolderStat.dev] as number,
    mtimeSec,
    mtimeNsec,
    mtimeMs: mtimeSec * 1e3 + mtimeNsec / 1e6,
    ctimeMs: (fields[start + FolderStat.ctimeSec] as number) * 1e3 + (fields[start + FolderStat.ctimeNsec] as number) / 1e6,
  };
}

/** Node's error for an errno from the addon (its code says what `describeError` needs). */
function errnoError(errno: number, path: string): Error {
  const code = getSystemErrorName(-errno);
  return Object.assign(new Error(`${code}: ${displayName(path)}`), { code, errno: -errno });
}

/**
 * A folder's entries, sorted by name. With the native addon, one call lists the folder and stats
 * every entry; without it, the names only. A name that is not valid UTF-8 is kept byte for byte in
 * Dormouse's string form (byte-names.ts).
 */
function listFolder(path: string): FolderListing {
  const native = nativeFs();
  if (!native) {
    let names = readdirSync(fsPath(path));
    // Such names are rare, so the bytes are only read when a U+FFFD shows up in the plain listing.
    if (names.some((name) => name.includes('\uFFFD'))) names = readdirSync(fsPath(path), { encoding: 'buffer' }).map((raw) => decodeName(raw));
    return { names: names.sort(), fields: null, order: null };
  }
  const listing = native.listFolder(fsPath(path));
  const names: string[] = [];
  for (let start = 0; start < listing.names.length; ) {
    const end = listing.names.indexOf(0, start);
    names.push(decodeName(listing.names.subarray(start, end)));
    start = end + 1;
  }
  const order = names.map((_, index) => index).sort((a, b) => ((names[a] as string) < (names[b] as string) ? -1 : 1));
  return { names: order.map((index) => names[index] as string), fields: listing.stats, order };
}

/** The longest path (in bytes, with its NUL) the system opens: Linux's PATH_MAX, macOS's. */
const pathMax = process.platform === 'darwin' ? 1024 : 4096;

/** Whether a path of this many characters may be too long to open (each takes at most 3 bytes): only then are its bytes counted. */
export function mayBeTooLongToOpen(characters: number): boolean {
  return characters * 3 >= pathMax;
}

/** Whether a path is longer than the system opens (the walk refuses such an entry with a warning). */
export function tooLongToOpen(path: string): boolean {
  return mayBeTooLongToOpen(path.length) && fsPathLength(path) >= pathMax;
}

function fsPathLength(path: string): number {
  const raw = fsPath(path);
  return typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
}

/** The type of entry a stat's mode is, or null for one a backup does not keep (a socket, a device). */
export function typeOf(mode: number): EntryType | null {
  const format = mode & constants.S_IFMT;
  if (format === constants.S_IFREG) return 'file';
  if (format === constants.S_IFDIR) return 'directory';
  if (format === constants.S_IFLNK) return 'symlink';
  if (format === constants.S_IFIFO) return 'fifo';
  return null;
}

/** Whole seconds of a time in nanoseconds, rounded down (-1 for a nanosecond before 1970). */
function floorSeconds(ns: bigint): bigint {
  return ns >= 0n ? ns / 1_000_000_000n : -((-ns + 999_999_999n) / 1_000_000_000n);
}

/** A time in milliseconds exactly as Node's plain Stats computes it (`mtimeMs`), so manifests compare across versions. */
export function millisecondsOf(ns: bigint): number {
  const seconds = floorSeconds(ns);
  return Number(seconds) * 1e3 + Number(ns - seconds * 1_000_000_000n) / 1e6;
}

/**
 * millisecondsOf a time written in decimal nanoseconds, as a manifest line has it: the same number,
 * without a BigInt for times after 1970 (read for every line of every manifest of a chain).
 */
export function millisecondsOfText(ns: string): number {
  if (ns.length > 9 && ns.length <= 18 && ns.charCodeAt(0) !== 0x2d) return Number(ns.slice(0, -9)) * 1e3 + Number(ns.slice(-9)) / 1e6;
  return millisecondsOf(BigInt(ns));
}

/** An entry's modification time in nanoseconds, for its header and manifest line. */
export function mtimeNsOf(entry: Pick<WalkEntry, 'mtimeSec' | 'mtimeNsec'>): bigint {
  return BigInt(entry.mtimeSec) * 1_000_000_000n + BigInt(entry.mtimeNsec);
}

/** mtimeNsOf in decimal, as a manifest line has it, without a BigInt for times after 1970 (an incremental compares every entry's). */
export function mtimeTextOf(entry: Pick<WalkEntry, 'mtimeSec' | 'mtimeNsec'>): string {
  return entry.mtimeSec > 0 ? `${entry.mtimeSec}${String(entry.mtimeNsec).padStart(9, '0')}` : mtimeNsOf(entry).toString();
}

function unsupportedKind(mode: number): string {
  const format = mode & constants.S_IFMT;
  if (format === constants.S_IFSOCK) return 'a socket, which only lives while its program runs';
  if (format === constants.S_IFBLK || format === constants.S_IFCHR) return 'a device node';
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
 * A walk of the source folders (walkSources), which can look at an entry again: stats come from
 * each folder's listing, so an entry that changed type between the listing and its turn (a file
 * become a symlink or a folder) is lstat'ed again when the writer finds it so (`again`).
 */
export class SourceWalk {
  private visitNow: ((path: string) => WalkEntry | null) | null = null;

  constructor(
    private readonly sources: readonly string[],
    private readonly excludes: readonly string[],
    private readonly warnings: string[],
  ) {}

  /** The entry at `path` as it is now; a folder it became is walked next, so the order holds. */
  again(path: string): WalkEntry | null {
    return this.visitNow?.(path) ?? null;
  }

  /**
   * Walks the source folders, skipping excluded paths without descending into them, never
   * following symlinks. A generator: entries come one at a time in the order of path-order.ts (each
   * folder before its contents, names sorted), so a tree of a million files is never held in memory.
   * Things that vanish or cannot be read become warnings (pushed to `warnings`), not failures.
   */
  *entries(): Generator<WalkEntry, void, void> {
    const { sources, excludes, warnings } = this;
    /** The first name met of each file with several names, by device and inode. */
    const linkGroups = new Map<string, string>();
    for (const root of walkRoots(sources)) {
      const excluded = excludeMatcher(root, excludes);
      /** Folders met and not yet descended into, each with its children still to visit. */
      const pending: { folder: string; listing: FolderListing; next: number }[] = [];
      /** Visits one path; `known` is its stat (or why it has none) from its folder's listing. */
      const visit = (path: string, known?: EntryStat | Error): WalkEntry | null => {
        let stats: EntryStat;
        try {
          if (known instanceof Error) throw known;
          // Stat'ed relative to its folder, a path too long to open still has a stat: it is refused as lstat would refuse it.
          if (known && tooLongToOpen(path)) throw Object.assign(new Error(`ENAMETOOLONG: ${displayName(path)}`), { code: 'ENAMETOOLONG' });
          if (known) stats = known;
          else {
            let raw = lstatSync(fsPath(path), { bigint: true });
            // A source folder given through a symlink (~/Documents -> /data/Documents) means the folder it
            // points to; links below a source are stored as links, never followed.
            if (path === root && raw.isSymbolicLink()) raw = statSync(path, { bigint: true });
            stats = fromBigIntStats(raw);
          }
        } catch (error) {
          warnings.push(`${displayName(path)}: ${describeError(error)}`);
          return null;
        }
        const type = typeOf(stats.mode);
        if (type === null) {
          warnings.push(`${displayName(path)}: not backed up, it is ${unsupportedKind(stats.mode)}`);
          return null;
        }
        const name = archiveEntryName(path);
        let linkTarget: string | undefined;
        const linked = type === 'file' && stats.nlink > 1;
        if (linked) {
          const key = `${stats.dev}:${stats.ino}`;
          linkTarget = linkGroups.get(key);
          if (linkTarget === undefined) linkGroups.set(key, name);
        }
        if (type === 'directory') {
          try {
            pending.push({ folder: path.endsWith(sep) ? path : path + sep, listing: listFolder(path), next: 0 });
          } catch (error) {
            warnings.push(`${displayName(path)}: contents not backed up (${describeError(error)})`);
          }
        }
        // One literal (no spread), so every entry has the same shape; a later name of a file gains its link.
        const entry: WalkEntry = {
          absolutePath: path,
          name,
          type,
          size: type === 'file' ? stats.size : 0,
          mode: stats.mode & 0o7777,
          mtimeMs: stats.mtimeMs,
          mtimeSec: stats.mtimeSec,
          mtimeNsec: stats.mtimeNsec,
          ctimeMs: stats.ctimeMs,
          ino: stats.ino,
          uid: stats.uid,
          gid: stats.gid,
          linked,
        };
        if (linkTarget !== undefined) entry.linkTarget = linkTarget;
        return entry;
      };
      this.visitNow = (path) => visit(path);
      const first = visit(root);
      if (first) yield first;
      while (pending.length > 0) {
        const top = pending[pending.length - 1] as (typeof pending)[number];
        if (top.next === top.listing.names.length) {
          pending.pop();
          continue;
        }
        const at = top.next;
        const child = top.folder + (top.listing.names[at] as string);
        top.next += 1;
        if (excluded !== null && excluded(child)) continue;
        const entry = visit(child, statAt(top.listing, at, child));
        if (entry) yield entry;
      }
    }
  }
}

/** The entries of a walk of the source folders (SourceWalk), for callers that never look again. */
export function walkSources(sources: readonly string[], excludes: readonly string[], warnings: string[]): Generator<WalkEntry, void, void> {
  return new SourceWalk(sources, excludes, warnings).entries();
}
