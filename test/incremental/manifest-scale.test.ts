import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bench, put, day, restoredSource } from './incremental-kit';

/**
 * Format 3's manifest (#15): an incremental writes what changed, not the tree, so a no-change
 * incremental of a 20,000-file tree is as small as one of a 2,000-file tree; the manifest is
 * gzip-compressed JSON lines that `tar -xOf … | zcat` reads; deletions are lines of their own.
 */

/** `count` small files in folders of 1,000 (as a source tree of many small files is laid out). */
function manyFiles(folder: string, count: number): void {
  for (let start = 0; start < count; start += 1000) {
    const sub = join(folder, `d${String(start / 1000).padStart(3, '0')}`);
    mkdirSync(sub, { recursive: true });
    for (let index = start; index < Math.min(count, start + 1000); index += 1) writeFileSync(join(sub, `f${index}.txt`), `file ${index}\n`);
  }
}

/** The manifest's lines, read with GNU tar and gzip alone: no Dormouse code. */
function manifestLines(archivePath: string): Record<string, unknown>[] {
  const tar = spawnSync('tar', ['-xOf', archivePath, '.dormouse/manifest.jsonl.gz'], { maxBuffer: 1 << 30 });
  assert.equal(tar.status, 0, tar.stderr?.toString());
  const zcat = spawnSync('gzip', ['-dc'], { input: tar.stdout, maxBuffer: 1 << 30 });
  assert.equal(zcat.status, 0, zcat.stderr?.toString());
  return zcat.stdout.toString('utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('a no-change incremental of 20,000 files writes no more than one of 2,000 files, and under 16 KiB', (t) => {
  const sizes: number[] = [];
  for (const count of [2_000, 20_000]) {
    const b = bench(t);
    manyFiles(b.src, count);
    const full = b.backup();
    assert.equal(full.snapshot.files, count);
    const incremental = b.backup();
    assert.equal(incremental.snapshot.kind, 'incremental');
    assert.equal(incremental.snapshot.files, count, 'the incremental snapshot still describes the whole tree');
    sizes.push(statSync(incremental.snapshot.archivePath).size);
    rmSync(b.root, { recursive: true, force: true });
  }
  const [small, large] = sizes as [number, number];
  assert.ok(large < 16 * 1024, `the 20,000-file no-change incremental is ${large} bytes`);
  assert.ok(large <= small + 1024, `no-change incrementals: ${small} bytes at 2,000 files, ${large} at 20,000`);
});

test('the manifest is JSON lines in gzip that tar and zcat read: a header, every entry of a full, only changes and deletions in an incremental', (t) => {
  const b = bench(t);
  mkdirSync(join(b.src, 'keep'));
  put(join(b.src, 'keep', 'same.txt'), 'unchanged\n', day(1));
  put(join(b.src, 'edit.txt'), 'before\n', day(1));
  put(join(b.src, 'gone.txt'), 'deleted later\n', day(1));
  const full = b.backup();
  const fullLines = manifestLines(full.snapshot.archivePath);
  assert.equal(fullLines[0]?.dormouse, 'manifest');
  assert.equal(fullLines[0]?.format, 4);
  assert.deepEqual(
    fullLines.slice(1).map((line) => line.path),
    ['', '/edit.txt', '/gone.txt', '/keep', '/keep/same.txt'].map((rel) => `${b.srcEntry}${rel}`),
    'every entry, folders before what they hold, names sorted',
  );
  const edited = fullLines.find((line) => line.path === `${b.srcEntry}/edit.txt`);
  assert.equal(edited?.xxh128, execFileSync('xxh128sum', [join(b.src, 'edit.txt')], { encoding: 'utf8' }).split(' ')[0], "each file's XXH3-128, as xxh128sum gives it");
  assert.equal(edited?.sha256, undefined, 'and no SHA-256 beside it');

  put(join(b.src, 'edit.txt'), 'after, longer\n', day(2));
  rmSync(join(b.src, 'gone.txt'));
  const incremental = b.backup();
  const lines = manifestLines(incremental.snapshot.archivePath);
  assert.equal(lines[0]?.dormouse, 'manifest');
  const body = lines.slice(1).map((line) => `${String(line.path).slice(b.srcEntry.length) || '.'}${line.deleted === true ? ' deleted' : ` ${String(line.type)}`}`);
  assert.deepEqual(body, ['. directory', '/edit.txt file', '/gone.txt deleted'], 'the changed file, the folder above it, and the deletion');

  const back = b.restore(incremental.snapshot.id);
  assert.deepEqual([...restoredSource(back.folder, b.src)].sort(), [['edit.txt', 'after, longer\n'], ['keep', 'dir'], ['keep/same.txt', 'unchanged\n']]);
});

test('a new exclude inside an unchanged folder, beside a changed file: the folder is stored before both, the manifest stays in order, and each snapshot restores its own tree', (t) => {
  const b = bench(t);
  mkdirSync(join(b.src, 'keep', 'cache'), { recursive: true });
  put(join(b.src, 'keep', 'cache', 'big.bin'), 'cached\n', day(1));
  put(join(b.src, 'keep', 'notes.txt'), 'first\n', day(1));
  put(join(b.src, 'other.txt'), 'other\n', day(1));
  const full = b.backup();
  b.ok(['schedule', 'edit', 'S', '--exclude', 'cache']);
  // notes.txt is rewritten in place: keep/ itself is unchanged (same entries, same times).
  put(join(b.src, 'keep', 'notes.txt'), 'second\n', day(2));
  const incremental = b.backup();
  const body = manifestLines(incremental.snapshot.archivePath)
    .slice(1)
    .map((line) => `${String(line.path).slice(b.srcEntry.length) || '.'}${line.deleted === true ? ' deleted' : ''}`);
  assert.deepEqual(body, ['.', '/keep', '/keep/cache deleted', '/keep/cache/big.bin deleted', '/keep/notes.txt'], 'the folders above first, then the deletions below them, then the changed file');
  const now = b.restore(incremental.snapshot.id);
  assert.deepEqual([...restoredSource(now.folder, b.src)].sort(), [['keep', 'dir'], ['keep/notes.txt', 'second\n'], ['other.txt', 'other\n']]);
  const then = b.restore(full.snapshot.id);
  assert.deepEqual([...restoredSource(then.folder, b.src)].sort(), [['keep', 'dir'], ['keep/cache', 'dir'], ['keep/cache/big.bin', 'cached\n'], ['keep/notes.txt', 'first\n'], ['other.txt', 'other\n']]);
  assert.equal(b.cli(['verify', String(incremental.snapshot.id), '--json']).code, 0);
});
