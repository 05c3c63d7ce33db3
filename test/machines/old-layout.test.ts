import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openDatabase } from '../../src-main/store/open-store';
import { temporaryFolder } from '../helpers/cli';
import { setSettings, type PruneReport, type RestoreReport, type VerifyReport } from '../incremental/incremental-kit';
import { contents, laptop, olderDormouseArchive, restoredContents, type Snapshot } from './machines-kit';

/**
 * Archives from before machines were told apart sit at `Dormouse/<schedule>/…` with no machine in
 * their manifest. They are read where they are: one a catalog made itself (its rows say so) is that
 * machine's after the upgrade, chains on and is pruned as before; one imported fresh, or imported
 * and adopted by an older Dormouse, is an unknown machine's: listed apart, restored and verified,
 * never pruned and never a base.
 */

test("an older Dormouse's archive imported fresh is an unknown machine's: listed apart, restored and verified, never a base, never pruned", async (t) => {
  const root = temporaryFolder(t, 'dormouse-old-layout-');
  const nas = join(root, 'nas');
  const home = join(root, 'home');
  mkdirSync(nas);
  mkdirSync(join(home, 'letters'), { recursive: true });
  writeFileSync(join(home, 'letters', 'aunt.txt'), 'dear aunt\n');
  writeFileSync(join(home, 'todo.txt'), 'buy milk\n');
  const oldPath = join(nas, 'Dormouse', 'Home', '20250301T090000Z-full-0a1b2c3d.tar');
  await olderDormouseArchive({
    sources: [home],
    excludes: [],
    archivePath: oldPath,
    compression: 'none',
    snapshot: { id: `0a1b2c3d${randomUUID().slice(8)}`, scheduleName: 'Home', createdAt: '2025-03-01T09:00:00.000Z', kind: 'full', baseId: null },
  });
  const atBackup = contents(home);

  const l = laptop(root, 'laptop');
  assert.equal(l.ok<{ importedSnapshots: number }>(['destination', 'add', '--name', 'nas', '--path', nas]).importedSnapshots, 1);
  assert.deepEqual(l.ok<Snapshot[]>(['snapshots']), [], 'not this machine’s');
  const [old] = l.ok<Snapshot[]>(['snapshots', '--machine', 'all']);
  assert.ok(old);
  assert.equal(old.archivePath, oldPath, 'read where it is');
  assert.deepEqual(old.machine, { id: null, name: 'unknown', current: false });
  assert.deepEqual(l.ok<Snapshot[]>(['snapshots', '--machine', 'unknown']).map((snapshot) => snapshot.id), [old.id]);
  assert.deepEqual(l.ok<Snapshot[]>(['snapshots', '--schedule', 'home']).map((snapshot) => snapshot.id), [old.id], 'a schedule this laptop does not have: every machine’s');

  const target = join(root, 'restored');
  const report = l.ok<RestoreReport>(['restore', String(old.id), '--to', target]);
  assert.deepEqual([report.conflicts, report.refused], [[], []]);
  assert.deepEqual(restoredContents(target, home), atBackup);
  assert.equal(l.ok<VerifyReport>(['verify', String(old.id)]).ok, true);

  l.ok(['schedule', 'add', '--name', 'Home', '--source', home, '--destination', 'nas', '--cron', '0 3 * * *', '--keep-last', '1']);
  setSettings(l.catalog, { incrementalsPerFull: 0 });
  const first = l.backup('Home').snapshot;
  assert.deepEqual([first.kind, first.baseId], ['full', null], 'never built on an archive of unknown origin');
  assert.notEqual(dirname(first.archivePath), dirname(oldPath), "in this machine's folder");
  writeFileSync(join(home, 'todo.txt'), 'buy milk and bread\n');
  const second = l.backup('Home').snapshot;
  assert.ok(!existsSync(first.archivePath), "keep-last 1 pruned this machine's first backup");
  assert.ok(existsSync(oldPath), 'and left the old archive alone');
  assert.deepEqual(l.ok<PruneReport[]>(['prune']).flatMap((pruned) => pruned.deleted), []);
  assert.deepEqual(l.ok<Snapshot[]>(['snapshots', '--machine', 'all']).map((snapshot) => snapshot.id), [second.id, old.id]);
});

