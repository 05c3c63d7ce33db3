import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import { S3Error } from '../../src-main/s3/s3-errors';
import { startFaultProxy } from '../helpers/fault-proxy';
import { noOpenssl } from '../helpers/s3-server';
import { clientOf, keysOf, loopbackAgent, noCeph, useS3Server } from './s3-kit';

/** The S3 client's operations against Ceph's RADOS Gateway, and the errors a person sees when something is wrong. */

const server = useS3Server();

test('a bucket: created, then HeadBucket answers; objects written, read whole and by range, described, deleted', { skip: noCeph }, async () => {
  const client = clientOf(server(), 'operations');
  await client.createBucket();
  await client.headBucket();

  const body = randomBytes(100_000);
  const etag = await client.putObject('machines/laptop/.dormouse-destination.json', body, { contentType: 'application/json' });
  assert.match(etag, /^"[0-9a-f]{32}"$/);

  const whole = await client.getObject('machines/laptop/.dormouse-destination.json');
  assert.deepEqual(whole.body, body);
  assert.equal(whole.objectSize, body.length);
  const middle = await client.getObject('machines/laptop/.dormouse-destination.json', { range: { start: 40_000, end: 40_099 } });
  assert.deepEqual(middle.body, body.subarray(40_000, 40_100));
  assert.equal(middle.objectSize, body.length, 'a ranged read tells the size of the whole object');

  const head = await client.headObject('machines/laptop/.dormouse-destination.json');
  assert.equal(head?.size, body.length);
  assert.equal(head?.etag, etag);
  assert.equal(await client.headObject('machines/laptop/nothing-here'), null);

  const stream = await client.getObjectStream('machines/laptop/.dormouse-destination.json', { range: { start: 99_990, end: 99_999 } });
  const pieces: Buffer[] = [];
  for await (const piece of stream.body as AsyncIterable<Buffer>) pieces.push(piece);
  assert.deepEqual(Buffer.concat(pieces), body.subarray(99_990));

  await client.deleteObject('machines/laptop/.dormouse-destination.json');
  assert.equal(await client.headObject('machines/laptop/.dormouse-destination.json'), null);
  await client.deleteObject('machines/laptop/.dormouse-destination.json');
});

test('ListObjectsV2 by prefix, page after page, with a delimiter; DeleteObjects removes many at once', { skip: noCeph }, async () => {
  const client = clientOf(server(), 'listing');
  await client.createBucket();
  const keys = ['a/1.tar', 'a/2.tar', 'a/3 three.tar', 'a/sub/4.tar', 'a/sub/5.tar', 'b/6.tar'];
  for (const key of keys) await client.putObject(key, Buffer.from(key));

  const first = await client.listObjects({ prefix: 'a/', maxKeys: 2 });
  assert.deepEqual(first.objects.map((object) => object.key), ['a/1.tar', 'a/2.tar']);
  assert.ok(first.nextContinuationToken);
  assert.equal(first.objects[0]?.size, 'a/1.tar'.length);
  const second = await client.listObjects({ prefix: 'a/', maxKeys: 2, continuationToken: first.nextContinuationToken });
  assert.deepEqual(second.objects.map((object) => object.key), ['a/3 three.tar', 'a/sub/4.tar']);

  const all: string[] = [];
  for await (const object of client.listAllObjects('a/')) all.push(object.key);
  assert.deepEqual(all, keys.filter((key) => key.startsWith('a/')));

  const folders = await client.listObjects({ prefix: 'a/', delimiter: '/' });
  assert.deepEqual(folders.objects.map((object) => object.key), ['a/1.tar', 'a/2.tar', 'a/3 three.tar']);
  assert.deepEqual(folders.commonPrefixes, ['a/sub/']);
  assert.equal(folders.nextContinuationToken, null);

  assert.deepEqual(await client.deleteObjects(keys.slice(0, 5)), []);
  assert.deepEqual((await client.listObjects()).objects.map((object) => object.key), ['b/6.tar']);
});

test('virtual-hosted-style addressing (bucket.host) reaches the same bucket as path-style', { skip: noCeph }, async () => {
  const gateway = server();
  const pathStyle = clientOf(gateway, 'hosted');
  await pathStyle.createBucket();
  const agent = loopbackAgent();
  try {
    const hosted = clientOf(gateway, 'hosted', { endpoint: `http://${gateway.dnsName}:${gateway.port}`, pathStyle: false }, { agent });
    await hosted.headBucket();
    await hosted.putObject('x/y z.txt', Buffer.from('virtual'));
    assert.equal((await pathStyle.getObject('x/y z.txt')).body.toString(), 'virtual');
    assert.deepEqual((await hosted.listObjects({ prefix: 'x/' })).objects.map((object) => object.key), ['x/y z.txt']);
  } finally {
    agent.destroy();
  }
});

