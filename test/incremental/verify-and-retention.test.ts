import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describeResult } from '../helpers/cli';
import { assertSameTree, bench, day, expectedTree, flipByte, manifestByRelative, manifestOf, put, restoredSource, setSettings, updateSnapshotRow, type Bench, type PruneReport, type Snapshot, type VerifyReport } from './incremental-kit';

/**
 * Verify checks a snapshot together with every archive it depends on; retention never deletes an
 * archive a kept snapshot depends on, says so in `prune --dry-run`, and lets an old chain go once a
 * new full backup has started another.
 */

/** A chain full → incremental → incremental, with a change before each incremental. */
function chain(b: Bench): [Snapshot, Snapshot, Snapshot] {
  put(join(b.src, 'a.txt'), 'alpha one\n', day(1));
  put(join(b.src, 'b.txt'), 'bravo, only in the full archive\n', day(2));
  const s1 = b.backup().snapshot;
  put(join(b.src, 'a.txt'), 'alpha two!\n', day(3));
  const s2 = b.backup().snapshot;
  put(join(b.src, 'a.txt'), 'alpha three\n', day(4));
  const s3 = b.backup().snapshot;
  assert.deepEqual(
    [s1, s2, s3].map((snapshot) => [snapshot.kind, snapshot.baseId]),
    [
      ['full', null],
      ['incremental', s1.id],
      ['incremental', s2.id],
    ],
  );
  return [s1, s2, s3];
}

const finalTree = expectedTree({ 'a.txt': 'alpha three\n', 'b.txt': 'bravo, only in the full archive\n' });

test('verifying an incremental verifies it together with every archive it depends on', (t) => {
  const b = bench(t);
  const [s1, s2, s3] = chain(b);
  const report = b.ok<VerifyReport>(['verify', String(s3.id)]);
  assert.equal(report.ok, true, JSON.stringify(report));
  assert.deepEqual(
    report.snapshots.map((snapshot) => [snapshot.snapshotId, snapshot.archivePath, snapshot.ok]).sort(),
    [
      [s1.id, s1.archivePath, true],
      [s2.id, s2.archivePath, true],
      [s3.id, s3.archivePath, true],
    ].sort(),
    'the whole chain is read',
  );
  // Verifying the full one alone reads just that archive.
  const alone = b.ok<VerifyReport>(['verify', String(s1.id)]);
  assert.deepEqual(alone.snapshots.map((snapshot) => snapshot.snapshotId), [s1.id]);
});

for (const compression of ['none', 'gzip'] as const) {
  test(`a corrupted FULL base (${compression}) makes verifying the newest incremental fail, naming the base archive`, (t) => {
    const b = bench(t, { extra: ['--compression', compression] });
    const [s1, , s3] = chain(b);
    if (compression === 'none') {
      const entry = manifestByRelative(manifestOf(s1.archivePath), b.srcEntry).get('b.txt');
      assert.ok(entry);
      flipByte(s1.archivePath, entry.offset + 512 + 3);
    } else {
      flipByte(s1.archivePath, 60);
    }
    const result = b.cli(['verify', String(s3.id), '--json']);
    assert.equal(result.code, 1, describeResult(result));
    const report = result.json<VerifyReport>();
    assert.equal(report.ok, false);
    const base = report.snapshots.find((snapshot) => snapshot.snapshotId === s1.id);
    assert.ok(base, `the full base is part of the verification: ${result.stdout}`);
    assert.equal(base.ok, false);
    assert.equal(base.archivePath, s1.archivePath);
    assert.ok(base.problems.length > 0);

    const text = b.cli(['verify', String(s3.id)]);
    assert.equal(text.code, 1, describeResult(text));
    assert.ok(`${text.stdout}${text.stderr}`.includes(s1.archivePath), `the readable output names the base archive ${s1.archivePath}\n${describeResult(text)}`);
    assert.match(text.stdout, new RegExp(`Snapshot ${s1.id}: DAMAGED`), describeResult(text));
  });
}

