import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DormouseError } from '../../shared/errors';
import { SealedSecretsFile, type Sealer } from '../../src-main/store/sealed-secrets-file';
import { temporaryFolder } from '../helpers/cli';

/**
 * The file the app's remembered secrets live in (name -> secret, for passphrases now and S3
 * credentials later), with a real AES-GCM sealer standing where the app has the OS keychain.
 */

function aesSealer(available = true): Sealer & { key: Buffer } {
  const sealer = {
    key: randomBytes(32),
    availability: () => (available ? { available: true as const } : { available: false as const, reason: 'no keychain here' }),
    seal(secret: string) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', sealer.key, iv);
      const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    open(sealed: Buffer) {
      const decipher = createDecipheriv('aes-256-gcm', sealer.key, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
  return sealer;
}

test('secrets are kept by name in a 0600 file holding only sealed bytes; twenty set at once are all kept; delete says whether there was one', async (t) => {
  const file = join(temporaryFolder(t, 'dormouse-secrets-'), 'keychain-secrets.json');
  writeFileSync(file, JSON.stringify({ dormouse: 'sealed-secrets', version: 1, secrets: {} }), { mode: 0o644 });
  const store = new SealedSecretsFile(file, aesSealer());
  await Promise.all(Array.from({ length: 20 }, (_, index) => store.set(`s3-credentials:${index}`, `secret number ${index}`)));
  assert.equal((await store.names()).length, 20, 'no change lost to another made at the same time');
  assert.equal(await store.get('s3-credentials:7'), 'secret number 7');
  assert.equal(await store.get('nothing here'), null);
  assert.equal(statSync(file).mode & 0o777, 0o600, 'private even when an older file was not');
  assert.ok(!readFileSync(file, 'utf8').includes('secret number'), 'only sealed bytes');
  assert.equal(await store.delete('s3-credentials:7'), true);
  assert.equal(await store.delete('s3-credentials:7'), false);
  assert.equal(await store.get('s3-credentials:7'), null);
});

test('a secret sealed with another key counts as none; without a keychain nothing is kept, but forgetting still works; a foreign file is refused in words', async (t) => {
  const folder = temporaryFolder(t, 'dormouse-secrets-');
  const file = join(folder, 'keychain-secrets.json');
  const sealer = aesSealer();
  const store = new SealedSecretsFile(file, sealer);
  await store.set('destination-passphrase:a', 'correct horse battery staple');
  sealer.key = randomBytes(32);
  assert.equal(await store.get('destination-passphrase:a'), null);

  const locked = new SealedSecretsFile(file, aesSealer(false));
  await assert.rejects(locked.set('destination-passphrase:b', 'x'), (error: unknown) => error instanceof DormouseError && error.code === 'KEYCHAIN_UNAVAILABLE' && error.message === 'no keychain here');
  assert.equal(await locked.delete('destination-passphrase:a'), true);
  assert.deepEqual(await locked.names(), []);

  const foreign = join(folder, 'other.json');
  writeFileSync(foreign, '{"something":"else"}');
  await assert.rejects(new SealedSecretsFile(foreign, sealer).names(), /other\.json is not Dormouse's file of remembered secrets; move it away, remember the passphrases again and add the S3 destinations whose keys were in it again/);
});
