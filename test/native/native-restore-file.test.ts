import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestoreFileResult } from '../../src-main/native/native-fs';
import { addonOrSkip, run, temporaryFolderIn } from './native-kit';

/**
 * The addon's XXH3-128 (what format 4 records for each file) against Debian's xxh128sum, and
 * restoreFile, which restores one small file of a plain archive in one call: the bytes at an offset
 * of the archive, checked, written to a new temporary twin, given mode and time, renamed. Every way
 * it can end leaves either the file under its name or nothing at all (only a failed rename leaves
 * its twin, for the restore to remove).
 */

const addon = addonOrSkip();
const statOf = (path: string, format: string) => run('stat', ['-c', format, path]).trim();

test('XXH3-128 in one call and piece by piece gives what xxh128sum prints, for empty, small and multi-megabyte contents', { skip: addon.skip }, (t) => {
  const fs = addon.fs!;
  const folder = temporaryFolderIn(t, tmpdir());
  for (const size of [0, 1, 240, 4096, 3 * 1024 * 1024 + 17]) {
    const content = randomBytes(size);
    const file = join(folder, `f${size}`);
    writeFileSync(file, content);
    const printed = run('xxh128sum', [file]).split(' ')[0];
    const whole = Buffer.alloc(20);
    fs.xxh128(content, whole, 4);
    assert.equal(whole.toString('hex', 4), printed, `${size} bytes in one call`);
    const state = Buffer.alloc(fs.xxh128StateBytes);
    fs.xxh128Reset(state);
    for (let at = 0; at < size; at += 65_537) fs.xxh128Update(state, content.subarray(at, at + 65_537));
    const pieces = Buffer.alloc(16);
    fs.xxh128Digest(state, pieces, 0);
    assert.equal(pieces.toString('hex'), printed, `${size} bytes piece by piece`);
  }
});

/** An "archive": a file holding the content at an offset, opened for reading, and a restore's scratch and result. */
function setUp(t: Parameters<typeof temporaryFolderIn>[0]) {
  const folder = temporaryFolderIn(t, tmpdir());
  const content = randomBytes(5000);
  const archive = join(folder, 'archive.tar');
  writeFileSync(archive, Buffer.concat([randomBytes(1536), content, randomBytes(512)]));
  const fd = openSync(archive, 'r');
  t.after(() => closeSync(fd));
  const target = join(folder, 'target');
  mkdirSync(target);
  const digest = Buffer.from(run('sh', ['-c', `tail -c +1537 '${archive}' | head -c 5000 | xxh128sum`]).split(' ')[0] as string, 'hex');
  return { folder, content, fd, target, digest, scratch: Buffer.alloc(1 << 20), result: new Int32Array(4) };
}

test('a file whose bytes match: under its name with its mode and nanosecond time, no twin left', { skip: addon.skip }, (t) => {
  const { content, fd, target, digest, scratch, result } = setUp(t);
  const destination = join(target, 'photo.jpg');
  addon.fs!.restoreFile(fd, 1536, 5000, join(target, '.twin'), destination, digest, -1, -1, 0o640, 1_000_000_000_123_456_789n, scratch, result, false);
  assert.deepEqual([...result], [RestoreFileResult.restored, 0, 0, 0]);
  assert.deepEqual(readFileSync(destination), content);
  assert.equal(statOf(destination, '%a|%y'), '640|2001-09-09 01:46:40.123456789 +0000');
  assert.deepEqual(readdirSync(target), ['photo.jpg']);
});

test('bytes that do not match the recorded hash are never written: damaged, nothing under either name', { skip: addon.skip }, (t) => {
  const { fd, target, digest, scratch, result } = setUp(t);
  digest[0] = (digest[0] as number) ^ 1;
  addon.fs!.restoreFile(fd, 1536, 5000, join(target, '.twin'), join(target, 'photo.jpg'), digest, -1, -1, 0o644, 0n, scratch, result, false);
  assert.equal(result[0], RestoreFileResult.damaged);
  assert.deepEqual(readdirSync(target), []);
});

test('an archive that ends inside the file: read failed (errno 0), nothing written', { skip: addon.skip }, (t) => {
  const { fd, target, scratch, result } = setUp(t);
  addon.fs!.restoreFile(fd, 6000, 5000, join(target, '.twin'), join(target, 'photo.jpg'), null, -1, -1, 0o644, 0n, scratch, result, false);
  assert.deepEqual([result[0], result[1]], [RestoreFileResult.readFailed, 0]);
  assert.deepEqual(readdirSync(target), []);
});

test('a twin that already exists is never written over (O_EXCL): open failed with EEXIST, the other file left as it was', { skip: addon.skip }, (t) => {
  const { fd, target, digest, scratch, result } = setUp(t);
  writeFileSync(join(target, '.twin'), 'someone else\n');
  addon.fs!.restoreFile(fd, 1536, 5000, join(target, '.twin'), join(target, 'photo.jpg'), digest, -1, -1, 0o644, 0n, scratch, result, false);
  assert.deepEqual([result[0], result[1]], [RestoreFileResult.openFailed, 17]);
  assert.equal(readFileSync(join(target, '.twin'), 'utf8'), 'someone else\n');
  assert.ok(!existsSync(join(target, 'photo.jpg')));
});

