import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { DestinationView } from '../../shared/types';
import { destinationText, destinationsText } from '../../src-main/cli/text-output';
import { Engine } from '../../src-main/engine/engine';
import { forkWorkerLauncher } from '../../src-main/jobs/worker-launcher';
import { writeSettings } from '../../src-main/store/settings-store';
import { repoRoot } from '../helpers/cli';

/**
 * A destination that stops answering, as a NAS share does when the laptop wakes on another network:
 * a FUSE mount (bindfs) whose process is stopped, so every read of it waits. The process that owns
 * the tray must keep running; the destination shows as not available; a backup is skipped with a
 * reason, and everything works again once the share answers.
 */

const workerScript = join(repoRoot, 'dist', 'main', 'archive-worker.cjs');

interface Share {
  path: string;
  freeze(): void;
  thaw(): void;
}

/** Mounts a folder through bindfs; null where FUSE or bindfs is missing. Unmounted (and thawed) when the test ends. */
function mountShare(t: { after: (fn: () => void | Promise<void>) => void }): Share | null {
  if (spawnSync('bindfs', ['--version']).status !== 0 || !existsSync('/dev/fuse')) return null;
  const root = mkdtempSync(join(tmpdir(), 'dormouse-share-'));
  const real = join(root, 'real');
  const path = join(root, 'mounted');
  mkdirSync(real);
  mkdirSync(path);
  const child = spawn('bindfs', ['-f', real, path], { stdio: 'ignore' });
  const deadline = Date.now() + 5000;
  while (spawnSync('mountpoint', ['-q', path]).status !== 0 && Date.now() < deadline) spawnSync('sleep', ['0.05']);
  if (spawnSync('mountpoint', ['-q', path]).status !== 0) {
    child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
    return null;
  }
  t.after(() => {
    child.kill('SIGCONT');
    spawnSync('umount', ['-l', path]);
    child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });
  return {
    path,
    freeze: () => {
      child.kill('SIGSTOP');
      // A watchdog outside this process thaws the share after 20 s: should a change ever block this
      // process on the share, the test then fails on the stall instead of hanging the whole suite.
      spawn('sh', ['-c', `sleep 20; kill -CONT ${child.pid}`], { stdio: 'ignore', detached: true }).unref();
    },
    thaw: () => child.kill('SIGCONT'),
  };
}

type TestContext = { after: (fn: () => void | Promise<void>) => void; skip: (message: string) => void };

/**
 * A share (null where one cannot be made: the test is then skipped) holding the destination "nas",
 * and a schedule "Documents" backing up a local folder to it.
 */
async function shareWorld(t: TestContext, prefix: string): Promise<{ share: Share; work: string; source: string; engine: Engine } | null> {
  const share = mountShare(t);
  if (share === null) {
    t.skip('bindfs and /dev/fuse are needed to make a share that stops answering (apt-get install -y bindfs)');
    return null;
  }
  const work = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const source = join(work, 'Documents');
  mkdirSync(source);
  writeFileSync(join(source, 'letter.txt'), 'dear share\n');
  const engine = Engine.forDataDir(join(work, 'data'), { launchWorker: forkWorkerLauncher(workerScript), destinationTimeoutMs: 2000 });
  t.after(() => engine.close());
  await engine.handle('destinations:add', { name: 'nas', path: share.path });
  await engine.handle('schedules:add', { name: 'Documents', sources: [source], destination: 'nas', cron: '0 3 * * *' });
  return { share, work, source, engine };
}

/** Stops the share and watches the owner's event loop; `thaw()` ends both and says the longest stall in ms. */
async function freezeWatching(t: TestContext, share: Share): Promise<{ thaw: () => number }> {
  share.freeze();
  let thawed = false;
  const delay = monitorEventLoopDelay({ resolution: 5 });
  const thaw = () => {
    if (!thawed) {
      delay.disable();
      share.thaw();
    }
    thawed = true;
    return delay.max / 1e6;
  };
  t.after(() => void thaw());
  delay.enable();
  await new Promise((resolve) => setTimeout(resolve, 20)); // the monitor's first tick only starts its clock
  return { thaw };
}

