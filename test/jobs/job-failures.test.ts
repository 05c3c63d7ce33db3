import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  alive,
  archiveFiles,
  childPids,
  commandLine,
  deadPid,
  describeResult,
  partialFiles,
  readJobs,
  sha256File,
  zeroFiles,
  startDormouse,
  waitFor,
  workspace,
  type Job,
  type JobRow,
  type RunningCli,
  type Snapshot,
  type Workspace,
} from '../helpers/trees';

/**
 * Jobs that do not end well: a schedule already running, jobs left behind by a dead process, an
 * archive worker killed mid-write, a cancel from another process and a Ctrl-C.
 */

function scheduleId(ws: Workspace, name: string): number {
  const schedules = ws.ok<{ id: number; name: string }[]>(['schedule', 'list']);
  const found = schedules.find((schedule) => schedule.name === name);
  assert.ok(found, `schedule ${name} exists`);
  return found.id;
}

/** Inserts a job row the way another Dormouse process would have. */
function insertJob(ws: Workspace, row: { scheduleId: number; status: 'queued' | 'running'; ownerPid: number; ownerHostname?: string; archivePath?: string | null }): number {
  const db = new Database(ws.catalog);
  try {
    db.pragma('busy_timeout = 5000');
    const now = Date.now();
    const result = db
      .prepare('INSERT INTO jobs (schedule_id, trigger, status, queued_at, started_at, owner_pid, owner_hostname, archive_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(row.scheduleId, 'manual', row.status, now - 5000, row.status === 'running' ? now - 4000 : null, row.ownerPid, row.ownerHostname ?? hostname(), row.archivePath ?? null);
    return Number(result.lastInsertRowid);
  } finally {
    db.close();
  }
}

function jobRow(ws: Workspace, id: number): JobRow | undefined {
  return readJobs(ws.catalog).find((row) => row.id === id);
}

function smallTree(folder: string): void {
  mkdirSync(join(folder, 'notes'), { recursive: true });
  writeFileSync(join(folder, 'notes', 'a.txt'), 'first note\n');
  writeFileSync(join(folder, 'b.txt'), 'second file\n');
}

/**
 * A schedule whose backup takes several seconds: 96 sparse files of 32 MiB (3 GiB of zeros that
 * cost no disk space to create), compressed with gzip so the archive stays small.
 */
function slowSchedule(ws: Workspace, name = 'Big'): void {
  smallTree(ws.src);
  ws.addSchedule(name, ['--compression', 'gzip']);
}

function addBigFiles(ws: Workspace): void {
  const big = join(ws.src, 'big');
  mkdirSync(big, { recursive: true });
  zeroFiles(big, 96, 32 * 1024 * 1024);
}

/** Starts `dormouse run` in the background and waits until its job is running and its partial archive is being written. */
async function startLongRun(ws: Workspace, schedule: string, afterJobId = 0, ownProcessGroup = false): Promise<{ cli: RunningCli; jobId: number; partial: string }> {
  const cli = startDormouse(['--data-dir', ws.dataDir, 'run', schedule, '--json'], { ownProcessGroup });
  let exited: string | null = null;
  void cli.done.then((output) => (exited = `exit ${output.code} (${output.signal})\nstdout: ${output.stdout}\nstderr: ${output.stderr}`));
  const row = await waitFor('the job to be running', () => {
    if (exited !== null) throw new Error(`dormouse run ended before its job was seen running: ${exited}`);
    if (!existsSync(ws.catalog)) return undefined;
    return readJobs(ws.catalog).find((candidate) => candidate.id > afterJobId && candidate.status === 'running' && candidate.archive_path);
  });
  const partial = `${row.archive_path as string}.partial`;
  await waitFor('the partial archive to grow', () => {
    if (exited !== null) throw new Error(`dormouse run ended before its partial archive was seen: ${exited}`);
    return existsSync(partial) && statSync(partial).size > 0;
  });
  return { cli, jobId: row.id, partial };
}

function parseJob(output: { stdout: string; stderr: string; code: number | null }): Job {
  try {
    return JSON.parse(output.stdout) as Job;
  } catch {
    throw new Error(`no JSON job on stdout: exit ${output.code}\nstdout: ${output.stdout}\nstderr: ${output.stderr}`);
  }
}

test('run refuses with exit 2 while another live process runs the schedule, and leaves its job alone', (t) => {
  const ws = workspace(t);
  smallTree(ws.src);
  ws.addSchedule('Docs');
  const id = insertJob(ws, { scheduleId: scheduleId(ws, 'Docs'), status: 'running', ownerPid: process.pid });
  const before = jobRow(ws, id);

  const result = ws.cli(['run', 'Docs', '--json']);
  assert.equal(result.code, 2, describeResult(result));
  assert.match(result.stderr, /already running/, 'the error says the schedule is already running');
  assert.match(result.stderr, new RegExp(`job ${id}\\b`), 'the error names the running job');
  assert.match(result.stderr, new RegExp(`dormouse cancel ${id}\\b`), 'and says how to cancel it');
  assert.equal(result.stdout, '', 'no job is printed');
  assert.deepEqual(jobRow(ws, id), before, 'the running job row is unchanged');
  assert.equal(readJobs(ws.catalog).length, 1, 'no second job was recorded');
  assert.deepEqual(archiveFiles(ws.dest), []);
  const listed = ws.ok<Job[]>(['jobs']);
  assert.equal(listed[0]?.status, 'running');
});

test('jobs left queued or running by a dead process on this host are marked interrupted and their partial archive removed', (t) => {
  const ws = workspace(t);
  smallTree(ws.src);
  for (const name of ['Dead', 'Alive', 'Elsewhere', 'DeadQueued']) ws.addSchedule(name);
  const folder = join(ws.dest, 'Dormouse');
  mkdirSync(join(folder, 'Dead'), { recursive: true });
  mkdirSync(join(folder, 'Alive'), { recursive: true });
  mkdirSync(join(folder, 'Elsewhere'), { recursive: true });
  const deadArchive = join(folder, 'Dead', '20250101T000000Z-full-deadbeef.tar');
  const aliveArchive = join(folder, 'Alive', '20250101T000000Z-full-a11fe000.tar');
  const elsewhereArchive = join(folder, 'Elsewhere', '20250101T000000Z-full-e15e0000.tar');
  for (const archive of [deadArchive, aliveArchive, elsewhereArchive]) writeFileSync(`${archive}.partial`, Buffer.alloc(10_240, 1));

  const gone = deadPid();
  const deadJob = insertJob(ws, { scheduleId: scheduleId(ws, 'Dead'), status: 'running', ownerPid: gone, archivePath: deadArchive });
  const deadQueued = insertJob(ws, { scheduleId: scheduleId(ws, 'DeadQueued'), status: 'queued', ownerPid: gone });
  const aliveJob = insertJob(ws, { scheduleId: scheduleId(ws, 'Alive'), status: 'running', ownerPid: process.pid, archivePath: aliveArchive });
  const elsewhereJob = insertJob(ws, { scheduleId: scheduleId(ws, 'Elsewhere'), status: 'running', ownerPid: gone, ownerHostname: `not-${hostname()}`, archivePath: elsewhereArchive });
  const aliveBefore = jobRow(ws, aliveJob);
  const elsewhereBefore = jobRow(ws, elsewhereJob);

  const jobs = ws.ok<Job[]>(['jobs']);
  const byId = new Map(jobs.map((job) => [job.id, job]));

  const dead = byId.get(deadJob);
  assert.equal(dead?.status, 'interrupted', 'the dead process’s running job is interrupted');
  assert.equal(dead?.error?.code, 'INTERRUPTED');
  assert.match(dead?.error?.message ?? '', new RegExp(`pid ${gone}\\b`));
  assert.ok(dead?.finishedAt, 'it has ended');
  assert.equal(dead?.archivePath, null);
  assert.ok(!existsSync(`${deadArchive}.partial`), 'its partial archive was removed');
  assert.equal(byId.get(deadQueued)?.status, 'interrupted', 'the dead process’s queued job is interrupted too');

  assert.equal(byId.get(aliveJob)?.status, 'running', 'a live process’s job is left running');
  assert.deepEqual(jobRow(ws, aliveJob), aliveBefore, 'its row is unchanged');
  assert.ok(existsSync(`${aliveArchive}.partial`), 'and its partial archive is left alone');
  assert.equal(byId.get(elsewhereJob)?.status, 'running', 'a job owned by another host is not this host’s to judge');
  assert.deepEqual(jobRow(ws, elsewhereJob), elsewhereBefore);
  assert.ok(existsSync(`${elsewhereArchive}.partial`));

  // Recovery happened once: a second look changes nothing.
  assert.deepEqual(ws.ok<Job[]>(['jobs']), jobs);
});

test('a new run of a schedule whose last job was left running by a dead process recovers it and runs', (t) => {
  const ws = workspace(t);
  smallTree(ws.src);
  ws.addSchedule('Docs');
  const stale = insertJob(ws, { scheduleId: scheduleId(ws, 'Docs'), status: 'running', ownerPid: deadPid() });
  const result = ws.cli(['run', 'Docs', '--json']);
  assert.equal(result.code, 0, describeResult(result));
  const job = result.json<Job>();
  assert.equal(job.status, 'succeeded');
  assert.notEqual(job.id, stale);
  const jobs = ws.ok<Job[]>(['jobs']);
  assert.deepEqual(jobs.map((candidate) => [candidate.id, candidate.status]), [[job.id, 'succeeded'], [stale, 'interrupted']]);
});

function processState(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').charAt(0);
  } catch {
    return null;
  }
}