test('a deleted base archive makes verifying the newest incremental fail, naming it', (t) => {
  const b = bench(t);
  const [s1, s2, s3] = chain(b);
  unlinkSync(s1.archivePath);
  const result = b.cli(['verify', String(s3.id), '--json']);
  assert.equal(result.code, 1, describeResult(result));
  const report = result.json<VerifyReport>();
  assert.equal(report.ok, false);
  const base = report.snapshots.find((snapshot) => snapshot.snapshotId === s1.id);
  assert.ok(base, result.stdout);
  assert.equal(base.ok, false);
  assert.equal(base.archivePath, s1.archivePath);
  // The newest incremental takes b.txt from that archive: it cannot be whole either.
  const newest = report.snapshots.find((snapshot) => snapshot.snapshotId === s3.id);
  assert.equal(newest?.ok, false, `snapshot ${s3.id} depends on the missing archive: ${result.stdout}`);

  // Verifying the middle one fails too: it depends on the same archive.
  const middle = b.cli(['verify', String(s2.id), '--json']);
  assert.equal(middle.code, 1, describeResult(middle));
});

test('retention: --keep-last 1 on full → incr → incr keeps the bases ("the base of kept snapshot N"), and prune deletes nothing they need; a new full lets the old chain go', (t) => {
  const b = bench(t, { extra: ['--keep-last', '1'] });
  const [s1, s2, s3] = chain(b);
  // Pruning ran after each backup: nothing a kept snapshot depends on went.
  assert.deepEqual(b.snapshots().map((snapshot) => snapshot.id), [s3.id, s2.id, s1.id]);
  for (const snapshot of [s1, s2, s3]) {
    assert.ok(existsSync(snapshot.archivePath), `${snapshot.archivePath} is still there`);
    assert.ok(existsSync(`${snapshot.archivePath}.sha256`));
  }

  const [dry] = b.ok<PruneReport[]>(['prune', '--dry-run']);
  assert.ok(dry);
  assert.equal(dry.dryRun, true);
  assert.deepEqual(dry.deleted, []);
  const reasons = new Map(dry.kept.map((kept) => [kept.snapshotId, kept.reasons]));
  assert.deepEqual([...reasons.keys()].sort(), [s1.id, s2.id, s3.id].sort());
  assert.ok(reasons.get(s3.id)?.includes('the newest snapshot'), JSON.stringify(dry));
  assert.ok(reasons.get(s3.id)?.includes('one of the last 1'), JSON.stringify(dry));
  assert.deepEqual(reasons.get(s2.id), [`the base of kept snapshot ${s3.id}`]);
  assert.deepEqual(reasons.get(s1.id), [`the base of kept snapshot ${s3.id}`]);
  const dryText = b.cli(['prune', '--dry-run']);
  assert.equal(dryText.code, 0, describeResult(dryText));
  assert.match(dryText.stdout, new RegExp(`keep\\s+${s1.id} .*the base of kept snapshot ${s3.id}`), describeResult(dryText));
  assert.match(dryText.stdout, new RegExp(`keep\\s+${s2.id} .*the base of kept snapshot ${s3.id}`), describeResult(dryText));

  const [real] = b.ok<PruneReport[]>(['prune']);
  assert.deepEqual(real?.deleted, []);
  for (const snapshot of [s1, s2, s3]) assert.ok(existsSync(snapshot.archivePath), `${snapshot.archivePath} survives prune`);
  assert.equal(b.ok<VerifyReport>(['verify', String(s3.id)]).ok, true);
  assertSameTree(restoredSource(b.restore(s3.id).folder, b.src), finalTree, 'the newest snapshot restores after prune');

  // A new full backup (the chain reached incrementalsPerFull) starts a new chain. Taken with no rule, then the rules come back.
  setSettings(b.catalog, { incrementalsPerFull: 2 });
  b.ok(['schedule', 'edit', 'S', '--keep-last', 'all']);
  const s4 = b.backup().snapshot;
  assert.equal(s4.kind, 'full');

  // keep-last 2 keeps snapshot 3, so its whole chain stays.
  b.ok(['schedule', 'edit', 'S', '--keep-last', '2']);
  const [two] = b.ok<PruneReport[]>(['prune', '--dry-run']);
  assert.deepEqual(two?.deleted, [], JSON.stringify(two));
  assert.deepEqual(new Map(two?.kept.map((kept) => [kept.snapshotId, kept.reasons])).get(s1.id), [`the base of kept snapshot ${s3.id}`]);

  // keep-last 1: only the new full is kept; the old chain can go, newest first.
  b.ok(['schedule', 'edit', 'S', '--keep-last', '1']);
  const [one] = b.ok<PruneReport[]>(['prune', '--dry-run']);
  assert.deepEqual(one?.kept.map((kept) => kept.snapshotId), [s4.id]);
  assert.deepEqual(one?.deleted.map((gone) => gone.snapshotId).sort(), [s1.id, s2.id, s3.id].sort());
  for (const snapshot of [s1, s2, s3]) assert.ok(existsSync(snapshot.archivePath), 'a dry run deletes nothing');

  const [pruned] = b.ok<PruneReport[]>(['prune']);
  assert.deepEqual(pruned?.deleted.map((gone) => gone.snapshotId).sort(), [s1.id, s2.id, s3.id].sort());
  for (const snapshot of [s1, s2, s3]) {
    assert.ok(!existsSync(snapshot.archivePath), `${snapshot.archivePath} was deleted`);
    assert.ok(!existsSync(`${snapshot.archivePath}.sha256`), `${snapshot.archivePath}.sha256 was deleted`);
  }
  assert.deepEqual(b.snapshots().map((snapshot) => snapshot.id), [s4.id]);
  assertSameTree(restoredSource(b.restore(s4.id).folder, b.src), finalTree, 'the new full restores alone');

  // The next backup is incremental on the new full, and the automatic prune after it keeps that base.
  put(join(b.src, 'a.txt'), 'alpha four\n', day(5));
  const s5 = b.backup().snapshot;
  assert.equal(s5.kind, 'incremental');
  assert.equal(s5.baseId, s4.id);
  assert.deepEqual(b.snapshots().map((snapshot) => snapshot.id), [s5.id, s4.id]);
  assert.ok(existsSync(s4.archivePath));
  assertSameTree(restoredSource(b.restore(s5.id).folder, b.src), expectedTree({ 'a.txt': 'alpha four\n', 'b.txt': 'bravo, only in the full archive\n' }), 'the incremental on the new full');
});

