import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectOk, temporaryFolder } from '../helpers/cli';
import { startFaultProxy } from '../helpers/fault-proxy';
import { noise } from '../helpers/trees';
import { clientOf, noCeph, useS3Server } from './s3-kit';
import { passphraseFile, s3AddArgs, s3CliAsync } from './s3-destination-kit';

/**
 * Reading snapshots back from S3 through the real CLI and worker, counted by a proxy in front of the
 * gateway: `ls` and a one-file restore fetch the trailer, manifest and that file's ranges (a few
 * MiB), never the 24 MiB encrypted archive nor the 64 MiB plain one; verify streams it once; a new data folder that adds the bucket
 * imports the snapshots and restores from them; retention deletes old objects.
 */

const server = useS3Server();
const MiB = 1024 * 1024;

interface Job {
  status: string;
  archivePath: string;
  error: unknown;
}

test('ls and a one-file restore read only a few ranges of an encrypted archive in S3; verify reads it once; a new laptop imports and restores', { skip: noCeph }, async (t) => {
  const root = temporaryFolder(t);
  const source = join(root, 'home');
  mkdirSync(join(source, 'docs'), { recursive: true });
  writeFileSync(join(source, 'docs', 'letter.txt'), 'Dear bank, …\n');
  writeFileSync(join(source, 'video.bin'), noise(24 * MiB, 3));
  await clientOf(server(), 'reads').createBucket();
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: server().port });
  t.after(() => proxy.close());
  const key = passphraseFile(root);
  const cli = s3CliAsync(server(), join(root, 'data'));
  expectOk(await cli([...s3AddArgs(server(), 'cloud', 's3://reads/laptop', proxy.endpoint), '--passphrase-file', key]));
  expectOk(await cli(['schedule', 'add', '--name', 'Home', '--source', source, '--destination', 'cloud', '--cron', '0 9 * * *']));
  const job = expectOk<Job>(await cli(['run', 'Home']));
  assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
  const [snapshot] = expectOk<{ id: number }[]>(await cli(['snapshots']));
  const id = String(snapshot?.id);

  let before = proxy.counters.bytesDown;
  const listing = expectOk<{ entries: { name: string }[] }>(await cli(['ls', id, join(source, 'docs'), '--passphrase-file', key]));
  assert.deepEqual(listing.entries.map((entry) => entry.name), ['letter.txt']);
  const lsBytes = proxy.counters.bytesDown - before;
  t.diagnostic(`ls read ${lsBytes} bytes of a ${24 * MiB}-byte archive`);
  assert.ok(lsBytes < 3 * MiB, `ls read ${lsBytes} bytes, not the archive`);

  before = proxy.counters.bytesDown;
  const target = join(root, 'restored');
  const restored = expectOk<{ files: number }>(await cli(['restore', id, '--to', target, '--path', join(source, 'docs', 'letter.txt'), '--passphrase-file', key]));
  assert.equal(restored.files, 1);
  assert.equal(readFileSync(join(target, source.slice(1), 'docs', 'letter.txt'), 'utf8'), 'Dear bank, …\n');
  const restoreBytes = proxy.counters.bytesDown - before;
  t.diagnostic(`a one-file restore read ${restoreBytes} bytes`);
  assert.ok(restoreBytes < 4 * MiB, `the one-file restore read ${restoreBytes} bytes, not the archive`);

  before = proxy.counters.bytesDown;
  const verified = expectOk<{ ok: boolean }>(await cli(['verify', id, '--passphrase-file', key]));
  assert.equal(verified.ok, true);
  const verifyBytes = proxy.counters.bytesDown - before;
  assert.ok(verifyBytes > 24 * MiB && verifyBytes < 30 * MiB, `verify streamed the archive once (${verifyBytes} bytes)`);

  // A new laptop (an empty data folder) adds the bucket with the passphrase: the snapshot is imported, and restores.
  const laptop = s3CliAsync(server(), join(root, 'new-laptop'));
  const added = expectOk<{ importedSnapshots: number }>(await laptop([...s3AddArgs(server(), 'cloud', 's3://reads/laptop', proxy.endpoint), '--passphrase-file', key]));
  assert.equal(added.importedSnapshots, 1);
  const [imported] = expectOk<{ id: number; machine: { current: boolean } }[]>(await laptop(['snapshots', '--machine', 'all']));
  assert.equal(imported?.machine.current, false, "the first laptop's snapshot is another machine's here");
  const whole = join(root, 'whole');
  expectOk(await laptop(['restore', String(imported?.id), '--to', whole, '--passphrase-file', key]));
  assert.ok(readFileSync(join(whole, source.slice(1), 'video.bin')).equals(noise(24 * MiB, 3)));
});

