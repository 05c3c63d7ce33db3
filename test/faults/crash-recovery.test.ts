// kill -9 of the daemon in the middle of a backup, and what the next start makes of it.
// (The same for a `dormouse run` killed with SIGKILL, and a worker killed under its owner, is in
// test/jobs/job-failures.test.ts; this file is about the daemon and its catch-up.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { hostname } from 'node:os';
import { spawn } from 'node:child_process';
import { processMark } from '../../src-main/common/processes';
import { archiveFiles, childPids, commandLine, deadPid, describeResult, partialFiles, readJobs, sha256File, zeroFiles, workspace, type Job, type Snapshot } from '../helpers/trees';
import { dailyCronAt, processStopped, sidecarFiles, sleep, startDaemon, until } from './fault-kit';

interface ScheduleView {
  name: string;
  overdue: boolean;
  lastSuccessAt: string | null;
}

interface VerifyReport {
  ok: boolean;
  snapshots: { snapshotId: number; ok: boolean; problems: string[] }[];
}

test('a daemon killed with SIGKILL mid-backup (twice): its worker stops, the job ends interrupted with no partial (recovered by a CLI call, or by the next daemon), the restarted daemon catches the schedule up once, and every snapshot still verifies', async (t) => {
  const ws = workspace(t);
  mkdirSync(join(ws.src, 'notes'), { recursive: true });
  writeFileSync(join(ws.src, 'notes', 'a.txt'), 'first note\n');
  writeFileSync(join(ws.src, 'b.txt'), 'second file\n');
  ws.addSchedule('Big', ['--compression', 'gzip']);

  // The earlier, successful snapshot, made with `dormouse run`.
  const first = ws.ok<Job>(['run', 'Big']);
  assert.equal(first.status, 'succeeded');
  const firstArchive = first.archivePath as string;
  const firstSha = sha256File(firstArchive);

  // Then 1.5 GiB of sparse files (no disk used; gzip keeps the archive small) make the next backup take several seconds.
  mkdirSync(join(ws.src, 'big'));
  zeroFiles(join(ws.src, 'big'), 48, 32 * 1024 * 1024);

  // A daily cron whose time has just passed: the schedule is overdue, and its next fire is a day away,
  // so every backup below is a catch-up at daemon start and nothing else.
  const fireAt = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000);
  ws.ok(['schedule', 'edit', 'Big', '--cron', dailyCronAt(fireAt)]);
  await sleep(fireAt.getTime() - Date.now() + 300);
  assert.equal(ws.ok<ScheduleView[]>(['schedule', 'list'])[0]?.overdue, true, 'the schedule is overdue before the daemon starts');

  /** Starts a daemon, waits for its catch-up job to be writing, and kills the daemon with SIGKILL. */
  const killDuringCatchUp = async (afterJobId: number) => {
    const daemon = startDaemon(t, ws.dataDir);
    const row = await until('the daemon’s catch-up job to be running and writing its partial archive', () => {
      if (!daemon.running()) throw new Error(`the daemon exited:\n${daemon.output()}`);
      const found = readJobs(ws.catalog).find((candidate) => candidate.id > afterJobId && candidate.status === 'running' && candidate.archive_path);
      return found && existsSync(`${found.archive_path}.partial`) && statSync(`${found.archive_path}.partial`).size > 0 ? found : undefined;
    }, 30_000);
    assert.equal(row.owner_pid, daemon.pid, 'the daemon owns the job');
    const partial = `${row.archive_path as string}.partial`;
    const workers = childPids(daemon.pid).filter((pid) => commandLine(pid).includes('archive-worker'));
    assert.equal(workers.length, 1, `one archive worker under the daemon: ${workers.map(commandLine).join(' | ')}`);
    const worker = workers[0] as number;

    const killed = await daemon.stop('SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');
    await until('the orphaned archive worker to stop (its parent disconnected)', () => processStopped(worker), 10_000);
    assert.ok(!existsSync(partial), 'the worker removed its partial archive when its owner vanished');
    return { daemon, row };
  };

  const { daemon, row } = await killDuringCatchUp(first.id);

  // Any CLI call recovers the job of the dead process.
  const jobs = ws.ok<Job[]>(['jobs']);
  const interrupted = jobs.find((job) => job.id === row.id);
  assert.equal(interrupted?.status, 'interrupted', JSON.stringify(interrupted));
  assert.equal(interrupted?.error?.code, 'INTERRUPTED');
  assert.match(interrupted?.error?.message ?? '', new RegExp(`pid ${daemon.pid}\\b`), 'the message names the dead daemon');
  assert.equal(interrupted?.trigger, 'catch-up');
  assert.ok(interrupted?.finishedAt, 'the interrupted job has ended');
  assert.deepEqual(partialFiles(ws.dest), [], 'no partial file anywhere in the destination');
  assert.deepEqual(archiveFiles(ws.dest), [firstArchive], 'only the earlier archive is there');
  assert.equal(sha256File(firstArchive), firstSha, 'the earlier archive is byte-for-byte untouched');
  const status = ws.ok<{ running: unknown[]; scheduler: { held: boolean } }>(['status']);
  assert.deepEqual(status.running, [], 'nothing counts as running any more');
  assert.equal(status.scheduler.held, false, 'the dead daemon’s scheduler lock counts as free');
  assert.equal(ws.ok<ScheduleView[]>(['schedule', 'list'])[0]?.overdue, true, 'the schedule is still overdue');

  // Killed again during the next catch-up, and this time no CLI call in between: the next daemon
  // start recovers the job itself, then catches the schedule up, once, and it succeeds.
  const second = await killDuringCatchUp(row.id);
  const again = startDaemon(t, ws.dataDir);
  const caughtUp = await until('the catch-up after the restart to succeed', () => {
    if (!again.running()) throw new Error(`the restarted daemon exited:\n${again.output()}`);
    const ended = ws.ok<Job[]>(['jobs']).find((job) => job.id > second.row.id && !['queued', 'running'].includes(job.status));
    return ended;
  }, 60_000, 250);
  assert.equal(caughtUp.status, 'succeeded', `${JSON.stringify(caughtUp)}\n${again.output()}`);
  assert.equal(caughtUp.trigger, 'catch-up');
  assert.ok(caughtUp.warnings.length === 0, `no warnings: ${JSON.stringify(caughtUp.warnings)}`);
  assert.equal(caughtUp.files, 50, 'the whole tree: two small files and 48 big ones');
  await sleep(1500);
  assert.deepEqual(
    ws.ok<Job[]>(['jobs']).map((job) => [job.id, job.trigger, job.status, job.error?.code ?? null]),
    [
      [caughtUp.id, 'catch-up', 'succeeded', null],
      [second.row.id, 'catch-up', 'interrupted', 'INTERRUPTED'],
      [row.id, 'catch-up', 'interrupted', 'INTERRUPTED'],
      [first.id, 'manual', 'succeeded', null],
    ],
    `exactly one catch-up after each start:\n${again.output()}`,
  );
  assert.deepEqual(partialFiles(ws.dest), []);
  assert.deepEqual(await again.stop('SIGTERM'), { code: 0, signal: null }, again.output());
  assert.equal(ws.ok<ScheduleView[]>(['schedule', 'list'])[0]?.overdue, false, 'caught up: no longer overdue');

  // Every snapshot, the earlier one and the caught-up one, verifies; nothing stray is left behind.
  const snapshots = ws.ok<Snapshot[]>(['snapshots']);
  assert.deepEqual(snapshots.map((snapshot) => snapshot.jobId), [caughtUp.id, first.id]);
  const verify = ws.cli(['verify', '--all', '--json']);
  assert.equal(verify.code, 0, describeResult(verify));
  const report = verify.json<VerifyReport>();
  assert.equal(report.ok, true);
  assert.deepEqual(report.snapshots.map((snapshot) => [snapshot.snapshotId, snapshot.ok]).sort(), snapshots.map((snapshot) => [snapshot.id, true]).sort());
  assert.deepEqual(partialFiles(ws.dest), []);
  assert.deepEqual(archiveFiles(ws.dest), snapshots.map((snapshot) => snapshot.archivePath).sort());
  assert.deepEqual(sidecarFiles(ws.dest).sort(), snapshots.map((snapshot) => `${snapshot.archivePath}.sha256`).sort(), 'one .sha256 beside each archive, none orphaned');
  assert.equal(sha256File(firstArchive), firstSha);
});

