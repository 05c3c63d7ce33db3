import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DormouseError } from '../../shared/errors';
import { encodeRecipient, generateIdentity } from '../../src-main/encryption/age-keys';
import { changeDestinationPassphrase, createDestinationKey, openDestinationKey } from '../../src-main/encryption/destination-key';
import { FolderStorage } from '../../src-main/destinations/destination-storage';
import { temporaryFolder } from '../helpers/cli';
import { noTerminalDriver, runInTerminal } from '../helpers/terminal';
import { encryptInPieces, noAge } from './age-kit';

/**
 * An encrypted destination's key: `.dormouse-key.age` opens with Debian's age and the passphrase,
 * and the commands RECOVERY.txt gives restore a tar we encrypted, without Dormouse; Dormouse opens it
 * with the passphrase, refuses a wrong one, changes it by rewriting only the key file, and refuses
 * a key file that is missing or not this destination's with what to do.
 */

const passphrase = 'lost drives tell no tales';

function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

test('age -d opens the key file with the passphrase, and RECOVERY.txt\'s commands restore a tar we encrypted', { skip: noAge || noTerminalDriver }, async (t) => {
  const destination = temporaryFolder(t);
  const source = temporaryFolder(t);
  mkdirSync(join(source, 'photos', '2026'), { recursive: true });
  writeFileSync(join(source, 'notes.txt'), 'remember the milk\n');
  const photo = Buffer.alloc(300_000, 7);
  writeFileSync(join(source, 'photos', '2026', 'beach.jpg'), photo);

  const key = await createDestinationKey(new FolderStorage(destination), passphrase);
  assert.equal(modeOf(join(destination, '.dormouse-key.age')), 0o600);
  assert.deepEqual(readdirSync(destination).sort(), ['.dormouse-key.age', 'RECOVERY.txt']);

  const tarball = spawnSync('tar', ['-c', '-C', source, 'notes.txt', 'photos'], { maxBuffer: 16 * 1024 * 1024 });
  assert.equal(tarball.status, 0, String(tarball.stderr));
  const archive = join('Dormouse', 'alice-laptop-5d2e8f10', 'Home', '20261206T040250Z-full-3f9a1c2e.tar.age');
  mkdirSync(dirname(join(destination, archive)), { recursive: true });
  writeFileSync(join(destination, archive), encryptInPieces(tarball.stdout, key.recipient).ciphertext);

  const recovery = readFileSync(join(destination, 'RECOVERY.txt'), 'utf8');
  const decryptKey = /^ {5}(age -d -o key\.txt \.dormouse-key\.age)$/m.exec(recovery)?.[1];
  const unpack = [...recovery.matchAll(/^ {5}(mkdir -p restored|age -d -i key\.txt ARCHIVE\.tar\.age \| tar .+)$/gm)].map((match) => match[1] as string);
  assert.ok(decryptKey, `RECOVERY.txt says how to decrypt the key:\n${recovery}`);
  assert.equal(unpack.length, 2, `RECOVERY.txt says how to unpack an archive:\n${recovery}`);

  const session = runInTerminal('sh', ['-c', decryptKey], [['Enter passphrase', `${passphrase}\r`]], { cwd: destination });
  assert.equal(session.code, 0, session.screen);
  const derived = spawnSync('age-keygen', ['-y', join(destination, 'key.txt')], { encoding: 'utf8' });
  assert.equal(derived.stdout.trim(), key.recipient, 'the decrypted key is the destination\'s, in a file age-keygen reads');

  const script = unpack.map((line) => line.replace('ARCHIVE.tar.age', archive)).join(' && ');
  const restored = spawnSync('sh', ['-c', script], { cwd: destination, encoding: 'utf8' });
  assert.equal(restored.status, 0, restored.stderr);
  assert.equal(readFileSync(join(destination, 'restored', 'notes.txt'), 'utf8'), 'remember the milk\n');
  assert.ok(readFileSync(join(destination, 'restored', 'photos', '2026', 'beach.jpg')).equals(photo));
});

