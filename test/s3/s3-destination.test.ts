import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectError, expectOk, temporaryFolder } from '../helpers/cli';
import { clientOf, noCeph, useS3Server } from './s3-kit';
import { startFaultProxy } from '../helpers/fault-proxy';
import { passphraseFile, s3AddArgs, s3Cli, s3CliAsync } from './s3-destination-kit';

/**
 * Adding an S3 bucket as a destination with the real CLI against Ceph's RADOS Gateway: the marker,
 * key file and RECOVERY.txt become objects under the prefix; the keys are stored 0600 in the data
 * folder and nowhere else; `destination list` says kind s3, no free space, and whether the marker
 * answers; wrong keys, a missing bucket and bad input are clear errors.
 */

const server = useS3Server();

interface Added {
  id: string;
  name: string;
  path: string;
  kind: string;
  encrypted: boolean;
  importedSnapshots: number;
  warnings: string[];
}

interface Listed {
  name: string;
  kind: string;
  state: string;
  available: boolean;
  freeBytes: number | null;
  encrypted: boolean;
  path: string;
}

async function keysUnder(bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of clientOf(server(), bucket).listAllObjects(prefix)) keys.push(object.key);
  return keys.sort();
}

test('an S3 destination: encrypted by default, its marker and key are objects under the prefix, its keys only in a 0600 file', { skip: noCeph }, async (t) => {
  const root = temporaryFolder(t);
  const dataDir = join(root, 'data');
  await clientOf(server(), 'family').createBucket();
  const cli = s3Cli(server(), dataDir);

  const result = cli([...s3AddArgs(server(), 'cloud', 's3://family/laptops/'), '--passphrase-file', passphraseFile(root)]);
  const added = expectOk<Added>(result);
  assert.equal(added.kind, 's3');
  assert.equal(added.path, 's3://family/laptops');
  assert.equal(added.encrypted, true, 'encryption is on by default for S3');
  assert.deepEqual(added.warnings, []);
  assert.deepEqual(await keysUnder('family', 'laptops/'), ['laptops/.dormouse-destination.json', 'laptops/.dormouse-key.age', 'laptops/RECOVERY.txt']);
  const marker = JSON.parse((await clientOf(server(), 'family').getObject('laptops/.dormouse-destination.json')).body.toString('utf8')) as { id: string };
  assert.equal(marker.id, added.id);

  const secret = server().secretAccessKey;
  assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret), 'the secret key is never printed');
  const stored = join(dataDir, 's3-credentials.json');
  assert.equal(statSync(stored).mode & 0o777, 0o600);
  assert.ok(readFileSync(stored, 'utf8').includes(secret), 'the keys are kept for unattended backups');
  for (const name of readdirSync(dataDir).filter((file) => file.startsWith('dormouse.sqlite'))) {
    assert.ok(!readFileSync(join(dataDir, name)).includes(secret), `${name} never holds the secret key`);
  }

  const list = expectOk<Listed[]>(cli(['destination', 'list']));
  assert.deepEqual(list.map(({ name, kind, state, available, freeBytes, encrypted, path }) => ({ name, kind, state, available, freeBytes, encrypted, path })), [
    { name: 'cloud', kind: 's3', state: 'available', available: true, freeBytes: null, encrypted: true, path: 's3://family/laptops' },
  ]);

  // The same prefix twice is refused; removing the destination forgets its keys and leaves the objects.
  expectError(cli([...s3AddArgs(server(), 'again', 's3://family/laptops'), '--no-encrypt']), 2, /already the destination "cloud"/);
  expectOk(cli(['destination', 'remove', 'cloud']));
  assert.ok(!readFileSync(stored, 'utf8').includes(secret), 'a removed destination\'s keys are forgotten');
  assert.equal((await keysUnder('family', 'laptops/')).length, 3);
});

