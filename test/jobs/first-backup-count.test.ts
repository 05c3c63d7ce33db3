import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, readdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { planArchive } from '../../src-main/archive-worker/archive-plan';
import { nativeFs } from '../../src-main/native/native-fs';
import type { ArchiveRequest } from '../../src-main/archive-worker/archive-protocol';
import { dormouse, temporaryFolder } from '../helpers/cli';
import { mountSmallDisk } from '../helpers/small-disk';
import { otherThreadsNice, ownNice } from '../helpers/thread-nice';

/**
 * A schedule's first backup (#15): no snapshot says how large the tree is, so it is counted, on a
 * helper thread while the backup already writes, not in a walk of its own before the first byte
 * (a tenth of a million-file first backup). A destination with little room still has the tree
 * counted first, and one that turns out too small is left as it was found.
 */

/** 30 files in 3 folders, 1,000 bytes each: totals the test knows without Dormouse. */
function knownTree(root: string): { files: number; bytes: number } {
  for (let folder = 0; folder < 3; folder += 1) {
    mkdirSync(join(root, `f${folder}`), { recursive: true });
    for (let file = 0; file < 10; file += 1) writeFileSync(join(root, `f${folder}`, `${file}.txt`), Buffer.alloc(1000, 0x61 + file));
  }
  return { files: 30, bytes: 30_000 };
}

function firstBackupRequest(source: string, destination: string): ArchiveRequest {
  return {
    sources: [source],
    excludes: [],
    archivePath: join(destination, 'Dormouse', 'machine', 'Home', 'home-full.tar'),
    compression: 'none',
    snapshot: { id: 'first', kind: 'full', baseId: null, scheduleName: 'Home', createdAt: '2026-12-06T12:00:00.000Z' },
  };
}

test('on a roomy destination a first backup starts writing at once and counts the tree on a helper thread', async (t) => {
  const work = temporaryFolder(t);
  const source = join(work, 'source');
  const tree = knownTree(source);
  const plan = planArchive(firstBackupRequest(source, join(work, 'destination')));
  assert.ok(plan.count !== null, 'the tree is counted while the backup writes');
  assert.equal(plan.totalFiles, 0, 'the plan did not walk the tree itself');
  const counted = await plan.count.settled();
  assert.equal(counted.files, tree.files);
  assert.equal(counted.bytes, tree.bytes);
  assert.ok(counted.estimate >= tree.bytes + 34 * 1024, `the estimate (${counted.estimate}) holds every entry's headers and data`);
});

test('the count adds what the backup stores: each name of a hardlinked file, its data once, nothing excluded or unkeepable', async (t) => {
  const work = temporaryFolder(t);
  const source = join(work, 'source');
  const tree = knownTree(source);
  // One file with three names (counted three times, its 5,000 bytes once), a symlink, a FIFO and a socket (no data; the socket is not kept).
  writeFileSync(join(source, 'f0', 'linked.bin'), Buffer.alloc(5000, 0x7a));
  linkSync(join(source, 'f0', 'linked.bin'), join(source, 'f1', 'linked-again.bin'));
  linkSync(join(source, 'f0', 'linked.bin'), join(source, 'f2', 'linked-third.bin'));
  symlinkSync('f0/0.txt', join(source, 'a-link'));
  execFileSync('mkfifo', [join(source, 'a-fifo')]);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(join(source, 'a-socket'), resolve));
  t.after(() => server.close());
  // Excluded by name at any depth, and a whole folder by its path below the source.
  writeFileSync(join(source, 'f1', 'debug.log'), Buffer.alloc(7000));
  mkdirSync(join(source, 'build', 'deep'), { recursive: true });
  writeFileSync(join(source, 'build', 'deep', 'out.o'), Buffer.alloc(9000));
  const request = { ...firstBackupRequest(source, join(work, 'destination')), excludes: ['*.log', 'build'] };
  const plan = planArchive(request);
  assert.ok(plan.count !== null);
  const counted = await plan.count.settled();
  assert.equal(counted.files, tree.files + 3, 'the 30 files and the three names of the linked one');
  assert.equal(counted.bytes, tree.bytes + 5000, 'the linked file\'s data once; nothing of the excluded files');
});

test('on a destination with little room a first backup counts its tree before writing', (t) => {
  const work = temporaryFolder(t);
  const disk = mountSmallDisk(t, 64);
  if (disk === null) {
    t.skip('mounting a tmpfs is not allowed here');
    return;
  }
  const source = join(work, 'source');
  const tree = knownTree(source);
  const plan = planArchive(firstBackupRequest(source, disk));
  assert.equal(plan.count, null, 'no count runs beside the writing');
  assert.equal(plan.totalFiles, tree.files);
  assert.equal(plan.totalBytes, tree.bytes);
});

test('a first backup that turns out not to fit is refused once counted, naming what it needs, and the destination is left as it was', async (t) => {
  const work = temporaryFolder(t);
  // Roomy enough that the tree is counted beside the writing, too small for the tree's 400 MiB.
  const disk = mountSmallDisk(t, 320);
  if (disk === null) {
    t.skip('mounting a tmpfs is not allowed here');
    return;
  }
  const source = join(work, 'photos');
  knownTree(source);
  writeFileSync(join(source, 'f1', 'scan.raw'), '');
  truncateSync(join(source, 'f1', 'scan.raw'), 400 * 1024 * 1024);
  const data = join(work, 'data');
  assert.equal(dormouse(['destination', 'add', '--name', 'stick', '--path', disk, '--data-dir', data]).code, 0);
  assert.equal(dormouse(['schedule', 'add', '--name', 'Photos', '--source', source, '--destination', 'stick', '--cron', '0 9 * * *', '--data-dir', data]).code, 0);
  const before = readdirSync(disk, { recursive: true }).map(String).sort();

  const run = dormouse(['run', 'Photos', '--json', '--data-dir', data]);
  assert.equal(run.code, 1);
  const job = run.json<{ status: string; error: { code: string; message: string } }>();
  assert.equal(job.status, 'failed');
  assert.equal(job.error.code, 'INSUFFICIENT_SPACE');
  assert.match(job.error.message, /needs about 4\d\d\.\d MiB \(\d+ bytes\).* only .*\(\d+ bytes\) are free/);
  assert.deepEqual(readdirSync(disk, { recursive: true }).map(String).sort(), before, 'no partial archive, no folder made for it');
});

test('the count gives way to the backup: its thread runs at the lowest priority while it counts', { skip: (process.platform !== 'linux' && 'per-thread nice values are read from Linux /proc') || (nativeFs() === null && 'the native addon is not loaded') }, async (t) => {
  const work = temporaryFolder(t);
  const source = join(work, 'source');
  // Enough entries that the count takes a while after its thread starts.
  for (let folder = 0; folder < 100; folder += 1) {
    mkdirSync(join(source, `f${folder}`), { recursive: true });
    for (let file = 0; file < 100; file += 1) writeFileSync(join(source, `f${folder}`, `${file}.txt`), '');
  }
  const mainNice = ownNice();
  const plan = planArchive(firstBackupRequest(source, join(work, 'destination')));
  assert.ok(plan.count !== null);
  let lowest = mainNice;
  const deadline = Date.now() + 20_000;
  while (plan.count.totals === null && Date.now() < deadline) lowest = Math.max(lowest, ...otherThreadsNice());
  const counted = await plan.count.settled();
  assert.equal(counted.files, 10_000);
  assert.equal(lowest, 19, 'a thread of this process ran at nice 19 while the tree was counted');
  assert.equal(ownNice(), mainNice, 'the thread that writes kept its priority');
});