test('an old-layout archive this catalog made is this machine’s after the upgrade: listed, restored, verified, built on and pruned; one it had adopted from another laptop is not', async (t) => {
  const root = temporaryFolder(t, 'dormouse-old-catalog-');
  const nas = join(root, 'nas');
  const home = join(root, 'home');
  mkdirSync(nas);
  mkdirSync(home);
  writeFileSync(join(home, 'diary.txt'), 'monday\n');
  // The marker, written by Dormouse itself (a throwaway catalog); the folder holds no archive yet.
  const destinationId = laptop(root, 'scratch').ok<{ id: string }>(['destination', 'add', '--name', 'nas', '--path', nas]).id;

  const made = Date.now() - 3_600_000;
  const adopted = Date.now() - 1_800_000;
  const ownPath = join(nas, 'Dormouse', 'Home', '20250302T080000Z-full-1a2b3c4d.tar');
  const ownId = `1a2b3c4d${randomUUID().slice(8)}`;
  const foreignId = `5e6f7a8b${randomUUID().slice(8)}`;
  const foreignPath = join(nas, 'Dormouse', 'Home', '20250302T083000Z-full-5e6f7a8b.tar');
  const own = await olderDormouseArchive({
    sources: [home],
    excludes: [],
    archivePath: ownPath,
    compression: 'none',
    snapshot: { id: ownId, scheduleName: 'Home', createdAt: new Date(made).toISOString(), kind: 'full', baseId: null },
  });
  const atOwn = contents(home);
  // Another laptop's "Home", which an older Dormouse imported and attached to this laptop's schedule.
  const otherHome = join(root, 'other-home');
  mkdirSync(otherHome);
  writeFileSync(join(otherHome, 'theirs.txt'), 'not yours\n');
  const foreign = await olderDormouseArchive({
    sources: [otherHome],
    excludes: [],
    archivePath: foreignPath,
    compression: 'none',
    snapshot: { id: foreignId, scheduleName: 'Home', createdAt: new Date(adopted).toISOString(), kind: 'full', baseId: null },
  });

  // The catalog as the older Dormouse left it: schema version 5, one job's snapshot and one imported (no job) but adopted.
  const dataDir = join(root, 'laptop-data');
  const db = openDatabase(join(dataDir, 'dormouse.sqlite'), { upTo: 5 });
  try {
    assert.equal(db.prepare('SELECT max(version) FROM schema_migrations').pluck().get(), 5);
    db.prepare('INSERT INTO destinations (id, name, path, created_at) VALUES (?, ?, ?, ?)').run(destinationId, 'nas', nas, made);
    db.prepare("INSERT INTO schedules (id, name, destination_id, cron, keep_last, created_at, updated_at) VALUES (1, 'Home', ?, '0 3 * * *', 1, ?, ?)").run(destinationId, made, made);
    db.prepare('INSERT INTO schedule_sources (schedule_id, position, path) VALUES (1, 0, ?)').run(home);
    db.prepare("INSERT INTO jobs (id, schedule_id, trigger, status, queued_at, started_at, finished_at, files, bytes, archive_path, sha256) VALUES (1, 1, 'manual', 'succeeded', ?, ?, ?, ?, ?, ?, ?)").run(
      made,
      made,
      made,
      own.treeFiles,
      own.treeBytes,
      ownPath,
      own.sha256,
    );
    const insert = db.prepare(
      `INSERT INTO snapshots (uuid, schedule_id, schedule_name, job_id, destination_id, created_at, archive_path, files, bytes, archive_bytes, entries, sha256, compression, kind, base_id, format_version)
       VALUES (?, 1, 'Home', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'none', 'full', NULL, 1)`,
    );
    for (const [uuid, result, jobId, createdAt, path] of [
      [ownId, own, 1, made, ownPath],
      [foreignId, foreign, null, adopted, foreignPath],
    ] as const) {
      insert.run(uuid, jobId, destinationId, createdAt, path, result.treeFiles, result.treeBytes, result.archiveBytes, result.entries, result.sha256);
    }
  } finally {
    db.close();
  }

  const l = laptop(root, 'laptop');
  const [mine, ...others] = l.ok<Snapshot[]>(['snapshots']);
  assert.deepEqual(others, [], 'only the snapshot its own job made is this machine’s');
  assert.ok(mine);
  assert.equal(mine.archivePath, ownPath, 'read where it is');
  assert.equal(mine.machine.current, true);
  assert.equal(mine.machine.id, l.machineId());
  const [unknown] = l.ok<Snapshot[]>(['snapshots', '--machine', 'unknown']);
  assert.equal(unknown?.archivePath, foreignPath, 'the adopted one is of unknown origin now');

  const target = join(root, 'restored');
  l.ok<RestoreReport>(['restore', String(mine.id), '--to', target]);
  assert.deepEqual(restoredContents(target, home), atOwn);
  assert.equal(l.ok<VerifyReport>(['verify', '--all']).ok, true);

  writeFileSync(join(home, 'diary.txt'), 'monday\ntuesday\n');
  const next = l.backup('Home').snapshot;
  assert.deepEqual([next.kind, next.baseId], ['incremental', mine.id], 'this machine’s old-layout full is the base, though a newer adopted one exists');
  assert.equal(dirname(next.archivePath), join(nas, 'Dormouse', next.machine.name, 'Home'), 'new archives go to the machine folder');
  const afterNext = join(root, 'restored-next');
  l.ok<RestoreReport>(['restore', String(next.id), '--to', afterNext]);
  assert.deepEqual(restoredContents(afterNext, home), contents(home), 'the incremental reads unchanged files from the old-layout archive');

  setSettings(l.catalog, { incrementalsPerFull: 1 });
  writeFileSync(join(home, 'diary.txt'), 'monday\ntuesday\nwednesday\n');
  const third = l.backup('Home').snapshot;
  assert.equal(third.kind, 'full');
  assert.ok(!existsSync(ownPath), 'retention (keep-last 1) pruned the old-layout archive: it is this machine’s');
  assert.ok(!existsSync(next.archivePath));
  assert.ok(existsSync(foreignPath), 'never the one of unknown origin');
  assert.deepEqual(l.ok<Snapshot[]>(['snapshots', '--machine', 'all']).map((snapshot) => snapshot.archivePath), [third.archivePath, foreignPath]);
});
