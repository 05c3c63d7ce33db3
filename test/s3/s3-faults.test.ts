import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expectOk, temporaryFolder } from '../helpers/cli';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { noise } from '../helpers/trees';
import { clientOf, noCeph, pendingUploads, useS3Server, visibleArchives, type JobSeen } from './s3-kit';
import { s3AddArgs, s3CliAsync } from './s3-destination-kit';

/**
 * What goes wrong with an S3 destination, through the real CLI and worker: an endpoint that stops
 * answering in the middle of an upload, a cancel while parts are in flight, keys that no longer work
 * and a bucket that is gone. Each is a clear error on the job; nothing half-uploaded is visible or
 * left pending; the older snapshot is untouched and restores.
 */

const server = useS3Server();
const MiB = 1024 * 1024;
/** Small parts and little patience, so a dead endpoint fails the job in seconds, not minutes. */
const impatient = { DORMOUSE_S3_PART_MIB: '5', DORMOUSE_S3_TIMEOUT_SECONDS: '2', DORMOUSE_S3_ATTEMPTS: '2' };

type Job = JobSeen;

const visible = (bucket: string) => visibleArchives(server(), bucket);

const pending = (bucket: string) => pendingUploads(server(), bucket);

/** Points a data folder's S3 destination at another endpoint (the proxy is gone; the gateway itself). */
function repoint(dataDir: string, endpoint: string): void {
  const db = new Database(join(dataDir, 'dormouse.sqlite'));
  db.prepare('UPDATE destinations SET s3_endpoint = ?').run(endpoint);
  db.close();
}

async function setUp(t: { after: (fn: () => Promise<void> | void) => void }, bucket: string): Promise<{ root: string; source: string; dataDir: string; proxy: FaultProxy; cli: (args: string[]) => ReturnType<ReturnType<typeof s3CliAsync>>; first: Job }> {
  const root = temporaryFolder(t);
  const source = join(root, 'home');
  mkdirSync(source);
  writeFileSync(join(source, 'small.txt'), 'the first version\n');
  await clientOf(server(), bucket).createBucket();
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: server().port });
  t.after(() => proxy.close());
  const dataDir = join(root, 'data');
  const cli = s3CliAsync(server(), dataDir, impatient);
  expectOk(await cli([...s3AddArgs(server(), 'cloud', `s3://${bucket}`, proxy.endpoint), '--no-encrypt']));
  expectOk(await cli(['schedule', 'add', '--name', 'Home', '--source', source, '--destination', 'cloud', '--cron', '0 9 * * *']));
  const first = expectOk<Job>(await cli(['run', 'Home']));
  assert.equal(first.status, 'succeeded', JSON.stringify(first.error));
  // The next backup uploads a few parts.
  writeFileSync(join(source, 'big.bin'), noise(26 * MiB, 11));
  return { root, source, dataDir, proxy, cli, first };
}

test('an endpoint that stops answering in the middle of an upload: the job fails saying so, nothing is published, the next backup clears the upload', { skip: noCeph }, async (t) => {
  const { root, source, dataDir, proxy, cli, first } = await setUp(t, 'gone');
  const before = await visible('gone');
  proxy.stallAfter(8 * MiB);
  const running = cli(['run', 'Home']);
  await proxy.stalled();
  // Silent for a while, then refused: the network is gone.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  await proxy.close();
  const failed = (await running).json<Job>();
  t.diagnostic(failed.error?.message ?? '');
  assert.equal(failed.status, 'failed');
  assert.match(failed.error?.message ?? '', /^the upload of s3:\/\/gone\/Dormouse\/.+ failed: .*(not answering|did not answer|connection was lost).*; nothing of it was published and older snapshots are untouched$/);
  assert.deepEqual(await visible('gone'), before, 'nothing of the failed backup is visible');

  repoint(dataDir, server().endpoint);
  const restored = join(root, 'restored');
  expectOk(await cli(['restore', String(expectOk<{ id: number }[]>(await cli(['snapshots']))[0]?.id), '--to', restored]));
  assert.equal(readFileSync(join(restored, source.slice(1), 'small.txt'), 'utf8'), 'the first version\n', 'the older snapshot restores');
  const again = expectOk<Job>(await cli(['run', 'Home']));
  assert.equal(again.status, 'succeeded', JSON.stringify(again.error));
  assert.equal(await pending('gone'), 0, 'no multipart upload is left pending');
  assert.ok((await visible('gone')).includes(first.archivePath?.slice('s3://gone/'.length) ?? ''), 'the first archive is untouched');
});

test('a cancel while parts are in flight: the job is cancelled, the upload aborted, nothing published', { skip: noCeph }, async (t) => {
  const { proxy, cli } = await setUp(t, 'cancel');
  const before = await visible('cancel');
  proxy.stallAfter(8 * MiB);
  const running = cli(['run', 'Home']);
  await proxy.stalled();
  const [job] = expectOk<Job[]>(await cli(['jobs', '--limit', '1']));
  assert.equal(job?.status, 'running');
  const cancelling = cli(['cancel', String(job?.id)]);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  proxy.resume();
  expectOk(await cancelling);
  const ended = (await running).json<Job>();
  assert.equal(ended.status, 'cancelled');
  assert.deepEqual(await visible('cancel'), before, 'nothing of the cancelled backup is visible');
  assert.equal(await pending('cancel'), 0, 'its multipart upload was aborted');
});

test('keys that no longer work and a bucket that is gone: the backup is skipped saying what to do; the list says missing', { skip: noCeph }, async (t) => {
  const { dataDir, cli } = await setUp(t, 'keys');
  const stored = join(dataDir, 's3-credentials.json');
  const original = readFileSync(stored, 'utf8');
  writeFileSync(stored, original.replace(server().secretAccessKey, 'a-rotated-secret-key'), { mode: 0o600 });
  const refusedRun = await cli(['run', 'Home']);
  assert.equal(refusedRun.code, 1, 'a backup that did not run exits 1');
  const refused = refusedRun.json<Job>();
  t.diagnostic(refused.error?.message ?? '');
  assert.equal(refused.status, 'skipped');
  assert.match(refused.error?.message ?? '', /destination "cloud" is not available \(.*(secret key|SignatureDoesNotMatch|access key).*\)/);
  assert.deepEqual(expectOk<{ state: string }[]>(await cli(['destination', 'list'])).map((d) => d.state), ['missing']);

  writeFileSync(stored, original, { mode: 0o600 });
  const db = new Database(join(dataDir, 'dormouse.sqlite'));
  db.prepare("UPDATE destinations SET s3_bucket = 'no-such-bucket-here'").run();
  db.close();
  const noBucket = (await cli(['run', 'Home'])).json<Job>();
  t.diagnostic(noBucket.error?.message ?? '');
  assert.equal(noBucket.status, 'skipped');
  assert.match(noBucket.error?.message ?? '', /the bucket "no-such-bucket-here" does not exist there/);
});
