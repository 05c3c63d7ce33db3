import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dormouse, expectError, expectOk, temporaryFolder } from '../helpers/cli';
import { noTerminalDriver, runInTerminal } from '../helpers/terminal';
import { noAge } from './age-kit';

/**
 * `dormouse destination recovery-kit NAME --to FOLDER`: an encrypted destination's key file (still
 * locked with the passphrase) and RECOVERY.txt saved away from the drive, so that a drive whose key
 * file is lost can still be restored, with the passphrase and Debian's age and tar alone.
 */

const passphrase = 'correct horse battery staple';

interface Kit {
  destination: string;
  folder: string;
  files: string[];
}

function setUp(t: { after: (fn: () => void) => void }) {
  const root = temporaryFolder(t, 'dormouse-recovery-kit-');
  const data = join(root, 'data');
  const drive = join(root, 'drive');
  const plainDrive = join(root, 'plain-drive');
  const source = join(root, 'home');
  const stick = join(root, 'usb-stick');
  for (const folder of [drive, plainDrive, source, stick]) mkdirSync(folder);
  writeFileSync(join(source, 'will.txt'), 'Everything to the dormouse.\n');
  const passphraseFile = join(root, 'passphrase.txt');
  writeFileSync(passphraseFile, `${passphrase}\n`);
  const cli = (args: string[]) => dormouse(['--data-dir', data, ...args]);
  expectOk(cli(['destination', 'add', '--name', 'vault', '--path', drive, '--encrypt', '--passphrase-file', passphraseFile, '--json']));
  expectOk(cli(['destination', 'add', '--name', 'plain', '--path', plainDrive, '--json']));
  return { root, data, drive, source, stick, cli };
}

test('the recovery kit holds the key file (0600, byte for byte the drive\'s) and RECOVERY.txt; with the drive\'s key gone, age and tar restore from it as its instructions say', { skip: noAge || noTerminalDriver }, (t) => {
  const { root, drive, source, stick, cli } = setUp(t);
  expectOk(cli(['schedule', 'add', '--name', 'Home', '--source', source, '--destination', 'vault', '--cron', '0 3 * * *', '--json']));
  const job = expectOk<{ archivePath: string }>(cli(['run', 'Home', '--json']));

  const kit = expectOk<Kit>(cli(['destination', 'recovery-kit', 'vault', '--to', stick, '--json']));
  assert.equal(kit.folder, join(stick, 'Dormouse recovery kit - vault'));
  assert.deepEqual(kit.files, ['dormouse-key.age', 'RECOVERY.txt']);
  assert.deepEqual(readdirSync(kit.folder).sort(), ['RECOVERY.txt', 'dormouse-key.age'], 'only the two files, no temporary left');
  assert.equal(statSync(kit.folder).mode & 0o777, 0o700);
  for (const file of kit.files) assert.equal(statSync(join(kit.folder, file)).mode & 0o777, 0o600, `${file} is private`);
  assert.deepEqual(readFileSync(join(kit.folder, 'dormouse-key.age')), readFileSync(join(drive, '.dormouse-key.age')));
  const instructions = readFileSync(join(kit.folder, 'RECOVERY.txt'), 'utf8');
  assert.match(instructions, /^Recovery kit of the encrypted Dormouse destination "vault"/);
  assert.match(instructions, /Keep this folder somewhere other than the backup drive/);
  assert.match(instructions, /without the\npassphrase nobody, Dormouse included, can open the key or the backups/);
  assert.match(instructions, /age -d -o key\.txt dormouse-key\.age/, 'the commands name the kit\'s key file');

  // The drive's key file is lost; the kit's, with the passphrase, opens the archive.
  rmSync(join(drive, '.dormouse-key.age'));
  const work = join(root, 'recovering');
  mkdirSync(work);
  const session = runInTerminal('age', ['-d', '-o', join(work, 'key.txt'), join(kit.folder, 'dormouse-key.age')], [['Enter passphrase', `${passphrase}\r`]], { cwd: work });
  assert.equal(session.code, 0, session.screen);
  const restored = join(work, 'restored');
  mkdirSync(restored);
  const unpack = spawnSync('bash', ['-c', 'set -o pipefail; age -d -i "$1" "$2" | tar -x -p -C "$3"', 'recover', join(work, 'key.txt'), job.archivePath, restored], { encoding: 'utf8' });
  assert.equal(unpack.status, 0, unpack.stderr);
  assert.equal(readFileSync(join(restored, source.slice(1), 'will.txt'), 'utf8'), 'Everything to the dormouse.\n');
});

