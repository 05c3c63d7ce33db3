import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { importFixture, restoreFixtureIncremental, type FixtureSnapshot as Snapshot } from './restore-kit';

/**
 * Archives written in format 2 (test/fixtures/format-2-destination: made by the CLI at ac9646d, the
 * last commit writing format 2, whose manifest is one JSON object listing every entry) still import,
 * list, restore and verify after format 3. The tree, at /tmp/dormouse-v2-fixture/src when it was backed up:
 *   docs/readme.txt  "format 2 archives still restore\n", mode 0640, 2024-05-01 12:00:00.123456789 UTC
 *   docs/link -> readme.txt, docs/empty/ (an empty folder)
 *   notes/a.txt      "first\n" (full), then "second\n" at 2024-06-01 08:30:00.5 UTC (incremental)
 *   notes/b.txt      "b\n" (full), deleted before the incremental; notes/b-again.txt another name of it
 */
const fixture = join(__dirname, '..', 'fixtures', 'format-2-destination');
const source = 'tmp/dormouse-v2-fixture/src';

function setUp(t: Parameters<typeof importFixture>[0]) {
  return importFixture(t, fixture);
}

test('format 2 archives import as four snapshots, two chains of a full and an incremental', (t) => {
  const { snapshots } = setUp(t);
  const shape = snapshots.map((snapshot) => `${snapshot.scheduleName} ${snapshot.kind} ${snapshot.compression}`).sort();
  assert.deepEqual(shape, ['Docs full none', 'Docs incremental none', 'DocsZ full gzip', 'DocsZ incremental gzip']);
});

for (const compression of ['none', 'gzip'] as const) {
  test(`a format 2 incremental (${compression}) restores its tree exactly, nanoseconds included, lists and verifies`, (t) => {
    const fixture = setUp(t);
    const { cli } = fixture;
    const { tree, id } = restoreFixtureIncremental(fixture, compression, source, 3, 'format 2 archives still restore\n');
    const incremental = { id };
    assert.equal(readFileSync(join(tree, 'notes', 'a.txt'), 'utf8'), 'second\n');
    assert.equal(statSync(join(tree, 'notes', 'a.txt'), { bigint: true }).mtimeNs, BigInt(Date.UTC(2024, 5, 1, 8, 30, 0)) * 1_000_000n + 500_000_000n);
    assert.ok(!existsSync(join(tree, 'notes', 'b.txt')), 'the file deleted before the incremental is not restored');
    assert.equal(readFileSync(join(tree, 'notes', 'b-again.txt'), 'utf8'), 'b\n');
    assert.equal(readlinkSync(join(tree, 'docs', 'link')), 'readme.txt');
    assert.ok(lstatSync(join(tree, 'docs', 'empty')).isDirectory());

    const verified = cli(['verify', String(incremental.id), '--json']);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const listing = cli(['ls', String(incremental.id), `/${source}/notes`, '--json']);
    assert.equal(listing.code, 0, listing.stderr);
    assert.deepEqual(listing.json<{ entries: { name: string }[] }>().entries.map((entry) => entry.name), ['a.txt', 'b-again.txt']);
  });
}

test('the format 2 full restores the older versions, with its hardlink as a link', (t) => {
  const { root, cli, snapshots } = setUp(t);
  const full = snapshots.find((snapshot) => snapshot.kind === 'full' && snapshot.compression === 'none') as Snapshot;
  const target = join(root, 'back');
  assert.equal(cli(['restore', String(full.id), '--to', target, '--json']).code, 0);
  assert.equal(readFileSync(join(target, source, 'notes', 'a.txt'), 'utf8'), 'first\n');
  assert.equal(readFileSync(join(target, source, 'notes', 'b.txt'), 'utf8'), 'b\n');
  assert.equal(statSync(join(target, source, 'notes', 'b.txt')).ino, statSync(join(target, source, 'notes', 'b-again.txt')).ino);
});
