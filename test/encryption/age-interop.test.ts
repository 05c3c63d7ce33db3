import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createReadStream } from 'node:fs';
import { DormouseError } from '../../shared/errors';
import { openAgeFile } from '../../src-main/encryption/age-file-reader';
import { createDecryptStream } from '../../src-main/encryption/age-decrypt-stream';
import { encodeIdentity, encodeRecipient, generateIdentity, parseIdentity } from '../../src-main/encryption/age-keys';
import { passphraseUnlocker } from '../../src-main/encryption/scrypt-stanza';
import { identityUnlocker } from '../../src-main/encryption/x25519-stanza';
import { temporaryFolder } from '../helpers/cli';
import { noTerminalDriver, runInTerminal } from '../helpers/terminal';
import { encryptInPieces, interestingSizes, noAge, plaintextOf, withOpenFile } from './age-kit';

/**
 * Our age against Debian's age 1.1.1: what we encrypt to a key, `age -d -i` decrypts; what
 * `age -e -r` and `age -e -p` make, we decrypt (random access and as a stream), at every size the
 * STREAM's 64 KiB chunks make special. Keys are spelled so each reads the other's.
 */

function age(args: string[], input?: Buffer): Buffer {
  const result = spawnSync('age', args, { input, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(result.status, 0, `age ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function streamDecrypt(path: string, unlock: ReturnType<typeof identityUnlocker>): Promise<Buffer> {
  const pieces: Buffer[] = [];
  await pipeline(createReadStream(path, { highWaterMark: 50_000 }), createDecryptStream(unlock, path), async (source: AsyncIterable<Buffer>) => {
    for await (const piece of source) pieces.push(piece);
  });
  return Buffer.concat(pieces);
}

test('keys: age-keygen reads our key file and finds our recipient; we read age-keygen\'s and find its', { skip: noAge }, (t) => {
  const folder = temporaryFolder(t);
  const ours = generateIdentity();
  writeFileSync(join(folder, 'ours.txt'), `${encodeIdentity(ours)}\n`);
  const derived = spawnSync('age-keygen', ['-y', join(folder, 'ours.txt')], { encoding: 'utf8' });
  assert.equal(derived.stdout.trim(), encodeRecipient(ours.recipient));
  assert.match(encodeIdentity(ours), /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);

  const keygen = spawnSync('age-keygen', [], { encoding: 'utf8' }).stdout;
  const secret = keygen.split('\n').find((line) => line.startsWith('AGE-SECRET-KEY-1')) as string;
  const publicKey = /# public key: (age1\S+)/.exec(keygen)?.[1];
  assert.equal(encodeRecipient(parseIdentity(secret).recipient), publicKey);
  assert.throws(() => parseIdentity(secret.slice(0, -1) + (secret.endsWith('Q') ? 'P' : 'Q')), (error: DormouseError) => error.code === 'INVALID_INPUT' && /not an age X25519 identity/.test(error.message));
});

test('what we encrypt to a recipient, age -d -i decrypts, at every chunk boundary size', { skip: noAge }, (t) => {
  const folder = temporaryFolder(t);
  const identity = generateIdentity();
  const keyFile = join(folder, 'key.txt');
  writeFileSync(keyFile, `${encodeIdentity(identity)}\n`);
  for (const size of interestingSizes) {
    const plaintext = plaintextOf(size);
    const { ciphertext, reported } = encryptInPieces(plaintext, encodeRecipient(identity.recipient));
    const file = join(folder, `${size}.age`);
    writeFileSync(file, ciphertext);
    assert.equal(reported, statSync(file).size, `${size} bytes: the encryptor counts what it wrote`);
    assert.ok(age(['-d', '-i', keyFile, file]).equals(plaintext), `${size} bytes: age gives the plaintext back`);
  }
});

test('what age -e -r encrypts, we decrypt, by range and as a stream; another key is refused', { skip: noAge }, async (t) => {
  const folder = temporaryFolder(t);
  const identity = generateIdentity();
  const unlock = identityUnlocker(identity);
  for (const size of interestingSizes) {
    const plaintext = plaintextOf(size);
    const file = join(folder, `${size}.age`);
    age(['-e', '-r', encodeRecipient(identity.recipient), '-o', file], plaintext);
    await withOpenFile(file, async (fd) => {
      const reader = await openAgeFile(fd, unlock, file);
      assert.equal(reader.plaintextSize, size);
      assert.ok(reader.read(0, size).equals(plaintext), `${size} bytes by range`);
      if (size > 2) assert.ok(reader.read(size - 2, size).equals(plaintext.subarray(size - 2)), `${size} bytes: the last two`);
    });
    assert.ok((await streamDecrypt(file, unlock)).equals(plaintext), `${size} bytes as a stream`);
  }
  const stranger = identityUnlocker(generateIdentity());
  const file = join(folder, '1.age');
  await assert.rejects(
    withOpenFile(file, (fd) => openAgeFile(fd, stranger, file)),
    (error: DormouseError) => error.code === 'KEY_UNUSABLE' && /was not encrypted to the key age1/.test(error.message),
  );
});

test('what age -e -p encrypts with a passphrase typed at its prompt, we decrypt with it; a wrong one, and a work factor above 2^22, are refused', { skip: noAge || noTerminalDriver }, async (t) => {
  const folder = temporaryFolder(t);
  const plaintext = plaintextOf(65537);
  writeFileSync(join(folder, 'plain'), plaintext);
  const passphrase = 'twelve chars and more';
  const session = runInTerminal('age', ['-e', '-p', '-o', 'secret.age', 'plain'], [['Enter passphrase', `${passphrase}\r`], ['Confirm passphrase', `${passphrase}\r`]], { cwd: folder });
  assert.equal(session.code, 0, session.screen);
  const file = join(folder, 'secret.age');
  assert.match(readFileSync(file).subarray(0, 60).toString('latin1'), /^age-encryption\.org\/v1\n-> scrypt \S+ 18\n/);
  await withOpenFile(file, async (fd) => {
    const reader = await openAgeFile(fd, passphraseUnlocker(passphrase), file);
    assert.ok(reader.read(0, reader.plaintextSize).equals(plaintext));
    await assert.rejects(openAgeFile(fd, passphraseUnlocker('not the passphrase'), file), (error: DormouseError) => error.code === 'WRONG_PASSPHRASE');
    await assert.rejects(openAgeFile(fd, identityUnlocker(generateIdentity()), file), (error: DormouseError) => error.code === 'KEY_UNUSABLE' && /encrypted with a passphrase/.test(error.message));
  });
  const greedy = join(folder, 'greedy.age');
  writeFileSync(greedy, Buffer.from(readFileSync(file).toString('latin1').replace(/^(-> scrypt \S+) 18$/m, '$1 23'), 'latin1'));
  await withOpenFile(greedy, async (fd) => {
    await assert.rejects(openAgeFile(fd, passphraseUnlocker(passphrase), greedy), (error: DormouseError) => error.code === 'DAMAGED' && /asks for scrypt work 2\^23, more than the 2\^22 age itself accepts/.test(error.message));
  });
});
