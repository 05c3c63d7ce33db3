import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeResult, expectOk, temporaryFolder, type CliResult } from '../helpers/cli';
import { startHttpFaultProxy, type HttpFaultProxy, type SeenRequest } from '../helpers/http-fault-proxy';
import { noise } from '../helpers/trees';
import { clientOf, noCeph, useS3Server, type JobSeen } from './s3-kit';
import { passphraseFile, s3AddArgs, s3CliAsync } from './s3-destination-kit';

/**
 * A whole archive read in one GET (verify, a gzip archive's restore) whose connection is lost
 * midway, through the real CLI and worker and an HTTP proxy in front of the gateway: the read
 * resumes where it stopped with a ranged GET instead of starting over; stopped at the same byte on
 * every try it fails saying so; an archive replaced between the cut and the resume is reported as
 * changed, never read as a mix of two objects.
 */

const server = useS3Server();
const MiB = 1024 * 1024;

interface Snapshot {
  id: number;
  archivePath: string;
}

interface Verified {
  ok: boolean;
  snapshots: { ok: boolean; problems: string[] }[];
}

const isArchive = (request: SeenRequest): boolean => /\.tar(\.gz)?(\.age)?$/.test(request.url.split('?')[0] ?? '');

/** The archive's GETs that read it to its end: the first (no Range) and any resumed from a byte on (`bytes=N-`). */
function streamedReads(proxy: HttpFaultProxy): Array<[string | null, SeenRequest['fate']]> {
  return proxy.seen.filter((request) => request.method === 'GET' && isArchive(request) && (request.range === null || /^bytes=\d+-$/.test(request.range))).map((request) => [request.range, request.fate]);
}

/** A backup of a folder with a 3 MiB file to a bucket reached through a fault proxy; the snapshot, and how to run the CLI on it. */
async function backedUp(t: { after: (fn: () => Promise<void> | void) => void }, bucket: string, options: { encrypt: boolean; gzip?: boolean }) {
  const root = temporaryFolder(t);
  const source = join(root, 'home');
  mkdirSync(join(source, 'docs'), { recursive: true });
  writeFileSync(join(source, 'docs', 'letter.txt'), 'Dear bank, …\n');
  const photo = noise(3 * MiB + 12_345, 31);
  writeFileSync(join(source, 'photo.bin'), photo);
  await clientOf(server(), bucket).createBucket();
  const proxy = await startHttpFaultProxy({ host: '127.0.0.1', port: server().port });
  t.after(() => proxy.close());
  const cli = s3CliAsync(server(), join(root, 'data'), { DORMOUSE_S3_ATTEMPTS: '3' });
  const key = passphraseFile(root);
  const unlock = options.encrypt ? ['--passphrase-file', key] : [];
  expectOk(await cli([...s3AddArgs(server(), 'cloud', `s3://${bucket}`, proxy.endpoint), ...(options.encrypt ? unlock : ['--no-encrypt'])]));
  expectOk(await cli(['schedule', 'add', '--name', 'Home', '--source', source, '--destination', 'cloud', '--cron', '0 9 * * *', '--compression', options.gzip ? 'gzip' : 'none']));
  const job = expectOk<JobSeen>(await cli(['run', 'Home']));
  assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
  const [snapshot] = expectOk<Snapshot[]>(await cli(['snapshots']));
  assert.ok(snapshot);
  proxy.seen.length = 0;
  const verify = (): Promise<CliResult> => cli(['verify', String(snapshot.id), ...unlock]);
  return { root, source, photo, proxy, cli, unlock, snapshot, verify };
}

for (const encrypt of [false, true]) {
  test(`verify of ${encrypt ? 'an encrypted' : 'a plain'} S3 snapshot whose archive GET is cut midway resumes at the byte reached and succeeds`, { skip: noCeph }, async (t) => {
    const { proxy, snapshot, verify } = await backedUp(t, encrypt ? 'resume-encrypted' : 'resume-plain', { encrypt });
    assert.match(snapshot.archivePath, encrypt ? /\.tar\.age$/ : /\.tar$/);
    proxy.cutStreamedGets(MiB, 1, isArchive);
    const verified = expectOk<Verified>(await verify());
    assert.equal(verified.ok, true, JSON.stringify(verified));
    assert.deepEqual(streamedReads(proxy), [[null, 'truncated'], [`bytes=${MiB}-`, 'forwarded']], 'one GET cut at 1 MiB, then one ranged GET from there: not a second full read');
  });
}

