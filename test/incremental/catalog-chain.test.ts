import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describeResult, dormouse, type CliResult } from '../helpers/cli';
import { assertSameTree, bench, lsTree, restoredSource, sql, type Bench, type ImportReport, type RestoreReport, type Snapshot, type VerifyReport } from './incremental-kit';
import { buildHistory, listings, trees } from './history';

/**
 * Rebuilding the catalog from the destination understands chains: archives are imported oldest
 * first (by the creation time in their manifests), each incremental linked to its base by uuid,
 * and an imported incremental lists and restores exactly its tree. Another catalog's archives are
 * another machine's: listed with `--machine all`, never a base here.
 */

/** A second data folder on the same destination: the new laptop, or the lost catalog. */
function otherCatalog(b: Bench, name = 'data-b') {
  const dataDir = join(b.root, name);
  const run = (args: string[]): CliResult => dormouse(['--data-dir', dataDir, ...args]);
  const ok = <T>(args: string[]): T => {
    const result = run([...args, '--json']);
    assert.equal(result.code, 0, `dormouse ${args.join(' ')}\n${describeResult(result)}`);
    assert.equal(result.stderr, '', describeResult(result));
    return result.json<T>();
  };
  return { dataDir, run, ok };
}

/** The imported snapshots, matched to the originals by archive path (or by position when renamed), oldest first. */
function importedChain(snapshots: Snapshot[], archives: string[]): Snapshot[] {
  return archives.map((archivePath) => {
    const found = snapshots.find((snapshot) => snapshot.archivePath === archivePath);
    assert.ok(found, `${archivePath} was imported: ${JSON.stringify(snapshots.map((snapshot) => snapshot.archivePath))}`);
    return found;
  });
}

function assertLinked(chain: Snapshot[]): void {
  const [first, second] = chain as [Snapshot, Snapshot, Snapshot];
  assert.deepEqual(
    chain.map((snapshot) => [snapshot.kind, snapshot.baseId]),
    [
      ['full', null],
      ['incremental', first.id],
      ['incremental', second.id],
    ],
    'kinds, and each incremental linked to the imported id of its predecessor',
  );
}

function assertRestores(other: ReturnType<typeof otherCatalog>, b: Bench, chain: Snapshot[]): void {
  chain.forEach((snapshot, index) => {
    const folder = b.folder(`restore-imported-${index + 1}`);
    const report = other.ok<RestoreReport>(['restore', String(snapshot.id), '--to', folder]);
    assert.deepEqual([report.conflicts, report.refused], [[], []]);
    assertSameTree(restoredSource(folder, b.src), trees[index] as Map<string, string>, `restore of imported snapshot ${index + 1}`);
  });
}

for (const compression of ['none', 'gzip'] as const) {
  test(`a new catalog on the same destination imports full + 2 incrementals (${compression}) as a linked chain that lists and restores exactly`, (t) => {
    const b = bench(t, { extra: ['--compression', compression] });
    const original = buildHistory(b);
    const other = otherCatalog(b);

    const added = other.ok<{ importedSnapshots: number }>(['destination', 'add', '--name', 'usb', '--path', b.dest]);
    assert.equal(added.importedSnapshots, 3);
    const imported = other.ok<Snapshot[]>(['snapshots', '--machine', 'all']);
    assert.equal(imported.length, 3);
    const chain = importedChain(imported, original.map((snapshot) => snapshot.archivePath));
    assertLinked(chain);
    chain.forEach((snapshot, index) => {
      const before = original[index] as Snapshot;
      assert.equal(snapshot.scheduleName, 'S');
      assert.equal(snapshot.compression, compression);
      assert.equal(snapshot.sha256, before.sha256, 'the SHA-256 from the sidecar');
      assert.equal(snapshot.files, before.files, 'files of the whole tree');
      assert.equal(snapshot.bytes, before.bytes, 'bytes of the whole tree');
    });

    // The newest imported incremental: listed and restored exactly, verified with its chain.
    const newest = chain[2] as Snapshot;
    assert.deepEqual(lsTree({ ...b, ok: other.ok } as Bench, newest.id, b.src), listings[2]);
    assertRestores(other, b, chain);
    const verified = other.ok<VerifyReport>(['verify', String(newest.id)]);
    assert.equal(verified.ok, true, JSON.stringify(verified));
    assert.deepEqual(verified.snapshots.map((snapshot) => snapshot.snapshotId).sort(), chain.map((snapshot) => snapshot.id).sort(), 'verify reads the imported chain');

    // Importing again finds nothing new.
    const again = other.ok<ImportReport>(['import', '--destination', 'usb']);
    assert.deepEqual([again.imported.length, again.alreadyKnown, again.skipped.length], [0, 3, 0]);
  });
}

