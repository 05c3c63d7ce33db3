import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectOk, temporaryFolder } from '../helpers/cli';
import { clientOf, noCeph, useS3Server } from './s3-kit';
import { passphraseFile, s3AddArgs, s3Cli } from './s3-destination-kit';

/**
 * Two laptops, one bucket, each with a schedule called "Home": each writes under its own machine
 * folder, the second lists the first one's snapshots apart (`--machine all`), and its retention
 * deletes only its own objects.
 */

const server = useS3Server();

interface Job {
  status: string;
  archivePath: string;
  error: unknown;
}

interface Snapshot {
  id: number;
  archivePath: string;
  machine: { name: string; current: boolean };
}

test("two laptops share a bucket: separate machine folders, the other's snapshots listed apart, retention never touches them", { skip: noCeph }, async (t) => {
  const root = temporaryFolder(t);
  await clientOf(server(), 'household').createBucket();
  const key = passphraseFile(root);
  const laptop = (name: string) => {
    const source = join(root, name, 'home');
    mkdirSync(source, { recursive: true });
    writeFileSync(join(source, 'diary.txt'), `${name}'s diary\n`);
    return { source, dataDir: join(root, name, 'data'), cli: s3Cli(server(), join(root, name, 'data')) };
  };
  const alice = laptop('alice');
  const bob = laptop('bob');
  expectOk(alice.cli([...s3AddArgs(server(), 'cloud', 's3://household/backups'), '--passphrase-file', key]));
  expectOk(alice.cli(['schedule', 'add', '--name', 'Home', '--source', alice.source, '--destination', 'cloud', '--cron', '0 9 * * *', '--keep-last', '1']));
  const aliceJob = expectOk<Job>(alice.cli(['run', 'Home']));
  assert.equal(aliceJob.status, 'succeeded', JSON.stringify(aliceJob.error));

  const added = expectOk<{ importedSnapshots: number; encrypted: boolean }>(bob.cli([...s3AddArgs(server(), 'cloud', 's3://household/backups'), '--passphrase-file', key]));
  assert.equal(added.importedSnapshots, 1, "Alice's snapshot is found");
  assert.equal(added.encrypted, true, 'the prefix keeps its key');
  expectOk(bob.cli(['schedule', 'add', '--name', 'Home', '--source', bob.source, '--destination', 'cloud', '--cron', '0 9 * * *', '--keep-last', '1']));
  const bobFirst = expectOk<Job>(bob.cli(['run', 'Home']));
  assert.equal(bobFirst.status, 'succeeded', JSON.stringify(bobFirst.error));
  assert.match(bobFirst.archivePath, /-full-/, "Bob's first backup is a full one, never built on Alice's");
  const folderOf = (path: string) => path.split('/').slice(0, -2).join('/');
  assert.notEqual(folderOf(bobFirst.archivePath), folderOf(aliceJob.archivePath), 'each laptop has its own machine folder');
  rmSync(join(bob.dataDir, 'manifest-copies'), { recursive: true, force: true });
  writeFileSync(join(bob.source, 'diary.txt'), "Bob's diary, day two\n");
  const bobSecond = expectOk<Job>(bob.cli(['run', 'Home']));
  assert.equal(bobSecond.status, 'succeeded', JSON.stringify(bobSecond.error));

  const keys: string[] = [];
  for await (const object of clientOf(server(), 'household').listAllObjects('backups/Dormouse/')) keys.push(`s3://household/${object.key}`);
  assert.deepEqual(keys.filter((path) => !path.endsWith('.sha256')).sort(), [aliceJob.archivePath, bobSecond.archivePath].sort(), "Bob's retention deleted his first archive, and only that");
  const all = expectOk<Snapshot[]>(bob.cli(['snapshots', '--machine', 'all']));
  assert.deepEqual(all.map((snapshot) => [snapshot.archivePath, snapshot.machine.current]).sort(), [[aliceJob.archivePath, false], [bobSecond.archivePath, true]].sort());
  assert.deepEqual(expectOk<Snapshot[]>(bob.cli(['snapshots'])).map((snapshot) => snapshot.archivePath), [bobSecond.archivePath], "this machine's only, by default");
});
