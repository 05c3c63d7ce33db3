// S3 keys in the OS keychain (#18): the real main entry with the stand-in electron module (whose
// safeStorage holds to Electron 45: nothing before 'ready', bytes sealed by another key refused), the
// real preload, real archive workers, the real CLI, and Ceph's RADOS Gateway. Keys the CLI put in
// s3-credentials.json stay there (the CLI keeps backing up with them); keys typed into the window are
// sealed; backups from the app upload with either, handed to the worker in its request only; the CLI,
// which has no keychain, says to use the app for a destination whose keys are sealed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { DestinationAdded, DestinationView, JobView, S3KeyStorage, ScheduleView, SnapshotView } from '../../shared/types';
import { expectOk, type CliResult } from '../helpers/cli';
import { keepAppLines, loadMainEntry, valueInWindow, prepareDataFolder, waitFor, type DataFolder, type LoadedApp } from '../electron/app-harness';
import type { FakeElectron } from '../electron/fake-electron';
import { s3AddArgs, s3Cli } from './s3-destination-kit';
import { clientOf, noCeph, startedServer, useS3Server } from './s3-kit';
import { clientAs } from './s3-policy-kit';
import type { S3User } from '../helpers/s3-server';

const server = useS3Server();
const bucket = 'keychain';
/** The window's destination is in a bucket of its own user, so its keys differ from those the CLI keeps in the 0600 file. */
const appBucket = 'keychain-app';
let appUser: S3User;

let folder: DataFolder;
let loaded: LoadedApp;
let electron: FakeElectron;
let cli: (args: string[]) => CliResult;
/** The app's own lines ("dormouse: the S3 keys of…"), besides the host's. */
const appLines: string[] = [];
let oldId: string;
let newId: string;

const plainFile = () => join(folder.dataDir, 's3-credentials.json');
const sealedFile = () => join(folder.dataDir, 'keychain-secrets.json');
const sealedNames = (): string[] => (existsSync(sealedFile()) ? Object.keys((JSON.parse(readFileSync(sealedFile(), 'utf8')) as { secrets: object }).secrets).sort() : []);
const plainIds = (): string[] => Object.keys((JSON.parse(readFileSync(plainFile(), 'utf8')) as { destinations: object }).destinations).sort();

/** The files under `root` whose bytes hold `secret`, as it is or in base64. */
function filesHolding(root: string, secret: string): string[] {
  const forms = [secret, Buffer.from(secret).toString('base64')];
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && forms.some((form) => readFileSync(path).includes(form))) found.push(relative(root, path));
    }
  };
  walk(root);
  return found;
}

function value<T>(channel: string, request: unknown): Promise<T> {
  return valueInWindow<T>(electron, channel, request);
}

/** Starts a schedule's backup as Back Up Now in the window does, and waits for its end. */
async function backUpNow(schedule: string): Promise<JobView> {
  const job = await value<JobView>('jobs:start', { name: schedule });
  let ended: JobView | undefined;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    ended = await value<JobView>('jobs:get', { jobId: job.id });
    if (!['queued', 'running'].includes(ended.status)) return ended;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the backup of ${schedule} did not end within 60 s: ${JSON.stringify(ended)}`);
}

async function objectsUnder(where: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  const client = where === appBucket ? clientAs(server(), appUser, appBucket) : clientOf(server(), bucket);
  for await (const object of client.listAllObjects(prefix)) keys.push(object.key);
  return keys.sort();
}

before(async () => {
  if (noCeph) return;
  await startedServer(server);
  await clientOf(server(), bucket).createBucket();
  appUser = await server().createUser('keychain-app');
  await clientAs(server(), appUser, appBucket).createBucket();
  folder = prepareDataFolder({ 'notes.txt': 'kept in the cloud\n' }, { settleSeconds: 3_600 });
  cli = s3Cli(server(), folder.dataDir);
  // A destination added with the CLI before the app started: keys in the 0600 file.
  oldId = expectOk<DestinationAdded>(cli([...s3AddArgs(server(), 'old', `s3://${bucket}/old`), '--no-encrypt'])).id;
  expectOk(cli(['schedule', 'add', '--name', 'Old', '--source', folder.source, '--destination', 'old', '--cron', '0 3 * * *']));
  assert.deepEqual(plainIds(), [oldId]);
  loaded = loadMainEntry(folder, {
    hidden: false,
    beforeStart: () => {
      keepAppLines(appLines);
    },
  });
  electron = loaded.electron;
});