test('a gzip-compressed encrypted schedule restores byte-exact from an S3 archive whose GET is cut midway', { skip: noCeph }, async (t) => {
  const { root, source, photo, proxy, cli, unlock, snapshot } = await backedUp(t, 'resume-gzip', { encrypt: true, gzip: true });
  assert.match(snapshot.archivePath, /\.tar\.gz\.age$/);
  proxy.cutStreamedGets(MiB, 1, isArchive);
  const target = join(root, 'restored');
  const restored = expectOk<{ files: number; damaged: string[] }>(await cli(['restore', String(snapshot.id), '--to', target, ...unlock]));
  assert.equal(restored.files, 2);
  assert.ok(readFileSync(join(target, source.slice(1), 'photo.bin')).equals(photo), 'the restored photo is byte-exact');
  assert.equal(readFileSync(join(target, source.slice(1), 'docs', 'letter.txt'), 'utf8'), 'Dear bank, …\n');
  const reads = streamedReads(proxy);
  assert.deepEqual(reads.slice(0, 2), [[null, 'truncated'], [`bytes=${MiB}-`, 'forwarded']], 'the cut read resumed at 1 MiB');
  assert.equal(reads.filter(([, fate]) => fate === 'truncated').length, 1);
});

test('an archive GET that stops at the same byte on every try fails verify with exit 1, saying the connection was lost and how often it was tried', { skip: noCeph }, async (t) => {
  const { proxy, snapshot, verify } = await backedUp(t, 'resume-never', { encrypt: false });
  proxy.cutStreamedGets(MiB, Number.POSITIVE_INFINITY, isArchive);
  const result = await verify();
  t.diagnostic(result.stdout);
  assert.equal(result.code, 1, describeResult(result));
  const [checked] = result.json<Verified>().snapshots;
  const key = snapshot.archivePath.replace(/^s3:\/\/resume-never\//, '');
  assert.equal(checked?.ok, false);
  assert.equal(checked?.problems.length, 1, JSON.stringify(checked?.problems));
  assert.equal(
    checked?.problems[0]?.replace(/cut short: \d+ of \d+ bytes/, 'cut short: N of M bytes'),
    `the archive cannot be read to its end: GetObject s3://resume-never/${key} at ${proxy.endpoint}: the connection was lost (the answer was cut short: N of M bytes came) (3 tries in all)`,
  );
  assert.deepEqual(streamedReads(proxy), [[null, 'truncated'], ...Array.from({ length: 3 }, () => [`bytes=${MiB}-`, 'truncated'])], 'resumed from 1 MiB three times, never read from the start again');
  proxy.heal();
});

test('an archive replaced between the cut and the resume is reported as changed, not read as a mix of the two', { skip: noCeph }, async (t) => {
  const { proxy, snapshot, verify } = await backedUp(t, 'resume-replaced', { encrypt: false });
  const key = snapshot.archivePath.replace(/^s3:\/\/resume-replaced\//, '');
  const resumed = (request: SeenRequest): boolean => request.method === 'GET' && request.range === `bytes=${MiB}-`;
  proxy.cutStreamedGets(MiB, 1, isArchive);
  proxy.hold(resumed);
  const running = verify();
  await proxy.requested(resumed);
  const head = await clientOf(server(), 'resume-replaced').headObject(key);
  await clientOf(server(), 'resume-replaced').putObject(key, noise(head?.size ?? MiB, 32));
  proxy.release();
  const result = await running;
  t.diagnostic(result.stdout);
  assert.equal(result.code, 1, describeResult(result));
  const [checked] = result.json<Verified>().snapshots;
  assert.equal(checked?.ok, false);
  assert.match(checked?.problems[0] ?? '', new RegExp(`^the archive cannot be read to its end: GetObject s3://resume-replaced/${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at .*: the object changed while it was being read: after ${MiB} of its ${head?.size} bytes had come, it is no longer the one whose ETag was "[^"]+"; nothing of the two versions was mixed; read it again, and check that nothing else writes to this bucket$`));
  assert.deepEqual(streamedReads(proxy), [[null, 'truncated'], [`bytes=${MiB}-`, 'held']], 'the resume was refused; nothing was read again from the start');
});
