import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { openManifest } from '../../src-main/archive-worker/manifest-reader';
import { SnapshotView } from '../../src-main/archive-worker/snapshot-view';
import type { ArchiveManifest, ManifestEntry } from '../../src-main/archive-worker/archive-manifest';
import { openDatabase } from '../../src-main/store/open-store';
import { writeSettings } from '../../src-main/store/settings-store';
import type { Settings } from '../../shared/settings';
import { describeResult, dormouse, temporaryFolder, type CliResult } from '../helpers/cli';
import type { SnapshotView as Snapshot, JobView as Job, SnapshotListing as Listing, RestoreReport, VerifyReport, PruneReport, ImportReport } from '../../shared/types';
import { noise } from '../helpers/trees';
export type { Snapshot, Job, Listing, RestoreReport, VerifyReport, PruneReport, ImportReport };

/**
 * Helpers for the incremental-backup tests: a workspace (data folder, destination "usb", source
 * folder, all real temporary folders; every CLI call gets `--data-dir`), backups through the real
 * CLI, archives listed with GNU tar, manifests read with Dormouse's own reader, trees compared as
 * path → content, and the catalog changed straight through SQLite where a test simulates time.
 */

export type { ArchiveManifest, ManifestEntry };

export interface Bench {
  root: string;
  dataDir: string;
  dest: string;
  src: string;
  catalog: string;
  /** The source folder as an archive entry name (no leading slash). */
  srcEntry: string;
  cli(args: string[]): CliResult;
  /** Runs with `--json`, asserts exit 0 and an empty stderr, returns the document. */
  ok<T>(args: string[]): T;
  /** `dormouse run SCHEDULE`: asserts the job succeeded; returns it and the snapshot it made. */
  backup(schedule?: string): { job: Job; snapshot: Snapshot };
  /** `dormouse snapshots --json`, newest first. */
  snapshots(): Snapshot[];
  snapshot(id: number): Snapshot;
  /** Restores (everything, or some paths) into a new folder; returns the folder and the report. */
  restore(id: number, paths?: string[]): { folder: string; report: RestoreReport };
  /** Another fresh folder that goes away with the test. */
  folder(prefix?: string): string;
}

/** A workspace with destination "usb" and (unless `schedule` is null) one schedule on the source folder. */
export function bench(t: { after: (fn: () => void) => void }, options: { schedule?: string | null; extra?: string[]; dataDir?: string } = {}): Bench {
  const root = temporaryFolder(t, 'dormouse-incr-');
  const dataDir = options.dataDir ?? join(root, 'data');
  const dest = join(root, 'drive');
  const src = join(root, 'src');
  mkdirSync(dest, { recursive: true });
  mkdirSync(src, { recursive: true });
  const cli = (args: string[]) => dormouse(['--data-dir', dataDir, ...args]);
  const ok = <T>(args: string[]): T => {
    const result = cli([...args, '--json']);
    assert.equal(result.code, 0, `dormouse ${args.join(' ')}\n${describeResult(result)}`);
    assert.equal(result.stderr, '', `dormouse ${args.join(' ')}\n${describeResult(result)}`);
    return result.json<T>();
  };
  ok(['destination', 'add', '--name', 'usb', '--path', dest]);
  const schedule = options.schedule === undefined ? 'S' : options.schedule;
  if (schedule !== null) ok(['schedule', 'add', '--name', schedule, '--source', src, '--destination', 'usb', '--cron', '0 3 * * *', ...(options.extra ?? [])]);
  let folders = 0;
  const self: Bench = {
    root,
    dataDir,
    dest,
    src,
    catalog: join(dataDir, 'dormouse.sqlite'),
    srcEntry: src.replace(/^\/+/, ''),
    cli,
    ok,
    backup(name = 'S') {
      const job = ok<Job>(['run', name]);
      assert.equal(job.status, 'succeeded', JSON.stringify(job));
      const made = self.snapshots().find((snapshot) => snapshot.archivePath === job.archivePath);
      assert.ok(made, `the snapshot of job ${job.id} is in the catalog`);
      return { job, snapshot: made };
    },
    snapshots: () => ok<Snapshot[]>(['snapshots']),
    snapshot(id) {
      const found = self.snapshots().find((snapshot) => snapshot.id === id);
      assert.ok(found, `snapshot ${id} in the catalog`);
      return found;
    },
    folder(prefix = 'out') {
      folders += 1;
      const folder = join(root, `${prefix}-${folders}`);
      mkdirSync(folder);
      return folder;
    },
    restore(id, paths = []) {
      const folder = self.folder('restore');
      const report = ok<RestoreReport>(['restore', String(id), '--to', folder, ...paths.flatMap((path) => ['--path', path])]);
      return { folder, report };
    },
  };
  return self;
}

/** Writes a file and sets its mtime explicitly, so the change is seen whatever the clock's granularity. */
export function put(path: string, content: string | Buffer, mtime: Date): void {
  writeFileSync(path, content);
  utimesSync(path, mtime, mtime);
}

/** Distinct, whole-second modification times: day `n` of 2024 at noon UTC. */
export function day(n: number): Date {
  return new Date(Date.UTC(2024, 0, n, 12, 0, 0));
}

export { noise };

/** GNU tar's listing of an archive (gzip detected by tar itself), entry names as stored. */
export function tarList(archivePath: string): string[] {
  const result = spawnSync('tar', ['-tf', archivePath], { encoding: 'utf8' });
  assert.equal(result.status, 0, `tar -tf ${archivePath}: ${result.stderr}`);
  return result.stdout.split('\n').filter((line) => line !== '');
}