test('saving the kit again replaces it with the current key file (after a passphrase change), still two files', (t) => {
  const { root, drive, stick, cli } = setUp(t);
  const first = expectOk<Kit>(cli(['destination', 'recovery-kit', 'vault', '--to', stick, '--json']));
  const newPassphraseFile = join(root, 'new-passphrase.txt');
  writeFileSync(newPassphraseFile, 'a brand new passphrase for it\n');
  expectOk(cli(['destination', 'passphrase', 'vault', '--passphrase-file', join(root, 'passphrase.txt'), '--new-passphrase-file', newPassphraseFile, '--json']));
  const again = cli(['destination', 'recovery-kit', 'vault', '--to', stick]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^Saved the recovery kit of "vault" in .*Dormouse recovery kit - vault: dormouse-key\.age and RECOVERY\.txt\. Keep it away from the drive; it still needs the passphrase\.\n$/);
  assert.deepEqual(readdirSync(first.folder).sort(), ['RECOVERY.txt', 'dormouse-key.age']);
  assert.deepEqual(readFileSync(join(first.folder, 'dormouse-key.age')), readFileSync(join(drive, '.dormouse-key.age')), 'the kit has the key locked with the new passphrase');
});

test('a recovery kit is refused, saying why, for an unencrypted destination, a missing or foreign key file, a folder on the drive, a missing folder and one that cannot be written', (t) => {
  const { root, drive, stick, cli } = setUp(t);
  expectError(cli(['destination', 'recovery-kit', 'plain', '--to', stick]), 2, /destination "plain" is not encrypted: it has no key, and tar alone restores its archives; there is no recovery kit to save/);
  expectError(cli(['destination', 'recovery-kit', 'nowhere', '--to', stick]), 2, /nowhere/);
  expectError(cli(['destination', 'recovery-kit', 'vault', '--to', join(drive, 'kits')]), 2, /does not exist; choose an existing folder/);
  mkdirSync(join(drive, 'kits'));
  expectError(cli(['destination', 'recovery-kit', 'vault', '--to', join(drive, 'kits')]), 2, /is on the destination "vault" itself: a recovery kit kept on the drive is lost with it; choose a folder somewhere else/);
  expectError(cli(['destination', 'recovery-kit', 'vault', '--to', drive]), 2, /on the destination "vault" itself/);

  const locked = join(root, 'locked');
  mkdirSync(locked);
  let unlock = () => chmodSync(locked, 0o700);
  if (process.getuid?.() === 0) {
    // root writes through permissions: a read-only file system it is.
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', locked]);
    assert.equal(mounted.status, 0, String(mounted.stderr));
    unlock = () => void spawnSync('umount', [locked]);
  } else {
    chmodSync(locked, 0o500);
  }
  try {
    expectError(cli(['destination', 'recovery-kit', 'vault', '--to', locked]), 1, /cannot write the recovery kit into .*locked \((permission denied|it is read-only)\); choose a folder you can write to/);
  } finally {
    unlock();
  }
  assert.deepEqual(readdirSync(stick), [], 'nothing was written anywhere');

  writeFileSync(join(drive, '.dormouse-key.age'), 'not an age file at all\n');
  expectError(cli(['destination', 'recovery-kit', 'vault', '--to', stick]), 1, /\.dormouse-key\.age is not a Dormouse key file \(an age file locked with a passphrase\)/);
  rmSync(join(drive, '.dormouse-key.age'));
  expectError(cli(['destination', 'recovery-kit', 'vault', '--to', stick]), 1, /\.dormouse-key\.age is missing, so there is no key to put in a recovery kit/);
  assert.deepEqual(readdirSync(stick), []);
});