test('over HTTPS: a client that trusts the gateway\'s certificate works; one that does not is told why', { skip: noCeph || noOpenssl }, async () => {
  const gateway = server();
  const tls = gateway.tls;
  assert.ok(tls);
  const agent = new https.Agent({ keepAlive: true, ca: tls.certificate });
  try {
    const secure = clientOf(gateway, 'secure', { endpoint: tls.endpoint }, { agent });
    await secure.createBucket();
    await secure.putObject('over/tls.txt', Buffer.from('private'));
    assert.equal((await secure.getObject('over/tls.txt', { range: { start: 1, end: 3 } })).body.toString(), 'riv');
  } finally {
    agent.destroy();
  }
  const untrusting = await failure(clientOf(gateway, 'secure', { endpoint: tls.endpoint }).headBucket());
  assert.equal(untrusting.kind, 'untrusted-certificate');
  assert.equal(untrusting.retryable, false);
  assert.match(untrusting.message, /HeadBucket s3:\/\/secure at https:\/\/127\.0\.0\.1:\d+: the server's TLS certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\); check the endpoint URL, or add its certificate authority/);
});

async function failure(work: Promise<unknown>): Promise<S3Error> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof S3Error, `expected an S3Error, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the request to fail');
}

test('wrong credentials: a clear error naming the keys to check, whatever the operation', { skip: noCeph }, async () => {
  const gateway = server();
  await clientOf(gateway, 'guarded').createBucket();
  const wrongSecret = clientOf(gateway, 'guarded', { credentials: { ...keysOf(gateway), secretAccessKey: 'not-the-secret' } });
  const listed = await failure(wrongSecret.listObjects());
  assert.equal(listed.kind, 'credentials');
  assert.equal(listed.code, 'DESTINATION_UNAVAILABLE');
  assert.equal(listed.s3Code, 'SignatureDoesNotMatch');
  assert.equal(listed.retryable, false);
  assert.match(listed.message, /^ListObjectsV2 s3:\/\/guarded at http:\/\/127\.0\.0\.1:\d+ failed: the server did not accept the access key or secret key \(SignatureDoesNotMatch\); check the keys given \(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the --profile, or the keys typed in the window\)/);
  assert.doesNotMatch(listed.message, /not-the-secret/);

  const unknownKey = clientOf(gateway, 'guarded', { credentials: { accessKeyId: 'NOSUCHKEY0000000', secretAccessKey: 'x' } });
  const put = await failure(unknownKey.putObject('marker', Buffer.from('m')));
  assert.equal(put.kind, 'credentials');
  assert.match(put.message, /did not accept the access key or secret key \(InvalidAccessKeyId\)/);

  const head = await failure(wrongSecret.headBucket());
  assert.equal(head.kind, 'credentials');
  assert.match(head.message, /HeadBucket s3:\/\/guarded .* refused the request \(HTTP 403\): the access key or secret key is wrong/);
});

test('a bucket that does not exist, and an object that does not, say so', { skip: noCeph }, async () => {
  const client = clientOf(server(), 'no-such-bucket-here');
  const head = await failure(client.headBucket());
  assert.equal(head.kind, 'no-such-bucket');
  assert.match(head.message, /the bucket "no-such-bucket-here" does not exist there; create it, or check the bucket name, --endpoint and --region/);
  const list = await failure(client.listObjects());
  assert.equal(list.kind, 'no-such-bucket');
  assert.equal(list.s3Code, 'NoSuchBucket');

  const existing = clientOf(server(), 'operations-missing');
  await existing.createBucket();
  const missing = await failure(existing.getObject('absent.tar', { range: { start: 0, end: 9 } }));
  assert.equal(missing.kind, 'no-such-key');
  assert.equal(missing.code, 'NOT_FOUND');
});

test('a server that is not answering: refused at once, or silent until the timeout (both retryable)', { skip: noCeph }, async () => {
  const gateway = server();
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: gateway.port });
  const closedPort = proxy.port;
  await proxy.close();
  const refused = await failure(clientOf(gateway, 'operations', { endpoint: `http://127.0.0.1:${closedPort}` }).headBucket());
  assert.equal(refused.kind, 'not-answering');
  assert.equal(refused.retryable, true);
  assert.match(refused.message, /HeadBucket s3:\/\/operations at http:\/\/127\.0\.0\.1:\d+: the server is not answering \(ECONNREFUSED\); check the network and the endpoint URL/);

  const silent = await startFaultProxy({ host: '127.0.0.1', port: gateway.port });
  try {
    silent.stall();
    const started = Date.now();
    const timedOut = await failure(clientOf(gateway, 'operations', { endpoint: silent.endpoint }, { timeoutMs: 800 }).headBucket());
    assert.equal(timedOut.kind, 'not-answering');
    assert.match(timedOut.message, /the server did not answer within 0\.8 s/);
    assert.ok(Date.now() - started < 3_000);

    const bounded = await failure(clientOf(gateway, 'operations', { endpoint: silent.endpoint }).headObject('marker', { signal: AbortSignal.timeout(500) }));
    assert.equal(bounded.kind, 'not-answering', 'a whole-request deadline (the marker check\'s 3 s) also reads as not answering');
  } finally {
    await silent.close();
  }
});
