import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, fstatSync, lstatSync, readSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenedFile, openedFileFields } from '../../src-main/native/native-fs';
import { addonOrSkip, hasTool, run, temporaryFolderIn } from './native-kit';

/**
 * openFile: the one call that opens a source file for the archive. A small dense file comes back
 * read whole and closed, with its stat before and after; a larger or sparse one stays open; a FIFO
 * is not read (it would block) and a symlink is not followed. Checked against Node's own lstat and
 * reads, and setfattr for extended attributes.
 */

const addon = addonOrSkip();

function field(fields: Float64Array, name: keyof typeof OpenedFile): number {
  return fields[OpenedFile[name]] as number;
}

test('a small file is read whole and closed in one call, with the stat lstat gives', { skip: addon.skip }, (t) => {
  const root = temporaryFolderIn(t, tmpdir());
  const path = join(root, 'small.bin');
  const content = randomBytes(40_000);
  writeFileSync(path, content);
  const scratch = Buffer.alloc(64 * 1024);
  const fields = addon.fs!.openFile(path, scratch);
  const own = lstatSync(path, { bigint: true });
  assert.equal(field(fields, 'fd'), -1, 'closed');
  assert.equal(field(fields, 'read'), content.length);
  assert.deepEqual(scratch.subarray(0, content.length), content);
  assert.equal(field(fields, 'size'), Number(own.size));
  assert.equal(field(fields, 'ino'), Number(own.ino));
  assert.equal(BigInt(field(fields, 'mtimeSec')) * 1_000_000_000n + BigInt(field(fields, 'mtimeNsec')), own.mtimeNs);
  assert.equal(BigInt(field(fields, 'ctimeSec')) * 1_000_000_000n + BigInt(field(fields, 'ctimeNsec')), own.ctimeNs);
  assert.equal(field(fields, 'afterSize'), content.length);
  assert.equal(BigInt(field(fields, 'afterMtimeSec')) * 1_000_000_000n + BigInt(field(fields, 'afterMtimeNsec')), own.mtimeNs);
});

test('a file larger than the scratch buffer, or sparse, stays open and unread for the caller', { skip: addon.skip }, (t) => {
  const root = temporaryFolderIn(t, tmpdir());
  const large = join(root, 'large.bin');
  const content = randomBytes(100_000);
  writeFileSync(large, content);
  const fields = addon.fs!.openFile(large, Buffer.alloc(64 * 1024));
  const fd = field(fields, 'fd');
  assert.ok(fd >= 0, 'left open');
  assert.equal(field(fields, 'read'), -1);
  try {
    assert.equal(fstatSync(fd).ino, lstatSync(large).ino, 'the descriptor is the file');
    const head = Buffer.alloc(10);
    assert.equal(readSync(fd, head, 0, 10, null), 10);
    assert.deepEqual(head, content.subarray(0, 10), 'nothing was read from it yet');
  } finally {
    closeSync(fd);
  }
  const sparse = join(root, 'sparse.bin');
  run('truncate', ['-s', '1M', sparse]);
  const sparseFields = addon.fs!.openFile(sparse, Buffer.alloc(2 * 1024 * 1024));
  assert.ok(field(sparseFields, 'fd') >= 0, 'a sparse file is left for the caller, who keeps its holes');
  closeSync(field(sparseFields, 'fd'));
});

test('a FIFO is opened without blocking and not read; a symlink is refused, never followed', { skip: addon.skip }, (t) => {
  const root = temporaryFolderIn(t, tmpdir());
  const fifo = join(root, 'pipe');
  run('mkfifo', [fifo]);
  const fields = addon.fs!.openFile(fifo, Buffer.alloc(1024));
  assert.equal(field(fields, 'fd'), -1);
  assert.equal(field(fields, 'read'), -1);
  assert.equal(field(fields, 'mode') & 0o170000, 0o010000, 'a FIFO');
  writeFileSync(join(root, 'target'), 'x');
  symlinkSync('target', join(root, 'link'));
  assert.throws(() => addon.fs!.openFile(join(root, 'link'), Buffer.alloc(1024)), { code: 'ELOOP', syscall: 'open' });
  assert.throws(() => addon.fs!.openFile(join(root, 'missing'), Buffer.alloc(1024)), { code: 'ENOENT' });
});

test('it says whether a file has extended attributes, so a file without any costs no listing', { skip: addon.skip || (!hasTool('setfattr', ['--version']) && 'setfattr is not installed') }, (t) => {
  const root = temporaryFolderIn(t, tmpdir());
  const plain = join(root, 'plain');
  const tagged = join(root, 'tagged');
  writeFileSync(plain, 'a');
  writeFileSync(tagged, 'b');
  try {
    run('setfattr', ['-n', 'user.dormouse.test', '-v', 'yes', tagged]);
  } catch (error) {
    t.skip(`this file system takes no user xattrs here: ${(error as Error).message}`);
    return;
  }
  assert.equal(field(addon.fs!.openFile(plain, Buffer.alloc(1024)), 'xattrBytes'), 0);
  assert.ok(field(addon.fs!.openFile(tagged, Buffer.alloc(1024)), 'xattrBytes') >= 'user.dormouse.test'.length + 1);
});

test('given an array for its numbers, openFile fills that one and hands it back; an array of another kind or length is refused', { skip: addon.skip }, (t) => {
  const root = temporaryFolderIn(t, tmpdir());
  const path = join(root, 'small.bin');
  const content = randomBytes(3000);
  writeFileSync(path, content);
  const own = lstatSync(path);
  const fields = new Float64Array(openedFileFields).fill(-7);
  const scratch = Buffer.alloc(64 * 1024);
  assert.equal(addon.fs!.openFile(path, scratch, fields), fields, 'the same array back');
  assert.equal(field(fields, 'read'), content.length);
  assert.equal(field(fields, 'size'), own.size);
  assert.equal(field(fields, 'ino'), own.ino);
  assert.equal(field(fields, 'fd'), -1);
  assert.deepEqual(scratch.subarray(0, content.length), content);
  assert.throws(() => addon.fs!.openFile(path, scratch, new Float64Array(openedFileFields - 1)), { name: 'TypeError' });
  assert.throws(() => addon.fs!.openFile(path, scratch, new Float32Array(openedFileFields) as unknown as Float64Array), { name: 'TypeError' });
});
