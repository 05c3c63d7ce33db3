import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { importFixture, type FixtureSnapshot as Snapshot } from './restore-kit';

/**
 * Archives written by Dormouse before format 2 (test/fixtures/format-1-destination: made by the CLI
 * at 11cfe3a, a full and an incremental of one small tree, uncompressed and gzip) still import,
 * list, restore and verify. The tree, at /tmp/dormouse-v1-fixture/src when it was backed up:
 *   docs/readme.txt  "format 1 archives still restore\n", mode 0640, 2024-05-01 12:00:00 UTC
 *   docs/link -> readme.txt, docs/empty/ (an empty folder)
 *   notes/a.txt      "first\n" (full), then "second\n" at 2024-06-01 08:30:00 UTC (incremental)
 *   notes/b.txt      "b\n" (full), deleted before the incremental
 */
const fixture = join(__dirname, '..', 'fixtures', 'format-1-destination');
const source = 'tmp/dormouse-v1-fixture/src';

function setUp(t: Parameters<typeof importFixture>[0]) {
  return importFixture(t, fixture);
}

test('format 1 archives import as four snapshots, two chains of a full and an incremental', (t) => {
  const { snapshots } = setUp(t);
  const shape = snapshots.map((snapshot) => `${snapshot.scheduleName} ${snapshot.kind} ${snapshot.compression}`).sort();
  assert.deepEqual(shape, ['Docs full none', 'Docs incremental none', 'DocsZ full gzip', 'DocsZ incremental gzip']);
});

for (const compression of ['none', 'gzip'] as const) {
  test(`a format 1 incremental (${compression}) restores its tree exactly as the old Dormouse recorded it, and verifies`, (t) => {
    const { root, cli, snapshots } = setUp(t);
    const incremental = snapshots.find((snapshot) => snapshot.kind === 'incremental' && snapshot.compression === compression) as Snapshot;
    const target = join(root, 'back');
    const restored = cli(['restore', String(incremental.id), '--to', target, '--json']);
    assert.equal(restored.code, 0, restored.stdout + restored.stderr);
    const report = restored.json<{ files: number; damaged: string[]; refused: string[] }>();
    assert.deepEqual([report.files, report.damaged, report.refused], [2, [], []]);
    const tree = join(target, source);
    assert.equal(readFileSync(join(tree, 'docs', 'readme.txt'), 'utf8'), 'format 1 archives still restore\n');
    assert.equal(statSync(join(tree, 'docs', 'readme.txt')).mode & 0o7777, 0o640);
    assert.equal(statSync(join(tree, 'docs', 'readme.txt')).mtimeMs, Date.UTC(2024, 4, 1, 12, 0, 0));
    assert.equal(readFileSync(join(tree, 'notes', 'a.txt'), 'utf8'), 'second\n');
    assert.equal(statSync(join(tree, 'notes', 'a.txt')).mtimeMs, Date.UTC(2024, 5, 1, 8, 30, 0));
    assert.ok(!existsSync(join(tree, 'notes', 'b.txt')), 'the file deleted before the incremental is not restored');
    assert.equal(readlinkSync(join(tree, 'docs', 'link')), 'readme.txt');
    assert.ok(lstatSync(join(tree, 'docs', 'empty')).isDirectory());

    const verified = cli(['verify', String(incremental.id), '--json']);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const listing = cli(['ls', String(incremental.id), `/${source}/notes`, '--json']);
    assert.equal(listing.code, 0, listing.stderr);
    assert.deepEqual(listing.json<{ entries: { name: string }[] }>().entries.map((entry) => entry.name), ['a.txt']);
  });
}

test('the format 1 full restores the older versions: the first a.txt and b.txt', (t) => {
  const { root, cli, snapshots } = setUp(t);
  const full = snapshots.find((snapshot) => snapshot.kind === 'full' && snapshot.compression === 'none') as Snapshot;
  const target = join(root, 'back');
  assert.equal(cli(['restore', String(full.id), '--to', target, '--json']).code, 0);
  assert.equal(readFileSync(join(target, source, 'notes', 'a.txt'), 'utf8'), 'first\n');
  assert.equal(readFileSync(join(target, source, 'notes', 'b.txt'), 'utf8'), 'b\n');
});
