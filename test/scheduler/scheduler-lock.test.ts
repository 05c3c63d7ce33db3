import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readLock, SchedulerLock, staleLockMs } from '../../src-main/scheduler/scheduler-lock';
import { openDatabase, type Db } from '../../src-main/store/open-store';
import { repoRoot, temporaryFolder } from '../helpers/cli';

const host = hostname();

interface Report {
  round?: number;
  pid: number;
  acquired?: boolean;
  holder?: number | null;
  error?: string;
  released?: number;
  ready?: number;
}

/** A real node process running lock-racer.ts against the catalog, talking over IPC. */
function racer(t: { after: (fn: () => void) => void }, file: string) {
  const child = fork(join(__dirname, 'lock-racer.ts'), [file], {
    cwd: repoRoot,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const inbox: Report[] = [];
  const waiting: ((report: Report) => void)[] = [];
  child.on('message', (message: Report) => {
    const next = waiting.shift();
    if (next) next(message);
    else inbox.push(message);
  });
  const exited = new Promise<never>((_, reject) => child.on('exit', (code, signal) => reject(new Error(`racer ${child.pid} exited (${code ?? signal})`))));
  exited.catch(() => undefined);
  return {
    child,
    next(): Promise<Report> {
      const queued = inbox.shift();
      if (queued) return Promise.resolve(queued);
      return Promise.race([new Promise<Report>((resolve) => waiting.push(resolve)), exited]);
    },
    send(message: object) {
      child.send(message);
    },
  };
}

test('two processes racing for the scheduler lock: exactly one holder in each of 20 rounds', async (t) => {
  const folder = temporaryFolder(t, 'dormouse-lock-');
  const file = join(folder, 'dormouse.sqlite');
  const db = openDatabase(file);
  t.after(() => db.close());
  const racers = [racer(t, file), racer(t, file)];
  const ready = await Promise.all(racers.map((r) => r.next()));
  assert.deepEqual(ready.map((report) => report.ready), racers.map((r) => r.child.pid));

  const winners = new Map<number, number>();
  for (let round = 1; round <= 20; round += 1) {
    assert.equal(readLock(db), null, `round ${round} starts with the lock free`);
    const at = Date.now() + 40;
    racers.forEach((r) => r.send({ round, at }));
    const reports = await Promise.all(racers.map((r) => r.next()));
    assert.ok(reports.every((report) => report.round === round && report.error === undefined), JSON.stringify(reports));
    const won = reports.filter((report) => report.acquired === true);
    assert.equal(won.length, 1, `round ${round}: exactly one holder, never two: ${JSON.stringify(reports)}`);
    const winner = won[0]?.pid as number;
    const loser = reports.find((report) => report.acquired === false);
    assert.equal(loser?.holder, winner, `round ${round}: the loser is told who holds it`);
    assert.equal(readLock(db)?.pid, winner, `round ${round}: the row names the winner`);
    winners.set(winner, (winners.get(winner) ?? 0) + 1);
    racers.forEach((r) => r.send({ release: round }));
    await Promise.all(racers.map((r) => r.next()));
  }
  assert.equal([...winners.values()].reduce((a, b) => a + b, 0), 20);
  racers.forEach((r) => r.send({ exit: true }));
});

/** Two connections to one catalog, as two processes would have. */
function twoConnections(t: { after: (fn: () => void) => void }): [Db, Db] {
  const file = join(temporaryFolder(t, 'dormouse-lock-'), 'dormouse.sqlite');
  const first = openDatabase(file);
  const second = openDatabase(file);
  t.after(() => {
    first.close();
    second.close();
  });
  return [first, second];
}

/** A live process on this machine that is not this one. */
function liveProcess(t: { after: (fn: () => void) => void }): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  return child;
}

/** The pid of a process on this machine that has exited. */
function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', '0']);
  return result.pid as number;
}

