import { posix } from 'node:path';
import { DormouseError } from '../../shared/errors';
import { toLocalIso } from '../../shared/time';
import type { SnapshotEntryView, SnapshotListing } from '../../shared/types';
import type { ManifestEntry } from './archive-manifest';
import { isSameOrBelow, manifestPath } from './path-order';
import type { SnapshotView } from './snapshot-view';

function view(entry: ManifestEntry): SnapshotEntryView {
  return {
    name: posix.basename(entry.path),
    path: `/${entry.path}`,
    type: entry.type === 'hardlink' ? 'file' : entry.type,
    size: entry.size,
    mtime: toLocalIso(entry.mtimeMs),
    mode: entry.mode,
    linkTarget: entry.type === 'symlink' ? (entry.linkTarget ?? null) : null,
  };
}

/**
 * Lists one folder of a snapshot from its manifest: with no path, the folders that were backed
 * up; with a path (as on the laptop, "/home/ana/Documents"), what was directly inside it.
 */
export function listSnapshotFolder(snapshotId: number, entries: readonly ManifestEntry[], path: string | undefined, sources: readonly string[] = []): SnapshotListing {
  if (path === undefined || manifestPath(posix.normalize(path)) === '') {
    const roots = new Set(sources.map((source) => source.replace(/^\/+/, '')));
    const found = roots.size > 0 ? entries.filter((entry) => roots.has(entry.path)) : [];
    if (found.length > 0) return { snapshotId, path: '/', entries: found.map(view) };
    const paths = new Set(entries.map((entry) => entry.path));
    return { snapshotId, path: '/', entries: entries.filter((entry) => !paths.has(posix.dirname(entry.path))).map(view) };
  }
  const folder = manifestPath(posix.normalize(path));
  const self = entries.find((entry) => entry.path === folder);
  if (!self) throw new DormouseError('NOT_FOUND', `${path} is not in snapshot ${snapshotId}; list the snapshot without a path to see what it holds`);
  if (self.type !== 'directory') return { snapshotId, path: `/${folder}`, entries: [view(self)] };
  const prefix = `${folder}/`;
  const children = entries.filter((entry) => entry.path.startsWith(prefix) && !entry.path.slice(prefix.length).includes('/'));
  return { snapshotId, path: `/${folder}`, entries: children.map(view) };
}

/**
 * Lists one folder of a snapshot from its chain's manifests, reading only the part of each that
 * holds the folder (the top level comes from the index alone).
 */
export function listViewFolder(view: SnapshotView, snapshotId: number, path: string | undefined): SnapshotListing {
  const sources = view.own.header.snapshot.sources;
  const folder = path === undefined ? '' : manifestPath(posix.normalize(path));
  if (folder === '' || folder === '.') return listSnapshotFolder(snapshotId, view.top(), undefined, sources);
  const found: ManifestEntry[] = [];
  for (const entry of view.entries(folder)) {
    if (!isSameOrBelow(entry.path, folder)) break;
    if (entry.path === folder || !entry.path.slice(folder.length + 1).includes('/')) found.push(entry);
  }
  const meant = found.some((entry) => entry.path === folder) ? null : view.meant(folder);
  if (meant !== null) throw new DormouseError('NOT_FOUND', `${path} is not in snapshot ${snapshotId}; did you mean ${meant}? Paths start with the folder that was backed up`);
  return listSnapshotFolder(snapshotId, found, path, sources);
}
