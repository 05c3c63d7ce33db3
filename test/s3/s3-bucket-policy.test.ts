import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { S3User } from '../helpers/s3-server';
import { expectError, expectOk, temporaryFolder } from '../helpers/cli';
import { S3Error } from '../../src-main/s3/s3-errors';
import { clientOf, noCeph, useS3Server } from './s3-kit';
import { passphraseFile, s3AddArgs, s3CliAsync } from './s3-destination-kit';
import { clientAs, keysEnv, perLaptopPolicy, putBucketPolicy } from './s3-policy-kit';

/**
 * Several laptops, one bucket, each with keys that may write only under its own machine folder (a
 * bucket policy per laptop, enforced by the real gateway): the bucket's owner adds the prefix once
 * (marker, key file, RECOVERY.txt); then each laptop, with its own keys alone, adds it, backs up
 * (full and incremental), prunes its own old snapshots, sweeps its own pending uploads, and lists and
 * restores the other's snapshots. Whatever the policy refuses is a clear error naming the permission.
 */

const server = useS3Server();
const bucket = 'household';
const prefix = 'backups';

interface Job {
  status: string;
  archivePath: string;
  error: { code: string; message: string } | null;
}

interface Snapshot {
  id: number;
  archivePath: string;
  kind: string;
  machine: { name: string; current: boolean };
}

interface Laptop {
  name: string;
  user: S3User;
  source: string;
  dataDir: string;
  cli: ReturnType<typeof s3CliAsync>;
  /** Its machine folder, as `dormouse status` names it before any backup. */
  folder: string;
}

async function laptop(root: string, name: string): Promise<Laptop> {
  const source = join(root, name, 'home');
  mkdirSync(source, { recursive: true });
  writeFileSync(join(source, 'diary.txt'), `${name}'s diary, day one\n`);
  const user = await server().createUser(`${name}-laptop`);
  const dataDir = join(root, name, 'data');
  const cli = s3CliAsync(server(), dataDir, keysEnv(user));
  const folder = expectOk<{ machine: { name: string } }>(await cli(['status'])).machine.name;
  return { name, user, source, dataDir, cli, folder };
}

async function keysUnder(path: string, inBucket = bucket): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of clientOf(server(), inBucket).listAllObjects(path)) keys.push(object.key);
  return keys.sort();
}

function isAccessDenied(error: unknown): boolean {
  return error instanceof S3Error && error.status === 403 && error.s3Code === 'AccessDenied';
}

/** Three backups: a full, an incremental, and (its manifest copies gone, as on a rebuilt catalog) a new full that lets keep-last 1 delete the first two. */
async function backUpThreeTimes(t: { diagnostic: (message: string) => void }, laptop: Laptop): Promise<Job[]> {
  const jobs: Job[] = [];
  for (const day of ['one', 'two', 'three']) {
    if (day === 'three') rmSync(join(laptop.dataDir, 'manifest-copies'), { recursive: true, force: true });
    writeFileSync(join(laptop.source, 'diary.txt'), `${laptop.name}'s diary, day ${day}\n`);
    const job = (await laptop.cli(['run', 'Home'])).json<Job>();
    t.diagnostic(`${laptop.name} day ${day}: ${job.status} ${job.archivePath} ${job.error?.message ?? ''}`);
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
    jobs.push(job);
  }
  assert.deepEqual(
    jobs.map((job) => /-(full|incr)-/.exec(job.archivePath)?.[1]),
    ['full', 'incr', 'full'],
  );
  return jobs;
}

