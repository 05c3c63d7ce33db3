import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addonOrSkip, hasTool, run, temporaryFolderIn } from './native-kit';

/**
 * The data segments of sparse and dense files through the addon. The files are made with
 * truncate and dd, so where the data lies is known; stat's block count and filefrag's extents
 * confirm the file system kept the holes.
 */

const addon = addonOrSkip();
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const island = 16 * 1024;
const firstIsland = 64 * MiB; // dd seek=4096 with bs=16K
const secondIsland = 768 * MiB; // dd seek=49152 with bs=16K

function withFd<T>(path: string, use: (fd: number) => T): T {
  const fd = openSync(path, 'r');
  try {
    return use(fd);
  } finally {
    closeSync(fd);
  }
}

/** filefrag's extents (synced first) as [start, end) byte ranges, neighbours merged. */
function filefragRanges(path: string): [number, number][] {
  const ranges: [number, number][] = [];
  for (const match of run('filefrag', ['-s', '-v', '-b1', path]).matchAll(/^\s*\d+:\s+(\d+)\.\.\s*(\d+):/gm)) {
    const [start, end] = [Number(match[1]), Number(match[2]) + 1];
    const last = ranges.at(-1);
    if (last && last[1] === start) last[1] = end;
    else ranges.push([start, end]);
  }
  return ranges;
}

test('a 1 GiB sparse file with two 16 KiB islands gives exactly those two segments', { skip: addon.skip }, (t) => {
  const fs = addon.fs!;
  const file = join(temporaryFolderIn(t, tmpdir()), 'sparse');
  run('truncate', ['-s', '1G', file]);
  run('dd', ['if=/dev/urandom', `of=${file}`, 'bs=16K', 'count=1', 'seek=4096', 'conv=notrunc', 'status=none']);
  run('dd', ['if=/dev/urandom', `of=${file}`, 'bs=16K', 'count=1', 'seek=49152', 'conv=notrunc', 'status=none']);
  const blocks = Number(run('stat', ['-c', '%b', file]).trim());
  if (blocks * 512 > 4 * MiB) return t.skip(`this file system stored the sparse file whole (${blocks} blocks): it keeps no holes`);
  assert.equal(Number(run('stat', ['-c', '%s', file]).trim()), GiB);

  const ranges = withFd(file, (fd) => fs.dataRanges(fd, GiB));
  assert.deepEqual(ranges, [firstIsland, island, secondIsland, island]);
  if (hasTool('filefrag', ['-V'])) {
    assert.deepEqual(filefragRanges(file), [[firstIsland, firstIsland + island], [secondIsland, secondIsland + island]], 'filefrag sees the same extents');
  }

  // A size below the file's own cuts the segments there.
  assert.deepEqual(withFd(file, (fd) => fs.dataRanges(fd, firstIsland + 4096)), [firstIsland, 4096]);
  assert.deepEqual(withFd(file, (fd) => fs.dataRanges(fd, firstIsland)), []);
});

test('a dense file is one segment, a file of holes or of nothing is none', { skip: addon.skip }, (t) => {
  const fs = addon.fs!;
  const folder = temporaryFolderIn(t, tmpdir());
  const dense = join(folder, 'dense');
  writeFileSync(dense, randomBytes(300_001));
  assert.equal(Number(run('stat', ['-c', '%s', dense]).trim()), 300_001);
  assert.deepEqual(withFd(dense, (fd) => fs.dataRanges(fd, 300_001)), [0, 300_001]);

  const holes = join(folder, 'holes');
  run('truncate', ['-s', '10M', holes]);
  if (Number(run('stat', ['-c', '%b', holes]).trim()) === 0) {
    assert.deepEqual(withFd(holes, (fd) => fs.dataRanges(fd, 10 * MiB)), []);
  } else {
    t.diagnostic('this file system allocated a truncated file: the all-holes case is not checked');
  }

  const empty = join(folder, 'empty');
  writeFileSync(empty, '');
  assert.deepEqual(withFd(empty, (fd) => fs.dataRanges(fd, 0)), []);
});

test('dataRanges leaves the file offset where it was, and refuses a closed descriptor', { skip: addon.skip }, (t) => {
  const fs = addon.fs!;
  const file = join(temporaryFolderIn(t, tmpdir()), 'text');
  writeFileSync(file, 'abcdefghij');
  withFd(file, (fd) => {
    const buffer = Buffer.alloc(3);
    readSync(fd, buffer, 0, 3, null);
    assert.deepEqual(fs.dataRanges(fd, 10), [0, 10]);
    readSync(fd, buffer, 0, 3, null);
    assert.equal(buffer.toString(), 'def', 'the next read goes on after the first');
  });
  const closed = openSync(file, 'r');
  closeSync(closed);
  assert.throws(() => fs.dataRanges(closed, 10), { code: 'EBADF', syscall: 'lseek' });
});
