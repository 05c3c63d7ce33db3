// The destination misbehaving under a running Dormouse: a drive that fills up while an archive is
// being written (another program takes the space), a drive that is unmounted (the empty mount
// point stays behind), and a drive yanked in the middle of a backup. Real tmpfs mounts, real
// bind mounts, the real daemon and CLI. (A backup too big from the start, and a worker that runs
// out of space because a source grew, are in test/jobs/destination-space.test.ts; a removed
// marker file in test/jobs/job-lifecycle.test.ts.)
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src-main/engine/engine';
import { dormouse } from '../helpers/cli';
import { mountSmallDisk } from '../helpers/small-disk';
import { archiveFiles, childPids, commandLine, describeResult, partialFiles, readJobs, sha256File, zeroFiles, startDormouse, type Job, type Snapshot } from '../helpers/trees';
import { apiValue, startUiDaemon, temporaryRoot } from '../ui/ui-daemon';
import { bindMount, isMountPoint, sidecarFiles, sleep, startDaemon, until } from './fault-kit';

const noMount = 'mounting a tmpfs is not allowed here (needs root with CAP_SYS_ADMIN)';

interface JobView {
  id: number;
  status: string;
  trigger: string;
  archivePath: string | null;
  warnings: string[];
  error: { code: string; message: string } | null;
}

function smallTree(folder: string, files: number): void {
  mkdirSync(join(folder, 'a-small'), { recursive: true });
  for (let index = 0; index < files; index += 1) writeFileSync(join(folder, 'a-small', `note-${String(index).padStart(4, '0')}.txt`), `note ${index}\n`.repeat(20));
}

