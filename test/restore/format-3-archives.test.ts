import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File } from '../helpers/trees';
import { entryBlocks, flipByte, importFixture, readLayout, restoreFixtureIncremental, restoreTemporaries, tarStream, type FixtureSnapshot as Snapshot } from './restore-kit';

/**
 * Archives written in format 3 (test/fixtures/format-3-destination: made by the CLI at 4fa751c, the
 * last commit writing format 3, whose manifest records each file's SHA-256 where format 4 records its
 * XXH3-128) still import, list, restore and verify, and a file whose bytes no longer match its SHA-256
 * is still caught. The tree, at /tmp/dormouse-v3-fixture/src when it was backed up:
 *   docs/readme.txt  "format 3 archives still restore\n", mode 0640, 2024-05-01 12:00:00.123456789 UTC
 *   docs/photo.raw   40,000 random bytes, SHA-256 1054709…b857df
 *   docs/link -> readme.txt, docs/empty/ (an empty folder)
 *   notes/a.txt      "first\n" (full), then "second\n" at 2024-06-01 08:30:00.5 UTC (incremental)
 *   notes/b.txt      "b\n" (full), deleted before the incremental; notes/b-again.txt another name of it
 */
const fixture = join(__dirname, '..', 'fixtures', 'format-3-destination');
const source = 'tmp/dormouse-v3-fixture/src';
const photoSha256 = '105470961fffc40811f6a740a1f392532d8a3e2185a2847818354af8bab857df';

type Listed = Snapshot & { archivePath: string };

function setUp(t: Parameters<typeof importFixture>[0]) {
  const imported = importFixture(t, fixture);
  const listed = imported.cli(['snapshots', '--machine', 'all', '--json']).json<Listed[]>();
  return { ...imported, snapshots: listed };
}

test('format 3 archives import as two chains of a full and an incremental, each manifest saying format 3 with SHA-256 per file', (t) => {
  const { snapshots } = setUp(t);
  assert.deepEqual(snapshots.map((snapshot) => `${snapshot.scheduleName} ${snapshot.kind} ${snapshot.compression}`).sort(), ['Docs full none', 'Docs incremental none', 'DocsZ full gzip', 'DocsZ incremental gzip']);
  const full = snapshots.find((snapshot) => snapshot.scheduleName === 'Docs' && snapshot.kind === 'full') as Listed;
  const { manifest } = readLayout(full.archivePath);
  assert.equal(manifest.format, 3);
  const photo = manifest.entries.find((entry) => entry.path === `${source}/docs/photo.raw`);
  assert.equal(photo?.sha256, photoSha256);
  assert.equal(photo?.xxh128, undefined);
});

for (const compression of ['none', 'gzip'] as const) {
  test(`a format 3 incremental (${compression}) restores its tree exactly, checked by SHA-256, lists and verifies`, (t) => {
    const fixture = setUp(t);
    const { cli } = fixture;
    const { tree, target, id } = restoreFixtureIncremental(fixture, compression, source, 4, 'format 3 archives still restore\n');
    const incremental = { id };
    assert.equal(sha256File(join(tree, 'docs', 'photo.raw')), photoSha256);
    assert.equal(readFileSync(join(tree, 'notes', 'a.txt'), 'utf8'), 'second\n');
    assert.equal(statSync(join(tree, 'notes', 'a.txt'), { bigint: true }).mtimeNs, BigInt(Date.UTC(2024, 5, 1, 8, 30, 0)) * 1_000_000n + 500_000_000n);
    assert.ok(!existsSync(join(tree, 'notes', 'b.txt')), 'the file deleted before the incremental is not restored');
    assert.equal(readFileSync(join(tree, 'notes', 'b-again.txt'), 'utf8'), 'b\n');
    assert.equal(readlinkSync(join(tree, 'docs', 'link')), 'readme.txt');
    assert.ok(lstatSync(join(tree, 'docs', 'empty')).isDirectory());

    const again = cli(['restore', String(incremental.id), '--to', target, '--json']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.deepEqual(again.json<{ files: number; unchanged: number }>(), { ...again.json<object>(), files: 0, unchanged: 5 }, 'restored again over itself: every file (and the link) is found as in the snapshot, the files by their SHA-256');

    const verified = cli(['verify', String(incremental.id), '--json']);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const listing = cli(['ls', String(incremental.id), `/${source}/notes`, '--json']);
    assert.equal(listing.code, 0, listing.stderr);
    assert.deepEqual(listing.json<{ entries: { name: string }[] }>().entries.map((entry) => entry.name), ['a.txt', 'b-again.txt']);
  });
}

test('a flipped byte in a format 3 archive: the file fails its SHA-256, is listed as damaged and left out, verify names it', (t) => {
  const { root, cli, snapshots } = setUp(t);
  const full = snapshots.find((snapshot) => snapshot.scheduleName === 'Docs' && snapshot.kind === 'full') as Listed;
  const incremental = snapshots.find((snapshot) => snapshot.scheduleName === 'Docs' && snapshot.kind === 'incremental') as Listed;
  const photo = readLayout(full.archivePath).manifest.entries.find((entry) => entry.path === `${source}/docs/photo.raw`);
  assert.ok(photo);
  flipByte(full.archivePath, entryBlocks(tarStream(full.archivePath), photo.offset).content + 20_000);

  const target = join(root, 'back');
  const restored = cli(['restore', String(incremental.id), '--to', target, '--json']);
  assert.equal(restored.code, 1, restored.stdout + restored.stderr);
  const report = restored.json<{ files: number; damaged: string[] }>();
  assert.deepEqual(report.damaged, [`/${source}/docs/photo.raw`]);
  assert.equal(report.files, 3, 'every other file restored');
  assert.ok(!existsSync(join(target, source, 'docs', 'photo.raw')), 'nothing under the damaged file\'s name');
  assert.deepEqual(restoreTemporaries(target), [], 'and no temporary left');

  const verified = cli(['verify', String(full.id), '--json']);
  assert.equal(verified.code, 1, verified.stdout + verified.stderr);
  const [result] = verified.json<{ snapshots: { damaged: string[]; problems: string[] }[] }>().snapshots;
  assert.deepEqual(result?.damaged, [`/${source}/docs/photo.raw`]);
  assert.ok(result?.problems.some((problem) => problem === `${source}/docs/photo.raw: its content does not match the SHA-256 recorded at backup time (damaged)`), JSON.stringify(result?.problems));
});
