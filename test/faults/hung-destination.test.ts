import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
  /** Stops the share; an outside watchdog thaws it after `watchdogSeconds` (20 by default). */
  freeze(watchdogSeconds?: number): void;
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
  // No attribute or entry caching in the kernel: every look at the stopped share waits, as on a share whose cache has expired.
  const child = spawn('bindfs', ['-f', '-o', 'attr_timeout=0,entry_timeout=0,negative_timeout=0', real, path], { stdio: 'ignore' });
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
    freeze: (watchdogSeconds = 20) => {
      child.kill('SIGSTOP');
      // A watchdog outside this process thaws the share after a while: should a change ever block this
      // process on the share, the test then fails on the stall instead of hanging the whole suite.
      spawn('sh', ['-c', `sleep ${watchdogSeconds}; kill -CONT ${child.pid}`], { stdio: 'ignore', detached: true }).unref();
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
async function freezeWatching(t: TestContext, share: Share, watchdogSeconds?: number): Promise<{ thaw: () => number }> {
  share.freeze(watchdogSeconds);
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

/** A read of the frozen share on the event loop would stall it until the watchdog thaws the share (20 s or more); the bound is far above a busy machine's garbage collection and far below that. */
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

test('adding destinations and schedules, importing, and backing up a folder on a share that stops answering: each answers in its turn within seconds, saying why, and the owner keeps running', async (t) => {
  const world = await shareWorld(t, 'dormouse-hung-add-');
  if (world === null) return;
  const { share, work, engine } = world;
  const usb = join(work, 'usb');
  mkdirSync(usb);
  mkdirSync(join(share.path, 'Photos'));
  const disk = join(work, 'disk');
  mkdirSync(disk);
  // A local folder whose archive folder lies on the share: its marker answers, its archives do not.
  const linked = join(work, 'linked');
  mkdirSync(linked);
  symlinkSync(join(share.path, 'Photos'), join(linked, 'Dormouse'));
  await engine.handle('destinations:add', { name: 'disk', path: disk });
  await engine.handle('schedules:add', { name: 'SharedPhotos', sources: [join(share.path, 'Photos')], destination: 'disk', cron: '0 6 * * *' });
  assert.equal((await engine.handle('jobs:run', { name: 'Documents' })).status, 'succeeded');

  // Changes to destinations and schedules run one at a time, each waiting up to 3 s here: more time before the watchdog.
  const frozen = await freezeWatching(t, share, 40);
  const failure = (promise: Promise<unknown>) => promise.then(() => null, (error: { code: string; message: string }) => ({ code: error.code, message: error.message }));
  const started = performance.now();
  // All at once, as a busy window and an impatient user would: a local drive added while the known
  // share cannot say what its real path is; a folder on the share added as a destination, and again
  // and again; a schedule over a folder on the share added while a backup of it starts; an import
  // from the share; a local folder whose archive folder lies on the share added.
  const [added, onShare, sourceOnShare, backupOfShare, imported, addedLinked, ...retries] = await Promise.all([
    engine.handle('destinations:add', { name: 'usb', path: usb }),
    failure(engine.handle('destinations:add', { name: 'nas2', path: join(share.path, 'Photos') })),
    failure(engine.handle('schedules:add', { name: 'Photos', sources: [join(share.path, 'Photos')], destination: 'disk', cron: '0 5 * * *' })),
    engine.handle('jobs:run', { name: 'SharedPhotos' }),
    failure(engine.handle('snapshots:import', { destination: 'nas' })),
    engine.handle('destinations:add', { name: 'linked', path: linked }),
    ...[1, 2, 3].map((attempt) => failure(engine.handle('destinations:add', { name: `nas-retry-${attempt}`, path: join(share.path, 'Photos') }))),
  ]);
  // Each retry waited on the read already out instead of tying up another thread of Node's pool, so
  // the local drives still answer.
  const afterRetries = await engine.handle('destinations:list', {});
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
  assert.match(backupOfShare.error?.message ?? '', /source folder did not answer within 2 s: .*Photos \(a network share out of reach\?\)/);
  assert.equal(imported?.code, 'DESTINATION_UNAVAILABLE');
  assert.match(imported?.message ?? '', /"nas" .* did not answer within 2 s.*import again once it answers/);
  assert.equal(addedLinked.name, 'linked', 'a destination whose archives cannot be listed now is still added');
  assert.deepEqual(addedLinked.imported.imported, []);
  assert.match(addedLinked.imported.skipped[0]?.reason ?? '', /"linked" .* did not answer within 2 s.*import again once it answers/, 'and the import says why and what to do');
  assert.deepEqual(retries.map((retry) => retry?.code), Array(3).fill('DESTINATION_UNAVAILABLE'));
  assert.deepEqual(
    afterRetries.filter((destination) => destination.name !== 'nas').map((destination) => [destination.name, destination.state]),
    [['usb', 'available'], ['disk', 'available'], ['linked', 'available']].sort(),
    'the local drives still answer: the share has not used up the thread pool',
  );
  assert.ok(elapsed < 36_000, `all of them answered before the watchdog thawed the share (${Math.round(elapsed)} ms)`);
  assertNeverWaited(longestStall);
  assert.deepEqual((await engine.handle('destinations:list', {})).map((destination) => destination.name).sort(), ['disk', 'linked', 'nas', 'usb'], 'nothing was recorded for the folder on the frozen share');

  const again = await engine.handle('schedules:add', { name: 'Photos', sources: [join(share.path, 'Photos')], destination: 'disk', cron: '0 5 * * *' });
  assert.equal(again.name, 'Photos', 'once the share answers, the schedule is added');
  assert.equal((await engine.handle('snapshots:import', { destination: 'nas' })).alreadyKnown, 1, 'and the import finds the one archive, already known');
  assert.equal((await engine.handle('jobs:run', { name: 'SharedPhotos' })).status, 'succeeded', 'and the folder on the share is backed up');
});

test('the CLI sizes Node’s thread pool, so eight destinations on a share that stops answering leave the local drive answering', async (t) => {
  const share = mountShare(t);
  if (share === null) {
    t.skip('bindfs and /dev/fuse are needed to make a share that stops answering (apt-get install -y bindfs)');
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'dormouse-pool-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const dataDir = join(work, 'data');
  const cli = (args: string[], pool: string | undefined) =>
    spawnSync(process.execPath, [join(repoRoot, 'dist', 'main', 'cli.cjs'), '--data-dir', dataDir, ...args], {
      encoding: 'utf8',
      // The CLI prints once every check has answered or timed out, then waits for the share to exit.
      timeout: 10_000,
      killSignal: 'SIGKILL',
      env: { ...process.env, NODE_OPTIONS: '', UV_THREADPOOL_SIZE: pool },
    });
  mkdirSync(join(work, 'usb'));
  assert.equal(cli(['destination', 'add', '--name', 'usb', '--path', join(work, 'usb')], undefined).status, 0);
  for (let index = 1; index <= 8; index += 1) {
    mkdirSync(join(share.path, `folder-${index}`));
    const added = cli(['destination', 'add', '--name', `nas-${index}`, '--path', join(share.path, `folder-${index}`)], undefined);
    assert.equal(added.status, 0, added.stderr);
  }
  share.freeze();
  t.after(() => share.thaw());
  const states = (pool: string | undefined) => {
    const listed = cli(['destination', 'list', '--json'], pool);
    const list = JSON.parse(listed.stdout || '[]') as DestinationView[];
    return Object.fromEntries(list.map((destination) => [destination.name, destination.state]));
  };
  // Node's default of four threads, forced: eight stuck reads leave none for the local drive.
  const withDefault = states('4');
  // As the CLI starts with nothing set.
  const asShipped = states(undefined);
  share.thaw();
  assert.equal(withDefault.usb, 'not-answering', `with four threads the local drive looks hung too: ${JSON.stringify(withDefault)}`);
  assert.equal(asShipped.usb, 'available', `with the pool the CLI sets it answers: ${JSON.stringify(asShipped)}`);
  assert.equal(asShipped['nas-1'], 'not-answering');
});