test('the daemon’s log names each job it marks interrupted at start (SchedulerHost.start logs "job N marked interrupted")', async (t) => {
  const ws = workspace(t);
  writeFileSync(join(ws.src, 'a.txt'), 'a\n');
  ws.addSchedule('Docs');
  const first = ws.ok<Job>(['run', 'Docs']);
  assert.equal(first.status, 'succeeded');
  // A job left running by a process that is gone, as a daemon killed with SIGKILL leaves it.
  const db = new Database(ws.catalog);
  const stale = Number(
    db
      .prepare('INSERT INTO jobs (schedule_id, trigger, status, queued_at, started_at, owner_pid, owner_hostname) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(first.scheduleId, 'catch-up', 'running', Date.now() - 5000, Date.now() - 4000, deadPid(), hostname()).lastInsertRowid,
  );
  db.close();

  const daemon = startDaemon(t, ws.dataDir);
  await daemon.waitForOutput(/scheduler lock taken/, 10_000);
  await sleep(500);
  assert.equal(readJobs(ws.catalog).find((job) => job.id === stale)?.status, 'interrupted', 'the daemon recovered the job');
  const output = daemon.output();
  assert.deepEqual(await daemon.stop('SIGTERM'), { code: 0, signal: null }, output);
  assert.match(output, new RegExp(`job ${stale} marked interrupted: its process is gone`), `the daemon recovered job ${stale} without a word in its log:\n${output}`);
});

test('a job left running by a process whose pid another program now has (after a crash or a reboot) does not block backups; the owner itself still does', { skip: processMark(process.pid) === null ? 'processes carry no start mark on this system (Linux /proc gives one)' : false }, (t) => {
  const ws = workspace(t);
  writeFileSync(join(ws.src, 'a.txt'), 'a\n');
  ws.addSchedule('Docs');
  const first = ws.ok<Job>(['run', 'Docs']);
  // Some unrelated program, alive, holding the pid the crashed owner had.
  const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(() => stranger.kill('SIGKILL'));
  const strangerPid = stranger.pid as number;
  const strangerMark = processMark(strangerPid);
  assert.ok(strangerMark, 'the stranger has a start mark');
  const leaveRunning = (mark: string | null) => {
    const db = new Database(ws.catalog);
    try {
      return Number(
        db
          .prepare('INSERT INTO jobs (schedule_id, trigger, status, queued_at, started_at, owner_pid, owner_hostname, owner_mark) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(first.scheduleId, 'scheduled', 'running', Date.now() - 3_600_000, Date.now() - 3_600_000, strangerPid, hostname(), mark).lastInsertRowid,
      );
    } finally {
      db.close();
    }
  };

  // The owner really is that process (same pid, same start): the backup is running, a second one waits.
  const live = leaveRunning(strangerMark);
  const refused = ws.cli(['run', 'Docs', '--json']);
  assert.equal(refused.code, 2, describeResult(refused));
  assert.match(refused.stderr, new RegExp(`already running \\(job ${live} by process ${strangerPid}`));
  const db = new Database(ws.catalog);
  db.prepare("UPDATE jobs SET status = 'cancelled', finished_at = ? WHERE id = ?").run(Date.now(), live);
  db.close();

  // The owner was a process before a reboot (another boot's mark): the pid's new holder is not it.
  const stale = leaveRunning(`${strangerMark.split('/')[0]}-earlier-boot/4242`);
  const result = ws.cli(['run', 'Docs', '--json']);
  assert.equal(result.code, 0, describeResult(result));
  assert.equal(result.json<Job>().status, 'succeeded', 'the backup runs');
  const recovered = readJobs(ws.catalog).find((job) => job.id === stale);
  assert.equal(recovered?.status, 'interrupted', 'the stale job is marked interrupted');
  assert.match(String(recovered?.error_message), /stopped before it finished/);
});
