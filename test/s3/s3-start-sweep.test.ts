import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectOk, temporaryFolder } from '../helpers/cli';
import { startDaemon } from '../helpers/daemon';
import { startHttpFaultProxy } from '../helpers/http-fault-proxy';
import { noise } from '../helpers/trees';
import { clientOf, noCeph, useS3Server } from './s3-kit';
import { s3AddArgs, s3CliAsync, s3CliStart } from './s3-destination-kit';

/**
 * The sweep at start, through the real daemon against the real gateway: the multipart upload a
 * backup left when its process and worker were killed (SIGKILL) is aborted shortly after the next
 * start, without waiting for that schedule's next backup; another laptop's pending upload, and the
 * upload of a backup another process (a `dormouse run`) is still making, are left alone, and that
 * backup still succeeds.
 */

const server = useS3Server();
const MiB = 1024 * 1024;
const isUploadPart = (request: { method: string; url: string }): boolean => request.method === 'PUT' && /[?&]partNumber=/.test(request.url);

interface Job {
  id: number;
  status: string;
  error: { code: string; message: string } | null;
}

/** The processes a process started (its archive worker). */
function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

async function pendingKeys(bucket: string): Promise<string[]> {
  return (await clientOf(server(), bucket).listMultipartUploads()).uploads.map((upload) => upload.key).sort();
}

test("a killed backup's pending upload is aborted shortly after the daemon starts; another laptop's, and a running backup's, are left alone", { skip: noCeph }, async (t) => {
  const root = temporaryFolder(t);
  const dataDir = join(root, 'data');
  for (const name of ['killed', 'busy']) {
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, 'big.bin'), noise(12 * MiB, name.length));
  }
  await clientOf(server(), 'sweep').createBucket();
  const proxy = await startHttpFaultProxy({ host: '127.0.0.1', port: server().port });
  t.after(() => proxy.close());
  const cli = s3CliAsync(server(), dataDir, { DORMOUSE_S3_PART_MIB: '5' });
  expectOk(await cli([...s3AddArgs(server(), 'cloud', 's3://sweep', proxy.endpoint), '--no-encrypt']));
  // Disabled: the daemon's catch-up must not back them up (a backup aborts its own folder's leftovers).
  for (const name of ['killed', 'busy']) expectOk(await cli(['schedule', 'add', '--name', name, '--source', join(root, name), '--destination', 'cloud', '--cron', '0 9 * * *', '--disabled']));

  // Parts never reach the gateway: each backup's upload is begun and stays pending.
  proxy.hold(isUploadPart);
  const killed = s3CliStart(server(), dataDir, { DORMOUSE_S3_PART_MIB: '5' })(['run', 'killed']);
  await proxy.requested(isUploadPart);
  const workers = childrenOf(killed.child.pid as number);
  killed.child.kill('SIGKILL');
  for (const worker of workers) process.kill(worker, 'SIGKILL');
  await killed.done;

  const busy = s3CliStart(server(), dataDir, { DORMOUSE_S3_PART_MIB: '5' })(['run', 'busy']);
  await proxy.requested(isUploadPart);
  const others = clientOf(server(), 'sweep');
  const othersKey = 'Dormouse/other-laptop-0a1b2c3d/killed/20260101T090000Z-full-0a1b2c3d.tar';
  const othersUpload = await others.createMultipartUpload(othersKey);
  await others.uploadPart(othersKey, othersUpload, 1, Buffer.alloc(1024, 7));
  const before = await pendingKeys('sweep');
  assert.equal(before.length, 3, `the killed, the running and the other laptop's uploads are pending: ${before.join(', ')}`);
  const killedKey = before.find((key) => key.includes('/killed/') && !key.startsWith('Dormouse/other-laptop'));
  assert.ok(killedKey, 'the killed backup left its upload');

  const daemon = startDaemon(t, dataDir);
  const started = Date.now();
  await daemon.waitForOutput(/aborted 1 upload a stopped backup left/, 30_000);
  t.diagnostic(`swept ${Date.now() - started} ms after the start:\n${daemon.output()}`);
  assert.match(daemon.output(), new RegExp(`aborted 1 upload a stopped backup left \\(${killedKey}\\)`));
  assert.deepEqual(await pendingKeys('sweep'), before.filter((key) => key !== killedKey), "only the killed backup's upload was aborted");
  assert.deepEqual((await clientOf(server(), 'sweep').listObjects({ prefix: 'Dormouse/' })).objects, [], 'nothing was published');

  proxy.release();
  const finished = (await busy.done).json<Job>();
  assert.equal(finished.status, 'succeeded', JSON.stringify(finished.error));
  await daemon.stop('SIGTERM');
  const statuses = expectOk<{ status: string }[]>(await cli(['jobs'])).map((job) => job.status);
  assert.deepEqual(statuses, ['succeeded', 'interrupted'], 'the killed backup is marked interrupted, the running one succeeded');
  assert.deepEqual(await pendingKeys('sweep'), [othersKey], "the other laptop's upload is untouched");
});