test('an old chain whose incremental is dated before its base (the clock was set back between them) is pruned whole, and the catalog stays usable', (t) => {
  const b = bench(t);
  const now = Date.now();
  put(join(b.src, 'a.txt'), 'alpha one\n', day(1));
  const s1 = b.backup().snapshot;
  put(join(b.src, 'a.txt'), 'alpha two!\n', day(2));
  const s2 = b.backup().snapshot;
  // Snapshot 2 was taken while the laptop's clock was an hour fast; then the clock was corrected.
  updateSnapshotRow(b.catalog, s2.id, { created_at: now + 3_600_000 });
  put(join(b.src, 'a.txt'), 'alpha three\n', day(3));
  const s3 = b.backup().snapshot;
  assert.equal(s3.kind, 'incremental');
  assert.equal(s3.baseId, s2.id, 'built on the newest snapshot, dated an hour ahead');
  assert.ok(Date.parse(s3.createdAt) < now + 3_600_000, 'dated before its base');

  // A new full starts another chain (the old full is 31 days old), and time moves on past the fast clock's stamps.
  updateSnapshotRow(b.catalog, s1.id, { created_at: now - 31 * 86_400_000 });
  const s4 = b.backup().snapshot;
  assert.equal(s4.kind, 'full');
  updateSnapshotRow(b.catalog, s4.id, { created_at: now + 2 * 3_600_000 });

  b.ok(['schedule', 'edit', 'S', '--keep-last', '1']);
  const [dry] = b.ok<PruneReport[]>(['prune', '--dry-run']);
  assert.deepEqual(dry?.kept.map((kept) => kept.snapshotId), [s4.id]);
  assert.deepEqual(dry?.deleted.map((gone) => gone.snapshotId).sort(), [s1.id, s2.id, s3.id].sort());

  const result = b.cli(['prune', '--json']);
  const after = b.cli(['snapshots', '--json']);
  assert.equal(after.code, 0, `the catalog is still usable after the prune\nprune: ${describeResult(result)}\nsnapshots: ${describeResult(after)}`);
  assert.equal(result.code, 0, `prune deletes the whole old chain\n${describeResult(result)}`);
  assert.deepEqual(after.json<Snapshot[]>().map((snapshot) => snapshot.id), [s4.id]);
  for (const snapshot of [s1, s2, s3]) assert.ok(!existsSync(snapshot.archivePath), `${snapshot.archivePath} was deleted`);
  assert.ok(existsSync(s4.archivePath));
});
