import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArchiveOutput } from '../../src-main/archive-worker/archive-output';
import { startAgeFile } from '../../src-main/encryption/age-encryptor';
import { encodeRecipient, generateIdentity } from '../../src-main/encryption/age-keys';
import { formatKeyFile } from '../../src-main/encryption/key-file-text';
import { temporaryFolder } from '../helpers/cli';
import { noAge } from './age-kit';

/**
 * The archive output's sealing thread sealing the stream as age: whatever the pieces and however
 * they fall across the ring's slots and age's 64 KiB chunks (the last chunk full, or a payload of
 * nothing), Debian's `age -d -i` gives back exactly what was written, and the SHA-256 and length
 * reported are the encrypted file's.
 */

const kib = 1024;
const shapes: Record<string, { sizes: number[]; slotBytes: number }> = {
  'nothing at all (one empty last chunk)': { sizes: [], slotBytes: 64 * kib },
  'one byte': { sizes: [1], slotBytes: 64 * kib },
  'exactly one chunk, which is the last': { sizes: [64 * kib], slotBytes: 64 * kib },
  'one byte past a chunk': { sizes: [64 * kib + 1], slotBytes: 64 * kib },
  'exactly three chunks over three slots': { sizes: [64 * kib, 64 * kib, 64 * kib], slotBytes: 64 * kib },
  'chunks across slots of 100,000 bytes': { sizes: [99_999, 2, 300_000, 65_535, 131_072], slotBytes: 100_000 },
  'a megabyte-slot ring, several turns': { sizes: [3 * 1024 * kib + 17, 5, 1024 * kib], slotBytes: 1024 * kib },
  'megabyte slots over several direct stages': { sizes: [5 * 1024 * kib + 3, 65_536 * 3, 1], slotBytes: 1024 * kib },
};

for (const [shape, { sizes, slotBytes }] of Object.entries(shapes)) {
  test(`encrypted archive output, ${shape}: direct and page-cache writes alike, age -d -i gives back every byte; the SHA-256 and size are the encrypted file's`, { skip: noAge }, (t) => {
    const folder = temporaryFolder(t, 'dormouse-encrypted-output-');
    for (const directIo of [true, false]) checkShape(folder, sizes, slotBytes, directIo);
  });
}

/** Bytes of a file in the page cache (util-linux's fincore), or null without fincore. */
function cachedBytes(path: string): number | null {
  const result = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], { encoding: 'utf8' });
  return result.status === 0 ? Number(result.stdout.trim()) : null;
}

/** Writes the pieces through an encrypting output and checks the file with age. */
function checkShape(folder: string, sizes: number[], slotBytes: number, directIo: boolean): void {
  const identity = generateIdentity();
  const keyFile = join(folder, 'key.txt');
  writeFileSync(keyFile, formatKeyFile(identity));
  const pieces = sizes.map((size) => randomBytes(size));
  const plaintext = Buffer.concat(pieces);
  const path = join(folder, `archive-${directIo}.tar.age`);
  const output = new ArchiveOutput({ directIo, slotBytes, slots: 4, encryption: startAgeFile([encodeRecipient(identity.recipient)]) });
  output.open(path);
  const half = Math.floor(pieces.length / 2);
  pieces.forEach((piece, index) => {
    if (index === half) output.record();
    output.write(piece);
  });
  if (pieces.length === 0) output.record();
  const direct = output.direct;
  const result = output.finish();

  const cached = cachedBytes(path);
  if (direct && cached !== null && result.fileBytes > 2 * 1024 * kib) {
    assert.ok(cached < 1024 * kib + 64 * kib, `written with O_DIRECT a megabyte at a time: ${cached} of ${result.fileBytes} bytes are left in the page cache`);
  }
  const file = readFileSync(path);
  assert.equal(result.fileBytes, file.length, 'the reported size is the file on the disk');
  assert.equal(result.bytes, plaintext.length, 'and its plaintext length');
  assert.equal(result.sha256, createHash('sha256').update(file).digest('hex'), 'the SHA-256 is of the ciphertext');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const decrypted = spawnSync('age', ['-d', '-i', keyFile, path], { maxBuffer: 64 * 1024 * 1024 });
  assert.equal(decrypted.status, 0, String(decrypted.stderr));
  assert.ok(decrypted.stdout.equals(plaintext), `age -d gives back the ${plaintext.length} bytes written`);
  const recorded = output.recorded;
  const recordedFrom = pieces.slice(0, half).reduce((sum, piece) => sum + piece.length, 0);
  assert.equal(recorded?.start, pieces.length === 0 ? 0 : recordedFrom);
  assert.ok(Buffer.concat(recorded?.pieces ?? []).equals(plaintext.subarray(recorded?.start ?? 0)), 'what was recorded is the plaintext from there on');
}
