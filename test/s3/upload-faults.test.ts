import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { abortLeftoverUploads } from '../../src-main/s3/leftover-uploads';
import { MultipartUpload, minimumPartSize, type UploadEvent } from '../../src-main/s3/multipart-upload';
import type { RetryPolicy } from '../../src-main/s3/retry-policy';
import type { S3Client } from '../../src-main/s3/s3-client';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { clientOf, noCeph, useS3Server } from './s3-kit';

/**
 * Uploads through a fault-injecting proxy in front of the RADOS Gateway: a connection cut in the
 * middle of a part, and a network that goes silent for 5 s (a laptop asleep), both end in a
 * completed upload with the right bytes, having sent again only the parts that were in flight.
 */

const server = useS3Server();
const MiB = 1024 * 1024;
const quickRetries: RetryPolicy = { attempts: 10, firstDelayMs: 100, maxDelayMs: 1_000 };

async function throughProxy(t: { after: (fn: () => Promise<void>) => void }, bucket: string, timeoutMs: number): Promise<{ proxy: FaultProxy; client: S3Client; direct: S3Client }> {
  const gateway = server();
  const direct = clientOf(gateway, bucket);
  await direct.createBucket();
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: gateway.port });
  t.after(() => proxy.close());
  return { proxy, direct, client: clientOf(gateway, bucket, { endpoint: proxy.endpoint }, { timeoutMs }) };
}

async function writeAll(upload: MultipartUpload, data: Buffer): Promise<void> {
  for (let offset = 0; offset < data.length; offset += 256 * 1024) await upload.write(data.subarray(offset, offset + 256 * 1024));
}

function describe(event: UploadEvent): string {
  if (event.type === 'part-failed') return `part ${event.partNumber} attempt ${event.attempt} failed (${event.error.kind}), again in ${event.retryInMs} ms`;
  if (event.type === 'part-uploaded') return `part ${event.partNumber} uploaded on attempt ${event.attempt}`;
  return event.type;
}

test('a connection cut in the middle of part 2 is retried from part 2: parts 1, 3 and 4 go up once, the object is byte-exact', { skip: noCeph }, async (t) => {
  const { proxy, client, direct } = await throughProxy(t, 'cut', 5_000);
  const data = randomBytes(3 * minimumPartSize + 2 * MiB);
  const log: string[] = [];
  const upload = await MultipartUpload.start(client, 'cut/archive.tar', { partSize: minimumPartSize, maxInFlight: 1, retry: quickRetries, onEvent: (event) => log.push(describe(event)) });
  proxy.cutAfter(minimumPartSize + 2 * MiB);
  await writeAll(upload, data);
  const result = await upload.complete();
  t.diagnostic(`${log.join('; ')}; ${proxy.counters.bytesUp} bytes went up for ${data.length}`);

  assert.equal(proxy.counters.connectionsCut >= 1, true, 'the proxy cut the connection');
  assert.deepEqual(Object.fromEntries(upload.stats.attemptsByPart), { 1: 1, 2: 2, 3: 1, 4: 1 }, log.join('\n'));
  assert.match(log.join('\n'), /part 2 attempt 1 failed \(connection-lost\)/);
  assert.ok(proxy.counters.bytesUp < data.length + minimumPartSize + MiB, `only part 2 was sent again (${proxy.counters.bytesUp} bytes went up for ${data.length})`);
  assert.equal(result.bytes, data.length);
  assert.ok((await direct.getObject('cut/archive.tar')).body.equals(data));
  assert.deepEqual((await direct.listMultipartUploads({ prefix: 'cut/' })).uploads, []);
});

