// A long run of the engine in one owning process, as the tray app or the daemon lives for weeks:
// 200 back-to-back small backups through real archive workers, a seeded share of them cancelled at
// random moments (in-process, and from another process with `dormouse cancel`), source files
// changed between runs. At the end every snapshot verifies, no partial file is left, the counts add
// up, and the owning process's memory has not grown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Engine } from '../../src-main/engine/engine';
import { forkWorkerLauncher } from '../../src-main/jobs/worker-launcher';
import { findScheduleByName } from '../../src-main/store/schedule-store';
import type { JobView, SnapshotView } from '../../shared/types';
import { repoRoot, temporaryFolder } from '../helpers/cli';
import { archiveFiles, partialFiles, zeroFiles } from '../helpers/trees';
import { seededRandom, sidecarFiles } from './fault-kit';

const workerScript = join(repoRoot, 'dist', 'main', 'archive-worker.cjs');
const runs = 200;
const seed = 0x5eed2026;

/** global.gc, switched on for this process if it was not started with --expose-gc. */
function collector(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function rssAfterGc(gc: () => void): number {
  for (let round = 0; round < 3; round += 1) gc();
  return process.memoryUsage().rss;
}

const mebibytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Runs `dormouse cancel ID` in another process; resolves with its exit code. */
function cancelFromAnotherProcess(dataDir: string, jobId: number): Promise<number | null> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'dormouse.cjs'), '--data-dir', dataDir, 'cancel', String(jobId), '--json'], { cwd: repoRoot, env, stdio: 'ignore' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

/**
 * An engine on a data folder with the real fork launcher, as the daemon builds it. The worker is the
 * built plain-JavaScript bundle: this test process runs under tsx, and fork() would hand its
 * `--import tsx` on to every worker (a third of a second each, which the CLI, daemon and app never
 * pay), so the test's own execArgv is set aside while the engine runs.
 */
function engineFor(t: { after: (fn: () => void) => void }, dataDir: string): Engine {
  const execArgv = process.execArgv;
  process.execArgv = execArgv.filter((argument, index) => !(argument === '--import' && execArgv[index + 1] === 'tsx') && !(argument === 'tsx' && execArgv[index - 1] === '--import'));
  const engine = Engine.forDataDir(dataDir, { launchWorker: forkWorkerLauncher(workerScript) });
  t.after(() => {
    engine.close();
    process.execArgv = execArgv;
  });
  return engine;
}

test(`${runs} back-to-back backups in one process with seeded random cancellations: every snapshot verifies, no partial file, the counts add up, memory stays flat`, { timeout: 240_000 }, async (t) => {
  const gc = collector();
  const rssAtStart = rssAfterGc(gc);
  const root = temporaryFolder(t, 'dormouse-faults-soak-');
  const dataDir = join(root, 'data');
  const dest = join(root, 'drive');
  const src = join(root, 'documents');
  mkdirSync(dest);
  for (const folder of ['letters', 'notes', 'code/src', 'code/test']) mkdirSync(join(src, folder), { recursive: true });
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const folders = ['letters', 'notes', 'code/src', 'code/test'];
  let made = 0;
  const newFile = () => {
    made += 1;
    writeFileSync(join(src, pick(folders), `file-${made}.txt`), `file ${made}\n`.repeat(1 + Math.floor(random() * 400)));
  };
  for (let index = 0; index < 40; index += 1) newFile();
  const slow = join(src, 'slow');

  const engine = engineFor(t, dataDir);
  await engine.handle('destinations:add', { name: 'usb', path: dest });
  await engine.handle('schedules:add', { name: 'Soak', sources: [src], destination: 'usb', cron: '0 3 * * *', compression: 'gzip' });
  // A new full backup every 15, so the run has several chains.
  await engine.handle('settings:set', { incrementalsPerFull: 15 });
  const schedule = findScheduleByName(engine.db, 'Soak');
  assert.ok(schedule);

  let current: { id: number } | null = null;
  let onStart: ((job: JobView) => void) | null = null;
  engine.jobs.subscribe({
    started: (job) => {
      current = job;
      onStart?.(job);
    },
  });

  const outcomes = new Map<string, number>();
  const plans = { none: 0, inProcess: 0, otherProcess: 0 };
  const planMs = { none: 0, inProcess: 0, otherProcess: 0 };
  const rss: number[] = [];
  const started = Date.now();
  for (let run = 0; run < runs; run += 1) {
    // A few changes between runs: appends, rewrites, new files, deletions.
    for (let change = 0, count = 1 + Math.floor(random() * 3); change < count; change += 1) {
      const existing = folders.flatMap((folder) => readdirSync(join(src, folder)).map((name) => join(src, folder, name)));
      const choice = random();
      if (choice < 0.4 && existing.length > 0) appendFileSync(pick(existing), `run ${run}\n`);
      else if (choice < 0.6 && existing.length > 0) writeFileSync(pick(existing), `rewritten in run ${run}\n`.repeat(1 + Math.floor(random() * 50)));
      else if (choice < 0.8 || existing.length < 10) newFile();
      else unlinkSync(pick(existing));
    }
    const roll = random();
    const plan = roll < 0.05 ? 'otherProcess' : roll < 0.35 ? 'inProcess' : 'none';
    plans[plan] += 1;
    let cancelled: Promise<unknown> = Promise.resolve();
    if (plan === 'otherProcess') {
      // Slow enough for a cancel from another process to land: 1 GiB of sparse zeros through gzip,
      // in files of 16 MiB (the worker looks at its messages between files).
      mkdirSync(slow);
      zeroFiles(slow, 64, 16 * 1024 * 1024, `slow-${run}`);
      onStart = (job) => {
        cancelled = cancelFromAnotherProcess(dataDir, job.id);
      };
    } else if (plan === 'inProcess') {
      const delay = Math.floor(random() * 150);
      onStart = (job) => {
        cancelled = new Promise<void>((resolve) =>
          setTimeout(() => {
            try {
              engine.jobs.cancel(job.id);
            } catch {
              // it had already ended: NOT_CANCELLABLE
            }
            resolve();
          }, delay),
        );
      };
    } else {
      onStart = null;
    }
    current = null;
    const runStarted = Date.now();
    const job = await engine.jobs.run(schedule, 'manual');
    await cancelled;
    planMs[plan] += Date.now() - runStarted;
    onStart = null;
    assert.equal((current as { id: number } | null)?.id, job.id);
    outcomes.set(job.status, (outcomes.get(job.status) ?? 0) + 1);
    if (job.status === 'failed') t.diagnostic(`run ${run}: failed ${job.error?.code} ${job.error?.message}`);
    rmSync(slow, { recursive: true, force: true });
    if (run % 50 === 49) rss.push(rssAfterGc(gc));
  }
  const seconds = (Date.now() - started) / 1000;
  const rssAtEnd = rssAfterGc(gc);
  t.diagnostic(`seed ${seed}: ${runs} runs in ${seconds.toFixed(1)} s; planned ${JSON.stringify(plans)} taking ${JSON.stringify(planMs)} ms; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`);
  t.diagnostic(`rss at start ${mebibytes(rssAtStart)}, every 50 runs ${rss.map(mebibytes).join(', ')}, at end ${mebibytes(rssAtEnd)} (growth ${mebibytes(rssAtEnd - rssAtStart)})`);

  // The counts add up, in the catalog too.
  const succeeded = outcomes.get('succeeded') ?? 0;
  const cancelledCount = outcomes.get('cancelled') ?? 0;
  const failed = outcomes.get('failed') ?? 0;
  assert.equal(succeeded + cancelledCount + failed, runs, `only succeeded, cancelled and failed: ${JSON.stringify(Object.fromEntries(outcomes))}`);
  assert.equal(failed, 0, 'no backup failed');
  assert.ok(cancelledCount >= 20, `a fair share was really cancelled (${cancelledCount})`);
  const jobs = await engine.handle('jobs:list', { limit: 10_000 });
  assert.equal(jobs.length, runs);
  assert.equal(jobs.filter((job) => job.status === 'succeeded').length, succeeded);
  assert.equal(jobs.filter((job) => job.status === 'cancelled').length, cancelledCount);
  const snapshots: SnapshotView[] = await engine.handle('snapshots:list', {});
  assert.equal(snapshots.length, succeeded, 'one snapshot per succeeded job');

  // Every snapshot verifies; nothing partial or orphaned is left in the destination.
  const verified = await engine.handle('snapshots:verify', { all: true });
  assert.equal(verified.ok, true, JSON.stringify(verified.snapshots.filter((snapshot) => !snapshot.ok)).slice(0, 2000));
  assert.equal(verified.snapshots.length, succeeded);
  assert.deepEqual(partialFiles(dest), [], 'no .partial file anywhere in the destination');
  assert.deepEqual(archiveFiles(dest), snapshots.map((snapshot) => snapshot.archivePath).sort(), 'one archive per snapshot, none left by a cancelled job');

  // The owning process's memory is flat: a generous bound for 200 backups.
  assert.ok(rssAtEnd - rssAtStart < 50 * 1024 * 1024, `rss grew by ${mebibytes(rssAtEnd - rssAtStart)}`);

  // Last, the sidecars: one .sha256 beside each archive, none without its archive.
  const orphans = sidecarFiles(dest).filter((sidecar) => !existsSync(sidecar.slice(0, -'.sha256'.length)));
  assert.deepEqual(orphans.map((sidecar) => sidecar.slice(dest.length + 1)), [], `${orphans.length} .sha256 file(s) left without their archive by cancelled jobs`);
});

test('a cancel that reaches a small backup as its worker finishes: the job is cancelled, and neither its archive nor its .sha256 is left behind', async (t) => {
  const root = temporaryFolder(t, 'dormouse-faults-late-cancel-');
  const dataDir = join(root, 'data');
  const dest = join(root, 'drive');
  const src = join(root, 'documents');
  mkdirSync(dest);
  mkdirSync(src);
  writeFileSync(join(src, 'a.txt'), 'a tiny tree: the worker is done before it looks at its messages again\n');
  const engine = engineFor(t, dataDir);
  await engine.handle('destinations:add', { name: 'usb', path: dest });
  await engine.handle('schedules:add', { name: 'Tiny', sources: [src], destination: 'usb', cron: '0 3 * * *' });
  const schedule = findScheduleByName(engine.db, 'Tiny');
  assert.ok(schedule);
  const stop = engine.jobs.subscribe({ started: (job) => setImmediate(() => engine.jobs.cancel(job.id)) });
  const job = await engine.jobs.run(schedule, 'manual');
  stop();
  assert.equal(job.status, 'cancelled', JSON.stringify(job));
  assert.deepEqual(await engine.handle('snapshots:list', {}), []);
  assert.deepEqual(partialFiles(dest), []);
  assert.deepEqual(archiveFiles(dest), [], 'no archive');
  assert.deepEqual(sidecarFiles(dest).map((file) => file.slice(dest.length + 1)), [], 'no .sha256 without its archive');
});