test('an unencrypted S3 destination: ls of the top level and of a folder, and a one-file restore, fetch a few ranges of a 64 MiB archive', { skip: noCeph }, async (t) => {
  const root = temporaryFolder(t);
  const source = join(root, 'home');
  mkdirSync(join(source, 'docs'), { recursive: true });
  writeFileSync(join(source, 'big.bin'), randomBytes(64 * MiB));
  writeFileSync(join(source, 'docs', 'zz-letter.txt'), 'after the big file\n');
  await clientOf(server(), 'ranges').createBucket();
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: server().port });
  t.after(() => proxy.close());
  const cli = s3CliAsync(server(), join(root, 'data'));
  expectOk(await cli([...s3AddArgs(server(), 'cloud', 's3://ranges/laptop', proxy.endpoint), '--no-encrypt']));
  expectOk(await cli(['schedule', 'add', '--name', 'Home', '--source', source, '--destination', 'cloud', '--cron', '0 9 * * *', '--compression', 'none']));
  const job = expectOk<Job>(await cli(['run', 'Home']));
  assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
  const archiveBytes = (await clientOf(server(), 'ranges').headObject(job.archivePath.slice('s3://ranges/'.length)))?.size ?? 0;
  assert.ok(archiveBytes > 64 * MiB, `the archive holds the big file (${archiveBytes} bytes)`);
  const id = String(expectOk<{ id: number }[]>(await cli(['snapshots']))[0]?.id);

  const fetched = async <T>(args: string[]): Promise<{ answer: T; bytes: number }> => {
    const before = proxy.counters.bytesDown;
    const answer = expectOk<T>(await cli(args));
    return { answer, bytes: proxy.counters.bytesDown - before };
  };
  const top = await fetched<{ entries: { name: string }[] }>(['ls', id]);
  assert.deepEqual(top.answer.entries.map((entry) => entry.name), ['home']);
  const folder = await fetched<{ entries: { name: string }[] }>(['ls', id, join(source, 'docs')]);
  assert.deepEqual(folder.answer.entries.map((entry) => entry.name), ['zz-letter.txt']);
  const target = join(root, 'restored');
  const restored = await fetched<{ files: number }>(['restore', id, '--to', target, '--path', join(source, 'docs', 'zz-letter.txt')]);
  assert.equal(restored.answer.files, 1);
  assert.equal(readFileSync(join(target, source.slice(1), 'docs', 'zz-letter.txt'), 'utf8'), 'after the big file\n');
  t.diagnostic(`of a ${archiveBytes}-byte archive: ls of the top level read ${top.bytes} bytes, of a folder ${folder.bytes}, a one-file restore ${restored.bytes}`);
  for (const [what, bytes] of [['ls of the top level', top.bytes], ['ls of a folder', folder.bytes], ['the one-file restore', restored.bytes]] as const) {
    assert.ok(bytes > 0 && bytes < 4 * MiB, `${what} read ${bytes} bytes of the ${archiveBytes}-byte archive, not a few ranges`);
  }
});

test('an unencrypted S3 destination: ls and restore by range; retention deletes the old archive and its .sha256 objects', { skip: noCeph }, async (t) => {
  const root = temporaryFolder(t);
  const source = join(root, 'home');
  mkdirSync(source, { recursive: true });
  writeFileSync(join(source, 'a.txt'), 'first\n');
  await clientOf(server(), 'plain').createBucket();
  const cli = s3CliAsync(server(), join(root, 'data'));
  expectOk(await cli([...s3AddArgs(server(), 'cloud', 's3://plain'), '--no-encrypt']));
  expectOk(await cli(['schedule', 'add', '--name', 'Docs', '--source', source, '--destination', 'cloud', '--cron', '0 9 * * *', '--keep-last', '1']));
  const first = expectOk<Job>(await cli(['run', 'Docs']));
  assert.equal(first.status, 'succeeded', JSON.stringify(first.error));
  // Without its local manifest copy (a catalog restored from elsewhere) the next backup is a full one, never reading the bucket.
  rmSync(join(root, 'data', 'manifest-copies'), { recursive: true, force: true });
  const [snapshot] = expectOk<{ id: number }[]>(await cli(['snapshots']));
  const listing = expectOk<{ entries: { name: string }[] }>(await cli(['ls', String(snapshot?.id), source]));
  assert.deepEqual(listing.entries.map((entry) => entry.name), ['a.txt']);

  writeFileSync(join(source, 'a.txt'), 'second\n');
  const second = expectOk<Job>(await cli(['run', 'Docs']));
  assert.equal(second.status, 'succeeded', JSON.stringify(second.error));
  const keys: string[] = [];
  for await (const object of clientOf(server(), 'plain').listAllObjects('Dormouse/')) keys.push(object.key);
  const secondKey = second.archivePath.slice('s3://plain/'.length);
  assert.deepEqual(keys.sort(), [secondKey, `${secondKey}.sha256`], 'keep-last 1 deleted the first archive and its .sha256');
  const target = join(root, 'out');
  expectOk(await cli(['restore', String(expectOk<{ id: number }[]>(await cli(['snapshots']))[0]?.id), '--to', target]));
  assert.equal(readFileSync(join(target, source.slice(1), 'a.txt'), 'utf8'), 'second\n');
});