test('the key opens with its passphrase, not another; changing the passphrase rewrites only the key file', async (t) => {
  const destination = temporaryFolder(t);
  const key = await createDestinationKey(new FolderStorage(destination), passphrase);
  const recovery = readFileSync(join(destination, 'RECOVERY.txt'));

  assert.equal(encodeRecipient((await openDestinationKey(new FolderStorage(destination), passphrase, key.recipient)).recipient), key.recipient);
  await assert.rejects(openDestinationKey(new FolderStorage(destination), 'lost drives tell tales'), (error: DormouseError) => {
    assert.equal(error.code, 'WRONG_PASSPHRASE');
    assert.match(error.message, /^the passphrase does not open this destination's key \(.*\.dormouse-key\.age\); check it and try again$/);
    return true;
  });

  const newPassphrase = 'a brand new passphrase';
  await changeDestinationPassphrase(new FolderStorage(destination), passphrase, newPassphrase);
  assert.equal(encodeRecipient((await openDestinationKey(new FolderStorage(destination), newPassphrase)).recipient), key.recipient, 'the same key, so every archive still opens');
  await assert.rejects(openDestinationKey(new FolderStorage(destination), passphrase), (error: DormouseError) => error.code === 'WRONG_PASSPHRASE');
  assert.deepEqual(readdirSync(destination).sort(), ['.dormouse-key.age', 'RECOVERY.txt'], 'no temporary file left');
  assert.equal(modeOf(join(destination, '.dormouse-key.age')), 0o600);
  assert.ok(readFileSync(join(destination, 'RECOVERY.txt')).equals(recovery), 'RECOVERY.txt untouched');
});

test('a missing key file, another destination\'s, one encrypted to a key, and junk are refused saying what to do', async (t) => {
  const destination = temporaryFolder(t);
  const other = temporaryFolder(t);
  const keyFile = join(destination, '.dormouse-key.age');

  await assert.rejects(openDestinationKey(new FolderStorage(destination), passphrase), (error: DormouseError) => error.code === 'KEY_UNUSABLE' && /\.dormouse-key\.age is missing: .*put back a copy of it/.test(error.message));

  const ours = await createDestinationKey(new FolderStorage(destination), passphrase);
  await createDestinationKey(new FolderStorage(other), passphrase);
  copyFileSync(join(other, '.dormouse-key.age'), keyFile);
  await assert.rejects(openDestinationKey(new FolderStorage(destination), passphrase, ours.recipient), (error: DormouseError) => error.code === 'KEY_UNUSABLE' && /it is another destination's key file; put back this destination's own \.dormouse-key\.age/.test(error.message));

  writeFileSync(keyFile, encryptInPieces(Buffer.from('AGE-SECRET-KEY-1…\n'), encodeRecipient(generateIdentity().recipient)).ciphertext);
  await assert.rejects(openDestinationKey(new FolderStorage(destination), passphrase), (error: DormouseError) => error.code === 'KEY_UNUSABLE' && /encrypted to a key, not with a passphrase; this is not the key Dormouse wrote/.test(error.message));

  writeFileSync(keyFile, '{"not": "an age file"}\n');
  await assert.rejects(openDestinationKey(new FolderStorage(destination), passphrase), (error: DormouseError) => error.code === 'KEY_UNUSABLE' && /not a readable age file/.test(error.message));

  await assert.rejects(createDestinationKey(new FolderStorage(destination), passphrase), (error: DormouseError) => error.code === 'CONFLICT' && /already has an encryption key/.test(error.message));
  await assert.rejects(createDestinationKey(new FolderStorage(temporaryFolder(t)), 'short one'), (error: DormouseError) => error.code === 'INVALID_INPUT' && /use at least 12/.test(error.message));
});
