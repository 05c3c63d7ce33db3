import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ArchiveOutput } from '../../src-main/archive-worker/archive-output';
import { startAgeFile } from '../../src-main/encryption/age-encryptor';
import { generateIdentity } from '../../src-main/encryption/age-keys';
import { temporaryFolder } from '../helpers/cli';
import { mountSmallDisk } from '../helpers/small-disk';

/** Deterministic bytes that differ at every offset, so a misplaced or lost slot cannot go unseen. */
function pattern(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i += 1) bytes[i] = (i * 31 + seed * 7 + (i >> 9)) & 0xff;
  return bytes;
}

/** Writes the pieces through an ArchiveOutput with small slots (several ring turns), every other one in short reads through reserve/commit. */
function writeThrough(path: string, pieces: Buffer[], directIo: boolean): { sha256: string; bytes: number; direct: boolean } {
  const output = new ArchiveOutput({ directIo, slotBytes: 64 * 1024, slots: 4 });
  output.open(path);
  pieces.forEach((piece, index) => {
    if (index % 2 === 0) {
      output.write(piece);
      return;
    }
    // As a file is read in: into reserved slices, each filled only partly (a short read).
    for (let done = 0; done < piece.length; ) {
      const slice = output.reserve(piece.length - done);
      const read = piece.copy(slice, 0, done, done + Math.min(slice.length, 777));
      output.commit(read);
      done += read;
    }
  });
  const direct = output.direct;
  return { ...output.finish(), direct };
}

const shapes: Record<string, number[]> = {
  empty: [],
  'smaller than one block of the device': [100],
  'exactly one slot': [64 * 1024],
  'one byte past a slot': [64 * 1024 + 1],
  'many odd pieces over several turns of the ring': [1, 511, 513, 4095, 4097, 65_535, 65_537, 200_000, 3, 700_001, 12_345],
};

for (const [shape, sizes] of Object.entries(shapes)) {
  test(`archive output, ${shape}: direct and page-cache writes give the same file, its SHA-256 and length, mode 0600`, (t) => {
    const folder = temporaryFolder(t, 'dormouse-output-');
    const pieces = sizes.map((size, index) => pattern(size, index + 1));
    const expected = Buffer.concat(pieces);
    for (const directIo of [true, false]) {
      const path = join(folder, `archive-${directIo}.tar`);
      const result = writeThrough(path, pieces, directIo);
      const written = readFileSync(path);
      assert.equal(written.length, expected.length, `the file is exactly as long as what was written (directIo ${directIo})`);
      assert.ok(written.equals(expected), `every byte is where it was written (directIo ${directIo})`);
      assert.equal(result.bytes, expected.length);
      assert.equal(result.sha256, createHash('sha256').update(expected).digest('hex'), 'the SHA-256 is that of the file');
      assert.equal(statSync(path).mode & 0o777, 0o600, 'archives are private');
    }
  });
}

test('on ext4 (a drive) full buffers go around the page cache, leaving the user\'s cached files alone, with the same bytes as a page-cache write', (t) => {
  const ext4 = mountSmallDisk(t, 64, 'ext4');
  if (ext4 === null) {
    t.skip('mounting a small ext4 is not allowed here');
    return;
  }
  const pieces = [pattern(8 * 1024 * 1024, 5), pattern(777, 6)];
  const direct = writeThrough(join(ext4, 'direct.tar'), pieces, true);
  const cached = writeThrough(join(ext4, 'cached.tar'), pieces, false);
  assert.equal(direct.direct, true, 'ext4 takes direct I/O');
  assert.equal(cached.direct, false);
  assert.equal(direct.sha256, cached.sha256);
  assert.ok(readFileSync(join(ext4, 'direct.tar')).equals(readFileSync(join(ext4, 'cached.tar'))));
  // fincore counts a file's pages held in memory (the files above were read back, so two fresh
  // ones): right after writing, only the unaligned tail of the direct one is there.
  const resident = (name: string) => {
    const fincore = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', join(ext4, name)], { encoding: 'utf8' });
    return fincore.status === 0 ? Number(fincore.stdout.trim()) : null;
  };
  writeThrough(join(ext4, 'direct-again.tar'), pieces, true);
  writeThrough(join(ext4, 'cached-again.tar'), pieces, false);
  const directResident = resident('direct-again.tar');
  const cachedResident = resident('cached-again.tar');
  if (directResident === null || cachedResident === null) return;
  assert.ok(directResident < 1024 * 1024, `at most the tail of an 8 MiB archive written directly stays in the page cache (${directResident} bytes)`);
  assert.ok(cachedResident >= 8 * 1024 * 1024, `while one written through the cache fills it (${cachedResident} bytes)`);
});

test('on tmpfs (standing in for anything that is not a local disk, such as a network share) the archive goes through the page cache, with the same bytes', (t) => {
  const tmpfs = mountSmallDisk(t, 32, 'tmpfs');
  const ext4 = mountSmallDisk(t, 32, 'ext4');
  if (tmpfs === null || ext4 === null) {
    t.skip('mounting small file systems is not allowed here');
    return;
  }
  const pieces = [pattern(3 * 1024 * 1024, 7), pattern(1000, 8)];
  const onTmpfs = writeThrough(join(tmpfs, 'archive.tar'), pieces, true);
  const onExt4 = writeThrough(join(ext4, 'archive.tar'), pieces, true);
  assert.equal(onTmpfs.direct, false, 'direct I/O is used on local disk file systems only');
  assert.equal(onExt4.direct, true);
  assert.equal(onTmpfs.sha256, onExt4.sha256);
  assert.ok(readFileSync(join(tmpfs, 'archive.tar')).equals(readFileSync(join(ext4, 'archive.tar'))));
});

test('a write error in the writing thread (the drive full) reaches the builder with its code, plain or encrypted, and the file can be abandoned', async (t) => {
  for (const fileSystem of ['ext4', 'tmpfs'] as const) {
    const disk = mountSmallDisk(t, 24, fileSystem);
    if (disk === null) {
      t.skip('mounting small file systems is not allowed here');
      return;
    }
    for (const encrypted of [false, true]) {
      const encryption = encrypted ? startAgeFile([generateIdentity().recipient]) : undefined;
      const output = new ArchiveOutput({ slotBytes: 256 * 1024, slots: 4, encryption });
      output.open(join(disk, `archive-${encrypted}.tar.partial`));
      const chunk = pattern(1024 * 1024, 9);
      let failure: NodeJS.ErrnoException | null = null;
      try {
        for (let i = 0; i < 64; i += 1) output.write(chunk);
        output.finish();
      } catch (error) {
        failure = error as NodeJS.ErrnoException;
      }
      const what = `${encrypted ? 'an encrypted' : 'a plain'} archive on ${fileSystem}`;
      assert.ok(failure, `writing 64 MiB of ${what} to a 24 MiB disk fails`);
      assert.equal(failure.code, 'ENOSPC', `the error keeps its code for ${what}: ${failure.message}`);
      await output.abandon();
    }
  }
});