test('a live holder keeps the lock; its heartbeat older than 60 s makes it stale and it is taken over', (t) => {
  const [dbA, dbB] = twoConnections(t);
  const start = Date.parse('2026-06-10T12:00:00Z');
  let now = start;
  const other = liveProcess(t);
  const a = new SchedulerLock(() => dbA, { pid: other.pid as number, hostname: host }, () => now);
  const b = new SchedulerLock(() => dbB, { pid: process.pid, hostname: host }, () => now);

  assert.deepEqual(a.tryAcquire(), { acquired: true });
  now = start + 10_000;
  const refused = b.tryAcquire();
  assert.equal(refused.acquired, false, 'a live holder is not taken over');
  assert.equal(!refused.acquired && refused.holder.pid, other.pid);

  now = start + 30_000;
  assert.equal(a.heartbeat(), true, 'the holder renews its heartbeat');
  now = start + 30_000 + staleLockMs;
  assert.equal(b.tryAcquire().acquired, false, 'exactly 60 s after the last heartbeat it is still live');
  assert.equal(readLock(dbB)?.pid, other.pid);

  now = start + 30_000 + staleLockMs + 1;
  assert.deepEqual(b.tryAcquire(), { acquired: true }, 'a heartbeat older than 60 s is stale, even though its process lives');
  assert.equal(readLock(dbA)?.pid, process.pid);
  assert.equal(a.heartbeat(), false, 'the old holder learns it lost the lock');
  assert.equal(readLock(dbA)?.pid, process.pid, 'and its heartbeat did not take the row back');
  assert.equal(a.tryAcquire().acquired, false, 'nor can it take the lock back from the live new holder');
});

test('a holder whose pid is dead on this host is taken over at once; on another host only when stale', (t) => {
  const [dbA, dbB] = twoConnections(t);
  const start = Date.parse('2026-06-10T12:00:00Z');
  let now = start;
  const dead = deadPid();
  const b = new SchedulerLock(() => dbB, { pid: process.pid, hostname: host }, () => now);

  assert.deepEqual(new SchedulerLock(() => dbA, { pid: dead, hostname: host }, () => now).tryAcquire(), { acquired: true });
  now = start + 1000;
  assert.deepEqual(b.tryAcquire(), { acquired: true }, `the holder (pid ${dead}) is gone: taken over with a fresh heartbeat`);
  assert.equal(readLock(dbA)?.pid, process.pid);
  b.release();

  const remote = new SchedulerLock(() => dbA, { pid: dead, hostname: `${host}-elsewhere` }, () => now);
  assert.deepEqual(remote.tryAcquire(), { acquired: true });
  now += 1000;
  assert.equal(b.tryAcquire().acquired, false, 'a pid on another machine cannot be checked: a fresh heartbeat is trusted');
  now += staleLockMs;
  assert.deepEqual(b.tryAcquire(), { acquired: true }, 'stale after 60 s without a heartbeat');
});

test('release() frees the lock for the next process; releasing a lock one does not hold changes nothing', (t) => {
  const [dbA, dbB] = twoConnections(t);
  let now = Date.parse('2026-06-10T12:00:00Z');
  const other = liveProcess(t);
  const a = new SchedulerLock(() => dbA, { pid: other.pid as number, hostname: host }, () => now);
  const b = new SchedulerLock(() => dbB, { pid: process.pid, hostname: host }, () => now);

  assert.deepEqual(a.tryAcquire(), { acquired: true });
  const createdAt = readLock(dbA)?.createdAt;
  now += 5000;
  assert.deepEqual(a.tryAcquire(), { acquired: true }, 'the holder may take it again');
  assert.equal(readLock(dbA)?.heartbeatAt, now, 'which renews the heartbeat');
  assert.equal(readLock(dbA)?.createdAt, createdAt, 'and keeps when it was first taken');

  b.release();
  assert.equal(readLock(dbA)?.pid, other.pid, 'a non-holder\'s release leaves the row');
  assert.equal(b.heartbeat(), false);
  a.release();
  assert.equal(readLock(dbA), null, 'the holder\'s release frees it');
  assert.deepEqual(b.tryAcquire(), { acquired: true });
  assert.equal(b.heartbeat(), true);
});