test('a rename that fails (its folder is gone) says so and leaves the twin for the restore to remove', { skip: addon.skip }, (t) => {
  const { fd, target, digest, scratch, result } = setUp(t);
  addon.fs!.restoreFile(fd, 1536, 5000, join(target, '.twin'), join(target, 'missing', 'photo.jpg'), digest, -1, -1, 0o644, 0n, scratch, result, false);
  assert.deepEqual([result[0], result[1]], [RestoreFileResult.renameFailed, 2]);
  assert.deepEqual(readdirSync(target), ['.twin']);
});

test('bad arguments are type errors, not a crash', { skip: addon.skip }, (t) => {
  const { fd, target, digest, result } = setUp(t);
  assert.throws(() => addon.fs!.restoreFile(fd, 1536, 5000, join(target, '.twin'), join(target, 'a'), digest, -1, -1, 0o644, 0n, Buffer.alloc(100), result, false), /scratch must hold length bytes/);
  assert.throws(() => addon.fs!.restoreFile(fd, 1536, 5000, join(target, '.twin'), join(target, 'a'), Buffer.alloc(8), -1, -1, 0o644, 0n, Buffer.alloc(5000), result, false), /expected must be a Buffer of 16 bytes or null/);
  assert.throws(() => addon.fs!.restoreFile(fd, 1536, 5000, join(target, '.twin'), join(target, 'a'), digest, -1, -1, 0o644, 0n, Buffer.alloc(5000), new Int32Array(2), false), /result must be an Int32Array of 4/);
  assert.deepEqual(readdirSync(target), []);
});

/** A tar GNU tar wrote in the POSIX format (a PAX header with the nanosecond time before each file's ustar header), and where each member's headers start. */
function gnuTar(t: Parameters<typeof temporaryFolderIn>[0], files: Record<string, Buffer>) {
  const folder = temporaryFolderIn(t, tmpdir());
  const source = join(folder, 'source');
  mkdirSync(source);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(source, name), content);
  const archive = join(folder, 'archive.tar');
  run('tar', ['--format=posix', '-C', source, '-cf', archive, ...Object.keys(files)]);
  // tar -tvR prints each member's block number.
  const starts = new Map(run('tar', ['-tR', '-f', archive]).split('\n').filter((line) => line.startsWith('block ')).map((line) => {
    const [, block, name] = /^block (\d+): (.*)$/.exec(line) as RegExpExecArray;
    return [name as string, Number(block) * 512] as const;
  }));
  const fd = openSync(archive, 'r');
  t.after(() => closeSync(fd));
  const target = join(folder, 'target');
  mkdirSync(target);
  const digestOf = (name: string) => Buffer.from(run('xxh128sum', [join(source, name)]).split(' ')[0] as string, 'hex');
  return { fd, starts, target, digestOf, scratch: Buffer.alloc(1 << 20), result: new Int32Array(4) };
}

test('after its headers: the content of a file GNU tar archived behind a PAX header is found and restored', { skip: addon.skip }, (t) => {
  const small = randomBytes(3000);
  const large = randomBytes(200_000);
  const { fd, starts, target, digestOf, scratch, result } = gnuTar(t, { 'small.bin': small, 'large.bin': large });
  for (const [name, content] of [['small.bin', small], ['large.bin', large]] as const) {
    const at = starts.get(name) as number;
    addon.fs!.restoreFile(fd, at, content.length, join(target, '.twin'), join(target, name), digestOf(name), -1, -1, 0o600, 0n, scratch, result, true);
    assert.deepEqual([...result], [RestoreFileResult.restored, 0, 0, 0], name);
    assert.deepEqual(readFileSync(join(target, name)), content, name);
  }
});

test('after its headers: an offset that is not a file of that length, or not a header at all, is "not at its offset", and nothing is written', { skip: addon.skip }, (t) => {
  const { fd, starts, target, digestOf, scratch, result } = gnuTar(t, { 'a.bin': randomBytes(3000), 'b.bin': randomBytes(100) });
  const at = starts.get('a.bin') as number;
  const tries: [string, number, number][] = [
    ['the right headers, another length', at, 2999],
    ['the middle of its content', at + 1536, 3000],
    ['the end of the archive', 10 * 1024 * 1024, 3000],
  ];
  for (const [what, position, length] of tries) {
    addon.fs!.restoreFile(fd, position, length, join(target, '.twin'), join(target, 'a.bin'), digestOf('a.bin'), -1, -1, 0o600, 0n, scratch, result, true);
    assert.equal(result[0], RestoreFileResult.notAtOffset, what);
  }
  addon.fs!.restoreFile(fd, starts.get('b.bin') as number, 100, join(target, '.twin'), join(target, 'a.bin'), digestOf('a.bin'), -1, -1, 0o600, 0n, scratch, result, true);
  assert.equal(result[0], RestoreFileResult.damaged, "another file's headers and content of the same length: its bytes fail the hash");
  assert.deepEqual(readdirSync(target), []);
});