test('a 5 s stall (the laptop sleeps) in the middle of the upload: the parts in flight time out and go again after the wake; the rest go once', { skip: noCeph }, async (t) => {
  const { proxy, client, direct } = await throughProxy(t, 'stall', 1_500);
  const data = randomBytes(5 * minimumPartSize + 1_000);
  const events: UploadEvent[] = [];
  const upload = await MultipartUpload.start(client, 'stall/archive.tar', { partSize: minimumPartSize, maxInFlight: 2, retry: quickRetries, onEvent: (event) => events.push(event) });

  const uploadedBeforeStall = new Set<number>();
  const inFlightAtStall = new Set<number>();
  proxy.stallAfter(Math.round(3.2 * minimumPartSize));
  const sleep = proxy.stalled().then(async () => {
    for (const event of events) {
      if (event.type === 'part-started') inFlightAtStall.add(event.partNumber);
      if (event.type === 'part-uploaded') uploadedBeforeStall.add(event.partNumber);
    }
    for (const part of uploadedBeforeStall) inFlightAtStall.delete(part);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    proxy.resume();
    return Date.now();
  });
  const started = Date.now();
  await writeAll(upload, data);
  await upload.complete();
  const wokeAt = await sleep;

  const log = events.map(describe).join('\n');
  t.diagnostic(`in flight at the stall: parts ${[...inFlightAtStall].join(', ')}; ${events.filter((event) => event.type !== 'part-started').map(describe).join('; ')}`);
  assert.ok(wokeAt - started >= 5_000 && Date.now() >= wokeAt, 'the upload completed only after the wake');
  assert.ok(inFlightAtStall.size >= 1, 'a part was in flight when the network went silent');
  assert.ok(uploadedBeforeStall.size >= 1, 'a part had gone up before the network went silent');
  const retried = [...upload.stats.attemptsByPart].filter(([, attempts]) => attempts > 1).map(([part]) => part);
  assert.ok(retried.length >= 1, log);
  for (const part of retried) assert.ok(inFlightAtStall.has(part), `only parts in flight at the stall were sent again (part ${part})\n${log}`);
  for (const part of uploadedBeforeStall) assert.equal(upload.stats.attemptsByPart.get(part), 1, `part ${part}, uploaded before the stall, was not sent again`);
  assert.ok(events.some((event) => event.type === 'part-failed' && event.error.kind === 'not-answering'), log);
  assert.ok((await direct.getObject('stall/archive.tar')).body.equals(data));
  assert.deepEqual((await direct.listMultipartUploads({ prefix: 'stall/' })).uploads, []);
});

test('a network that never comes back: the upload gives up after its tries and tries to abort; the upload left behind is aborted by the sweep at the next start', { skip: noCeph }, async (t) => {
  const { proxy, client, direct } = await throughProxy(t, 'gone', 500);
  const events: UploadEvent[] = [];
  const upload = await MultipartUpload.start(client, 'gone/archive.tar', { partSize: minimumPartSize, retry: { attempts: 3, firstDelayMs: 50, maxDelayMs: 100 }, onEvent: (event) => events.push(event) });
  proxy.stall();
  await upload.write(randomBytes(minimumPartSize));
  await assert.rejects(upload.complete(), /UploadPart 1 s3:\/\/gone\/gone\/archive\.tar at http:\/\/127\.0\.0\.1:\d+: the server did not answer within 0\.5 s/);
  assert.equal(events.filter((event) => event.type === 'part-failed').length, 2);
  // The abort went through the silent network too, so it failed: the upload is left behind.
  assert.ok(events.some((event) => event.type === 'abort-failed'), events.map(describe).join('\n'));
  await proxy.close();
  const left = (await direct.listMultipartUploads({ prefix: 'gone/' })).uploads;
  assert.deepEqual(left.map((pending) => pending.uploadId), [upload.uploadId]);

  // The sweep at the next start aborts it, but neither an upload begun since nor one under another machine's prefix.
  const nextStart = new Date(Date.now() + 1_000);
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const started = await MultipartUpload.start(direct, 'gone/started-after.tar', { partSize: minimumPartSize });
  const otherMachine = await MultipartUpload.start(direct, 'elsewhere/archive.tar', { partSize: minimumPartSize });
  const swept = await abortLeftoverUploads(direct, 'gone/', nextStart);
  assert.deepEqual(swept.map((pending) => pending.uploadId), [upload.uploadId]);
  const remaining = (await direct.listMultipartUploads()).uploads.map((pending) => pending.key).sort();
  assert.deepEqual(remaining, ['elsewhere/archive.tar', 'gone/started-after.tar']);
  await started.abort();
  await otherMachine.abort();
});