test('laptops whose keys may write only under their own machine folder back up, prune, sweep and restore; the policy is real', { skip: noCeph }, async (t) => {
  const root = temporaryFolder(t);
  const key = passphraseFile(root);
  await clientOf(server(), bucket).createBucket();
  const alice = await laptop(root, 'alice');
  const bob = await laptop(root, 'bob');
  assert.notEqual(alice.folder, bob.folder);

  // The bucket's owner adds the prefix once: its marker, key file and RECOVERY.txt sit at the prefix's top.
  const owner = s3CliAsync(server(), join(root, 'owner', 'data'));
  expectOk(await owner([...s3AddArgs(server(), 'cloud', `s3://${bucket}/${prefix}`), '--passphrase-file', key]));
  assert.deepEqual(await keysUnder(`${prefix}/`), [`${prefix}/.dormouse-destination.json`, `${prefix}/.dormouse-key.age`, `${prefix}/RECOVERY.txt`]);
  await putBucketPolicy(server(), bucket, perLaptopPolicy(bucket, prefix, [{ uid: alice.user.uid, machineFolder: alice.folder }, { uid: bob.user.uid, machineFolder: bob.folder }]));

  // The policy is real: Alice's keys may not write into Bob's folder, nor at the prefix's top.
  const aliceClient = clientAs(server(), alice.user, bucket);
  await assert.rejects(aliceClient.putObject(`${prefix}/Dormouse/${bob.folder}/Home/intruder.tar`, Buffer.from('not Bob\'s')), isAccessDenied);
  await assert.rejects(aliceClient.putObject(`${prefix}/.dormouse-destination.json`, Buffer.from('{}')), isAccessDenied);
  await assert.rejects(clientAs(server(), bob.user, bucket).deleteObject(`${prefix}/.dormouse-key.age`), isAccessDenied);

  for (const one of [alice, bob]) {
    const added = expectOk<{ encrypted: boolean; importedSnapshots: number }>(await one.cli([...s3AddArgs(server(), 'cloud', `s3://${bucket}/${prefix}`), '--passphrase-file', key]));
    assert.equal(added.encrypted, true, 'the prefix keeps the key the owner made');
    expectOk(await one.cli(['schedule', 'add', '--name', 'Home', '--source', one.source, '--destination', 'cloud', '--cron', '0 9 * * *', '--keep-last', '1']));
  }
  assert.equal((await keysUnder(`${prefix}/`)).length, 3, 'adding it wrote nothing');

  // A killed worker's upload in each laptop's folder: only the laptop's own is swept by its next backup.
  const leftover = async (one: Laptop) => clientAs(server(), one.user, bucket).createMultipartUpload(`${prefix}/Dormouse/${one.folder}/Home/20260101T000000Z-full-deadbeef.tar.age`);
  await leftover(alice);
  await leftover(bob);

  const aliceJobs = await backUpThreeTimes(t, alice);
  const pending = async () => (await clientOf(server(), bucket).listMultipartUploads({ prefix: `${prefix}/` })).uploads.map((upload) => upload.key.split('/')[2]);
  assert.deepEqual(await pending(), [bob.folder], "Alice's backup aborted her own pending upload, not Bob's");
  const aliceKept = [aliceJobs[2]?.archivePath, `${aliceJobs[2]?.archivePath}.sha256`].map((path) => path?.slice(`s3://${bucket}/`.length)).sort();
  assert.deepEqual(await keysUnder(`${prefix}/Dormouse/${alice.folder}/`), aliceKept, "Alice's retention deleted her first two snapshots");

  const bobJobs = await backUpThreeTimes(t, bob);
  assert.deepEqual(await pending(), [], "Bob's backup aborted his");
  assert.deepEqual(await keysUnder(`${prefix}/Dormouse/${alice.folder}/`), aliceKept, "Bob's backups and retention left Alice's objects alone");
  expectOk(await alice.cli(['prune']));
  const bobKept = [bobJobs[2]?.archivePath, `${bobJobs[2]?.archivePath}.sha256`].map((path) => path?.slice(`s3://${bucket}/`.length)).sort();
  assert.deepEqual(await keysUnder(`${prefix}/Dormouse/${bob.folder}/`), bobKept);

  // Each lists the other's snapshots and restores one, with its own keys.
  for (const [one, other, otherJobs] of [[alice, bob, bobJobs], [bob, alice, aliceJobs]] as const) {
    expectOk(await one.cli(['import', '--destination', 'cloud', '--passphrase-file', key]));
    const all = expectOk<Snapshot[]>(await one.cli(['snapshots', '--machine', 'all']));
    const theirs = all.filter((snapshot) => !snapshot.machine.current);
    assert.deepEqual(theirs.map((snapshot) => [snapshot.archivePath, snapshot.machine.name]), [[otherJobs[2]?.archivePath, other.folder]]);
    const target = join(root, one.name, `restored-${other.name}`);
    expectOk(await one.cli(['restore', String(theirs[0]?.id), '--to', target, '--passphrase-file', key]));
    assert.equal(readFileSync(join(target, other.source.slice(1), 'diary.txt'), 'utf8'), `${other.name}'s diary, day three\n`);
    expectOk(await one.cli(['prune']));
  }
  assert.deepEqual(await keysUnder(`${prefix}/Dormouse/`), [...aliceKept, ...bobKept].sort(), 'pruning with the other one\'s snapshots in the catalog deleted none of them');
});

