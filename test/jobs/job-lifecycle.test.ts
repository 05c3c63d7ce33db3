import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { archiveFiles, describeResult, describeTree, partialFiles, workspace, type Job, type Snapshot, type Workspace } from '../helpers/trees';

const jobKeys = ['id', 'scheduleId', 'trigger', 'status', 'queuedAt', 'startedAt', 'finishedAt', 'files', 'bytes', 'archivePath', 'sha256', 'warnings', 'error'].sort();
const snapshotKeys = ['id', 'scheduleId', 'scheduleName', 'jobId', 'createdAt', 'archivePath', 'files', 'bytes', 'sha256', 'compression', 'kind', 'baseId', 'machine'].sort();
const localIso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?([+-]\d{2}:\d{2}|Z)$/;

function run(ws: Workspace, schedule: string): { code: number; job: Job; stderr: string } {
  const result = ws.cli(['run', schedule, '--json']);
  let job: Job;
  try {
    job = result.json<Job>();
  } catch {
    throw new Error(`dormouse run ${schedule} printed no JSON job: ${describeResult(result)}`);
  }
  assert.deepEqual(partialFiles(ws.dest), [], `no .partial file is left after job ${job.id} (${job.status})`);
  return { code: result.code, job, stderr: result.stderr };
}

function tarNames(archive: string): string[] {
  const result = spawnSync('tar', ['--quoting-style=literal', '-tf', archive], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.split('\n').filter((line) => line !== '');
}

function smallTree(folder: string, label: string): void {
  mkdirSync(join(folder, 'sub'), { recursive: true });
  writeFileSync(join(folder, `${label}.txt`), `${label}\n`);
  writeFileSync(join(folder, 'sub', 'more.txt'), 'more bytes here\n');
}

test('run --json prints the finished job with exactly the documented keys, and exits 0', (t) => {
  const ws = workspace(t);
  smallTree(ws.src, 'hello');
  ws.addSchedule('Docs');
  const before = Date.now();
  const { code, job } = run(ws, 'Docs');
  assert.equal(code, 0);
  assert.deepEqual(Object.keys(job).sort(), jobKeys);
  assert.equal(job.status, 'succeeded');
  assert.equal(job.trigger, 'manual');
  assert.equal(job.error, null);
  assert.deepEqual(job.warnings, []);
  assert.equal(job.files, 2);
  assert.equal(job.bytes, 'hello\n'.length + 'more bytes here\n'.length);
  assert.match(job.sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.ok(job.archivePath && existsSync(job.archivePath), 'the archive exists where the job says');
  assert.ok(job.archivePath.startsWith(join(ws.dest, 'Dormouse') + '/'), `the archive is in the destination's Dormouse folder: ${job.archivePath}`);
  for (const stamp of [job.queuedAt, job.startedAt, job.finishedAt]) assert.match(stamp ?? '', localIso);
  const [queued, started, finished] = [job.queuedAt, job.startedAt as string, job.finishedAt as string].map((stamp) => Date.parse(stamp));
  assert.ok((queued as number) <= (started as number) && (started as number) <= (finished as number), 'queued ≤ started ≤ finished');
  assert.ok((queued as number) >= before - 1000 && (finished as number) <= Date.now() + 1000, 'the times are now');
});

test('jobs lists newest first with the same shape; --schedule filters and --limit limits', (t) => {
  const ws = workspace(t);
  const photos = join(ws.root, 'photos');
  mkdirSync(photos);
  smallTree(ws.src, 'doc');
  smallTree(photos, 'photo');
  ws.addSchedule('Docs');
  ws.addSchedule('Photos', [], [photos]);
  const ran = [run(ws, 'Docs').job, run(ws, 'Photos').job, run(ws, 'Docs').job];
  assert.ok(ran.every((job) => job.status === 'succeeded'));

  const all = ws.ok<Job[]>(['jobs']);
  assert.deepEqual(all.map((job) => job.id), ran.map((job) => job.id).reverse(), 'newest first');
  for (const job of all) assert.deepEqual(Object.keys(job).sort(), jobKeys);
  assert.deepEqual(all, [...ran].reverse(), 'jobs shows each job as run printed it');

  const docs = ws.ok<Job[]>(['jobs', '--schedule', 'Docs']);
  assert.deepEqual(docs.map((job) => job.id), [ran[2]?.id, ran[0]?.id]);
  assert.ok(docs.every((job) => job.scheduleId === ran[0]?.scheduleId));
  assert.deepEqual(ws.ok<Job[]>(['jobs', '--schedule', 'Photos']).map((job) => job.id), [ran[1]?.id]);
  assert.deepEqual(ws.ok<Job[]>(['jobs', '--limit', '2']).map((job) => job.id), [ran[2]?.id, ran[1]?.id]);
  assert.deepEqual(ws.ok<Job[]>(['jobs', '--schedule', 'Docs', '--limit', '1']).map((job) => job.id), [ran[2]?.id]);

  const unknown = ws.cli(['jobs', '--schedule', 'Nope', '--json']);
  assert.equal(unknown.code, 2, describeResult(unknown));
  assert.match(unknown.stderr, /Nope/);
});

test('snapshots lists each finished archive with the documented keys, newest first, filterable', (t) => {
  const ws = workspace(t);
  const photos = join(ws.root, 'photos');
  mkdirSync(photos);
  smallTree(ws.src, 'doc');
  smallTree(photos, 'photo');
  ws.addSchedule('Docs');
  ws.addSchedule('Photos', ['--compression', 'gzip'], [photos]);
  const ran = [run(ws, 'Docs').job, run(ws, 'Photos').job];

  const snapshots = ws.ok<Snapshot[]>(['snapshots']);
  assert.equal(snapshots.length, 2);
  for (const snapshot of snapshots) assert.deepEqual(Object.keys(snapshot).sort(), snapshotKeys);
  for (const snapshot of snapshots) assert.deepEqual(Object.keys(snapshot.machine).sort(), ['current', 'id', 'name']);
  assert.equal(new Set(snapshots.map((snapshot) => snapshot.machine.id)).size, 1, 'one machine made both');
  assert.ok(snapshots.every((snapshot) => snapshot.machine.current), 'this one');
  assert.deepEqual(snapshots.map((snapshot) => snapshot.jobId), [ran[1]?.id, ran[0]?.id], 'newest first');
  for (const job of ran) {
    const snapshot = snapshots.find((candidate) => candidate.jobId === job.id);
    assert.ok(snapshot);
    assert.equal(snapshot.scheduleId, job.scheduleId);
    assert.equal(snapshot.archivePath, job.archivePath);
    assert.equal(snapshot.files, job.files);
    assert.equal(snapshot.bytes, job.bytes);
    assert.equal(snapshot.sha256, job.sha256);
    assert.match(snapshot.createdAt, localIso);
    assert.ok(existsSync(snapshot.archivePath));
  }
  assert.equal(snapshots.find((s) => s.jobId === ran[0]?.id)?.compression, 'none');
  assert.equal(snapshots.find((s) => s.jobId === ran[1]?.id)?.compression, 'gzip');
  assert.ok(snapshots.find((s) => s.jobId === ran[1]?.id)?.archivePath.endsWith('.tar.gz'));
  assert.deepEqual(ws.ok<Snapshot[]>(['snapshots', '--schedule', 'Photos']).map((s) => s.jobId), [ran[1]?.id]);
});

test('a destination without its marker (an empty mount point) skips the job and writes nothing anywhere', (t) => {
  const ws = workspace(t);
  smallTree(ws.src, 'doc');
  ws.addSchedule('Docs');
  unlinkSync(join(ws.dest, '.dormouse-destination.json'));
  const destBefore = describeTree(ws.dest);
  const srcBefore = describeTree(ws.src);
  const destMtime = statSync(ws.dest).mtimeMs;

  const { code, job } = run(ws, 'Docs');
  assert.equal(code, 1);
  assert.equal(job.status, 'skipped');
  assert.equal(job.error?.code, 'DESTINATION_UNAVAILABLE');
  assert.match(job.error?.message ?? '', /usb/, 'the message names the destination');
  assert.equal(job.archivePath, null);
  assert.equal(job.sha256, null);
  assert.equal(job.files, 0);
  assert.ok(job.finishedAt, 'a skipped job has ended');

  assert.deepEqual(readdirSync(ws.dest), [], 'the destination folder is still empty');
  assert.ok(!existsSync(join(ws.dest, 'Dormouse')), 'no Dormouse folder was created');
  assert.deepEqual(describeTree(ws.dest), destBefore);
  assert.equal(statSync(ws.dest).mtimeMs, destMtime, 'the destination folder was not touched');
  assert.deepEqual(describeTree(ws.src), srcBefore, 'the source is unchanged');
  assert.deepEqual(ws.ok<Snapshot[]>(['snapshots']), [], 'no snapshot recorded');
  assert.deepEqual(ws.ok<Job[]>(['jobs']), [job], 'the skipped job is listed as run printed it');
});

test('a source folder deleted after the schedule was added fails the job with SOURCE_MISSING', (t) => {
  const ws = workspace(t);
  const second = join(ws.root, 'second');
  mkdirSync(second);
  smallTree(ws.src, 'doc');
  smallTree(second, 'other');
  ws.addSchedule('Docs', [], [ws.src, second]);
  rmSync(second, { recursive: true });
  const destBefore = describeTree(ws.dest);

  const { code, job } = run(ws, 'Docs');
  assert.equal(code, 1);
  assert.equal(job.status, 'failed');
  assert.equal(job.error?.code, 'SOURCE_MISSING');
  assert.equal(job.error?.message, `source folder missing: ${second}; reconnect or restore it, or edit the schedule`, 'only the missing folder is named, as one');
  assert.equal(job.archivePath, null);
  assert.deepEqual(describeTree(ws.dest), destBefore, 'nothing was written to the destination');
  assert.deepEqual(archiveFiles(ws.dest), []);
  assert.deepEqual(ws.ok<Snapshot[]>(['snapshots']), []);

  rmSync(ws.src, { recursive: true });
  const both = run(ws, 'Docs').job;
  assert.equal(both.error?.message, `source folders missing: ${ws.src}, ${second}; reconnect or restore them, or edit the schedule`);
});

test('a file that cannot be read becomes a warning; the job still succeeds without it', (t) => {
  if (process.getuid?.() === 0) {
    t.skip('running as root: chmod 000 does not stop root from reading a file');
    return;
  }
  const ws = workspace(t);
  smallTree(ws.src, 'doc');
  const locked = join(ws.src, 'locked.txt');
  writeFileSync(locked, 'no reading\n');
  // No chmod back afterwards: the workspace is removed first, and removing a mode-000 file needs only its folder.
  chmodSync(locked, 0o000);
  ws.addSchedule('Docs');
  const { code, job } = run(ws, 'Docs');
  assert.equal(code, 0);
  assert.equal(job.status, 'succeeded');
  assert.ok(job.warnings.some((warning) => warning.includes(locked) && /permission denied/i.test(warning)), `warnings: ${JSON.stringify(job.warnings)}`);
  assert.equal(job.files, 2);
  const names = tarNames(job.archivePath as string);
  assert.ok(!names.includes(locked.slice(1)), 'the unreadable file is not in the archive');
  assert.ok(names.includes(join(ws.src, 'doc.txt').slice(1)), 'the readable files are');
});

test('a FIFO is backed up as a FIFO; a socket becomes a warning that says what it is; the job still succeeds', async (t) => {
  const ws = workspace(t);
  smallTree(ws.src, 'doc');
  const fifo = join(ws.src, 'a-pipe');
  const made = spawnSync('mkfifo', [fifo]);
  assert.equal(made.status, 0, String(made.stderr));
  const socketPath = join(ws.src, 'sub', 'a-socket');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.after(() => server.close());
  assert.ok(statSync(socketPath).isSocket());
  ws.addSchedule('Docs');

  const { code, job } = run(ws, 'Docs');
  assert.equal(code, 0);
  assert.equal(job.status, 'succeeded');
  assert.equal(job.error, null);
  assert.deepEqual(job.warnings, [`${socketPath}: not backed up, it is a socket, which only lives while its program runs`]);
  assert.equal(job.files, 2);
  const listing = spawnSync('tar', ['-tvf', job.archivePath as string], { encoding: 'utf8' }).stdout.split('\n');
  assert.ok(listing.some((line) => line.startsWith('p') && line.endsWith(fifo.slice(1))), `GNU tar lists the FIFO as one: ${listing.join('\n')}`);
  assert.ok(!listing.some((line) => line.endsWith(socketPath.slice(1))), 'the socket is not in the archive');
  assert.ok(listing.some((line) => line.endsWith(join(ws.src, 'sub', 'more.txt').slice(1))), 'the files beside them are');
  const listed = ws.ok<Job[]>(['jobs']);
  assert.deepEqual(listed[0]?.warnings, job.warnings, '`jobs` lists the warnings too');
  const text = ws.cli(['run', 'Docs']);
  assert.equal(text.code, 0, describeResult(text));
  assert.match(text.stdout, new RegExp(`\n  1 item could not be backed up:\n    ${socketPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not backed up, it is a socket`), `the text says it in words: ${text.stdout}`);
});

test('a folder nested past the longest path the system opens (PATH_MAX) is named in a warning that says why; the rest is backed up', (t) => {
  const ws = workspace(t);
  smallTree(ws.src, 'doc');
  // 20 folders of 250 bytes each: over 4096 bytes from the root, made one level at a time as a program would.
  const made = spawnSync('python3', ['-c', "import os, sys\nos.chdir(sys.argv[1])\nfor _ in range(20):\n    os.mkdir('d' * 250)\n    os.chdir('d' * 250)\nopen('deep.txt', 'w').write('deep')", ws.src]);
  assert.equal(made.status, 0, String(made.stderr));
  ws.addSchedule('Deep');
  let ran: ReturnType<typeof run>;
  try {
    ran = run(ws, 'Deep');
  } finally {
    // GNU rm removes a tree this deep; Node's recursive rmSync (the workspace's clean-up) cannot.
    spawnSync('rm', ['-rf', join(ws.src, 'd'.repeat(250))]);
  }
  const { code, job } = ran;
  assert.equal(code, 0);
  assert.equal(job.status, 'succeeded');
  assert.equal(job.warnings.length, 1, JSON.stringify(job.warnings).slice(0, 300));
  const warning = job.warnings[0] as string;
  assert.ok(warning.startsWith(`${ws.src}/${'d'.repeat(250)}/`), 'the warning starts with the path it is about');
  assert.match(warning, /: not backed up, its path is longer than the system lets a program open \(PATH_MAX\); move it higher up to back it up$/);
  assert.equal(job.files, 2, 'the files beside it are backed up');
});
