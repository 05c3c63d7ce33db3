import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expectOk, temporaryFolder } from '../helpers/cli';
import { startFaultProxy } from '../helpers/fault-proxy';
import { childPids, commandLine, noise, waitFor } from '../helpers/trees';
import { clientOf, noCeph, useS3Server } from './s3-kit';
import { s3AddArgs, s3CliAsync, s3CliStart } from './s3-destination-kit';

/**
 * A laptop that sleeps in the middle of an S3 upload (#18): the archive worker is stopped with
 * SIGSTOP while parts are in flight, the network drops every connection and refuses new ones for a
 * while, then the worker wakes before the network does. The upload goes on from the parts that
 * were in flight, not from the start: the job succeeds, the object restores whole, nothing is left
 * pending, and what went up is the archive plus at most two parts sent again.
 */

const server = useS3Server();
const MiB = 1024 * 1024;
const partSize = 5 * MiB;
/** Requests and their answers' headers, and the small objects beside the archive: well under a part. */
const headerAllowance = 256 * 1024;

interface Job {
  id: number;
  status: string;
  archivePath: string | null;
  error: { code: string; message: string } | null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

async function objectSizes(bucket: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for await (const object of clientOf(server(), bucket).listAllObjects('')) sizes.set(object.key, object.size);
  return sizes;
}

test('a sleep in the middle of an upload: after the wake the upload resumes from the parts in flight and finishes', { skip: noCeph }, async (t) => {
  const root = temporaryFolder(t);
  const source = join(root, 'home');
  mkdirSync(source);
  writeFileSync(join(source, 'small.txt'), 'before the nap\n');
  const big = noise(40 * MiB, 23);
  writeFileSync(join(source, 'big.bin'), big);
  const bucket = 'sleepy';
  await clientOf(server(), bucket).createBucket();
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: server().port });
  t.after(() => proxy.close());
  const dataDir = join(root, 'data');
  const env = { DORMOUSE_S3_PART_MIB: '5', DORMOUSE_S3_TIMEOUT_SECONDS: '10' };
  const cli = s3CliAsync(server(), dataDir, env);
  expectOk(await cli([...s3AddArgs(server(), 'cloud', `s3://${bucket}`, proxy.endpoint), '--no-encrypt']));
  expectOk(await cli(['schedule', 'add', '--name', 'Home', '--source', source, '--destination', 'cloud', '--cron', '0 9 * * *']));

  const before = await objectSizes(bucket);
  const upBefore = proxy.counters.bytesUp;
  const running = s3CliStart(server(), dataDir, env)(['run', 'Home']);
  const cliPid = running.child.pid as number;
  const worker = await waitFor('the archive worker under the CLI', () => childPids(cliPid).find((pid) => commandLine(pid).includes('archive-worker')), 30_000);
  // Some parts are up and more are on their way when the lid closes.
  await waitFor('three parts sent', () => proxy.counters.bytesUp - upBefore >= 3 * partSize + MiB, 60_000, 5);
  process.kill(worker, 'SIGSTOP');
  const upAtSleep = proxy.counters.bytesUp - upBefore;
  let stopped = true;
  t.after(() => {
    if (stopped) process.kill(worker, 'SIGCONT');
  });
  proxy.refuse();
  await sleep(3_000);
  // The laptop wakes; its network comes back a moment later.
  process.kill(worker, 'SIGCONT');
  stopped = false;
  await sleep(2_000);
  proxy.resume();

  const result = await running.done;
  const job = result.json<Job>();
  assert.equal(job.status, 'succeeded', `${JSON.stringify(job.error)}\n${result.stderr}`);
  assert.equal((await clientOf(server(), bucket).listMultipartUploads({ prefix: '' })).uploads.length, 0, 'no multipart upload is left pending');

  const after = await objectSizes(bucket);
  const added = [...after].filter(([key]) => !before.has(key));
  const addedBytes = added.reduce((sum, [, size]) => sum + size, 0);
  const archiveKey = job.archivePath?.slice(`s3://${bucket}/`.length) ?? '';
  const archiveSize = after.get(archiveKey) ?? 0;
  const sent = proxy.counters.bytesUp - upBefore;
  const extra = sent - addedBytes;
  t.diagnostic(`archive ${archiveSize} bytes (${(archiveSize / partSize).toFixed(2)} parts), new objects ${addedBytes} bytes; ${upAtSleep} bytes up at the sleep; ${sent} bytes up in all: ${extra} more (${(extra / partSize).toFixed(2)} parts); ${proxy.counters.connectionsCut} connections cut`);
  assert.ok(archiveSize > big.length, 'the archive holds the big file');
  assert.ok(sent <= addedBytes + 2 * partSize + headerAllowance, `at most two parts went up twice: ${sent} bytes sent for ${addedBytes} bytes of objects`);

  // The object reads back whole: restored from the gateway itself, the files are the same.
  const db = new Database(join(dataDir, 'dormouse.sqlite'));
  db.prepare('UPDATE destinations SET s3_endpoint = ?').run(server().endpoint);
  db.close();
  const restored = join(root, 'restored');
  const snapshots = expectOk<{ id: number }[]>(await cli(['snapshots']));
  expectOk(await cli(['restore', String(snapshots[0]?.id), '--to', restored]));
  assert.equal(sha256(readFileSync(join(restored, source.slice(1), 'big.bin'))), sha256(big), 'the big file restores byte for byte');
  assert.equal(readFileSync(join(restored, source.slice(1), 'small.txt'), 'utf8'), 'before the nap\n');
});
