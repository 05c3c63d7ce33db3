import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeResult, expectError, expectOk, temporaryFolder } from '../helpers/cli';
import { clientOf, noCeph, useS3Server } from './s3-kit';
import { s3AddArgs, s3CliAsync } from './s3-destination-kit';

/**
 * A laptop whose clock is far off: the real CLI runs under Debian's libfaketime (its clock two hours
 * behind, or 45 minutes ahead) against the real gateway, which refuses requests signed more than
 * 15 minutes off its own time. Each command fails saying the clock is off and by how much, with
 * the usual exit codes; nothing is written to the bucket.
 */

/** Debian's libfaketime (package libfaketime), wherever the architecture puts it. */
const libfaketime = ((): string | null => {
  for (const arch of existsSync('/usr/lib') ? readdirSync('/usr/lib') : []) {
    const path = join('/usr/lib', arch, 'faketime', 'libfaketime.so.1');
    if (existsSync(path)) return path;
  }
  return null;
})();
const noFaketime: string | false = libfaketime === null ? 'libfaketime is not installed (Debian package libfaketime; .ci/run installs it)' : false;

const server = useS3Server();

interface Job {
  status: string;
  error: { code: string; message: string } | null;
}

/** The environment that sets the CLI's (and its workers') wall clock `offset` off ("-2h", "+45m"), its monotonic clock left alone. */
function skewed(offset: string): NodeJS.ProcessEnv {
  return { LD_PRELOAD: libfaketime ?? '', FAKETIME: offset, FAKETIME_DONT_FAKE_MONOTONIC: '1' };
}

async function keys(bucket: string): Promise<string[]> {
  const found: string[] = [];
  for await (const object of clientOf(server(), bucket).listAllObjects('')) found.push(object.key);
  return found.sort();
}

test('a clock two hours behind: the backup, ls and restore fail saying the clock is 120 minutes off; nothing is written', { skip: noCeph || noFaketime }, async (t) => {
  const root = temporaryFolder(t);
  const source = join(root, 'home');
  mkdirSync(source);
  writeFileSync(join(source, 'a.txt'), 'before the clock went wrong\n');
  await clientOf(server(), 'skew').createBucket();
  const dataDir = join(root, 'data');
  const cli = s3CliAsync(server(), dataDir);
  expectOk(await cli([...s3AddArgs(server(), 'cloud', 's3://skew'), '--no-encrypt']));
  expectOk(await cli(['schedule', 'add', '--name', 'Home', '--source', source, '--destination', 'cloud', '--cron', '0 9 * * *']));
  assert.equal(expectOk<Job>(await cli(['run', 'Home'])).status, 'succeeded');
  const id = String(expectOk<{ id: number }[]>(await cli(['snapshots']))[0]?.id);
  rmSync(join(dataDir, 'manifest-copies'), { recursive: true, force: true });
  const before = await keys('skew');

  const behind = s3CliAsync(server(), dataDir, skewed('-2h'));
  writeFileSync(join(source, 'a.txt'), 'after\n');
  const run = await behind(['run', 'Home']);
  const job = run.json<Job>();
  t.diagnostic(job.error?.message ?? '');
  assert.equal(run.code, 1, describeResult(run));
  assert.equal(job.status, 'skipped');
  assert.match(job.error?.message ?? '', /^destination "cloud" is not available \(.*the storage service refuses this computer's clock: it is 120 minutes behind the service's time \(S3 allows 15 minutes\); set the clock right \(automatic date and time\) and try again\)$/);

  const listing = await behind(['ls', id, source]);
  t.diagnostic(listing.stderr);
  expectError(listing, 1, /refuses this computer's clock: it is 120 minutes behind/);
  const restore = await behind(['restore', id, '--to', join(root, 'restored')]);
  expectError(restore, 1, /refuses this computer's clock: it is 120 minutes behind/);
  assert.deepEqual(await keys('skew'), before, 'nothing was written to the bucket');
  assert.deepEqual((await clientOf(server(), 'skew').listMultipartUploads()).uploads, [], 'no upload was begun');

  // The clock set right: the same commands work.
  assert.equal(expectOk<Job>(await cli(['run', 'Home'])).status, 'succeeded');
});

test('a clock 45 minutes ahead: adding an S3 destination is refused saying so, and nothing is written', { skip: noCeph || noFaketime }, async (t) => {
  const root = temporaryFolder(t);
  await clientOf(server(), 'skew-add').createBucket();
  const ahead = s3CliAsync(server(), join(root, 'data'), skewed('+45m'));
  const added = await ahead([...s3AddArgs(server(), 'cloud', 's3://skew-add/laptop'), '--no-encrypt']);
  t.diagnostic(added.stderr);
  expectError(added, 1, /the storage service refuses this computer's clock: it is 45 minutes ahead of the service's time .*set the clock right \(automatic date and time\)/);
  assert.deepEqual(await keys('skew-add'), []);
  assert.deepEqual(expectOk<unknown[]>(await ahead(['destination', 'list'])), [], 'the destination was not added');
});
