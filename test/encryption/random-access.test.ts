import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DormouseError } from '../../shared/errors';
import { createDecryptStream } from '../../src-main/encryption/age-decrypt-stream';
import { openAgeFile } from '../../src-main/encryption/age-file-reader';
import { encodeIdentity, encodeRecipient, generateIdentity } from '../../src-main/encryption/age-keys';
import { DamagedRangeError } from '../../src-main/encryption/damaged-range-error';
import { identityUnlocker } from '../../src-main/encryption/x25519-stanza';
import { temporaryFolder } from '../helpers/cli';
import { encryptInPieces, noAge, plaintextOf, withOpenFile } from './age-kit';

/**
 * Reading a plaintext range decrypts only the chunks that hold it (age's chunks sit at the header
 * length + 16 + i × 65,552), and a chunk altered on the destination is reported as exactly the
 * 64 KiB of plaintext it held while every other chunk still reads.
 */

const KiB64 = 65536;
const plaintextSize = 10 * KiB64 + 5000;

/** The header's length read off the file the way a person would: up to the line after "---". */
function headerLength(file: Buffer): number {
  const macLine = file.indexOf('\n--- ');
  return file.indexOf('\n', macLine + 1) + 1;
}

function encryptedFile(t: { after: (fn: () => void) => void }) {
  const folder = temporaryFolder(t);
  const identity = generateIdentity();
  const plaintext = plaintextOf(plaintextSize);
  const path = join(folder, 'archive.tar.age');
  const { ciphertext } = encryptInPieces(plaintext, encodeRecipient(identity.recipient));
  writeFileSync(path, ciphertext);
  return { folder, identity, plaintext, path, ciphertext };
}

test('a range inside chunks 3 and 4 reads only the header and those two chunks', async (t) => {
  const { identity, plaintext, path, ciphertext } = encryptedFile(t);
  const payloadStart = headerLength(ciphertext) + 16;
  const reads: [number, number][] = [];
  const countingRead = (fd: number, buffer: Buffer, offset: number, length: number, position: number): number => {
    const read = readSync(fd, buffer, offset, length, position);
    reads.push([position, position + read]);
    return read;
  };
  await withOpenFile(path, async (fd) => {
    const reader = await openAgeFile(fd, identityUnlocker(identity), path, countingRead);
    reads.length = 0;
    const start = 3 * KiB64 + 100;
    const end = 4 * KiB64 + 900;
    assert.ok(reader.read(start, end).equals(plaintext.subarray(start, end)));
    assert.deepEqual(reads, [
      [payloadStart + 3 * 65552, payloadStart + 4 * 65552],
      [payloadStart + 4 * 65552, payloadStart + 5 * 65552],
    ]);
    reads.length = 0;
    assert.ok(reader.read(plaintextSize - 10, plaintextSize).equals(plaintext.subarray(plaintextSize - 10)));
    assert.deepEqual(reads, [[payloadStart + 10 * 65552, ciphertext.length]], 'the last, short chunk only');
  });
});

test('a flipped byte in chunk 5 is reported as plaintext bytes 327680–393216; the other chunks read', { skip: noAge }, async (t) => {
  const { folder, identity, plaintext, path, ciphertext } = encryptedFile(t);
  const damaged = Buffer.from(ciphertext);
  const at = headerLength(ciphertext) + 16 + 5 * 65552 + 1234;
  damaged[at] = (damaged[at] as number) ^ 0x01;
  writeFileSync(path, damaged);

  const keyFile = join(folder, 'key.txt');
  writeFileSync(keyFile, `${encodeIdentity(identity)}\n`);
  const byAge = spawnSync('age', ['-d', '-i', keyFile, path]);
  assert.notEqual(byAge.status, 0, 'age itself refuses the file');

  await withOpenFile(path, async (fd) => {
    const reader = await openAgeFile(fd, identityUnlocker(identity), path);
    assert.ok(reader.read(0, 5 * KiB64).equals(plaintext.subarray(0, 5 * KiB64)), 'chunks 0–4 read');
    assert.ok(reader.read(6 * KiB64, plaintextSize).equals(plaintext.subarray(6 * KiB64)), 'chunks 6–10 read');
    assert.throws(
      () => reader.read(5 * KiB64 - 10, 5 * KiB64 + 10),
      (error: DamagedRangeError) => error instanceof DamagedRangeError && error.code === 'DAMAGED' && error.plaintextStart === 327680 && error.plaintextEnd === 393216,
    );
  });

  const received: Buffer[] = [];
  await assert.rejects(
    pipeline(createReadStream(path), createDecryptStream(identityUnlocker(identity), path), async (source: AsyncIterable<Buffer>) => {
      for await (const piece of source) received.push(piece);
    }),
    (error: DamagedRangeError) => error instanceof DamagedRangeError && error.plaintextStart === 327680 && error.plaintextEnd === 393216,
  );
  assert.ok(Buffer.concat(received).equals(plaintext.subarray(0, 5 * KiB64)), 'the stream gave the five good chunks before it stopped');
});

test('a file cut at a chunk boundary, or inside its header, is refused as damaged, never read as shorter', async (t) => {
  const { identity, path, ciphertext } = encryptedFile(t);
  writeFileSync(path, ciphertext.subarray(0, headerLength(ciphertext) + 16 + 10 * 65552));
  await withOpenFile(path, async (fd) => {
    const reader = await openAgeFile(fd, identityUnlocker(identity), path);
    assert.throws(() => reader.read(0, reader.plaintextSize), (error: DamagedRangeError) => error instanceof DamagedRangeError && /cut short/.test(error.message) && error.plaintextStart === 9 * KiB64);
  });
  writeFileSync(path, ciphertext.subarray(0, 40));
  await withOpenFile(path, async (fd) => {
    await assert.rejects(openAgeFile(fd, identityUnlocker(identity), path), (error: DormouseError) => error.code === 'DAMAGED' && /ends inside its header/.test(error.message));
  });
  writeFileSync(path, 'PK\x03\x04 a zip file, not age');
  await withOpenFile(path, async (fd) => {
    await assert.rejects(openAgeFile(fd, identityUnlocker(identity), path), (error: DormouseError) => error.code === 'DAMAGED' && /does not start with "age-encryption.org\/v1"/.test(error.message));
  });
});

test('a header altered after it was written fails its MAC', async (t) => {
  const { identity, path, ciphertext } = encryptedFile(t);
  const altered = Buffer.from(ciphertext.toString('latin1').replace('\n--- ', '\n-> someone-else\nAAAA\n--- '), 'latin1');
  writeFileSync(path, altered);
  await withOpenFile(path, async (fd) => {
    await assert.rejects(openAgeFile(fd, identityUnlocker(identity), path), (error: DormouseError) => error.code === 'DAMAGED');
  });
});
