import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { S3Storage } from '../../src-main/destinations/s3-storage';
import { encodeIdentity } from '../../src-main/encryption/age-keys';
import { openDestinationKey } from '../../src-main/encryption/destination-key';
import { expectOk, temporaryFolder } from '../helpers/cli';
import { noise } from '../helpers/trees';
import { noOpenssl } from '../helpers/s3-server';
import { clientOf, keysOf, noCeph, useS3Server } from './s3-kit';
import { passphrase, passphraseFile, s3AddArgs, s3Cli } from './s3-destination-kit';

/**
 * Backups to an S3 destination through the real CLI and worker: one object per archive, uploaded in
 * parts as the worker writes it, its `.sha256` beside it, under `Dormouse/<machine>/<schedule>/`;
 * the object is the encrypted archive that Debian's age and GNU tar read back; an incremental
 * follows from the local manifest copy; no multipart upload is left behind.
 */

const server = useS3Server();
const MiB = 1024 * 1024;
const noAge = spawnSync('sh', ['-c', 'command -v age']).status === 0 ? false : 'Debian\'s age is not installed (apt-get install -y age)';

interface Job {
  id: number;
  status: string;
  archivePath: string;
  sha256: string;
  error: { code: string; message: string } | null;
}

async function objectKeys(bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of clientOf(server(), bucket).listAllObjects(prefix)) keys.push(object.key);
  return keys.sort();
}