after(async () => {
  await loaded?.cleanUp();
});

test('keys the CLI put in s3-credentials.json stay there: the app backs up with them, says where they are, and the CLI still can', { skip: noCeph }, async () => {
  await waitFor('the window', () => electron.BrowserWindow.instances[0]?.exposed);
  assert.deepEqual(plainIds(), [oldId]);
  assert.deepEqual(sealedNames(), []);
  assert.deepEqual(appLines, [
    `dormouse: the S3 keys of 1 destination are in ${plainFile()} (readable only by this user), where the command line and the daemon can use them; keys added in the window are sealed by the system keychain`,
  ]);
  const old = (await value<DestinationView[]>('destinations:list', {})).find((destination) => destination.name === 'old');
  assert.equal(old?.state, 'available', 'the keys in the file open the bucket');
  const job = expectOk<JobView>(cli(['run', 'Old']));
  assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
});

test('the add form says where the keys go: sealed by the system keychain', { skip: noCeph }, async () => {
  assert.deepEqual(await value<S3KeyStorage>('destinations:s3-key-storage', {}), { keychain: true, where: 'sealed by the system keychain, for this user on this computer' });
});

test('an S3 destination added in the window keeps its keys sealed: only sealed bytes in the data folder, none in s3-credentials.json', { skip: noCeph }, async () => {
  const added = await value<DestinationAdded>('destinations:add', { name: 'new', s3: { url: `s3://${appBucket}/new`, endpoint: server().endpoint, pathStyle: true, credentials: { accessKeyId: appUser.accessKeyId, secretAccessKey: appUser.secretAccessKey } }, encrypt: false });
  newId = added.id;
  assert.equal(added.state, 'available');
  assert.deepEqual(sealedNames(), [`s3-credentials:${newId}`]);
  assert.equal(statSync(sealedFile()).mode & 0o777, 0o600);
  assert.deepEqual(plainIds(), [oldId], 'the CLI\'s keys stay where they were');
  assert.deepEqual(filesHolding(folder.dataDir, appUser.secretAccessKey), []);
  assert.deepEqual(filesHolding(folder.dataDir, appUser.accessKeyId), [], 'nor the access key id');
});

test('backups from the app upload with the sealed keys, handed to the worker in its request: never in its arguments, the job, the catalog or a log', { skip: noCeph }, async () => {
  await value<ScheduleView>('schedules:add', { name: 'Offsite', sources: [folder.source], destination: 'new', cron: '0 3 * * *' });
  const secrets = [appUser.secretAccessKey, appUser.accessKeyId, server().secretAccessKey, server().accessKeyId];
  for (const [schedule, where, prefix, archivesThere] of [['Offsite', appBucket, 'new/', 2], ['Old', bucket, 'old/', 4]] as const) {
    const job = await backUpNow(schedule);
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
    const archives = (await objectsUnder(where, prefix)).filter((key) => key.includes('/Dormouse/'));
    assert.equal(archives.length, archivesThere, `the archives and their .sha256 under ${prefix}: ${archives.join(', ')}`);
    for (const secret of secrets) assert.ok(!JSON.stringify(job).includes(secret), 'the job does not hold the keys');
  }
  const forks = electron.utilityProcess.forks;
  assert.ok(forks.length >= 2, 'the backups ran in utility processes');
  for (const fork of forks) for (const secret of secrets) assert.ok(!JSON.stringify([fork.args, fork.options]).includes(secret), 'no key in a worker argument');
  assert.ok(existsSync(join(folder.dataDir, 'logs', 'archive-worker.log')), 'the worker log was written');
  for (const secret of [appUser.secretAccessKey, appUser.accessKeyId]) assert.deepEqual(filesHolding(folder.dataDir, secret), [], 'sealed keys: not in the catalog, its WAL, the worker log or any other file');
  for (const secret of [server().secretAccessKey, server().accessKeyId]) assert.deepEqual(filesHolding(folder.dataDir, secret), ['s3-credentials.json'], 'the CLI\'s keys: only in their 0600 file');
  for (const secret of secrets) assert.ok(!loaded.hostLog.join('\n').includes(secret) && !appLines.join('\n').includes(secret), 'nor the app log');
});

