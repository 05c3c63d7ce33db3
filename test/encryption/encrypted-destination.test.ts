import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeResult, dormouse, expectError, expectOk, repoRoot, type CliResult } from '../helpers/cli';
import { noTerminalDriver, runInTerminal } from '../helpers/terminal';
import { noAge } from './age-kit';

/**
 * Encrypted destinations end to end, through the real CLI and Debian's age and GNU tar: backups with
 * no passphrase anywhere, archives that `age -d -i key.txt … | tar -x` unpacks, ls and restore with
 * the passphrase, a wrong or missing one, a damaged chunk, reads of only the chunks needed, a catalog
 * rebuilt from the drive, a missing key file, and a passphrase change.
 */

const passphrase = 'correct horse battery staple';
const root = mkdtempSync(join(tmpdir(), 'dormouse-encrypted-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const dataDir = join(root, 'data');
const destination = join(root, 'drive');
const source = join(root, 'home');
const passphraseFile = join(root, 'passphrase.txt');
const wrongPassphraseFile = join(root, 'wrong.txt');
/** A big file first, so the small ones sit megabytes into the archive. */
const big = randomBytes(24 * 1024 * 1024);
const middle = randomBytes(1024 * 1024);
const files: Record<string, Buffer> = {
  'notes/alpha.txt': Buffer.from('the alpha notes\n'),
  'notes/middle.bin': middle,
  'notes/zulu.txt': Buffer.from('the zulu notes\n'),
  'albums/big.bin': big,
};

/** The CLI with this test's catalog and no passphrase in the environment (nor a terminal: stdin is a pipe). */
function cli(args: string[], options: { dataDir?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  return dormouse(['--data-dir', options.dataDir ?? dataDir, ...args], { env: { DORMOUSE_PASSPHRASE: undefined, ...options.env } });
}

interface Snapshot {
  id: number;
  kind: string;
  archivePath: string;
  sha256: string;
}

let full: Snapshot;
let incremental: Snapshot;

function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** `age -d -i key | tar -x` into a folder, as RECOVERY.txt says. */
function ageThenTar(key: string, archive: string, into: string): void {
  mkdirSync(into, { recursive: true });
  const result = spawnSync('bash', ['-c', 'set -o pipefail; age -d -i "$1" "$2" | tar -x -p -C "$3"', 'recover', key, archive, into], { encoding: 'utf8' });
  assert.equal(result.status, 0, `age | tar: ${result.stderr}`);
}

/** Decrypts the key file with Debian's age, typing the passphrase at its prompt on a pseudo-terminal. */
function decryptKeyWithAge(into: string): string {
  const key = join(into, 'key.txt');
  const session = runInTerminal('age', ['-d', '-o', key, join(destination, '.dormouse-key.age')], [['Enter passphrase', `${passphrase}\r`]], { cwd: into });
  assert.equal(session.code, 0, session.screen);
  return key;
}

const skip = noAge || noTerminalDriver;

before(() => {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(source, path, '..'), { recursive: true });
    writeFileSync(join(source, path), content);
  }
  mkdirSync(destination);
  writeFileSync(passphraseFile, `${passphrase}\n`);
  writeFileSync(wrongPassphraseFile, 'not the passphrase at all\n');
});

test('a full and an incremental backup to an encrypted destination need no passphrase, and age -d of the key, then age -d -i of each archive piped to GNU tar, give the files back', { skip }, () => {
  expectError(cli(['destination', 'add', '--name', 'short', '--path', destination, '--encrypt', '--passphrase-file', join(root, 'short.txt')]), 2, /cannot read the passphrase file/);
  writeFileSync(join(root, 'short.txt'), 'too short\n');
  expectError(cli(['destination', 'add', '--name', 'short', '--path', destination, '--encrypt', '--passphrase-file', join(root, 'short.txt')]), 2, /use at least 12/);
  const added = expectOk<{ encrypted: boolean; importedSnapshots: number }>(cli(['destination', 'add', '--name', 'drive', '--path', destination, '--encrypt', '--passphrase-file', passphraseFile, '--json']));
  assert.deepEqual([added.encrypted, added.importedSnapshots], [true, 0]);
  assert.ok(existsSync(join(destination, '.dormouse-key.age')) && existsSync(join(destination, 'RECOVERY.txt')));
  assert.deepEqual(
    expectOk<{ name: string; encrypted: boolean }[]>(cli(['destination', 'list', '--json'])).map((d) => [d.name, d.encrypted]),
    [['drive', true]],
  );
  expectOk(cli(['schedule', 'add', '--name', 'Home', '--source', source, '--destination', 'drive', '--cron', '0 9 * * *', '--json']));

  const first = expectOk<{ status: string; archivePath: string; sha256: string }>(cli(['run', 'Home', '--json']));
  assert.equal(first.status, 'succeeded');
  assert.match(first.archivePath, /-full-[0-9a-f]{8}\.tar\.age$/);
  writeFileSync(join(source, 'notes/alpha.txt'), 'the alpha notes, changed\n');
  writeFileSync(join(source, 'notes/new.txt'), 'written after the full backup\n');
  const second = expectOk<{ status: string; archivePath: string }>(cli(['run', 'Home', '--json']));
  assert.equal(second.status, 'succeeded');
  assert.match(second.archivePath, /-incr-[0-9a-f]{8}\.tar\.age$/);
  [incremental, full] = expectOk<Snapshot[]>(cli(['snapshots', '--json'])) as [Snapshot, Snapshot];
  assert.deepEqual([full.kind, incremental.kind], ['full', 'incremental']);
  assert.ok(statSync(incremental.archivePath).size < 200_000, 'the incremental holds only what changed');

  for (const snapshot of [full, incremental]) {
    const bytes = readFileSync(snapshot.archivePath);
    assert.match(bytes.subarray(0, 40).toString('latin1'), /^age-encryption\.org\/v1\n-> X25519 /);
    assert.equal(bytes.indexOf('alpha.txt'), -1, 'no file name is readable in the encrypted archive');
    assert.equal(bytes.indexOf('the zulu notes'), -1, 'no content is readable in the encrypted archive');
    // The SHA-256 in the catalog and the sidecar is the encrypted file's.
    assert.equal(sha256Of(snapshot.archivePath), snapshot.sha256);
    assert.equal(readFileSync(`${snapshot.archivePath}.sha256`, 'utf8').split(' ')[0], snapshot.sha256);
  }
  const catalog = readFileSync(join(dataDir, 'dormouse.sqlite'));
  assert.equal(catalog.indexOf('AGE-SECRET-KEY'), -1, 'the catalog holds no secret key');

  const work = join(root, 'recovery');
  mkdirSync(work);
  const key = decryptKeyWithAge(work);
  assert.match(readFileSync(key, 'utf8'), /^AGE-SECRET-KEY-1[0-9A-Z]+$/m);
  const out = join(work, 'out');
  ageThenTar(key, full.archivePath, out);
  assert.ok(readFileSync(join(out, source, 'albums/big.bin')).equals(big));
  assert.equal(readFileSync(join(out, source, 'notes/alpha.txt'), 'utf8'), 'the alpha notes\n');
  ageThenTar(key, incremental.archivePath, out);
  assert.equal(readFileSync(join(out, source, 'notes/alpha.txt'), 'utf8'), 'the alpha notes, changed\n');
  assert.equal(readFileSync(join(out, source, 'notes/new.txt'), 'utf8'), 'written after the full backup\n');
  assert.ok(readFileSync(join(out, source, 'notes/middle.bin')).equals(middle));
});

test('ls and restore take the passphrase and give the tree; a wrong one is exit 1, none without a terminal says how to give it', { skip }, () => {
  const folder = `${source}/notes`;
  expectError(cli(['ls', String(incremental.id), folder, '--json']), 2, /is encrypted: listing .* needs its passphrase; give it with --passphrase-file FILE or the DORMOUSE_PASSPHRASE/);
  expectError(cli(['ls', String(incremental.id), folder, '--passphrase-file', wrongPassphraseFile, '--json']), 1, /the passphrase does not open this destination's key/);
  expectError(cli(['restore', String(incremental.id), '--to', join(root, 'never'), '--json'], { env: { DORMOUSE_PASSPHRASE: 'not the passphrase at all' } }), 1, /the passphrase does not open this destination's key/);
  assert.equal(existsSync(join(root, 'never')), false, 'a wrong passphrase restores nothing');

  const listing = expectOk<{ entries: { name: string; size: number }[] }>(cli(['ls', String(incremental.id), folder, '--passphrase-file', passphraseFile, '--json']));
  assert.deepEqual(
    listing.entries.map((entry) => [entry.name, entry.size]),
    [
      ['alpha.txt', 'the alpha notes, changed\n'.length],
      ['middle.bin', middle.length],
      ['new.txt', 'written after the full backup\n'.length],
      ['zulu.txt', 'the zulu notes\n'.length],
    ],
  );
  const target = join(root, 'restored');
  const report = expectOk<{ files: number; damaged: string[] }>(cli(['restore', String(incremental.id), '--to', target, '--json'], { env: { DORMOUSE_PASSPHRASE: passphrase } }));
  assert.deepEqual([report.files, report.damaged], [5, []]);
  for (const path of ['notes/alpha.txt', 'notes/new.txt', 'notes/middle.bin', 'notes/zulu.txt', 'albums/big.bin']) {
    assert.ok(readFileSync(join(target, source, path)).equals(readFileSync(join(source, path))), path);
  }
  const checked = expectOk<{ ok: boolean; snapshots: { contentsChecked: boolean }[] }>(cli(['verify', '--all', '--passphrase-file', passphraseFile, '--json']));
  assert.equal(checked.ok, true);
  assert.deepEqual(checked.snapshots.map((snapshot) => snapshot.contentsChecked), [true, true], 'with the passphrase every file of the full and the incremental was read');
  // Without it only the encrypted files' SHA-256 can be checked, and verify says so rather than a bare "OK".
  const sealed = expectOk<{ ok: boolean; snapshots: { contentsChecked: boolean }[] }>(cli(['verify', '--all', '--json']));
  assert.equal(sealed.ok, true);
  assert.deepEqual(sealed.snapshots.map((snapshot) => snapshot.contentsChecked), [false, false]);
  const words = cli(['verify', '--all']);
  assert.equal(words.code, 0, describeResult(words));
  assert.equal(
    words.stdout.trim(),
    [
      `Snapshot ${full.id}: encrypted file OK, files not checked (${full.archivePath})`,
      `Snapshot ${incremental.id}: encrypted file OK, files not checked (${incremental.archivePath})`,
      'Without the passphrase only the SHA-256 of those encrypted archives was checked; give it with --passphrase-file FILE or DORMOUSE_PASSPHRASE to check every file.',
    ].join('\n'),
  );
});

test('on a terminal, ls asks for the passphrase once, with nothing echoed', { skip }, () => {
  const session = runInTerminal(process.execPath, [join(repoRoot, 'bin', 'dormouse.cjs'), '--data-dir', dataDir, 'ls', String(incremental.id), `${source}/notes`], [['Passphrase', `${passphrase}\r`]], {
    unset: ['DORMOUSE_PASSPHRASE', 'NODE_OPTIONS'],
  });
  assert.equal(session.code, 0, session.screen);
  assert.equal(session.screen.includes(passphrase), false, 'the passphrase is not echoed');
  assert.match(session.screen, /middle\.bin/);
  assert.match(session.screen, /zulu\.txt/);
});

/** Bytes of a file in the page cache (util-linux's fincore), or null without fincore. */
function cachedBytes(path: string): number | null {
  const result = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], { encoding: 'utf8' });
  return result.status === 0 ? Number(result.stdout.trim()) : null;
}

const noFincore = cachedBytes(process.execPath) === null ? 'fincore is not installed (apt-get install -y util-linux-extra); .ci/run installs it' : false;

test('ls and a one-file restore decrypt only the chunks they need, not the 24 MiB before them', { skip: skip || noFincore }, () => {
  const drop = () => {
    for (const snapshot of [full, incremental]) assert.equal(spawnSync('dd', [`if=${snapshot.archivePath}`, 'iflag=nocache', 'count=0']).status, 0);
    assert.ok((cachedBytes(full.archivePath) as number) < 64 * 1024, 'the archive starts out of the page cache');
  };
  const size = statSync(full.archivePath).size;
  drop();
  expectOk(cli(['ls', String(incremental.id), `${source}/notes`, '--passphrase-file', passphraseFile, '--json']));
  const listed = cachedBytes(full.archivePath) as number;
  assert.ok(listed < 1024 * 1024, `ls read ${listed} bytes of the ${size}-byte full archive: its trailer, index and manifest`);
  drop();
  const target = join(root, 'one-file');
  const report = expectOk<{ files: number }>(cli(['restore', String(incremental.id), '--to', target, '--path', `${source}/notes/zulu.txt`, '--passphrase-file', passphraseFile, '--json']));
  assert.equal(report.files, 1);
  assert.equal(readFileSync(join(target, source, 'notes/zulu.txt'), 'utf8'), 'the zulu notes\n');
  const restored = cachedBytes(full.archivePath) as number;
  assert.ok(restored < 1024 * 1024, `the one-file restore read ${restored} bytes of the ${size}-byte full archive: the manifest and the chunk holding the file`);
});

test('a catalog rebuilt from the encrypted destination in an empty data folder imports its snapshots with the passphrase, and restores from them', { skip }, () => {
  const fresh = join(root, 'fresh-data');
  expectError(cli(['destination', 'add', '--name', 'found', '--path', destination, '--json'], { dataDir: fresh }), 2, /is encrypted: adding it .* needs its passphrase/);
  const added = expectOk<{ encrypted: boolean; importedSnapshots: number }>(cli(['destination', 'add', '--name', 'found', '--path', destination, '--passphrase-file', passphraseFile, '--json'], { dataDir: fresh }));
  assert.deepEqual([added.encrypted, added.importedSnapshots], [true, 2]);
  const snapshots = expectOk<Snapshot[]>(cli(['snapshots', '--machine', 'all', '--json'], { dataDir: fresh }));
  assert.deepEqual(snapshots.map((snapshot) => [snapshot.kind, snapshot.sha256]).sort(), [[full.kind, full.sha256], [incremental.kind, incremental.sha256]].sort());
  const newest = snapshots.find((snapshot) => snapshot.kind === 'incremental') as Snapshot;
  // Without the passphrase verify still checks each encrypted file's SHA-256 against its sidecar.
  assert.equal(expectOk<{ ok: boolean }>(cli(['verify', String(newest.id), '--json'], { dataDir: fresh })).ok, true);
  const target = join(root, 'rebuilt');
  const report = expectOk<{ files: number }>(cli(['restore', String(newest.id), '--to', target, '--path', `${source}/notes`, '--passphrase-file', passphraseFile, '--json'], { dataDir: fresh }));
  assert.equal(report.files, 4);
  assert.equal(readFileSync(join(target, source, 'notes/new.txt'), 'utf8'), 'written after the full backup\n');

  // A later backup from the first catalog, then `dormouse import` in the rebuilt one: it takes the passphrase too.
  writeFileSync(join(source, 'notes/later.txt'), 'written after the catalog was rebuilt\n');
  assert.equal(expectOk<{ status: string }>(cli(['run', 'Home', '--json'])).status, 'succeeded');
  expectError(cli(['import', '--destination', 'found', '--json'], { dataDir: fresh }), 2, /is encrypted: importing its snapshots needs its passphrase/);
  const imported = expectOk<{ imported: unknown[]; alreadyKnown: number; skipped: unknown[] }>(cli(['import', '--destination', 'found', '--json'], { dataDir: fresh, env: { DORMOUSE_PASSPHRASE: passphrase } }));
  assert.deepEqual([imported.imported.length, imported.alreadyKnown, imported.skipped], [1, 2, []]);
});

test('a missing key file refuses a restore with the reason, while backups to the destination keep working; a passphrase change rewrites only the key file', { skip }, () => {
  const keyFile = join(destination, '.dormouse-key.age');
  renameSync(keyFile, join(root, 'key-aside.age'));
  expectError(cli(['restore', String(incremental.id), '--to', join(root, 'nokey'), '--passphrase-file', passphraseFile, '--json']), 1, /\.dormouse-key\.age is missing/);
  const job = expectOk<{ status: string }>(cli(['run', 'Home', '--json']));
  assert.equal(job.status, 'succeeded');
  // Another encrypted destination's key file in its place: refused as foreign, even with that key's own passphrase.
  const other = join(root, 'other-drive');
  mkdirSync(other);
  expectOk(cli(['destination', 'add', '--name', 'other', '--path', other, '--encrypt', '--passphrase-file', passphraseFile, '--json']));
  copyFileSync(join(other, '.dormouse-key.age'), keyFile);
  expectError(cli(['restore', String(incremental.id), '--to', join(root, 'nokey'), '--passphrase-file', passphraseFile, '--json']), 1, /it is another destination's key file/);
  assert.equal(expectOk<{ status: string }>(cli(['run', 'Home', '--json'])).status, 'succeeded');
  renameSync(join(root, 'key-aside.age'), keyFile);
  expectOk(cli(['destination', 'remove', 'other', '--json']));

  const archivesBefore = readdirSync(join(full.archivePath, '..')).map((name) => [name, sha256Of(join(full.archivePath, '..', name))]);
  const newFile = join(root, 'new-passphrase.txt');
  writeFileSync(newFile, 'a brand new passphrase\n');
  const changed = cli(['destination', 'passphrase', 'drive', '--passphrase-file', passphraseFile, '--new-passphrase-file', newFile, '--json']);
  assert.deepEqual(expectOk(changed), { id: (expectOk<{ id: string }[]>(cli(['destination', 'list', '--json']))[0] as { id: string }).id, name: 'drive', path: destination, encrypted: true });
  expectError(cli(['ls', String(full.id), '--passphrase-file', passphraseFile, '--json']), 1, /the passphrase does not open this destination's key/);
  expectOk(cli(['ls', String(full.id), '--passphrase-file', newFile, '--json']));
  assert.deepEqual(readdirSync(join(full.archivePath, '..')).map((name) => [name, sha256Of(join(full.archivePath, '..', name))]), archivesBefore, 'no archive changed');
  expectOk(cli(['destination', 'passphrase', 'drive', '--passphrase-file', newFile, '--new-passphrase-file', passphraseFile, '--json']));

  const plain = join(root, 'plain-drive');
  mkdirSync(plain);
  expectOk(cli(['destination', 'add', '--name', 'plain', '--path', plain, '--json']));
  expectError(cli(['destination', 'add', '--name', 'plain2', '--path', plain, '--encrypt', '--passphrase-file', passphraseFile, '--json']), 2, /cannot be switched to encrypted in place: add a new encrypted destination/);
});

test('a flipped ciphertext byte in a chunk of one file\'s data makes exactly that file damaged; the rest restores, and verify reports it with or without the passphrase', { skip }, () => {
  const work = join(root, 'flip');
  mkdirSync(work);
  const key = decryptKeyWithAge(work);
  const decrypted = spawnSync('age', ['-d', '-i', key, full.archivePath], { maxBuffer: 64 * 1024 * 1024 });
  assert.equal(decrypted.status, 0, String(decrypted.stderr));
  const dataAt = decrypted.stdout.indexOf(middle.subarray(0, 64));
  assert.ok(dataAt > 0, 'middle.bin is in the tar');
  // The chunk in the middle of middle.bin's megabyte holds nothing else; age puts chunk i at header + 16 + i × 65,552.
  const chunk = Math.floor((dataAt + 512 * 1024) / 65536);
  const bytes = readFileSync(full.archivePath);
  const macLine = bytes.indexOf('\n--- ') + 1;
  const headerLength = bytes.indexOf('\n', macLine) + 1;
  const at = headerLength + 16 + chunk * 65552 + 1000;
  bytes[at] = (bytes[at] as number) ^ 0x01;
  writeFileSync(full.archivePath, bytes);

  const target = join(root, 'damaged');
  const result = cli(['restore', String(full.id), '--to', target, '--passphrase-file', passphraseFile, '--json']);
  assert.equal(result.code, 1, describeResult(result));
  const report = result.json<{ files: number; damaged: string[]; refused: string[] }>();
  assert.deepEqual(report.damaged, [`${source}/notes/middle.bin`]);
  assert.deepEqual(report.refused, []);
  assert.equal(report.files, 3);
  assert.equal(existsSync(join(target, source, 'notes/middle.bin')), false, 'the damaged file is not left under its name');
  assert.ok(readFileSync(join(target, source, 'albums/big.bin')).equals(big));
  assert.equal(readFileSync(join(target, source, 'notes/zulu.txt'), 'utf8'), 'the zulu notes\n');

  const unchecked = cli(['verify', String(full.id), '--json']);
  assert.equal(unchecked.code, 1, describeResult(unchecked));
  assert.match(JSON.stringify(unchecked.json()), /SHA-256 is [0-9a-f]{64}, but [0-9a-f]{64} was recorded/);
  const checked = cli(['verify', String(full.id), '--passphrase-file', passphraseFile, '--json']);
  assert.equal(checked.code, 1, describeResult(checked));
  const verdict = checked.json<{ snapshots: { problems: string[]; damaged: string[] }[] }>().snapshots[0];
  assert.match(JSON.stringify(verdict?.problems), new RegExp(`chunk ${chunk} .*does not authenticate`));
  assert.deepEqual(verdict?.damaged, [`${source}/notes/middle.bin`], 'verify names the one file whose bytes the damaged chunk held');
});