test('a dormouse run killed with SIGKILL: its worker stops and cleans up, and the next command marks the job interrupted', async (t) => {
  const ws = workspace(t);
  slowSchedule(ws);
  addBigFiles(ws);
  const { cli, jobId, partial } = await startLongRun(ws, 'Big');
  t.after(() => cli.child.kill('SIGKILL'));
  const [worker] = childPids(cli.child.pid as number).filter((pid) => commandLine(pid).includes('archive-worker'));
  assert.ok(worker, 'the archive worker is running');
  cli.child.kill('SIGKILL');
  const ended = await cli.done;
  assert.equal(ended.signal, 'SIGKILL');
  // The orphaned worker notices its owner is gone and stops at once (a zombie waiting for init counts as stopped).
  await waitFor('the orphaned worker to stop', () => {
    const state = processState(worker);
    return state === null || state === 'Z';
  }, 10_000);

  const jobs = ws.ok<Job[]>(['jobs']);
  const job = jobs.find((candidate) => candidate.id === jobId);
  assert.equal(job?.status, 'interrupted');
  assert.equal(job?.error?.code, 'INTERRUPTED');
  assert.ok(!existsSync(partial), 'no partial archive remains');
  assert.deepEqual(partialFiles(ws.dest), []);
  assert.deepEqual(archiveFiles(ws.dest), [], 'and no archive appeared');
  assert.deepEqual(ws.ok<Snapshot[]>(['snapshots']), []);
});