test('the CLI has no keychain: a backup, a listing or a restore for such a destination says to use the app, even with keys in its environment', { skip: noCeph }, () => {
  const says = /destination "new" \(s3:\/\/keychain-app\/new\): its S3 keys are sealed in the Dormouse app's system keychain, which the command line and `dormouse daemon` cannot open; run this from the Dormouse app/;
  const run = cli(['run', 'Offsite']);
  assert.equal(run.code, 1, run.stderr);
  const job = run.json<JobView>();
  assert.equal(job.status, 'skipped');
  assert.match(job.error?.message ?? '', says);
  const snapshot = expectOk<SnapshotView[]>(cli(['snapshots'])).find((each) => each.scheduleName === 'Offsite');
  assert.ok(snapshot, 'the app made a snapshot of Offsite');
  for (const args of [['restore', String(snapshot.id), '--to', join(folder.root, 'Restored')], ['ls', String(snapshot.id)]]) {
    const refused = cli(args);
    assert.equal(refused.code, 1, `${args[0]}: ${refused.stdout}${refused.stderr}`);
    assert.match(refused.stderr, says);
    assert.ok(!refused.stderr.includes(server().secretAccessKey));
  }
  assert.equal(existsSync(join(folder.root, 'Restored')), false, 'nothing restored');
  const listed = expectOk<DestinationView[]>(cli(['destination', 'list'])).find((destination) => destination.name === 'new');
  assert.equal(listed?.state, 'missing', 'the CLI cannot reach it');
});

test('a locked keychain: the app skips the backup saying to unlock it, and the form says new keys would go to the 0600 file', { skip: noCeph }, async () => {
  electron.safeStorage.keychainAvailable = false;
  try {
    const job = await backUpNow('Offsite');
    assert.equal(job.status, 'skipped');
    assert.match(job.error?.message ?? '', /its S3 keys are sealed by the system keychain, which cannot open them now \(the system keychain is not available \(locked, or refused to Dormouse\)\); unlock it and try again/);
    const storage = await value<S3KeyStorage>('destinations:s3-key-storage', {});
    assert.equal(storage.keychain, false);
    assert.match(storage.where, /s3-credentials\.json, readable only by your user account: the system keychain is not available/);
  } finally {
    electron.safeStorage.keychainAvailable = true;
  }
  assert.equal((await backUpNow('Offsite')).status, 'succeeded', 'unlocked, it works again');
});

test('after a keychain reset (or in a data folder from another computer) the keys are refused saying to add the destination again', { skip: noCeph }, async () => {
  electron.safeStorage.resetKeychain();
  const job = await backUpNow('Offsite');
  assert.equal(job.status, 'skipped');
  assert.equal((await backUpNow('Old')).status, 'succeeded', 'keys in the 0600 file are not the keychain\'s');
  assert.match(job.error?.message ?? '', /sealed by a system keychain that can no longer open them .*remove the destination and add it again with its keys/);
});

test('removing a destination forgets its keys, sealed in the app or in the file from the CLI', { skip: noCeph }, async () => {
  await value('schedules:remove', { name: 'Offsite' });
  await value('destinations:remove', { name: 'new' });
  assert.deepEqual(sealedNames(), []);
  expectOk(cli(['schedule', 'remove', 'Old']));
  expectOk(cli(['destination', 'remove', 'old']));
  assert.deepEqual(plainIds(), []);
});
