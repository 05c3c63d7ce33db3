import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describeResult } from '../helpers/cli';
import { bench, day, dormouseEntries, flipByte, manifestByRelative, manifestOf, put, setSettings, tarListRelative, updateSnapshotRow, type Bench, type Snapshot, type VerifyReport } from './incremental-kit';

/**
 * When a new full backup comes: after `incrementalsPerFull` incrementals in a row, when the chain's
 * full backup is `fullEveryDays` old, and whenever an archive of the chain is missing or failed
 * verify. Settings are written as the engine writes them (writeSettings); an old full backup is
 * simulated by moving its created_at back in the catalog.
 */

const wholeTree = ['.', ...dormouseEntries, 'a.txt', 'b.txt'].sort();

function seed(b: Bench): void {
  put(join(b.src, 'a.txt'), 'alpha\n', day(1));
  put(join(b.src, 'b.txt'), 'bravo\n', day(2));
}

function kindsAndBases(snapshots: Snapshot[]): [string, number | null][] {
  return [...snapshots].reverse().map((snapshot) => [snapshot.kind, snapshot.baseId]);
}

test('with incrementalsPerFull = 2 the backups go full, incr, incr, full, incr, incr, full; each new full holds the whole tree', (t) => {
  const b = bench(t);
  seed(b);
  setSettings(b.catalog, { incrementalsPerFull: 2 });
  const made: Snapshot[] = [];
  for (let run = 1; run <= 7; run += 1) {
    // A small change each time, so the incrementals are not empty.
    put(join(b.src, 'a.txt'), `alpha, run ${run}\n`, day(10 + run));
    made.push(b.backup().snapshot);
  }
  const ids = made.map((snapshot) => snapshot.id);
  assert.deepEqual(
    made.map((snapshot) => [snapshot.kind, snapshot.baseId]),
    [
      ['full', null],
      ['incremental', ids[0]],
      ['incremental', ids[1]],
      ['full', null],
      ['incremental', ids[3]],
      ['incremental', ids[4]],
      ['full', null],
    ],
  );
  assert.deepEqual(
    made.map((snapshot) => /-(full|incr)-[0-9a-f]{8}\.tar$/.exec(basename(snapshot.archivePath))?.[1]),
    ['full', 'incr', 'incr', 'full', 'incr', 'incr', 'full'],
    'the archive names say the kind',
  );
  for (const index of [0, 3, 6]) {
    assert.deepEqual(tarListRelative((made[index] as Snapshot).archivePath, b.srcEntry), wholeTree, `backup ${index + 1} is a full one: it holds every file again`);
    for (const [path, entry] of manifestByRelative(manifestOf((made[index] as Snapshot).archivePath), b.srcEntry)) assert.equal(entry.archive, undefined, `backup ${index + 1}: ${path} held by itself`);
  }
  // The changed file and the source folder above it ('.'), as every incremental stores the folders above what it stores.
  assert.deepEqual(tarListRelative((made[4] as Snapshot).archivePath, b.srcEntry), [...dormouseEntries, '.', 'a.txt'].sort(), 'the incremental after a new full is based on that full');
});

test('with incrementalsPerFull = 0 every backup is full', (t) => {
  const b = bench(t);
  seed(b);
  setSettings(b.catalog, { incrementalsPerFull: 0 });
  b.backup();
  b.backup();
  assert.deepEqual(kindsAndBases(b.snapshots()), [
    ['full', null],
    ['full', null],
  ]);
});

test('a new full backup when the chain\'s full backup is fullEveryDays (30 by default) old; 29 days is not', (t) => {
  const b = bench(t);
  seed(b);
  const s1 = b.backup().snapshot;
  const dayMs = 86_400_000;
  updateSnapshotRow(b.catalog, s1.id, { created_at: Date.now() - 29 * dayMs });
  const s2 = b.backup().snapshot;
  assert.equal(s2.kind, 'incremental', 'a 29-day-old full backup is still a base');
  assert.equal(s2.baseId, s1.id);

  // The chain's full backup (not the newest incremental) is what counts.
  updateSnapshotRow(b.catalog, s1.id, { created_at: Date.now() - 31 * dayMs });
  const s3 = b.backup().snapshot;
  assert.equal(s3.kind, 'full', 'the chain\'s full backup is 31 days old');
  assert.equal(s3.baseId, null);
  assert.deepEqual(tarListRelative(s3.archivePath, b.srcEntry), wholeTree);
  const s4 = b.backup().snapshot;
  assert.equal(s4.kind, 'incremental', 'the new full starts a new chain');
  assert.equal(s4.baseId, s3.id);
});

test('fullEveryDays is a setting: 7 days', (t) => {
  const b = bench(t);
  seed(b);
  setSettings(b.catalog, { fullEveryDays: 7 });
  const s1 = b.backup().snapshot;
  updateSnapshotRow(b.catalog, s1.id, { created_at: Date.now() - 6 * 86_400_000 });
  assert.equal(b.backup().snapshot.kind, 'incremental');
  updateSnapshotRow(b.catalog, s1.id, { created_at: Date.now() - 8 * 86_400_000 });
  assert.equal(b.backup().snapshot.kind, 'full');
});