/** A read of the frozen share on the event loop would stall it until the watchdog thaws the share (20 s); the bound is far above a busy machine's garbage collection and far below that. */
function assertNeverWaited(longestStallMs: number): void {
  assert.ok(longestStallMs < 2000, `the owner's event loop never waited on the share (longest stall ${longestStallMs.toFixed(0)} ms)`);
}

test('a share that stops answering: the owner keeps running, it shows as not available, a backup is skipped saying why, and all works once it answers', async (t) => {
  const world = await shareWorld(t, 'dormouse-hung-');
  if (world === null) return;
  const { share, work, source, engine } = world;
  writeSettings(engine.db, { incrementalsPerFull: 0 }, Date.now()); // full backups, so retention may delete any but the newest
  for (let run = 0; run < 3; run += 1) {
    writeFileSync(join(source, 'letter.txt'), `dear share, letter ${run}\n`);
    assert.equal((await engine.handle('jobs:run', { name: 'Documents' })).status, 'succeeded', 'backups while the share answers');
  }
  const [oldest, middle, newest] = (await engine.handle('snapshots:list', {})).sort((a, b) => a.id - b.id);
  assert.ok(oldest && middle && newest);
  // A deletion a crash cut short, to be finished by the next process that opens the catalog.
  engine.db.prepare('UPDATE snapshots SET deleting_at = ? WHERE id = ?').run(Date.now(), oldest.id);
  await engine.handle('schedules:edit', { schedule: 'Documents', changes: { keepLast: 1 } });

  const frozen = await freezeWatching(t, share);
  const listed = await engine.handle('destinations:list', {});
  // While the backup waits for the share, another process's job is cancelled: the recovery of dead
  // processes' jobs that this sets off must leave the waiting backup alone.
  const waiting = engine.handle('jobs:run', { name: 'Documents' });
  const other = await engine.handle('schedules:add', { name: 'Other', sources: [source], destination: 'nas', cron: '0 4 * * *' });
  const foreign = Number(
    engine.db
      .prepare("INSERT INTO jobs (schedule_id, trigger, status, queued_at, owner_pid, owner_hostname) VALUES (?, 'manual', 'queued', ?, ?, ?)")
      .run(other.id, Date.now(), process.ppid, hostname()).lastInsertRowid,
  );
  await engine.handle('jobs:cancel', { jobId: foreign });
  const skipped = await waiting;
  // The tray is rebuilt from what the checks found, without reading anything.
  const known = engine.knownDestinationViews();
  const pruned = await engine.handle('snapshots:prune', { schedule: 'Documents', dryRun: false }).then(
    () => null,
    (error: { code: string; message: string }) => error,
  );
  // Another process opens the catalog: the deletion it finishes waits for the share, the process does not.
  const second = Engine.forDataDir(join(work, 'data'), { launchWorker: forkWorkerLauncher(workerScript) });
  const listedBySecond = await second.handle('snapshots:list', {});
  const longestStall = frozen.thaw();
  second.close();

  assert.deepEqual(
    listed.map((destination) => ({ name: destination.name, available: destination.available, state: destination.state, freeBytes: destination.freeBytes })),
    [{ name: 'nas', available: false, state: 'not-answering', freeBytes: null }],
    'the share is listed as not available, because it does not answer',
  );
  assert.equal(skipped.status, 'skipped');
  assert.equal(skipped.error?.code, 'DESTINATION_UNAVAILABLE');
  assert.match(skipped.error?.message ?? '', /did not answer within 2 s/);
  assert.deepEqual(known.map((destination) => destination.state), ['not-answering'], 'the tray knows the share does not answer, not that it is unplugged');
  assert.match(destinationsText(listed), /^nas\s+no answer\s/m, 'destination list says so too');
  assert.match(destinationText(listed[0] as DestinationView), /not answering \(share out of reach\? drive hanging\?\)/);
  assert.equal(pruned?.code, 'DESTINATION_UNAVAILABLE', 'pruning waits for the share');
  assert.match(pruned?.message ?? '', /not answering/);
  assert.deepEqual(
    listedBySecond.map((snapshot) => snapshot.id).sort((a, b) => a - b),
    [middle.id, newest.id],
    'the snapshot being deleted is hidden at once, the one the prune could not delete is still there',
  );
  assertNeverWaited(longestStall);

  const afterwards = await engine.handle('destinations:list', {});
  assert.deepEqual(afterwards.map((destination) => destination.available), [true], 'available again once the share answers');
  const last = await engine.handle('jobs:run', { name: 'Documents' });
  assert.equal(last.status, 'succeeded', 'and backups go there again');
  assert.deepEqual(last.warnings, [], 'pruned after it, keeping the newest');
  assert.equal((await engine.handle('snapshots:list', {})).length, 1);
  for (const gone of [oldest, middle, newest]) assert.equal(existsSync(gone.archivePath), false, `${gone.archivePath} was deleted, the interrupted deletion too`);
});