/** Writes a file until the file system says ENOSPC; answers how many bytes it took. */
function fillUp(file: string): number {
  const fd = openSync(file, 'w');
  let written = 0;
  try {
    for (const size of [1 << 20, 4096, 512]) {
      const chunk = Buffer.alloc(size, 0x5a);
      try {
        for (;;) written += writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

test('the drive filling up mid-write: the daemon’s job ends failed INSUFFICIENT_SPACE with no partial file, the daemon keeps running, and once space is freed its next backup succeeds', async (t) => {
  const root = temporaryRoot(t, 'dormouse-faults-space-');
  const disk = mountSmallDisk(t, 96);
  if (disk === null) {
    t.skip(noMount);
    return;
  }
  const dataDir = join(root, 'data');
  const src = join(root, 'work');
  // 1500 small files first, then 40 MiB of (sparse) zeros written uncompressed: about 56 MiB with the
  // margin, so the backup starts on a 96 MiB drive with room to spare.
  smallTree(src, 1500);
  zeroFiles(src, 1, 40 * 1024 * 1024, 'z-big');

  const daemon = await startUiDaemon(t, dataDir);
  await sleep(1500); // the start-up catch-up, with nothing to catch up
  await apiValue(daemon, 'destinations:add', { name: 'usb', path: disk });
  await apiValue(daemon, 'schedules:add', { name: 'Work', sources: [src], destination: 'usb', cron: '0 3 * * *' });
  const daemonPid = daemon.child.pid as number;
  const catalog = join(dataDir, 'dormouse.sqlite');

  const queued = await apiValue<JobView>(daemon, 'jobs:start', { name: 'Work' });
  const row = await until('the job to be running', () => readJobs(catalog).find((job) => job.id === queued.id && job.status === 'running' && job.archive_path), 15_000, 2);
  assert.equal(row.owner_pid, daemonPid, 'the daemon runs the job');
  const partial = `${row.archive_path as string}.partial`;
  const worker = await until('the archive worker under the daemon', () => childPids(daemonPid).find((pid) => commandLine(pid).includes('archive-worker')), 15_000, 2);
  await until('the partial archive', () => existsSync(partial), 15_000, 1);

  // Another program takes every free byte while the archive is being written. The worker is held
  // still for that moment (as a slow disk would), so the space runs out in the middle of its write.
  const filler = join(disk, 'someone-elses-video.mkv');
  process.kill(worker, 'SIGSTOP');
  let taken: number;
  try {
    taken = fillUp(filler);
  } finally {
    process.kill(worker, 'SIGCONT');
  }
  t.diagnostic(`filled the drive with ${taken} bytes while the worker was writing`);

  let ended: JobView | undefined;
  const deadline = Date.now() + 30_000;
  while (!ended) {
    const job = await apiValue<JobView>(daemon, 'jobs:get', { jobId: queued.id });
    if (!['queued', 'running'].includes(job.status)) ended = job;
    else if (Date.now() > deadline) throw new Error(`job ${queued.id} did not end within 30 s: ${JSON.stringify(job)}`);
    else await sleep(100);
  }
  assert.equal(ended.status, 'failed', JSON.stringify(ended));
  assert.equal(ended.error?.code, 'INSUFFICIENT_SPACE', JSON.stringify(ended.error));
  assert.match(ended.error?.message ?? '', /ran out of space/, 'it says the space ran out during the write');
  assert.equal(ended.archivePath, null);
  assert.ok(!existsSync(partial), 'the partial archive was removed');
  assert.deepEqual(partialFiles(disk), []);
  assert.deepEqual(archiveFiles(disk), [], 'no archive was left');
  assert.deepEqual(sidecarFiles(disk), [], 'and no .sha256 either');
  assert.equal(statSync(filler).size, taken, 'the other program’s file is untouched');

  // The daemon is still there, answering, and still the scheduler.
  assert.equal(daemon.child.exitCode, null, `the daemon is still running:\n${daemon.output()}`);
  const status = await apiValue<{ scheduler: { pid: number | null }; running: unknown[] }>(daemon, 'status:get');
  assert.equal(status.scheduler.pid, daemonPid);
  assert.deepEqual(status.running, []);

  // Space freed: the next backup, by the same daemon, succeeds.
  unlinkSync(filler);
  const next = await apiValue<JobView>(daemon, 'jobs:start', { name: 'Work' });
  let second: JobView | undefined;
  while (!second) {
    const job = await apiValue<JobView>(daemon, 'jobs:get', { jobId: next.id });
    if (!['queued', 'running'].includes(job.status)) second = job;
    else await sleep(100);
  }
  assert.equal(second.status, 'succeeded', JSON.stringify(second));
  assert.equal(readJobs(catalog).find((job) => job.id === next.id)?.owner_pid, daemonPid, 'run by the same daemon process');
  assert.ok(second.archivePath && existsSync(second.archivePath));
  assert.deepEqual(partialFiles(disk), []);
  const verified = await apiValue<{ ok: boolean }>(daemon, 'snapshots:verify', { all: true });
  assert.equal(verified.ok, true);
  assert.equal(daemon.child.exitCode, null);
});

/** A laptop with an external drive: a tmpfs (the drive) bind-mounted at an ordinary folder (its mount point). */
function driveAt(t: TestContext, sizeMiB: number) {
  const disk = mountSmallDisk(t, sizeMiB);
  if (disk === null) return null;
  const root = mkdtempSync(join(tmpdir(), 'dormouse-faults-drive-'));
  const mountPoint = join(root, 'media', 'usb');
  mkdirSync(mountPoint, { recursive: true });
  const drive = bindMount(disk, mountPoint);
  // One hook, in this order: never remove a folder with a drive still mounted inside it.
  t.after(() => {
    drive?.release();
    if (!isMountPoint(mountPoint)) rmSync(root, { recursive: true, force: true });
  });
  if (drive === null) return null;
  const dataDir = join(root, 'data');
  const src = join(root, 'documents');
  mkdirSync(join(src, 'letters'), { recursive: true });
  writeFileSync(join(src, 'letters', 'dear.txt'), 'Dear Dormouse,\n');
  writeFileSync(join(src, 'todo.txt'), 'buy cheese\n');
  const cli = (args: string[]) => dormouse(['--data-dir', dataDir, ...args]);
  const ok = <T>(args: string[]): T => {
    const result = cli([...args, '--json']);
    assert.equal(result.code, 0, `dormouse ${args.join(' ')}: ${describeResult(result)}`);
    return result.json<T>();
  };
  ok(['destination', 'add', '--name', 'usb', '--path', mountPoint]);
  return { disk, root, mountPoint, drive, dataDir, src, cli, ok };
}

test('an unmounted drive (its empty mount point left behind): the backup is skipped with DESTINATION_UNAVAILABLE, by the CLI and by the daemon’s catch-up, and nothing lands on the laptop’s own disk', async (t) => {
  const setup = driveAt(t, 64);
  if (setup === null) {
    t.skip(noMount);
    return;
  }
  const { mountPoint, drive, src, ok, cli, dataDir } = setup;
  ok(['schedule', 'add', '--name', 'Docs', '--source', src, '--destination', 'usb', '--cron', '0 3 * * *']);
  const first = ok<Job>(['run', 'Docs']);
  assert.equal(first.status, 'succeeded');
  const firstArchive = first.archivePath as string;
  const firstSha = sha256File(firstArchive);
  // A second schedule, never backed up, so the daemon has something overdue to catch up.
  ok(['schedule', 'add', '--name', 'Later', '--source', join(src, 'letters'), '--destination', 'usb', '--cron', '0 4 * * *']);

  drive.unplug();
  assert.ok(!isMountPoint(mountPoint));
  assert.deepEqual(readdirSync(mountPoint), [], 'the mount point is an empty folder on the laptop’s disk');
  const mountPointMtime = statSync(mountPoint).mtimeMs;

  const run = cli(['run', 'Docs', '--json']);
  assert.equal(run.code, 1, describeResult(run));
  const skipped = run.json<Job>();
  assert.equal(skipped.status, 'skipped');
  assert.equal(skipped.error?.code, 'DESTINATION_UNAVAILABLE');
  assert.match(skipped.error?.message ?? '', /"usb"/, 'the message names the destination');
  assert.equal(skipped.archivePath, null);
  const listed = ok<{ name: string; available: boolean; freeBytes: number | null }[]>(['destination', 'list']);
  assert.deepEqual(listed.map((destination) => [destination.name, destination.available, destination.freeBytes]), [['usb', false, null]]);
  assert.deepEqual(readdirSync(mountPoint), [], 'nothing was written into the empty mount point');
  assert.equal(statSync(mountPoint).mtimeMs, mountPointMtime, 'the mount point folder was not touched');

  // The daemon's start-up catch-up of the overdue schedule meets the same empty mount point.
  const daemon = startDaemon(t, dataDir);
  const later = await until('the daemon’s catch-up of Later to end', () => {
    if (!daemon.running()) throw new Error(`the daemon exited:\n${daemon.output()}`);
    return ok<Job[]>(['jobs', '--schedule', 'Later']).find((job) => !['queued', 'running'].includes(job.status));
  }, 20_000, 200);
  assert.equal(later.trigger, 'catch-up');
  assert.equal(later.status, 'skipped', JSON.stringify(later));
  assert.equal(later.error?.code, 'DESTINATION_UNAVAILABLE');
  assert.ok(daemon.running(), 'a missing drive does not stop the daemon');
  assert.deepEqual(await daemon.stop('SIGTERM'), { code: 0, signal: null }, daemon.output());
  assert.deepEqual(readdirSync(mountPoint), [], 'still nothing in the mount point');
  assert.equal(statSync(mountPoint).mtimeMs, mountPointMtime);
  assert.equal(ok<{ name: string; overdue: boolean }[]>(['schedule', 'list']).find((schedule) => schedule.name === 'Later')?.overdue, true, 'Later stays overdue');

  // Plugged back in: the older archive is there, untouched, and the next backup succeeds.
  drive.plug();
  assert.equal(sha256File(firstArchive), firstSha);
  const again = ok<Job>(['run', 'Docs']);
  assert.equal(again.status, 'succeeded');
  assert.ok(again.archivePath?.startsWith(`${mountPoint}/`));
  const verify = cli(['verify', '--all', '--json']);
  assert.equal(verify.code, 0, describeResult(verify));
});

test('a drive unmounted in the middle of a backup: the job does not succeed, nothing lands on the laptop’s disk, and once the drive is back no partial file is left on it', async (t) => {
  // Roomy, because the space check counts the uncompressed size; gzip of sparse zeros takes little of it.
  const setup = driveAt(t, 4096);
  if (setup === null) {
    t.skip(noMount);
    return;
  }
  const { disk, mountPoint, drive, src, ok, dataDir } = setup;
  ok(['schedule', 'add', '--name', 'Docs', '--source', src, '--destination', 'usb', '--cron', '0 3 * * *', '--compression', 'gzip']);
  const first = ok<Job>(['run', 'Docs']);
  assert.equal(first.status, 'succeeded');
  const firstArchive = first.archivePath as string;
  const firstSha = sha256File(firstArchive);
  mkdirSync(join(src, 'big'));
  zeroFiles(join(src, 'big'), 24, 32 * 1024 * 1024);

  const run = startDormouse(['--data-dir', dataDir, 'run', 'Docs', '--json']);
  t.after(() => run.child.kill('SIGKILL'));
  const catalog = join(dataDir, 'dormouse.sqlite');
  // The partial file exists once the worker has walked the sources and opened it; gzip of sparse
  // zeros is so small that its first buffer of output may not be on the drive yet.
  const row = await until('the backup to be writing', () => {
    const found = readJobs(catalog).find((job) => job.id > first.id && job.status === 'running' && job.archive_path);
    return found && existsSync(`${found.archive_path}.partial`) ? found : undefined;
  }, 20_000, 10);
  const partialName = `${row.archive_path as string}.partial`.slice(mountPoint.length + 1);

  drive.unplug(true); // yanked: a lazy unmount, the worker's open file keeps pointing at the drive
  assert.deepEqual(readdirSync(mountPoint), [], 'the mount point is empty at once');
  const ended = await run.done;
  assert.equal(ended.code, 1, `exit 1\nstdout: ${ended.stdout}\nstderr: ${ended.stderr}`);
  const job = JSON.parse(ended.stdout) as Job;
  assert.notEqual(job.status, 'succeeded');
  assert.equal(job.status, 'failed', JSON.stringify(job));
  assert.ok(['WRITE_FAILED', 'DESTINATION_UNAVAILABLE'].includes(job.error?.code ?? ''), JSON.stringify(job.error));
  assert.equal(job.archivePath, null);
  assert.deepEqual(readdirSync(mountPoint), [], 'nothing landed on the laptop’s own disk');
  assert.deepEqual(ok<Snapshot[]>(['snapshots']).map((snapshot) => snapshot.jobId), [first.id], 'no snapshot for the failed job');

  // The drive comes back: the older archive is untouched and the next backup succeeds.
  drive.plug();
  assert.equal(sha256File(firstArchive), firstSha, 'the older archive is byte-for-byte untouched');
  const again = ok<Job>(['run', 'Docs']);
  assert.equal(again.status, 'succeeded');
  const verify = dormouse(['--data-dir', dataDir, 'verify', '--all', '--json']);
  assert.equal(verify.code, 0, describeResult(verify));
  // README: "either way the partial file is removed". The yanked job's partial file could not be
  // removed while the drive was gone; once it is back, nothing should leave it there for ever.
  assert.deepEqual(
    partialFiles(mountPoint).map((file) => file.slice(mountPoint.length + 1)),
    [],
    `the partial file of the failed job (${partialName}, ${existsSync(join(disk, partialName)) ? statSync(join(disk, partialName)).size : 0} bytes) is still on the drive after the next successful backup`,
  );
});

test('the same folder added twice at once (a double click in the window): one destination, whose marker is the one in the folder', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'dormouse-double-add-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const drive = join(root, 'usb');
  mkdirSync(drive);
  const engine = Engine.forDataDir(join(root, 'data'), {});
  t.after(() => engine.close());
  const outcomes = await Promise.allSettled([
    engine.handle('destinations:add', { name: 'usb', path: drive }),
    engine.handle('destinations:add', { name: 'usb-again', path: drive }),
    engine.handle('destinations:add', { name: 'usb', path: drive }),
  ]);
  assert.deepEqual(
    outcomes.map((outcome) => outcome.status),
    ['fulfilled', 'rejected', 'rejected'],
    'the first is added, the others refused',
  );
  for (const outcome of outcomes.slice(1)) assert.equal((outcome as PromiseRejectedResult).reason.code, 'CONFLICT');
  const listed = await engine.handle('destinations:list', {});
  assert.deepEqual(
    listed.map((destination) => [destination.name, destination.state]),
    [['usb', 'available']],
    'one destination, and the marker in the folder is its own',
  );
});
