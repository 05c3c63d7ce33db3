import { posix } from 'node:path';
import picomatch from 'picomatch';
import type { ManifestEntry } from './archive-manifest';
import { displayName } from './byte-names';
import { comparePaths, isSameOrBelow, manifestPath } from './path-order';
import type { SnapshotView } from './snapshot-view';

/** The entries a restore takes, as a stream in path order that can be read again (the view is read each time, nothing is held). */
export interface RestoreSelection {
  entries(): Generator<ManifestEntry, void, void>;
  /** Paths asked for that the snapshot does not have. */
  unknown: string[];
}


/**
 * The snapshot's paths a pattern matches (`*`, `?`, `[…]`, `**` as in a shell, `*` matching names
 * that start with a dot too): only the folder before its first wildcard is read, not the whole list.
 */
function matching(view: SnapshotView, pattern: string): string[] {
  const { base } = picomatch.scan(pattern);
  const isMatch = picomatch(pattern, { dot: true });
  const found: string[] = [];
  for (const entry of view.entries(base === '' ? undefined : base)) {
    if (base !== '' && !isSameOrBelow(entry.path, base)) break;
    if (isMatch(entry.path)) found.push(entry.path);
  }
  return found;
}

/**
 * What a restore of `paths` takes (the whole snapshot when empty): the folders above the paths
 * asked for (a `--path` restore makes them with their own modes and times), then each path and
 * everything below it, read from the snapshot's chain from that path on. A path the snapshot does
 * not have that holds wildcards is a pattern: it takes every path it matches (a name that is the
 * pattern itself, `*` and all, is taken as that name).
 */
export function selectEntries(view: SnapshotView, paths: readonly string[]): RestoreSelection {
  if (paths.length === 0) return { entries: () => view.entries(), unknown: [] };
  const unknown: string[] = [];
  const exact: string[] = [];
  for (const given of paths) {
    const path = manifestPath(given);
    if (view.lookUp(path) !== undefined || !picomatch.scan(path).isGlob) exact.push(path);
    else {
      const matched = matching(view, path);
      if (matched.length === 0) unknown.push(given);
      exact.push(...matched);
    }
  }
  const wanted: string[] = [];
  for (const path of [...new Set(exact)].sort(comparePaths)) {
    const last = wanted.at(-1);
    if (last === undefined || !isSameOrBelow(path, last)) wanted.push(path);
  }
  const found = wanted.filter((path) => {
    if (view.lookUp(path) !== undefined) return true;
    unknown.push(paths.find((given) => manifestPath(given) === path) ?? path);
    return false;
  });
  const above = new Set<string>();
  for (const path of found) {
    for (let folder = posix.dirname(path); folder !== '.' && folder !== '/' && !above.has(folder); folder = posix.dirname(folder)) above.add(folder);
  }
  const folders = [...above]
    .sort(comparePaths)
    .map((folder) => view.lookUp(folder))
    .filter((entry): entry is ManifestEntry => entry?.type === 'directory');
  return {
    unknown,
    *entries() {
      yield* folders;
      for (const path of found) {
        for (const entry of view.entries(path)) {
          if (!isSameOrBelow(entry.path, path)) break;
          yield entry;
        }
      }
    },
  };
}

/** What a first pass over the selection learns, holding only what the restore must remember. */
export interface RestorePlan {
  totalFiles: number;
  totalBytes: number;
  /** Snapshot paths of the files other names link to: where each went is remembered, no other file's. */
  leaders: Set<string>;
  /** Hardlinks whose file is not part of the restore (a `--path` that selects one name of a group): restored as files with that file's content, stored under the file's name. */
  standIns: Map<string, { entry: ManifestEntry; storedAs: string }>;
  /** Later names of such a file: the stand-in they link to instead. */
  relinked: Map<string, string>;
}

/**
 * What a restore must know before its pass: its totals, hardlinks' files, and stand-ins for
 * hardlinks whose file lies outside a `--path` restore (refused when the snapshot has no such
 * file). A whole snapshot's totals are its index's and its hardlinks' files are found by looking
 * for hardlink lines only (a million-file restore's own thread spent a tenth of its time reading
 * every line twice); a `--path` restore, or a snapshot whose chain is cut short, reads its selection once.
 */
export function planRestore(view: SnapshotView, selection: RestoreSelection, paths: readonly string[], refused: string[]): RestorePlan {
  if (paths.length === 0 && view.missing === null) {
    const { treeFiles, treeBytes } = view.own.totals;
    return { totalFiles: treeFiles, totalBytes: treeBytes, leaders: view.linkTargets(), standIns: new Map(), relinked: new Map() };
  }
  const wanted = paths.map(manifestPath);
  const selected = (path: string) => wanted.length === 0 || wanted.some((folder) => isSameOrBelow(path, folder));
  const plan: RestorePlan = { totalFiles: 0, totalBytes: 0, leaders: new Set(), standIns: new Map(), relinked: new Map() };
  const standInOf = new Map<string, string>();
  for (const entry of selection.entries()) {
    if (entry.type === 'file') {
      plan.totalFiles += 1;
      plan.totalBytes += entry.size;
    }
    if (entry.type !== 'hardlink') continue;
    const target = entry.linkTarget ?? '';
    if (selected(target)) {
      plan.totalFiles += 1;
      plan.leaders.add(target);
      continue;
    }
    const standIn = standInOf.get(target);
    if (standIn !== undefined) {
      plan.totalFiles += 1;
      plan.relinked.set(entry.path, standIn);
      continue;
    }
    const holder = view.lookUp(target);
    if (!holder || holder.type !== 'file') {
      refused.push(`/${displayName(entry.path)}: not restored, the file it is another name of (/${displayName(target)}) is not in this snapshot`);
      continue;
    }
    standInOf.set(target, entry.path);
    plan.leaders.add(entry.path);
    plan.standIns.set(entry.path, { entry: { ...holder, path: entry.path, mode: entry.mode }, storedAs: holder.path });
    plan.totalFiles += 1;
    plan.totalBytes += holder.size;
  }
  return plan;
}