/** An archive's listing as a sorted set of names relative to the source folder ('' for the folder itself, '/' stripped), plus the .dormouse entries as they are. */
export function tarListRelative(archivePath: string, srcEntry: string): string[] {
  return tarList(archivePath)
    .map((name) => name.replace(/\/+$/, ''))
    .map((name) => (name === srcEntry ? '.' : name.startsWith(`${srcEntry}/`) ? name.slice(srcEntry.length + 1) : name))
    .sort();
}

/**
 * The whole file list of an archive's snapshot, read with Dormouse's own reader: its manifest merged
 * with those of its chain (format 3 incrementals list only what changed), each entry held by an
 * earlier archive naming that snapshot in `archive`. The chain is found among the archives beside it.
 */
export function manifestOf(archivePath: string): ArchiveManifest {
  const folder = dirname(archivePath);
  const archives: Record<string, string> = {};
  for (const name of readdirSync(folder)) {
    if (!/\.tar(\.gz)?$/.test(name)) continue;
    const manifest = openManifest(join(folder, name));
    archives[manifest.header.snapshot.id] = join(folder, name);
    manifest.close();
  }
  const view = SnapshotView.open(archivePath, archives);
  try {
    return { ...view.own.header, entries: [...view.entries()] };
  } finally {
    view.close();
  }
}

/** The manifest's entries by path relative to the source folder ('.' for the folder itself). */
export function manifestByRelative(manifest: ArchiveManifest, srcEntry: string): Map<string, ManifestEntry> {
  return new Map(manifest.entries.map((entry) => [entry.path === srcEntry ? '.' : entry.path.slice(srcEntry.length + 1), entry]));
}

/** Every path below a folder ('/'-separated, relative) → 'dir', 'link:TARGET' or the file's bytes (as a latin1 string). */
export function treeOf(folder: string): Map<string, string> {
  const tree = new Map<string, string>();
  const visit = (path: string) => {
    for (const name of readdirSync(path).sort()) {
      const child = join(path, name);
      const rel = relative(folder, child);
      const stats = lstatSync(child);
      if (stats.isDirectory()) {
        tree.set(rel, 'dir');
        visit(child);
      } else if (stats.isSymbolicLink()) tree.set(rel, `link:${readlinkSync(child)}`);
      else tree.set(rel, readFileSync(child).toString('latin1'));
    }
  };
  visit(folder);
  return tree;
}

/** The tree a restore wrote for the source folder (entries go under their full path inside the target). */
export function restoredSource(restoreFolder: string, src: string): Map<string, string> {
  const inside = join(restoreFolder, src);
  assert.ok(existsSync(inside), `the restore wrote ${inside}`);
  return treeOf(inside);
}

/** An expected tree: path → content (string or Buffer) or 'dir'. */
export function expectedTree(entries: Record<string, string | Buffer>): Map<string, string> {
  return new Map(Object.entries(entries).map(([path, content]) => [path, typeof content === 'string' ? content : content.toString('latin1')]));
}

/** Compares two trees path by path, with a short message naming what differs (not megabytes of content). */
export function assertSameTree(actual: Map<string, string>, expected: Map<string, string>, what: string): void {
  const actualPaths = [...actual.keys()].sort();
  const expectedPaths = [...expected.keys()].sort();
  assert.deepEqual(actualPaths, expectedPaths, `${what}: the set of paths`);
  for (const path of expectedPaths) {
    const a = actual.get(path) as string;
    const e = expected.get(path) as string;
    if (a !== e) assert.fail(`${what}: ${path} differs (got ${a.length} bytes starting ${JSON.stringify(a.slice(0, 40))}, expected ${e.length} bytes starting ${JSON.stringify(e.slice(0, 40))})`);
  }
}

/** Lists a snapshot's folder with `dormouse ls`, recursively, as path (relative to `root`) → type:size. */
export function lsTree(b: Bench, snapshotId: number, root: string): Map<string, string> {
  const tree = new Map<string, string>();
  const visit = (folder: string) => {
    const listing = b.ok<Listing>(['ls', String(snapshotId), folder]);
    for (const entry of listing.entries) {
      const rel = relative(root, entry.path);
      tree.set(rel, entry.type === 'file' ? `file:${entry.size}` : entry.type);
      if (entry.type === 'directory') visit(entry.path);
    }
  };
  visit(root);
  return tree;
}

/** Flips every bit of one byte of a file in place (one helper for both kits). */
export { flipByte } from '../restore/restore-kit';

/** Changes settings the way the engine does: writeSettings on the catalog, opened with Dormouse's own openDatabase. */
export function setSettings(catalog: string, changes: Partial<Settings>): void {
  const db = openDatabase(catalog);
  try {
    writeSettings(db, changes, Date.now());
  } finally {
    db.close();
  }
}

/** Sets a snapshot's columns straight in the catalog (better-sqlite3). */
export function updateSnapshotRow(catalog: string, id: number, changes: Record<string, string | number | null>): void {
  const db = new Database(catalog, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const columns = Object.keys(changes);
    const result = db.prepare(`UPDATE snapshots SET ${columns.map((column) => `${column} = @${column}`).join(', ')} WHERE id = @id`).run({ ...changes, id });
    assert.equal(result.changes, 1, `snapshot row ${id} updated`);
  } finally {
    db.close();
  }
}

/** Runs SQL on the catalog (foreign keys on, as every Dormouse connection has them). */
export function sql(catalog: string, statement: string, ...params: (string | number | null)[]): void {
  const db = new Database(catalog, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    db.prepare(statement).run(...params);
  } finally {
    db.close();
  }
}

/** The uuid a snapshot has in its manifest (the id carried entries point to). */
export function uuidOf(snapshot: Snapshot): string {
  return manifestOf(snapshot.archivePath).snapshot.id;
}

export const dormouseEntries = ['.dormouse/index.json', '.dormouse/manifest.jsonl.gz', '.dormouse/trailer.json'];
