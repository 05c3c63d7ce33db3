import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signV4, sha256Hex } from '../../src-main/s3/sign-v4';
import { requestTarget, type S3Settings } from '../../src-main/s3/s3-settings';

/**
 * The signer against the worked examples of Amazon's Signature V4 documentation for S3
 * ("Examples: Signature calculations", header-based authentication), and the two addressing styles.
 * The gateway tests check the same signer against a real server.
 */

const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const date = new Date('2013-05-24T00:00:00Z');
const emptyHash = sha256Hex('');

function signatureOf(headers: Record<string, string>): string {
  return /Signature=([0-9a-f]{64})$/.exec(headers.authorization ?? '')?.[1] ?? '';
}

test('the documented GET Object with a Range header signs to the documented signature', () => {
  const headers = signV4({ method: 'GET', path: '/test.txt', query: [], headers: { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9' }, payloadHash: emptyHash, region: 'us-east-1', credentials, date });
  assert.equal(headers['x-amz-date'], '20130524T000000Z');
  assert.match(headers.authorization ?? '', /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/20130524\/us-east-1\/s3\/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, /);
  assert.equal(signatureOf(headers), 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
});

test('the documented GET Bucket lifecycle (a bare query parameter) and list objects (sorted query) sign as documented', () => {
  const host = { host: 'examplebucket.s3.amazonaws.com' };
  const lifecycle = signV4({ method: 'GET', path: '/', query: [['lifecycle', '']], headers: host, payloadHash: emptyHash, region: 'us-east-1', credentials, date });
  assert.equal(signatureOf(lifecycle), 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
  const list = signV4({ method: 'GET', path: '/', query: [['prefix', 'J'], ['max-keys', '2']], headers: host, payloadHash: emptyHash, region: 'us-east-1', credentials, date });
  assert.equal(signatureOf(list), '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
});

test('path-style and virtual-hosted-style targets: the bucket in the path or in the host, keys encoded segment by segment', () => {
  const settings: S3Settings = { endpoint: 'https://s3.example.com:8443/base/', region: 'eu-west-1', bucket: 'photos', pathStyle: true, credentials };
  const path = requestTarget(settings, "2026/a b+c(1)'!*.tar");
  assert.equal(path.host, 's3.example.com:8443');
  assert.equal(path.path, '/base/photos/2026/a%20b%2Bc%281%29%27%21%2A.tar');
  assert.equal(path.url.href, 'https://s3.example.com:8443/base/photos/2026/a%20b%2Bc%281%29%27%21%2A.tar');
  assert.equal(requestTarget(settings).path, '/base/photos');

  const hosted = requestTarget({ ...settings, endpoint: 'https://s3.example.com', pathStyle: false }, 'dir/é.tar');
  assert.equal(hosted.host, 'photos.s3.example.com');
  assert.equal(hosted.path, '/dir/%C3%A9.tar');
  assert.equal(hosted.url.href, 'https://photos.s3.example.com/dir/%C3%A9.tar');
  assert.equal(requestTarget({ ...settings, endpoint: 'https://s3.example.com', pathStyle: false }).path, '/');
});