test('adding destinations and schedules, importing, and backing up a folder on a share that stops answering: each answers within seconds, saying why, and the owner keeps running', async (t) => {
  const world = await shareWorld(t, 'dormouse-hung-add-');
  if (world === null) return;
  const { share, work, engine } = world;
  const usb = join(work, 'usb');
  mkdirSync(usb);
  mkdirSync(join(share.path, 'Photos'));
  const disk = join(work, 'disk');
  mkdirSync(disk);
  await engine.handle('destinations:add', { name: 'disk', path: disk });
  await engine.handle('schedules:add', { name: 'SharedPhotos', sources: [join(share.path, 'Photos')], destination: 'disk', cron: '0 6 * * *' });
  assert.equal((await engine.handle('jobs:run', { name: 'Documents' })).status, 'succeeded');

  const frozen = await freezeWatching(t, share);
  const failure = (promise: Promise<unknown>) => promise.then(() => null, (error: { code: string; message: string }) => ({ code: error.code, message: error.message }));
  const started = performance.now();
  // A local drive is added while the known share cannot say what its real path is.
  const added = await engine.handle('destinations:add', { name: 'usb', path: usb });
  const onShare = await failure(engine.handle('destinations:add', { name: 'nas2', path: join(share.path, 'Photos') }));
  // A backup of a folder on the share, checking its source, while a schedule over that folder is added.
  const [sourceOnShare, backupOfShare] = await Promise.all([
    failure(engine.handle('schedules:add', { name: 'Photos', sources: [join(share.path, 'Photos')], destination: 'usb', cron: '0 5 * * *' })),
    engine.handle('jobs:run', { name: 'SharedPhotos' }),
  ]);
  const imported = await failure(engine.handle('snapshots:import', { destination: 'nas' }));
  const elapsed = performance.now() - started;
  const longestStall = frozen.thaw();

  assert.equal(added.name, 'usb');
  assert.equal(added.available, true, 'the local drive is added and available');
  assert.equal(onShare?.code, 'DESTINATION_UNAVAILABLE');
  assert.match(onShare?.message ?? '', /did not answer within 3 s.*try again once it answers/);
  assert.equal(sourceOnShare?.code, 'SOURCE_MISSING');
  assert.match(sourceOnShare?.message ?? '', /source ".*Photos" did not answer within 3 s/);
  assert.equal(backupOfShare.status, 'failed');
  assert.equal(backupOfShare.error?.code, 'SOURCE_MISSING');
  assert.match(backupOfShare.error?.message ?? '', /source folder\(s\) did not answer within 2 s: .*Photos \(a network share out of reach\?\)/);
  assert.equal(imported?.code, 'DESTINATION_UNAVAILABLE');
  assert.match(imported?.message ?? '', /"nas" .* did not answer within 2 s.*import again once it answers/);
  assert.ok(elapsed < 18_000, `all five answered before the watchdog thawed the share (${Math.round(elapsed)} ms)`);
  assertNeverWaited(longestStall);
  assert.deepEqual((await engine.handle('destinations:list', {})).map((destination) => destination.name).sort(), ['disk', 'nas', 'usb'], 'nothing was recorded for the folder on the frozen share');

  const again = await engine.handle('schedules:add', { name: 'Photos', sources: [join(share.path, 'Photos')], destination: 'usb', cron: '0 5 * * *' });
  assert.equal(again.name, 'Photos', 'once the share answers, the schedule is added');
  assert.equal((await engine.handle('snapshots:import', { destination: 'nas' })).alreadyKnown, 1, 'and the import finds the one archive, already known');
  assert.equal((await engine.handle('jobs:run', { name: 'SharedPhotos' })).status, 'succeeded', 'and the folder on the share is backed up');
});
