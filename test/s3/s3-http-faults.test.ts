import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeResult, expectOk, temporaryFolder } from '../helpers/cli';
import { internalError, slowDown, startHttpFaultProxy, type HttpFaultProxy } from '../helpers/http-fault-proxy';
import { noise } from '../helpers/trees';
import { clientOf, noCeph, pendingUploads, useS3Server, visibleArchives, type JobSeen } from './s3-kit';
import { s3AddArgs, s3CliAsync, s3CliStart } from './s3-destination-kit';

/**
 * A storage service that answers with errors, through the real CLI and worker and an HTTP proxy
 * in front of the gateway: a short storm of 503 SlowDown and 500 InternalError during an upload is
 * ridden out; one that does not end fails the job saying so, with nothing visible, and the next
 * backup clears what it left; ranged reads whose answers are cut short are read again, and never
 * restored as wrong bytes.
 */

const server = useS3Server();
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Job = JobSeen;

const visible = (bucket: string) => visibleArchives(server(), bucket);

const pending = (bucket: string) => pendingUploads(server(), bucket);

const isUploadPart = (request: { method: string; url: string }): boolean => request.method === 'PUT' && /[?&]partNumber=/.test(request.url);

async function setUp(t: { after: (fn: () => Promise<void> | void) => void }, bucket: string, env: NodeJS.ProcessEnv): Promise<{ root: string; source: string; proxy: HttpFaultProxy; cli: ReturnType<typeof s3CliAsync> }> {
  const root = temporaryFolder(t);
  const source = join(root, 'home');
  mkdirSync(source);
  writeFileSync(join(source, 'small.txt'), 'the first version\n');
  await clientOf(server(), bucket).createBucket();
  const proxy = await startHttpFaultProxy({ host: '127.0.0.1', port: server().port });
  t.after(() => proxy.close());
  const cli = s3CliAsync(server(), join(root, 'data'), { DORMOUSE_S3_PART_MIB: '5', DORMOUSE_S3_TIMEOUT_SECONDS: '5', ...env });
  expectOk(await cli([...s3AddArgs(server(), 'cloud', `s3://${bucket}`, proxy.endpoint), '--no-encrypt']));
  expectOk(await cli(['schedule', 'add', '--name', 'Home', '--source', source, '--destination', 'cloud', '--cron', '0 9 * * *']));
  const first = expectOk<Job>(await cli(['run', 'Home']));
  assert.equal(first.status, 'succeeded', JSON.stringify(first.error));
  return { root, source, proxy, cli };
}

test('a short storm of 503 SlowDown and 500 InternalError during an upload is ridden out: the backup succeeds and restores byte-exact', { skip: noCeph }, async (t) => {
  const { root, source, proxy, cli } = await setUp(t, 'short-storm', {});
  const big = noise(22 * MiB, 21);
  writeFileSync(join(source, 'big.bin'), big);
  const running = cli(['run', 'Home']);
  await proxy.requested(isUploadPart);
  proxy.failAll(slowDown);
  await sleep(2_000);
  proxy.failNext(2, internalError);
  const job = (await running).json<Job>();
  const errors = proxy.seen.filter((request) => request.fate === 'error').length;
  t.diagnostic(`${errors} requests were answered with 503 or 500`);
  assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
  assert.ok(errors >= 3, `the storm answered ${errors} requests`);
  assert.equal(await pending('short-storm'), 0, 'no multipart upload is left pending');

  const [snapshot] = expectOk<{ id: number }[]>(await cli(['snapshots']));
  const target = join(root, 'restored');
  expectOk(await cli(['restore', String(snapshot?.id), '--to', target]));
  assert.ok(readFileSync(join(target, source.slice(1), 'big.bin')).equals(big), 'the restored file is byte-exact');
});