test('the marker object decides: deleted is missing, an endpoint that refuses connections is not answering, within 3 s', { skip: noCeph }, async (t) => {
  const root = temporaryFolder(t);
  const dataDir = join(root, 'data');
  await clientOf(server(), 'probe').createBucket();
  const cli = s3Cli(server(), dataDir);
  const added = expectOk<Added>(cli([...s3AddArgs(server(), 'plain', 's3://probe'), '--no-encrypt']));
  assert.equal(added.encrypted, false);
  assert.equal(added.warnings.length, 1);
  assert.match(added.warnings[0] as string, /not encrypted: whoever can read the bucket/);

  await clientOf(server(), 'probe').deleteObject('.dormouse-destination.json');
  assert.deepEqual(expectOk<Listed[]>(cli(['destination', 'list'])).map((d) => d.state), ['missing']);

  // A second data folder points at a port where nothing listens.
  const other = s3Cli(server(), join(root, 'other'));
  await clientOf(server(), 'probe2').createBucket();
  expectOk(other([...s3AddArgs(server(), 'gone', 's3://probe2'), '--no-encrypt']));
  const db = join(root, 'other', 'dormouse.sqlite');
  const { default: Database } = await import('better-sqlite3');
  const handle = new Database(db);
  handle.prepare("UPDATE destinations SET s3_endpoint = 'http://127.0.0.1:9'").run();
  handle.close();
  const started = Date.now();
  assert.deepEqual(expectOk<Listed[]>(other(['destination', 'list'])).map((d) => d.state), ['not-answering']);
  assert.ok(Date.now() - started < 10_000);
});

test('wrong keys, a missing bucket, a bad location and keys from --profile', { skip: noCeph }, async (t) => {
  const root = temporaryFolder(t);
  const dataDir = join(root, 'data');
  await clientOf(server(), 'errors').createBucket();
  const wrong = s3Cli(server(), dataDir, { AWS_SECRET_ACCESS_KEY: 'not-the-secret-key-at-all' });
  expectError(wrong([...s3AddArgs(server(), 'x', 's3://errors'), '--no-encrypt']), 1, /the access key or secret key is wrong.*check the keys given \(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the --profile, or the keys typed in the window\)/);
  const cli = s3Cli(server(), dataDir);
  expectError(cli([...s3AddArgs(server(), 'x', 's3://no-such-bucket/p'), '--no-encrypt']), 1, /the bucket "no-such-bucket" does not exist there; create it/);
  expectError(cli(['destination', 'add', '--name', 'x', '--s3', 'https://errors', '--no-encrypt']), 2, /not an S3 location; write it as s3:\/\/BUCKET/);
  expectError(cli(['destination', 'add', '--name', 'x', '--s3', 's3://errors', '--path', root]), 2, /either --path FOLDER or --s3/);
  expectError(cli(['destination', 'add', '--name', 'x', '--path', root, '--region', 'eu-west-1']), 2, /--region only go with --s3/);
  expectError(cli([...s3AddArgs(server(), 'x', 's3://errors', 'ftp://127.0.0.1'), '--no-encrypt']), 2, /must be an http:\/\/ or https:\/\/ address/);
  expectError(s3Cli(server(), dataDir, { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' })([...s3AddArgs(server(), 'x', 's3://errors'), '--no-encrypt']), 2, /no S3 keys given: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  assert.deepEqual(expectOk<Listed[]>(cli(['destination', 'list'])), [], 'nothing was recorded by the failures');

  const aws = join(root, 'aws');
  mkdirSync(aws);
  writeFileSync(join(aws, 'credentials'), `[default]\naws_access_key_id = nobody\naws_secret_access_key = nothing\n\n[home-nas]\naws_access_key_id = ${server().accessKeyId}\naws_secret_access_key = ${server().secretAccessKey}\n`);
  const fromFile = s3Cli(server(), dataDir, { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SHARED_CREDENTIALS_FILE: join(aws, 'credentials') });
  expectError(fromFile([...s3AddArgs(server(), 'x', 's3://errors'), '--no-encrypt', '--profile', 'work']), 2, /has no profile \[work\]/);
  assert.equal(expectOk<Added>(fromFile([...s3AddArgs(server(), 'nas', 's3://errors/home'), '--no-encrypt', '--profile', 'home-nas'])).kind, 's3');
});

test('an endpoint that stops answering (a laptop on another network): not answering after 3 s, and the command ends then', { skip: noCeph }, async (t) => {
  const root = temporaryFolder(t);
  await clientOf(server(), 'silent').createBucket();
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: server().port });
  t.after(() => proxy.close());
  const cli = s3CliAsync(server(), join(root, 'data'));
  expectOk(await cli([...s3AddArgs(server(), 'far', 's3://silent', proxy.endpoint), '--no-encrypt']));
  proxy.stall();
  const started = Date.now();
  const listed = await cli(['destination', 'list']);
  const took = Date.now() - started;
  assert.deepEqual(expectOk<Listed[]>(listed).map((d) => d.state), ['not-answering']);
  assert.ok(took >= 3_000 && took < 8_000, `the list answered after the 3 s wait and the command ended then (${took} ms)`);
});
