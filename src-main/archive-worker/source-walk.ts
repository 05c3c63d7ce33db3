import { lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { archiveEntryName, type EntryType } from './archive-manifest';

/** One thing found under a source folder, with the metadata the header and manifest need. */
export interface WalkEntry {
  absolutePath: string;
  /** The name it is stored under in the archive and the manifest. */
  name: string;
  type: EntryType;
  size: number;
  mode: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  uid: number;
  gid: number;
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

/** A folder's entry names, sorted; names that are not valid UTF-8 are left out with a warning (they are rare, so the bytes are only read again when one shows up). */
function folderNames(path: string, warnings: string[]): string[] {
  const names = readdirSync(path);
  if (names.some((name) => name.includes('\uFFFD'))) {
    names.length = 0;
    for (const raw of readdirSync(path, { encoding: 'buffer' })) {
      const name = raw.toString('utf8');
      if (Buffer.from(name, 'utf8').equals(raw)) names.push(name);
      else warnings.push(`${join(path, raw.toString('latin1'))}: skipped, its name is not valid UTF-8 (rename it to back it up)`);
    }
  }
  return names.sort();
}

function typeOf(stats: Stats): EntryType | null {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  return null;
}

function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'vanished during the backup';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
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

  for (const root of sources) {
    const excluded = excludeMatcher(root, excludes);
    const visit = (path: string): void => {
      let stats: Stats;
      try {
        stats = lstatSync(path);
        // A source folder given through a symlink (~/Documents -> /data/Documents) means the folder it
        // points to; links below a source are stored as links, never followed.
        if (path === root && stats.isSymbolicLink()) stats = statSync(path);
      } catch (error) {
        warnings.push(`${path}: ${describeError(error)}`);
        return;
      }
      const type = typeOf(stats);
      if (type === null) {
        warnings.push(`${path}: skipped (not a file, folder or symlink)`);
        return;
      }
      entries.push({
        absolutePath: path,
        name: archiveEntryName(path),
        type,
        size: type === 'file' ? stats.size : 0,
        mode: stats.mode & 0o7777,
        mtimeMs: stats.mtimeMs,
        ctimeMs: stats.ctimeMs,
        ino: stats.ino,
        uid: stats.uid,
        gid: stats.gid,
      });
      if (type === 'file') totalBytes += stats.size;
      if (type !== 'directory') return;
      let names: string[];
      try {
        names = folderNames(path, warnings);
      } catch (error) {
        warnings.push(`${path}: contents not backed up (${describeError(error)})`);
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