test('a storm that does not end fails the job saying the service kept answering with errors; nothing is visible; the next backup clears the pending upload', { skip: noCeph }, async (t) => {
  const { root, source, proxy, cli } = await setUp(t, 'long-storm', { DORMOUSE_S3_ATTEMPTS: '3' });
  const before = await visible('long-storm');
  writeFileSync(join(source, 'big.bin'), noise(12 * MiB, 22));
  const running = cli(['run', 'Home']);
  await proxy.requested(isUploadPart);
  proxy.failAll(slowDown);
  const result = await running;
  const job = result.json<Job>();
  t.diagnostic(job.error?.message ?? '');
  assert.equal(result.code, 1, describeResult(result));
  assert.equal(job.status, 'failed');
  assert.match(job.error?.message ?? '', /^the upload of s3:\/\/long-storm\/Dormouse\/.+ failed: .*the storage service kept answering with errors, 3 tries in all \(the last: HTTP 503 SlowDown: Please reduce your request rate\.\); try again later.*; nothing of it was published and older snapshots are untouched$/);
  assert.deepEqual(await visible('long-storm'), before, 'nothing of the failed backup is visible');
  assert.equal(await pending('long-storm'), 1, 'the storm kept the upload from being aborted');

  proxy.heal();
  const [older] = expectOk<{ id: number }[]>(await cli(['snapshots']));
  const target = join(root, 'restored');
  expectOk(await cli(['restore', String(older?.id), '--to', target]));
  assert.equal(readFileSync(join(target, source.slice(1), 'small.txt'), 'utf8'), 'the first version\n', 'the older snapshot restores');
  const again = expectOk<Job>(await cli(['run', 'Home']));
  assert.equal(again.status, 'succeeded', JSON.stringify(again.error));
  assert.equal(await pending('long-storm'), 0, 'the next backup aborted the upload the storm left');
});

test('ranged reads cut short during ls and a one-file restore are read again; cut short every time, they fail with exit 1 and no wrong bytes', { skip: noCeph }, async (t) => {
  const root = temporaryFolder(t);
  const source = join(root, 'home');
  mkdirSync(join(source, 'docs'), { recursive: true });
  writeFileSync(join(source, 'docs', 'letter.txt'), 'Dear bank, …\n');
  const photo = noise(3 * MiB + 12_345, 23);
  writeFileSync(join(source, 'photo.bin'), photo);
  await clientOf(server(), 'cut-reads').createBucket();
  const proxy = await startHttpFaultProxy({ host: '127.0.0.1', port: server().port });
  t.after(() => proxy.close());
  const dataDir = join(root, 'data');
  const cli = s3CliAsync(server(), dataDir, { DORMOUSE_S3_ATTEMPTS: '3' });
  expectOk(await cli([...s3AddArgs(server(), 'cloud', 's3://cut-reads', proxy.endpoint), '--no-encrypt']));
  expectOk(await cli(['schedule', 'add', '--name', 'Home', '--source', source, '--destination', 'cloud', '--cron', '0 9 * * *']));
  assert.equal(expectOk<Job>(await cli(['run', 'Home'])).status, 'succeeded');
  const id = String(expectOk<{ id: number }[]>(await cli(['snapshots']))[0]?.id);
  // Without the local copy of its manifest, ls reads the manifest from the bucket by range.
  rmSync(join(dataDir, 'manifest-copies'), { recursive: true, force: true });
  const truncated = (): number => proxy.seen.filter((request) => request.fate === 'truncated').length;

  proxy.truncateRangedGets(2);
  const listing = expectOk<{ entries: { name: string }[] }>(await cli(['ls', id, source]));
  assert.deepEqual(listing.entries.map((entry) => entry.name), ['docs', 'photo.bin']);
  assert.equal(truncated(), 2, 'two ranged reads of ls were cut short, and read again');

  proxy.truncateRangedGets(2, 0.9);
  const target = join(root, 'restored');
  const restored = expectOk<{ files: number }>(await cli(['restore', id, '--to', target, '--path', join(source, 'photo.bin')]));
  assert.equal(restored.files, 1);
  assert.equal(truncated(), 4, 'two ranged reads of the restore were cut short, and read again');
  assert.ok(readFileSync(join(target, source.slice(1), 'photo.bin')).equals(photo), 'the restored file is byte-exact');

  proxy.truncateRangedGets(1_000);
  const failedLs = await cli(['ls', id, join(source, 'docs')]);
  t.diagnostic(failedLs.stderr);
  assert.equal(failedLs.code, 1, describeResult(failedLs));
  assert.equal(failedLs.stdout, '');
  assert.match(failedLs.stderr, /^error: .*GetObject s3:\/\/cut-reads\/Dormouse\/.*the connection was lost \(the answer was cut short: \d+ of \d+ bytes came\) \(3 tries in all\)/);

  const again = join(root, 'again');
  const failedRestore = await cli(['restore', id, '--to', again, '--path', join(source, 'photo.bin')]);
  t.diagnostic(`${failedRestore.stdout} ${failedRestore.stderr}`);
  assert.equal(failedRestore.code, 1, describeResult(failedRestore));
  assert.match(failedRestore.stdout + failedRestore.stderr, /cut short/);
  const landed = join(again, source.slice(1), 'photo.bin');
  assert.ok(!existsSync(landed) || readFileSync(landed).equals(photo), 'no wrong bytes under the file name');
  proxy.heal();
});

