// S3 keys in the app on a Linux desktop without a keyring (#18): safeStorage's backend is
// `basic_text` (Electron would seal with a password built into Chromium, which protects nothing), so
// the app keeps S3 keys in the 0600 file as the CLI does, leaves the keys already there where they
// are, and says so in its log and in the add form. Backups from the app and from the CLI both work.
// The real main entry with the stand-in electron module, real workers, the real CLI, Ceph's gateway.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DestinationAdded, JobView, S3KeyStorage, ScheduleView } from '../../shared/types';
import { expectOk, type CliResult } from '../helpers/cli';
import { keepAppLines, loadMainEntry, prepareDataFolder, valueInWindow, waitFor, type DataFolder, type LoadedApp } from '../electron/app-harness';
import type { FakeElectron } from '../electron/fake-electron';
import { s3AddArgs, s3Cli } from './s3-destination-kit';
import { clientOf, keysOf, noCeph, startedServer, useS3Server } from './s3-kit';

const skip = noCeph || (process.platform === 'linux' ? false : 'basic_text is a Linux backend of safeStorage');
const server = useS3Server();
const bucket = 'no-keyring';

let folder: DataFolder;
let loaded: LoadedApp;
let electron: FakeElectron;
let cli: (args: string[]) => CliResult;
const appLines: string[] = [];
let oldId: string;

const plainFile = () => join(folder.dataDir, 's3-credentials.json');
const plainIds = (): string[] => Object.keys((JSON.parse(readFileSync(plainFile(), 'utf8')) as { destinations: object }).destinations).sort();

function value<T>(channel: string, request: unknown): Promise<T> {
  return valueInWindow<T>(electron, channel, request);
}

before(async () => {
  if (skip) return;
  await startedServer(server);
  await clientOf(server(), bucket).createBucket();
  folder = prepareDataFolder({ 'notes.txt': 'kept in the cloud\n' }, { settleSeconds: 3_600 });
  cli = s3Cli(server(), folder.dataDir);
  oldId = expectOk<DestinationAdded>(cli([...s3AddArgs(server(), 'old', `s3://${bucket}/old`), '--no-encrypt'])).id;
  loaded = loadMainEntry(folder, {
    hidden: false,
    beforeStart: (fake) => {
      fake.safeStorage.linuxBackend = 'basic_text';
      keepAppLines(appLines);
    },
  });
  electron = loaded.electron;
});

after(async () => {
  await loaded?.cleanUp();
});

test('at start the keys already in s3-credentials.json stay there, and the log says why', { skip }, async () => {
  const line = await waitFor('the log line', () => appLines.find((each) => each.includes('are in')));
  assert.equal(line, `dormouse: the S3 keys of 1 destination are in ${plainFile()} (readable only by this user), where the command line and the daemon can use them; keys added in the window go there too: this desktop has no keyring Dormouse can use (such as GNOME Keyring or KWallet)`);
  assert.deepEqual(plainIds(), [oldId]);
  assert.equal(existsSync(join(folder.dataDir, 'keychain-secrets.json')), false, 'nothing sealed with the hardcoded password');
  assert.ok(!electron.safeStorage.calls.includes('encryptString'));
});

test('the add form says the keys go to the 0600 file, and why', { skip }, async () => {
  await waitFor('the window', () => electron.BrowserWindow.instances[0]?.exposed);
  assert.deepEqual(await value<S3KeyStorage>('destinations:s3-key-storage', {}), {
    keychain: false,
    where: `in ${plainFile()}, readable only by your user account: this desktop has no keyring Dormouse can use (such as GNOME Keyring or KWallet), so they are not in the system keychain`,
  });
});

test('an S3 destination added in the window keeps its keys in the 0600 file; backups from the app and from the CLI use them', { skip }, async () => {
  const added = await value<DestinationAdded>('destinations:add', { name: 'new', s3: { url: `s3://${bucket}/new`, endpoint: server().endpoint, pathStyle: true, credentials: keysOf(server()) }, encrypt: false });
  assert.deepEqual(plainIds(), [added.id, oldId].sort());
  assert.equal(statSync(plainFile()).mode & 0o777, 0o600);
  assert.ok(readFileSync(plainFile(), 'utf8').includes(server().secretAccessKey));
  assert.equal(existsSync(join(folder.dataDir, 'keychain-secrets.json')), false);

  await value<ScheduleView>('schedules:add', { name: 'Offsite', sources: [folder.source], destination: 'new', cron: '0 3 * * *' });
  const job = await value<JobView>('jobs:start', { name: 'Offsite' });
  let view = job;
  const deadline = Date.now() + 60_000;
  while (['queued', 'running'].includes(view.status) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    view = await value<JobView>('jobs:get', { jobId: job.id });
  }
  assert.equal(view.status, 'succeeded', JSON.stringify(view.error));
  const fromCli = cli(['run', 'Offsite']);
  assert.equal(fromCli.code, 0, fromCli.stdout + fromCli.stderr);
  assert.equal(fromCli.json<JobView>().status, 'succeeded');
});
