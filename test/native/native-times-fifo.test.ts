import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addonOrSkip, run, temporaryFolderIn, tool } from './native-kit';

/**
 * Nanosecond times (before 1970, after 2038, on a symlink itself or through it) and FIFOs through
 * the addon, each read back with stat(1) in UTC.
 */

const addon = addonOrSkip();
const statOf = (path: string, format: string, follow = false) => run('stat', [...(follow ? ['-L'] : []), '-c', format, path]).trim();

test('times to the nanosecond, before 1970 and after 2038, read back exactly by stat', { skip: addon.skip }, (t) => {
  const fs = addon.fs!;
  const file = join(temporaryFolderIn(t, tmpdir()), 'file');
  writeFileSync(file, 'data');

  fs.setTimes(file, 1_700_000_000_999_999_999n, 1_000_000_000_999_999_999n, false);
  assert.equal(statOf(file, '%x|%y|%F'), '2023-11-14 22:13:20.999999999 +0000|2001-09-09 01:46:40.999999999 +0000|regular file');

  // 1960-01-01T00:00:00Z is -315619200 s; the nanoseconds count up from there.
  fs.setTimes(file, -315_619_200_000_000_000n + 123_456_789n, -1n, false);
  assert.equal(statOf(file, '%x|%y'), '1960-01-01 00:00:00.123456789 +0000|1969-12-31 23:59:59.999999999 +0000');

  // 2100-01-01T00:00:00Z is 4102444800 s, past the 32-bit end of 2038.
  fs.setTimes(file, 4_102_444_800_000_000_005n, 4_102_444_800_999_999_999n, true);
  assert.equal(statOf(file, '%x|%y'), '2100-01-01 00:00:00.000000005 +0000|2100-01-01 00:00:00.999999999 +0000');
});

test('a symlink gets its own times unless followLinks, and then its target gets them', { skip: addon.skip }, (t) => {
  const fs = addon.fs!;
  const folder = temporaryFolderIn(t, tmpdir());
  const target = join(folder, 'target');
  const link = join(folder, 'link');
  writeFileSync(target, 'data');
  symlinkSync('target', link);
  fs.setTimes(target, 1_000_000_000_000_000_000n, 1_000_000_000_000_000_000n, false);

  fs.setTimes(link, 1_234_567_890_500_000_000n, 1_234_567_890_500_000_001n, false);
  assert.equal(statOf(link, '%y|%F'), '2009-02-13 23:31:30.500000001 +0000|symbolic link');
  assert.equal(statOf(target, '%y'), '2001-09-09 01:46:40.000000000 +0000', 'the target is untouched');

  fs.setTimes(link, -86_400_000_000_000n, -86_400_000_000_001n, true);
  assert.equal(statOf(target, '%x|%y'), '1969-12-31 00:00:00.000000000 +0000|1969-12-30 23:59:59.999999999 +0000');
  assert.equal(statOf(link, '%y'), '2009-02-13 23:31:30.500000001 +0000', 'the link is untouched');
});

test('setTimes refuses numbers and missing files the way Node does', { skip: addon.skip }, (t) => {
  const fs = addon.fs!;
  const missing = join(temporaryFolderIn(t, tmpdir()), 'missing');
  assert.throws(() => fs.setTimes(missing, 0n, 0n, false), { code: 'ENOENT', errno: -2, syscall: 'utimensat', path: missing });
  assert.throws(() => fs.setTimes(missing, 0 as unknown as bigint, 0n, false), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => fs.setTimes(missing, 2n ** 64n, 0n, false), { code: 'ERR_OUT_OF_RANGE' });
});

test('settleFolder gives a folder its mode, owner and nanosecond time in one call, and leaves a link in a folder\'s place and a file as they are', { skip: addon.skip }, (t) => {
  const fs = addon.fs!;
  const root = temporaryFolderIn(t, tmpdir());
  const folder = join(root, 'folder');
  const target = join(root, 'target');
  const file = join(root, 'file');
  mkdirSync(folder, { mode: 0o700 });
  mkdirSync(target, { mode: 0o700 });
  writeFileSync(file, 'data', { mode: 0o600 });
  symlinkSync('target', join(root, 'link'));
  const errors = new Int32Array(3).fill(-1);
  const asRoot = process.getuid?.() === 0;

  fs.settleFolder(folder, asRoot ? 1234 : -1, asRoot ? 5678 : -1, 0o2751, -315_619_200_000_000_001n, errors);
  assert.deepEqual([...errors], [0, 0, 0]);
  assert.equal(statOf(folder, '%a|%y|%F'), '2751|1959-12-31 23:59:59.999999999 +0000|directory');
  if (asRoot) assert.equal(statOf(folder, '%u:%g'), '1234:5678');

  fs.settleFolder(join(root, 'link'), -1, -1, 0o777, 0n, errors);
  assert.ok(errors[2] === osConstants.errno.ENOTDIR || errors[2] === osConstants.errno.ELOOP, `a symlink is never followed (errno ${errors[2]})`);
  assert.equal(statOf(target, '%a'), '700', "the link's target keeps its mode");
  fs.settleFolder(file, -1, -1, 0o777, 0n, errors);
  assert.equal(errors[2], osConstants.errno.ENOTDIR);
  assert.equal(statOf(file, '%a'), '600', 'a file in a folder\'s place keeps its mode');
  fs.settleFolder(join(root, 'missing'), -1, -1, 0o777, 0n, errors);
  assert.equal(errors[2], osConstants.errno.ENOENT);
  assert.throws(() => fs.settleFolder(folder, -1, -1, 0o755, 0n, new Int32Array(2)), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('mkfifo makes a named pipe with the mode asked, also under a name that is not UTF-8', { skip: addon.skip }, (t) => {
  const fs = addon.fs!;
  const folder = temporaryFolderIn(t, tmpdir());
  const fifo = join(folder, 'pipe');
  const previousUmask = process.umask(0o022);
  t.after(() => process.umask(previousUmask));

  fs.mkfifo(fifo, 0o640);
  assert.equal(statOf(fifo, '%F|%a'), 'fifo|640');
  assert.throws(() => fs.mkfifo(fifo, 0o640), { code: 'EEXIST', syscall: 'mkfifo', path: fifo });

  const rawName = Buffer.from([0x70, 0xff, 0xfe]);
  fs.mkfifo(Buffer.concat([Buffer.from(`${folder}/`), rawName]), 0o600);
  const listed = readdirSync(folder, { encoding: 'buffer' }).map((name) => name.toString('hex')).sort();
  assert.deepEqual(listed, [Buffer.from('pipe').toString('hex'), rawName.toString('hex')].sort());
  const found = tool('find', [folder, '-type', 'p', '-perm', '600', '-printf', '%f\\0']);
  assert.equal(found.stdout.toString('hex'), `${rawName.toString('hex')}00`, 'find sees the second FIFO, mode 600, under its raw name');
});