test('a bucket out of reach in the middle of a whole restore stops it after a few files, saying so, never calling a file damaged; restoring again once it is back finishes', { skip: noCeph }, async (t) => {
  const root = temporaryFolder(t);
  const source = join(root, 'home');
  mkdirSync(source);
  // Larger than what one read brings with a file's header, so each file needs reads of its own.
  for (let index = 0; index < 40; index += 1) writeFileSync(join(source, `photo-${String(index).padStart(2, '0')}.bin`), noise(200 * 1024, index));
  await clientOf(server(), 'gone-midway').createBucket();
  const proxy = await startHttpFaultProxy({ host: '127.0.0.1', port: server().port });
  t.after(() => proxy.close());
  const cli = s3CliAsync(server(), join(root, 'data'), { DORMOUSE_S3_ATTEMPTS: '2' });
  expectOk(await cli([...s3AddArgs(server(), 'cloud', 's3://gone-midway', proxy.endpoint), '--no-encrypt']));
  expectOk(await cli(['schedule', 'add', '--name', 'Home', '--source', source, '--destination', 'cloud', '--cron', '0 9 * * *']));
  assert.equal(expectOk<Job>(await cli(['run', 'Home'])).status, 'succeeded');
  const id = String(expectOk<{ id: number }[]>(await cli(['snapshots']))[0]?.id);

  // The restore reads the snapshot's index first; the bucket goes out of reach once it reads the first file.
  const isFirstFile = (request: { method: string; range: string | null }) => request.method === 'GET' && request.range?.startsWith('bytes=0-') === true;
  proxy.hold(isFirstFile);
  const target = join(root, 'restored');
  const restoring = s3CliStart(server(), join(root, 'data'), { DORMOUSE_S3_ATTEMPTS: '2' })(['restore', id, '--to', target]);
  await proxy.requested(isFirstFile);
  proxy.truncateRangedGets(1_000);
  proxy.release();
  const cut = await restoring.done;
  assert.equal(cut.code, 1, describeResult(cut));
  const report = cut.json<{ files: number; refused: string[]; damaged: string[] }>();
  assert.deepEqual(report.damaged, [], 'nothing is called damaged');
  const stop = report.refused.filter((line) => line.startsWith('the restore stopped: '));
  assert.equal(stop.length, 1, describeResult(cut));
  assert.match(stop[0] ?? '', /^the restore stopped: the archive could not be read for 8 files in a row \(the last time: .*cut short.*\); if its drive was unplugged or its share or bucket is out of reach, restore again once it is back/);
  assert.equal(report.refused.length - 1, 8, `only the files tried before it stopped are listed: ${report.refused.join('\n')}`);
  assert.ok(report.files < 40);

  proxy.heal();
  const again = expectOk<{ files: number; unchanged: number }>(await cli(['restore', id, '--to', target]));
  assert.equal(again.files + again.unchanged, 40);
  assert.ok(readFileSync(join(target, source.slice(1), 'photo-39.bin')).equals(noise(200 * 1024, 39)));
});