test('an archive worker killed mid-write fails the job with WORKER_CRASHED; no partial remains; older archives are untouched', async (t) => {
  const ws = workspace(t);
  slowSchedule(ws);
  const first = ws.cli(['run', 'Big', '--json']);
  assert.equal(first.code, 0, describeResult(first));
  const older = first.json<Job>();
  const olderArchive = older.archivePath as string;
  const olderSha = sha256File(olderArchive);
  const olderMtime = statSync(olderArchive).mtimeMs;
  addBigFiles(ws);

  const { cli, jobId, partial } = await startLongRun(ws, 'Big', older.id);
  t.after(() => cli.child.kill('SIGKILL'));
  const workers = await waitFor('the archive worker', () => {
    const found = childPids(cli.child.pid as number).filter((pid) => commandLine(pid).includes('archive-worker'));
    return found.length > 0 ? found : undefined;
  });
  assert.equal(workers.length, 1, 'one archive worker, a child of the CLI');
  process.kill(workers[0] as number, 'SIGKILL');

  const ended = await cli.done;
  assert.equal(ended.code, 1, `exit 1: ${ended.stderr}`);
  const job = parseJob(ended);
  assert.equal(job.id, jobId);
  assert.equal(job.status, 'failed');
  assert.equal(job.error?.code, 'WORKER_CRASHED');
  assert.match(job.error?.message ?? '', /SIGKILL/);
  assert.equal(job.archivePath, null);
  assert.ok(!existsSync(partial), 'the partial archive was removed');
  assert.deepEqual(partialFiles(ws.dest), []);
  assert.deepEqual(archiveFiles(ws.dest), [olderArchive], 'only the older archive is in the destination');
  assert.equal(sha256File(olderArchive), olderSha, 'the older archive is byte-for-byte untouched');
  assert.equal(statSync(olderArchive).mtimeMs, olderMtime);
  assert.equal(ws.ok<Job[]>(['jobs'])[0]?.status, 'failed');
  assert.deepEqual(ws.ok<Snapshot[]>(['snapshots']).map((snapshot) => snapshot.jobId), [older.id]);
});

