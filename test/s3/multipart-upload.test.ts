import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MultipartUpload, minimumPartSize, type UploadEvent } from '../../src-main/s3/multipart-upload';
import { uploadWritable } from '../../src-main/s3/multipart-writable';
import type { S3Client } from '../../src-main/s3/s3-client';
import { S3Error } from '../../src-main/s3/s3-errors';
import { clientOf, noCeph, useS3Server } from './s3-kit';

/** The streaming multipart uploader against the RADOS Gateway: byte-exact round trips, bounded parts in flight, abort and cancel. */

const server = useS3Server();
const MiB = 1024 * 1024;
let bucketReady: Promise<S3Client> | undefined;

function bucket(): Promise<S3Client> {
  bucketReady ??= (async () => {
    const client = clientOf(server(), 'multipart');
    await client.createBucket();
    return client;
  })();
  return bucketReady;
}

/** Writes `data` in uneven pieces, as a producer would. */
async function writeInPieces(upload: MultipartUpload, data: Buffer): Promise<void> {
  const sizes = [1, 65_536, 300_000, 1_048_576, 7];
  for (let offset = 0, index = 0; offset < data.length; index++) {
    const size = sizes[index % sizes.length] as number;
    await upload.write(data.subarray(offset, offset + size));
    offset += size;
  }
}

async function pendingUploads(client: S3Client, prefix: string): Promise<string[]> {
  return (await client.listMultipartUploads({ prefix })).uploads.map((upload) => `${upload.key} ${upload.uploadId}`);
}

test('a multipart upload of four parts round-trips byte-exact, is invisible until complete, and reads back by range across a part boundary', { skip: noCeph }, async () => {
  const client = await bucket();
  const data = randomBytes(3 * minimumPartSize + 1_234_567);
  const events: UploadEvent[] = [];
  const upload = await MultipartUpload.start(client, 'roundtrip/archive.tar', { partSize: minimumPartSize, maxInFlight: 2, onEvent: (event) => events.push(event) });
  await writeInPieces(upload, data);

  assert.equal(await client.headObject('roundtrip/archive.tar'), null, 'nothing under the key before completion');
  assert.deepEqual(await pendingUploads(client, 'roundtrip/'), [`roundtrip/archive.tar ${upload.uploadId}`]);

  const result = await upload.complete();
  assert.deepEqual({ bytes: result.bytes, parts: result.parts }, { bytes: data.length, parts: 4 });
  assert.match(result.etag, /^"[0-9a-f]{32}-4"$/);
  assert.ok(upload.stats.mostInFlight <= 2);
  assert.deepEqual([...upload.stats.attemptsByPart.values()], [1, 1, 1, 1]);
  assert.deepEqual(events.filter((event) => event.type === 'completed'), [{ type: 'completed', key: 'roundtrip/archive.tar', parts: 4, bytes: data.length }]);

  assert.deepEqual(await pendingUploads(client, 'roundtrip/'), []);
  const whole = await client.getObject('roundtrip/archive.tar');
  assert.ok(whole.body.equals(data), 'the object is the bytes written, in order');
  const start = minimumPartSize - 1000;
  const across = await client.getObject('roundtrip/archive.tar', { range: { start, end: start + 1999 } });
  assert.ok(across.body.equals(data.subarray(start, start + 2000)), 'a range across parts 1 and 2');
  const tail = await client.getObject('roundtrip/archive.tar', { range: { start: data.length - 10, end: data.length - 1 } });
  assert.ok(tail.body.equals(data.subarray(-10)));
});

test('a producer that reuses one buffer (as the worker\'s ring does) and writes pieces larger than a part still uploads the right bytes', { skip: noCeph }, async () => {
  const client = await bucket();
  const data = randomBytes(2 * minimumPartSize + 3 * MiB);
  const upload = await MultipartUpload.start(client, 'reused/archive.tar', { partSize: minimumPartSize, maxInFlight: 2 });
  const ring = Buffer.alloc(700_000);
  for (let offset = 0; offset < 4 * MiB; offset += ring.length) {
    const length = data.copy(ring, 0, offset, Math.min(offset + ring.length, 4 * MiB));
    await upload.write(ring.subarray(0, length));
  }
  await upload.write(data.subarray(4 * MiB));
  await upload.complete();
  assert.ok((await client.getObject('reused/archive.tar')).body.equals(data));
});

test('parts in flight stay bounded, and an object smaller than one part (or empty) is one part', { skip: noCeph }, async () => {
  const client = await bucket();
  const upload = await MultipartUpload.start(client, 'bounded/eight.tar', { partSize: minimumPartSize, maxInFlight: 3 });
  const data = randomBytes(8 * minimumPartSize);
  await writeInPieces(upload, data);
  await upload.complete();
  assert.equal(upload.stats.mostInFlight, 3);
  assert.equal((await client.headObject('bounded/eight.tar'))?.size, data.length);

  const small = await MultipartUpload.start(client, 'bounded/small.tar', { partSize: minimumPartSize });
  await small.write(Buffer.from('a small archive'));
  assert.equal((await small.complete()).parts, 1);
  assert.equal((await client.getObject('bounded/small.tar')).body.toString(), 'a small archive');

  const empty = await MultipartUpload.start(client, 'bounded/empty.tar', { partSize: minimumPartSize });
  assert.equal((await empty.complete()).bytes, 0);
  assert.equal((await client.headObject('bounded/empty.tar'))?.size, 0);
});