test("another catalog's imported chain is never built on: the schedule of that name starts its own chain with a full backup", (t) => {
  const b = bench(t);
  const original = buildHistory(b);
  const other = otherCatalog(b);
  other.ok(['destination', 'add', '--name', 'usb', '--path', b.dest]);
  other.ok(['schedule', 'add', '--name', 'S', '--source', b.src, '--destination', 'usb', '--cron', '0 3 * * *']);
  const chain = importedChain(other.ok<Snapshot[]>(['snapshots', '--machine', 'all']), original.map((snapshot) => snapshot.archivePath));
  const next = other.ok<{ status: string }>(['run', 'S']);
  assert.equal(next.status, 'succeeded');
  const [newest, ...rest] = other.ok<Snapshot[]>(['snapshots']);
  assert.deepEqual(rest, [], "by default only this catalog's own snapshot is listed");
  assert.ok(newest);
  assert.equal(newest.kind, 'full', JSON.stringify(newest));
  assert.equal(newest.baseId, null);
  assert.ok(!chain.some((snapshot) => snapshot.id === newest.id));
  const folder = b.folder('restore-own-chain');
  other.ok(['restore', String(newest.id), '--to', folder]);
  assertSameTree(restoredSource(folder, b.src), trees[2] as Map<string, string>, 'the new full backup');
});

test('`dormouse import` after losing the incrementals\' rows links them by uuid to the base the catalog still knows', (t) => {
  const b = bench(t);
  const [s1, s2, s3] = buildHistory(b);
  // Newest first: an incremental's row points at its base's.
  sql(b.catalog, 'DELETE FROM snapshots WHERE id = ?', s3.id);
  sql(b.catalog, 'DELETE FROM snapshots WHERE id = ?', s2.id);
  const report = b.ok<ImportReport>(['import', '--destination', 'usb']);
  assert.equal(report.imported.length, 2, JSON.stringify(report));
  assert.equal(report.alreadyKnown, 1);
  const chain = importedChain(b.snapshots(), [s1.archivePath, s2.archivePath, s3.archivePath]);
  assert.equal(chain[0]?.id, s1.id, 'the full backup kept its row');
  assertLinked(chain);
  const { folder } = b.restore((chain[2] as Snapshot).id);
  assertSameTree(restoredSource(folder, b.src), trees[2] as Map<string, string>, 'the re-imported newest incremental');
});

test('import orders by the creation time in each manifest, not by file name: renamed archives still link into one chain', (t) => {
  const b = bench(t);
  const original = buildHistory(b);
  // Names that sort newest first.
  const renamed = original.map((snapshot, index) => {
    const to = join(dirname(snapshot.archivePath), `${3 - index}-${basename(snapshot.archivePath)}`);
    renameSync(snapshot.archivePath, to);
    renameSync(`${snapshot.archivePath}.sha256`, `${to}.sha256`);
    return to;
  });
  const other = otherCatalog(b);
  const added = other.ok<{ importedSnapshots: number }>(['destination', 'add', '--name', 'usb', '--path', b.dest]);
  assert.equal(added.importedSnapshots, 3);
  const chain = importedChain(other.ok<Snapshot[]>(['snapshots', '--machine', 'all']), renamed);
  assertLinked(chain);
  chain.forEach((snapshot, index) => assert.equal(snapshot.sha256, original[index]?.sha256, 'the SHA-256 (recomputed: the sidecar names the old file)'));
  assertRestores(other, b, chain);
});