test('a full and an incremental backup to S3: one object each and its .sha256, age -d | tar reads it, nothing half-uploaded is left', { skip: noCeph || noAge }, async (t) => {
  const root = temporaryFolder(t);
  const source = join(root, 'home');
  mkdirSync(join(source, 'photos'), { recursive: true });
  writeFileSync(join(source, 'notes.txt'), 'remember the milk\n');
  // Incompressible and larger than two parts: the upload is cut into three.
  const photo = noise(19 * MiB, 7);
  writeFileSync(join(source, 'photos', 'beach.jpg'), photo);
  await clientOf(server(), 'backups').createBucket();
  const cli = s3Cli(server(), join(root, 'data'));
  expectOk(cli([...s3AddArgs(server(), 'cloud', 's3://backups/family'), '--passphrase-file', passphraseFile(root)]));
  expectOk(cli(['schedule', 'add', '--name', 'Home', '--source', source, '--destination', 'cloud', '--cron', '0 9 * * *']));

  const full = expectOk<Job>(cli(['run', 'Home']));
  assert.equal(full.status, 'succeeded', JSON.stringify(full.error));
  assert.match(full.archivePath, /^s3:\/\/backups\/family\/Dormouse\/[^/]+-[0-9a-f]{8}\/Home\/\d{8}T\d{6}Z-full-[0-9a-f]{8}\.tar\.age$/);
  const key = full.archivePath.slice('s3://backups/'.length);
  assert.deepEqual(await objectKeys('backups', 'family/Dormouse/'), [key, `${key}.sha256`]);
  assert.match((await clientOf(server(), 'backups').headObject(key))!.etag, /-3"$/, 'uploaded as a multipart upload of three 8 MiB parts');
  const archive = (await clientOf(server(), 'backups').getObject(key)).body;
  assert.ok(archive.length > photo.length, 'the whole archive is one object');
  assert.equal(createHash('sha256').update(archive).digest('hex'), full.sha256);
  assert.equal((await clientOf(server(), 'backups').getObject(`${key}.sha256`)).body.toString('utf8'), `${full.sha256}  ${key.split('/').at(-1)}\n`);
  assert.deepEqual((await clientOf(server(), 'backups').listMultipartUploads({ prefix: 'family/' })).uploads, []);

  // Without Dormouse: the key (opened with the passphrase), then age -d -i and GNU tar.
  const storage = new S3Storage({ endpoint: server().endpoint, region: 'us-east-1', bucket: 'backups', prefix: 'family', pathStyle: true }, keysOf(server()));
  const identityFile = join(root, 'key.txt');
  writeFileSync(identityFile, `${encodeIdentity(await openDestinationKey(storage, passphrase))}\n`, { mode: 0o600 });
  const archiveFile = join(root, 'archive.tar.age');
  writeFileSync(archiveFile, archive);
  const out = join(root, 'out');
  mkdirSync(out);
  const unpacked = spawnSync('sh', ['-c', `age -d -i "${identityFile}" "${archiveFile}" | tar -x -C "${out}"`], { encoding: 'utf8' });
  assert.equal(unpacked.status, 0, unpacked.stderr);
  assert.ok(noise(19 * MiB, 7).equals(spawnSync('cat', [join(out, source.slice(1), 'photos', 'beach.jpg')], { maxBuffer: 64 * MiB }).stdout as unknown as Buffer));

  writeFileSync(join(source, 'notes.txt'), 'remember the milk and the bread\n');
  const incremental = expectOk<Job>(cli(['run', 'Home']));
  assert.equal(incremental.status, 'succeeded', JSON.stringify(incremental.error));
  assert.match(incremental.archivePath, /-incr-[0-9a-f]{8}\.tar\.age$/, 'the second backup builds on the first, from its local manifest copy');
  const incrementalKey = incremental.archivePath.slice('s3://backups/'.length);
  assert.ok((await clientOf(server(), 'backups').headObject(incrementalKey))!.size < MiB, 'the incremental holds only what changed');
  const snapshots = expectOk<{ archivePath: string; kind: string }[]>(cli(['snapshots']));
  assert.deepEqual(snapshots.map((snapshot) => snapshot.kind), ['incremental', 'full']);
  assert.deepEqual((await clientOf(server(), 'backups').listMultipartUploads({ prefix: 'family/' })).uploads, []);
});

test('the upload speed limit setting: a 12 MiB archive at 2,000 KB/s takes about 6 s, against much less without it', { skip: noCeph }, async (t) => {
  const root = temporaryFolder(t);
  const source = join(root, 'home');
  mkdirSync(source);
  writeFileSync(join(source, 'clip.bin'), noise(12 * MiB, 5));
  await clientOf(server(), 'limited').createBucket();
  const dataDir = join(root, 'data');
  const cli = s3Cli(server(), dataDir);
  expectOk(cli([...s3AddArgs(server(), 'cloud', 's3://limited'), '--no-encrypt']));
  expectOk(cli(['schedule', 'add', '--name', 'Clips', '--source', source, '--destination', 'cloud', '--cron', '0 9 * * *']));
  const seconds = (job: { startedAt: string; finishedAt: string }) => (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000;

  const free = expectOk<Job & { startedAt: string; finishedAt: string }>(cli(['run', 'Clips']));
  assert.equal(free.status, 'succeeded', JSON.stringify(free.error));
  // The settings window's field, as it stores it; and no manifest copy, so the next backup is a full one again.
  const db = new Database(join(dataDir, 'dormouse.sqlite'));
  db.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('uploadLimitKbPerSecond', '2000', 0)").run();
  db.close();
  rmSync(join(dataDir, 'manifest-copies'), { recursive: true, force: true });
  const limited = expectOk<Job & { startedAt: string; finishedAt: string }>(cli(['run', 'Clips']));
  assert.equal(limited.status, 'succeeded', JSON.stringify(limited.error));
  assert.match(limited.archivePath, /-full-/);
  t.diagnostic(`without a limit ${seconds(free)} s, at 2,000 KB/s ${seconds(limited)} s`);
  assert.ok(seconds(limited) >= 5, `at 2,000 KB/s 12.6 MB take at least 5 s, not ${seconds(limited)} s`);
  assert.ok(seconds(free) < seconds(limited) / 2, `without the limit it is much faster (${seconds(free)} s)`);
});

test('over HTTPS to an endpoint whose certificate authority NODE_EXTRA_CA_CERTS names: the worker backs up and restores; without it the job says the certificate is not trusted', { skip: noCeph || noOpenssl }, async (t) => {
  const gateway = server();
  const tls = gateway.tls;
  assert.ok(tls);
  const root = temporaryFolder(t);
  const authority = join(root, 'gateway-ca.pem');
  writeFileSync(authority, tls.certificate);
  const agent = new https.Agent({ ca: tls.certificate });
  try {
    await clientOf(gateway, 'over-tls', { endpoint: tls.endpoint }, { agent }).createBucket();
  } finally {
    agent.destroy();
  }
  const source = join(root, 'home');
  mkdirSync(source);
  writeFileSync(join(source, 'notes.txt'), 'sent over TLS\n');
  const trusting = s3Cli(gateway, join(root, 'data'), { NODE_EXTRA_CA_CERTS: authority });
  expectOk(trusting([...s3AddArgs(gateway, 'cloud', 's3://over-tls/laptop', tls.endpoint), '--no-encrypt']));
  expectOk(trusting(['schedule', 'add', '--name', 'Home', '--source', source, '--destination', 'cloud', '--cron', '0 9 * * *']));

  const full = expectOk<Job>(trusting(['run', 'Home']));
  assert.equal(full.status, 'succeeded', JSON.stringify(full.error));
  assert.match(full.archivePath, /^s3:\/\/over-tls\/laptop\/Dormouse\/.*-full-[0-9a-f]{8}\.tar$/);
  const [snapshot] = expectOk<{ id: number }[]>(trusting(['snapshots']));
  const restored = join(root, 'restored');
  expectOk(trusting(['restore', String(snapshot?.id), '--to', restored, '--path', join(source, 'notes.txt')]));
  assert.equal(readFileSync(join(restored, source, 'notes.txt'), 'utf8'), 'sent over TLS\n');

  writeFileSync(join(source, 'notes.txt'), 'changed\n');
  const untrusting = s3Cli(gateway, join(root, 'data'), { NODE_EXTRA_CA_CERTS: undefined });
  const refused = untrusting(['run', 'Home']);
  assert.match(`${refused.stdout}${refused.stderr}`, /the server's TLS certificate is not trusted/);
});