test('a missing archive in the chain makes the next backup full: the previous one, or the full base under it', (t) => {
  const b = bench(t);
  seed(b);
  b.backup();
  const s2 = b.backup().snapshot;
  assert.equal(s2.kind, 'incremental');

  // The previous (newest) archive is gone.
  unlinkSync(s2.archivePath);
  const s3 = b.backup().snapshot;
  assert.equal(s3.kind, 'full', 'the newest archive is missing');
  assert.equal(s3.baseId, null);
  assert.deepEqual(tarListRelative(s3.archivePath, b.srcEntry), wholeTree, 'the new full holds every file');

  const s4 = b.backup().snapshot;
  assert.equal(s4.kind, 'incremental');
  assert.equal(s4.baseId, s3.id);
  // The full base under the newest incremental is gone; the incremental itself is there.
  unlinkSync(s3.archivePath);
  assert.ok(existsSync(s4.archivePath));
  const s5 = b.backup().snapshot;
  assert.equal(s5.kind, 'full', 'the full base of the newest incremental is missing');
  assert.deepEqual(tarListRelative(s5.archivePath, b.srcEntry), wholeTree);

  // And it restores on its own.
  const { folder } = b.restore(s5.id);
  assert.ok(existsSync(join(folder, b.src, 'a.txt')));
  assert.ok(existsSync(join(folder, b.src, 'b.txt')));
});

test('an archive of the chain that failed verify makes the next backup full; one that passed does not', (t) => {
  const b = bench(t);
  seed(b);
  b.backup();
  put(join(b.src, 'a.txt'), 'alpha, changed\n', day(5));
  const s2 = b.backup().snapshot;
  assert.equal(s2.kind, 'incremental');

  const passed = b.cli(['verify', String(s2.id), '--json']);
  assert.equal(passed.code, 0, describeResult(passed));
  const s3 = b.backup().snapshot;
  assert.equal(s3.kind, 'incremental', 'a chain that passed verify is built on');
  assert.equal(s3.baseId, s2.id);

  // Another incremental, then corrupt it (a byte of b.txt's content, which it holds) and verify it.
  put(join(b.src, 'b.txt'), 'bravo, changed\n', day(6));
  const s4 = b.backup().snapshot;
  assert.equal(s4.kind, 'incremental');
  const entry = manifestByRelative(manifestOf(s4.archivePath), b.srcEntry).get('b.txt');
  assert.ok(entry && entry.archive === undefined, 'b.txt is held by snapshot 4');
  flipByte(s4.archivePath, entry.offset + 512 + 2);
  const failed = b.cli(['verify', String(s4.id), '--json']);
  assert.equal(failed.code, 1, describeResult(failed));
  const report = failed.json<VerifyReport>();
  assert.equal(report.ok, false);
  assert.equal(report.snapshots.find((snapshot) => snapshot.snapshotId === s4.id)?.ok, false, describeResult(failed));

  const s5 = b.backup().snapshot;
  assert.equal(s5.kind, 'full', 'the newest archive failed verify');
  assert.equal(s5.baseId, null);
  assert.deepEqual(tarListRelative(s5.archivePath, b.srcEntry), wholeTree);
});

test('a FULL base that failed verify (found by verifying the incremental on it) makes the next backup full', (t) => {
  const b = bench(t);
  seed(b);
  const s1 = b.backup().snapshot;
  const s2 = b.backup().snapshot;
  assert.equal(s2.kind, 'incremental');
  const entry = manifestByRelative(manifestOf(s1.archivePath), b.srcEntry).get('a.txt');
  assert.ok(entry);
  flipByte(s1.archivePath, entry.offset + 512);
  const failed = b.cli(['verify', String(s2.id), '--json']);
  assert.equal(failed.code, 1, describeResult(failed));
  const s3 = b.backup().snapshot;
  assert.equal(s3.kind, 'full', 'the chain\'s full base failed verify');
  assert.deepEqual(tarListRelative(s3.archivePath, b.srcEntry), wholeTree);
});

test('a previous archive whose manifest cannot be read (damaged, not yet verified) does not stop the schedule: the next backup succeeds as a full one', (t) => {
  const b = bench(t);
  seed(b);
  const s1 = b.backup().snapshot;
  // One byte of its trailer (the block 1536 bytes before the end of an uncompressed archive) is damaged.
  flipByte(s1.archivePath, statSync(s1.archivePath).size - 1536 + 5);
  const result = b.cli(['run', 'S', '--json']);
  const job = result.json<{ status: string; error: { code: string; message: string } | null }>();
  assert.equal(job.status, 'succeeded', `the backup does not depend on an unreadable archive\n${describeResult(result)}`);
  const [newest] = b.snapshots();
  assert.equal(newest?.kind, 'full');
  assert.deepEqual(tarListRelative((newest as Snapshot).archivePath, b.srcEntry), wholeTree);
});
