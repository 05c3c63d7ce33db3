// Remembering an encrypted destination's passphrase in the OS keychain (#17): the real main entry
// with the stand-in electron module, whose safeStorage holds to Electron 45's documented behaviour
// (nothing before 'ready', basic_text on a Linux desktop without a keyring, a reset keychain), the
// real built preload, the real CLI for what happens elsewhere, and real archive workers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Envelope } from '../../shared/contract';
import type { RememberedPassphrases, RestoreReport, SnapshotListing } from '../../shared/types';
import { keychainAvailability } from '../../src-main/electron/keychain-secrets';
import { dormouse } from '../helpers/cli';
import { addEncryptedVault, invokeInWindow, loadMainEntry, valueInWindow, prepareDataFolder, waitFor, type DataFolder, type LoadedApp } from './app-harness';
import type { FakeElectron } from './fake-electron';

const passphrase = 'correct horse battery staple';
const changedPassphrase = 'a brand new passphrase for the vault';

let folder: DataFolder;
let loaded: LoadedApp;
let electron: FakeElectron;
let vaultSource: string;
let snapshotId: number;
/** What the stand-in's safeStorage answered before the app was ready, asked as the app would. */
let beforeReady: { available: boolean; backend: string; encrypts: string; adapter: ReturnType<typeof keychainAvailability> };

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  return dormouse(['--data-dir', folder.dataDir, ...args]);
}

function invoke<T>(channel: string, request: unknown): Promise<Envelope<T>> {
  return invokeInWindow<T>(electron, channel, request);
}

function value<T>(channel: string, request: unknown): Promise<T> {
  return valueInWindow<T>(electron, channel, request);
}

async function refused(channel: string, request: unknown): Promise<{ code: string; message: string }> {
  const answer = await invoke(channel, request);
  assert.equal(answer.ok, false, `${channel} was refused`);
  return (answer as { ok: false; error: { code: string; message: string } }).error;
}

const secretsFile = () => join(folder.dataDir, 'keychain-secrets.json');

before(() => {
  folder = prepareDataFolder({}, { settleSeconds: 3_600 });
  ({ source: vaultSource, snapshotId } = addEncryptedVault(folder, passphrase));
  loaded = loadMainEntry(folder, {
    hidden: false,
    beforeStart: (fake) => {
      let encrypts = 'encrypted';
      try {
        fake.safeStorage.encryptString('anything');
      } catch (error) {
        encrypts = (error as Error).message;
      }
      beforeReady = { available: fake.safeStorage.isEncryptionAvailable(), backend: fake.safeStorage.getSelectedStorageBackend(), encrypts, adapter: keychainAvailability(fake.safeStorage, 'linux') };
    },
  });
  electron = loaded.electron;
});

after(async () => {
  await loaded?.cleanUp();
});

test('before the app is ready, safeStorage offers nothing: not available, backend unknown, encryptString throws; the adapter says so', () => {
  assert.deepEqual(beforeReady, {
    available: false,
    backend: 'unknown',
    encrypts: 'Error while encrypting the text provided to safeStorage.encryptString. Encryption is not available.',
    adapter: { available: false, reason: 'the system keyring is not ready yet; try again in a moment' },
  });
});

test('once ready with a keyring, the window may offer remembering; nothing is remembered yet, and listing without a passphrase asks for one', async () => {
  await waitFor('the window', () => electron.BrowserWindow.instances[0]?.exposed);
  assert.deepEqual(await value<RememberedPassphrases>('passphrases:status', {}), { canRemember: true, reason: null, destinations: [] });
  const needed = await refused('snapshots:ls', { snapshotId });
  assert.equal(needed.code, 'PASSPHRASE_NEEDED');
});

test('a wrong passphrase is never remembered', async () => {
  const wrong = await refused('passphrases:remember', { name: 'vault', passphrase: 'not the passphrase at all' });
  assert.equal(wrong.code, 'WRONG_PASSPHRASE');
  assert.deepEqual((await value<RememberedPassphrases>('passphrases:status', {})).destinations, []);
  assert.equal(existsSync(secretsFile()), false, 'nothing was written');
  const plain = await refused('passphrases:remember', { name: 'usb', passphrase });
  assert.equal(plain.code, 'INVALID_INPUT');
  assert.match(plain.message, /destination "usb" is not encrypted: it has no passphrase to remember/);
});

test('the right passphrase is remembered, sealed by the keychain in a 0600 file that does not give it away; listing and restoring then need none', async () => {
  assert.deepEqual(await value<RememberedPassphrases>('passphrases:remember', { name: 'vault', passphrase }), { canRemember: true, reason: null, destinations: ['vault'] });
  assert.equal(statSync(secretsFile()).mode & 0o777, 0o600);
  const stored = readFileSync(secretsFile(), 'utf8');
  for (const form of [passphrase, Buffer.from(passphrase).toString('base64'), 'horse']) assert.ok(!stored.includes(form), `the file does not hold the passphrase (${form})`);
  assert.ok(electron.safeStorage.calls.includes('encryptString'), 'sealed with safeStorage');

  const listing = await value<SnapshotListing>('snapshots:ls', { snapshotId, path: vaultSource });
  assert.deepEqual(listing.entries.map((entry) => entry.name), ['diary.txt']);
  const into = join(folder.root, 'Restored');
  const report = await value<RestoreReport>('snapshots:restore', { snapshotId, to: into, paths: [join(vaultSource, 'diary.txt')], overwrite: false });
  assert.equal(report.files, 1);
  assert.equal(readFileSync(join(into, vaultSource.slice(1), 'diary.txt'), 'utf8'), 'Dear diary.\n');
});