test('dormouse cancel from another process stops a running backup: cancelled, exit 1, no partial, no snapshot', async (t) => {
  const ws = workspace(t);
  slowSchedule(ws);
  addBigFiles(ws);
  const { cli, jobId, partial } = await startLongRun(ws, 'Big');
  t.after(() => cli.child.kill('SIGKILL'));

  // A second `dormouse run` of the same schedule meanwhile is refused, naming the running job.
  const second = ws.cli(['run', 'Big', '--json']);
  assert.equal(second.code, 2, describeResult(second));
  assert.match(second.stderr, new RegExp(`already running \\(job ${jobId}\\b`));

  const cancel = ws.cli(['cancel', String(jobId), '--json']);
  assert.equal(cancel.code, 0, describeResult(cancel));
  const shown = cancel.json<Job>();
  assert.equal(shown.id, jobId);
  assert.equal(shown.status, 'cancelled', 'cancel waits for the job to end and shows it cancelled');

  const ended = await cli.done;
  assert.equal(ended.code, 1, `the run exits 1: ${ended.stderr}`);
  const job = parseJob(ended);
  assert.equal(job.status, 'cancelled');
  assert.equal(job.error?.code, 'CANCELLED');
  assert.equal(job.archivePath, null);
  assert.ok(!existsSync(partial), 'the partial archive was removed');
  assert.deepEqual(partialFiles(ws.dest), []);
  assert.deepEqual(archiveFiles(ws.dest), [], 'no archive was left');
  assert.deepEqual(ws.ok<Snapshot[]>(['snapshots']), [], 'no snapshot is listed');
  assert.equal(ws.ok<Job[]>(['jobs'])[0]?.status, 'cancelled');
});

for (const [how, toGroup] of [
  ['SIGINT to the dormouse process', false],
  ['Ctrl-C in a terminal: SIGINT to the whole process group, worker included', true],
] as const) {
  test(`Ctrl-C (${how}) on dormouse run cancels the backup and removes the partial archive`, async (t) => {
    const ws = workspace(t);
    slowSchedule(ws);
    addBigFiles(ws);
    const { cli, jobId, partial } = await startLongRun(ws, 'Big', 0, toGroup);
    t.after(() => cli.child.kill('SIGKILL'));
    const [worker] = childPids(cli.child.pid as number).filter((pid) => commandLine(pid).includes('archive-worker'));
    assert.ok(worker, 'the archive worker is running');
    if (toGroup) process.kill(-(cli.child.pid as number), 'SIGINT');
    else cli.child.kill('SIGINT');

    const ended = await cli.done;
    assert.equal(ended.signal, null, 'the run handles Ctrl-C itself');
    assert.equal(ended.code, 1, `exit 1: ${ended.stderr}`);
    const job = parseJob(ended);
    assert.equal(job.id, jobId);
    assert.equal(job.status, 'cancelled');
    assert.equal(job.error?.code, 'CANCELLED');
    assert.ok(!existsSync(partial), 'the partial archive was removed');
    assert.deepEqual(partialFiles(ws.dest), []);
    assert.deepEqual(archiveFiles(ws.dest), []);
    assert.deepEqual(ws.ok<Snapshot[]>(['snapshots']), []);
    await waitFor('the archive worker to be gone', () => !alive(worker), 5000);
  });
}

test('cancelling a job that has already ended, or that does not exist, exits 2', (t) => {
  const ws = workspace(t);
  smallTree(ws.src);
  ws.addSchedule('Docs');
  const job = ws.ok<Job>(['run', 'Docs']);
  assert.equal(job.status, 'succeeded');

  const finished = ws.cli(['cancel', String(job.id), '--json']);
  assert.equal(finished.code, 2, describeResult(finished));
  assert.match(finished.stderr, /already ended/);
  assert.match(finished.stderr, /succeeded/);
  assert.equal(ws.ok<Job[]>(['jobs'])[0]?.status, 'succeeded', 'the job is still succeeded');
  assert.ok(existsSync(job.archivePath as string), 'and its archive is still there');

  const missing = ws.cli(['cancel', '9999', '--json']);
  assert.equal(missing.code, 2, describeResult(missing));
  assert.match(missing.stderr, /no job 9999/);
});