test('an aborted upload leaves no object and no pending upload; later writes say it was cancelled', { skip: noCeph }, async () => {
  const client = await bucket();
  const events: UploadEvent[] = [];
  const upload = await MultipartUpload.start(client, 'aborted/archive.tar', { partSize: minimumPartSize, onEvent: (event) => events.push(event) });
  await writeInPieces(upload, randomBytes(2 * minimumPartSize + 100));
  await upload.abort();
  assert.equal(await client.headObject('aborted/archive.tar'), null);
  assert.deepEqual(await pendingUploads(client, 'aborted/'), []);
  assert.ok(events.some((event) => event.type === 'aborted'));
  await assert.rejects(upload.write(Buffer.from('more')), (error: S3Error) => error.kind === 'cancelled' && /the upload of aborted\/archive\.tar was cancelled/.test(error.message));
  await assert.rejects(client.abortMultipartUpload('aborted/archive.tar', upload.uploadId), (error: S3Error) => error.kind === 'no-such-upload');
});

test('cancelling through the signal stops the parts in flight and aborts the upload', { skip: noCeph }, async () => {
  const client = await bucket();
  const cancel = new AbortController();
  const events: UploadEvent[] = [];
  const upload = await MultipartUpload.start(client, 'cancelled/archive.tar', { partSize: minimumPartSize, maxInFlight: 2, signal: cancel.signal, onEvent: (event) => events.push(event) });
  await upload.write(randomBytes(2 * minimumPartSize));
  cancel.abort();
  await assert.rejects(upload.complete(), (error: S3Error) => error.kind === 'cancelled');
  assert.ok(events.some((event) => event.type === 'aborted'));
  assert.deepEqual(await pendingUploads(client, 'cancelled/'), []);
  assert.equal(await client.headObject('cancelled/archive.tar'), null);
});

test('a failure that trying again cannot mend (the upload aborted elsewhere) ends the upload at once, saying why', { skip: noCeph }, async () => {
  const client = await bucket();
  const events: UploadEvent[] = [];
  const upload = await MultipartUpload.start(client, 'elsewhere/archive.tar', { partSize: minimumPartSize, maxInFlight: 1, onEvent: (event) => events.push(event) });
  await upload.write(randomBytes(minimumPartSize + 10));
  await client.abortMultipartUpload('elsewhere/archive.tar', upload.uploadId);
  const failure = (error: S3Error): boolean => error.kind === 'no-such-upload' && /^UploadPart [12] s3:\/\/multipart\/elsewhere\/archive\.tar at .* failed: no such multipart upload/.test(error.message);
  await assert.rejects(async () => {
    await upload.write(randomBytes(minimumPartSize));
    await upload.complete();
  }, failure);
  assert.deepEqual(events.filter((event) => event.type === 'part-failed'), [], 'not tried again');
  assert.equal(await client.headObject('elsewhere/archive.tar'), null);
});

test('as a Writable: a pipeline completes the upload; a producer that fails midway aborts it', { skip: noCeph }, async () => {
  const client = await bucket();
  const data = randomBytes(2 * minimumPartSize + 77);
  const piped = uploadWritable(await MultipartUpload.start(client, 'piped/archive.tar', { partSize: minimumPartSize }));
  await pipeline(Readable.from([data.subarray(0, 3 * MiB), data.subarray(3 * MiB)]), piped.stream);
  assert.equal((await piped.result).bytes, data.length);
  assert.ok((await client.getObject('piped/archive.tar')).body.equals(data));

  const broken = uploadWritable(await MultipartUpload.start(client, 'piped/broken.tar', { partSize: minimumPartSize }));
  async function* failingProducer(): AsyncGenerator<Buffer> {
    yield randomBytes(6 * MiB);
    throw new Error('the source disk went away');
  }
  await assert.rejects(pipeline(Readable.from(failingProducer()), broken.stream), /the source disk went away/);
  await assert.rejects(broken.result, /the source disk went away/);
  assert.deepEqual(await pendingUploads(client, 'piped/'), []);
  assert.equal(await client.headObject('piped/broken.tar'), null);
});

test('a part size below S3\'s 5 MiB minimum is refused before anything starts', { skip: noCeph }, async () => {
  const client = await bucket();
  await assert.rejects(MultipartUpload.start(client, 'refused.tar', { partSize: MiB }), /the part size must be at least 5242880 bytes \(5 MiB\), not 1048576/);
  assert.deepEqual(await pendingUploads(client, 'refused'), []);
});