test('the CLI has no keychain: it never uses the remembered passphrase, and says why it asks', () => {
  const listed = cli(['ls', String(snapshotId), '--json']);
  assert.equal(listed.code, 2, listed.stderr);
  assert.match(listed.stderr, /destination "vault" is encrypted: listing its snapshots needs its passphrase/);
});

test('a passphrase changed elsewhere (dormouse destination passphrase): the remembered one is refused in words and forgotten, so the window asks again; the new one can be remembered', async () => {
  writeFileSync(join(folder.root, 'new.txt'), `${changedPassphrase}\n`);
  const changed = cli(['destination', 'passphrase', 'vault', '--passphrase-file', join(folder.root, 'passphrase.txt'), '--new-passphrase-file', join(folder.root, 'new.txt'), '--json']);
  assert.equal(changed.code, 0, changed.stderr);
  const stale = await refused('snapshots:ls', { snapshotId });
  assert.equal(stale.code, 'WRONG_PASSPHRASE');
  assert.match(stale.message, /^the passphrase remembered for "vault" no longer opens its key \(was it changed with `dormouse destination passphrase`\?\), so it is forgotten; type the current one$/);
  assert.deepEqual((await value<RememberedPassphrases>('passphrases:status', {})).destinations, []);
  assert.equal((await refused('snapshots:ls', { snapshotId })).code, 'PASSPHRASE_NEEDED', 'asked for, no longer tried');
  assert.equal((await value<SnapshotListing>('snapshots:ls', { snapshotId, passphrase: changedPassphrase })).snapshotId, snapshotId);
  assert.deepEqual((await value<RememberedPassphrases>('passphrases:remember', { name: 'vault', passphrase: changedPassphrase })).destinations, ['vault']);
  assert.equal((await value<SnapshotListing>('snapshots:ls', { snapshotId })).snapshotId, snapshotId);
});

test('Forget removes it: listing asks for the passphrase again', async () => {
  assert.deepEqual(await value<RememberedPassphrases>('passphrases:forget', { name: 'vault' }), { canRemember: true, reason: null, destinations: [] });
  assert.equal((await refused('snapshots:ls', { snapshotId })).code, 'PASSPHRASE_NEEDED');
  assert.deepEqual(JSON.parse(readFileSync(secretsFile(), 'utf8')).secrets, {});
});

test('a locked keychain asks for the passphrase and keeps the remembered one; after a keychain reset (or on another computer) it is asked for and forgotten', async () => {
  await value('passphrases:remember', { name: 'vault', passphrase: changedPassphrase });
  electron.safeStorage.keychainAvailable = false;
  assert.equal((await refused('snapshots:ls', { snapshotId })).code, 'PASSPHRASE_NEEDED', 'a locked keychain cannot open it');
  electron.safeStorage.keychainAvailable = true;
  assert.deepEqual((await value<RememberedPassphrases>('passphrases:status', {})).destinations, ['vault'], 'but it is kept for when the keychain opens again');
  electron.safeStorage.resetKeychain();
  assert.equal((await refused('snapshots:ls', { snapshotId })).code, 'PASSPHRASE_NEEDED');
  assert.deepEqual((await value<RememberedPassphrases>('passphrases:status', {})).destinations, [], 'one that can never be opened again is forgotten');
});

test('a Linux desktop without a keyring (basic_text) or a keychain that refuses: remembering is not offered, and refused with the reason', async () => {
  electron.safeStorage.linuxBackend = 'basic_text';
  try {
    const status = await value<RememberedPassphrases>('passphrases:status', {});
    assert.equal(status.canRemember, false);
    assert.match(status.reason ?? '', /^this desktop has no keyring Dormouse can use \(such as GNOME Keyring or KWallet\): a remembered passphrase would be stored under a key anyone can find, so it is not offered$/);
    const refusal = await refused('passphrases:remember', { name: 'vault', passphrase: changedPassphrase });
    assert.equal(refusal.code, 'KEYCHAIN_UNAVAILABLE');
    assert.match(refusal.message, /no keyring Dormouse can use/);
    // Even where Electron would encrypt with its hardcoded password, nothing is sealed that way.
    electron.safeStorage.setUsePlainTextEncryption(true);
    assert.equal(electron.safeStorage.isEncryptionAvailable(), true);
    assert.equal((await value<RememberedPassphrases>('passphrases:status', {})).canRemember, false);
  } finally {
    electron.safeStorage.setUsePlainTextEncryption(false);
    electron.safeStorage.linuxBackend = 'gnome_libsecret';
  }
  electron.safeStorage.keychainAvailable = false;
  try {
    const status = await value<RememberedPassphrases>('passphrases:status', {});
    assert.deepEqual([status.canRemember, status.reason], [false, 'the system keychain is not available (locked, or refused to Dormouse)']);
  } finally {
    electron.safeStorage.keychainAvailable = true;
  }
  assert.deepEqual((await value<RememberedPassphrases>('passphrases:status', {})).destinations, []);
});

test('removing the destination forgets its remembered passphrase', async () => {
  await value('passphrases:remember', { name: 'vault', passphrase: changedPassphrase });
  assert.equal(Object.keys(JSON.parse(readFileSync(secretsFile(), 'utf8')).secrets as object).length, 1);
  const removed = cli(['schedule', 'remove', 'Secrets', '--json']);
  assert.equal(removed.code, 0, removed.stderr);
  await value('destinations:remove', { name: 'vault' });
  assert.deepEqual(JSON.parse(readFileSync(secretsFile(), 'utf8')).secrets, {});
  assert.deepEqual(await value<RememberedPassphrases>('passphrases:status', {}), { canRemember: true, reason: null, destinations: [] });
});