test('keys that may not write where Dormouse must: the error names the permission, the key, and what to do', { skip: noCeph }, async (t) => {
  const root = temporaryFolder(t);
  const key = passphraseFile(root);
  const name = 'pantry';
  await clientOf(server(), name).createBucket();
  const carol = await laptop(root, 'carol');
  await putBucketPolicy(server(), name, perLaptopPolicy(name, prefix, [{ uid: carol.user.uid, machineFolder: 'someone-else-0123abcd' }]));

  // A prefix no one has added yet: its first add writes at the prefix's top, which these keys may not.
  const refused = await carol.cli([...s3AddArgs(server(), 'cloud', `s3://${name}/${prefix}`), '--passphrase-file', key]);
  t.diagnostic(refused.stderr);
  expectError(refused, 1, /s3:PutObject.*arn:aws:s3:::pantry\/backups\/\.dormouse-key\.age.*top of s3:\/\/pantry\/backups only when the prefix is first added.*do that with keys that may write there/);
  assert.deepEqual(await keysUnder(`${prefix}/`, name), [], 'nothing was left behind');

  // Added by the owner, then by Carol; her backup goes to a folder the policy does not name.
  expectOk(await s3CliAsync(server(), join(root, 'owner', 'data'))([...s3AddArgs(server(), 'cloud', `s3://${name}/${prefix}`), '--passphrase-file', key]));
  expectOk(await carol.cli([...s3AddArgs(server(), 'cloud', `s3://${name}/${prefix}`), '--passphrase-file', key]));
  expectOk(await carol.cli(['schedule', 'add', '--name', 'Home', '--source', carol.source, '--destination', 'cloud', '--cron', '0 9 * * *']));
  const job = (await carol.cli(['run', 'Home'])).json<Job>();
  t.diagnostic(job.error?.message ?? '');
  assert.equal(job.status, 'failed');
  assert.match(job.error?.message ?? '', new RegExp(`s3:PutObject on arn:aws:s3:::pantry/backups/Dormouse/${carol.folder}/Home/`));
  assert.deepEqual(await keysUnder(`${prefix}/Dormouse/`, name), []);

  // Her folder allowed, but not listing pending uploads: the backup succeeds and says what it could not clear, and why.
  const policy = perLaptopPolicy(name, prefix, [{ uid: carol.user.uid, machineFolder: carol.folder }]) as { Statement: { Action: string[] }[] };
  for (const statement of policy.Statement) statement.Action = statement.Action.filter((action) => action !== 's3:ListBucketMultipartUploads');
  await putBucketPolicy(server(), name, policy);
  const warned = expectOk<Job & { warnings: string[] }>(await carol.cli(['run', 'Home']));
  t.diagnostic(warned.warnings.join('\n'));
  assert.equal(warned.status, 'succeeded');
  assert.equal(warned.warnings.length, 1);
  assert.match(warned.warnings[0] ?? '', /unfinished uploads .* could not be aborted: .*s3:ListBucketMultipartUploads on arn:aws:s3:::pantry\b/);
});
