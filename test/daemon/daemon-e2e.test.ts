import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { dormouse, temporaryFolder, type CliResult } from '../helpers/cli';
import { startDaemon, type DaemonProcess } from '../helpers/daemon';

interface Job {
  id: number;
  scheduleId: number;
  trigger: string;
  status: string;
}

interface Status {
  scheduler: { held: boolean; pid: number | null; hostname: string | null; heartbeatAt: string | null };
  running: unknown[];
  schedules: { name: string; overdue: boolean; lastSuccessAt: string | null }[];
}

const localIso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?([+-]\d{2}:\d{2}|Z)$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function describe(result: CliResult): string {
  return `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

/** A data folder with a destination and one never-run schedule, made with the real CLI. */
function dataFolder(t: { after: (fn: () => void) => void }) {
  const root = temporaryFolder(t, 'dormouse-daemon-');
  const dataDir = join(root, 'data');
  const drive = join(root, 'drive');
  const source = join(root, 'documents');
  mkdirSync(drive);
  mkdirSync(source);
  writeFileSync(join(source, 'letter.txt'), 'Dear Dormouse,\n');
  const cli = (args: string[]) => dormouse(['--data-dir', dataDir, ...args]);
  const json = <T>(args: string[]): T => {
    const result = cli([...args, '--json']);
    assert.equal(result.code, 0, describe(result));
    return result.json<T>();
  };
  json(['destination', 'add', '--name', 'usb', '--path', drive]);
  json(['schedule', 'add', '--name', 'Docs', '--source', source, '--destination', 'usb', '--cron', '0 3 * * *']);
  return { dataDir, jobs: () => json<Job[]>(['jobs']), status: () => json<Status>(['status']) };
}


/** Asks until `check` returns something, at most `timeoutMs`. */
async function eventually<T>(what: string, timeoutMs: number, check: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(200);
  }
}

async function stop(daemon: DaemonProcess, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  daemon.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([daemon.exited, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 10_000)))]);
  clearTimeout(timer);
  assert.ok(ended, `daemon ${daemon.pid} did not exit within 10 s of ${signal}:\n${daemon.output()}`);
  return ended;
}

test('the daemon catches a never-run schedule up, stops cleanly on SIGTERM, and a restart does not run it again', async (t) => {
  const folder = dataFolder(t);
  const first = startDaemon(t, folder.dataDir);

  const jobs = await eventually('a succeeded catch-up job', 8000, () => {
    const list = folder.jobs();
    return list.some((job) => job.status === 'succeeded') ? list : undefined;
  });
  assert.deepEqual(jobs.map((job) => [job.trigger, job.status]), [['catch-up', 'succeeded']], first.output());

  const running = folder.status();
  assert.deepEqual(Object.keys(running).sort(), ['machine', 'running', 'scheduler', 'schedules']);
  assert.deepEqual(Object.keys(running.scheduler).sort(), ['heartbeatAt', 'held', 'hostname', 'pid']);
  assert.equal(running.scheduler.held, true);
  assert.equal(running.scheduler.pid, first.pid, 'status names the daemon');
  assert.equal(running.scheduler.hostname, hostname());
  assert.match(running.scheduler.heartbeatAt ?? '', localIso);
  assert.ok(Array.isArray(running.running));
  assert.deepEqual(running.schedules.map((schedule) => [schedule.name, schedule.overdue]), [['Docs', false]]);

  const ended = await stop(first, 'SIGTERM');
  assert.deepEqual(ended, { code: 0, signal: null }, `SIGTERM ends the daemon with exit 0:\n${first.output()}`);
  const after = folder.status();
  assert.deepEqual(after.scheduler, { held: false, pid: null, hostname: null, heartbeatAt: null }, 'the lock was released');
  assert.deepEqual(after.running, []);

  // The log: one readable event per line, each with its local time.
  const lines = first.output().split('\n').filter((line) => line !== '');
  for (const line of lines) {
    assert.match(line, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?[+-]\d{2}:\d{2} [A-Za-z]/, `a timestamped event: ${line}`);
    assert.equal(line.match(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/g)?.length, 1, `one event per line: ${line}`);
  }
  const id = jobs[0]?.id;
  const events = lines.map((line) => line.replace(/^\S+ /, ''));
  assert.ok(events.some((event) => /^catch-up armed by start-up\b/.test(event)), `says what armed the catch-up:\n${lines.join('\n')}`);
  assert.ok(events.some((event) => event === `job ${id} started: Docs (catch-up)`), `says the job started:\n${lines.join('\n')}`);
  assert.ok(events.some((event) => event === `job ${id} succeeded`), `says the job finished:\n${lines.join('\n')}`);
  assert.ok(events.some((event) => /scheduler lock taken/.test(event)), lines.join('\n'));
  assert.ok(events.some((event) => /lock released/.test(event)), lines.join('\n'));

  const second = startDaemon(t, folder.dataDir);
  await second.waitForOutput(/catch-up armed by start-up/, 8000);
  await sleep(3000);
  assert.equal(folder.jobs().length, 1, `the restarted daemon did not run the schedule again:\n${second.output()}`);
  assert.equal(folder.status().scheduler.pid, second.pid);
  assert.deepEqual(await stop(second, 'SIGTERM'), { code: 0, signal: null }, second.output());
});

test('a second daemon on the same folder waits while the first runs the scheduler, and takes over when it is killed', async (t) => {
  const folder = dataFolder(t);
  const first = startDaemon(t, folder.dataDir);
  await eventually('the first daemon\'s catch-up', 8000, () => (folder.jobs().some((job) => job.status === 'succeeded') ? true : undefined));

  const second = startDaemon(t, folder.dataDir);
  await second.waitForOutput(/another Dormouse process .* runs the scheduler/, 8000);
  assert.match(second.output(), new RegExp(`another Dormouse process \\(pid ${first.pid} on ${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) runs the scheduler`), second.output());
  assert.doesNotMatch(second.output(), /scheduler lock taken|catch-up armed/, 'the second daemon does not run the scheduler');
  assert.equal(folder.status().scheduler.pid, first.pid, 'status names the first daemon');

  const killed = await stop(first, 'SIGKILL');
  assert.equal(killed.signal, 'SIGKILL');
  const status = await eventually('the second daemon taking over', 15_000, () => {
    const current = folder.status();
    return current.scheduler.held && current.scheduler.pid === second.pid ? current : undefined;
  });
  assert.equal(status.scheduler.hostname, hostname());
  await second.waitForOutput(/scheduler lock taken/, 2000);
  await second.waitForOutput(/catch-up armed by start-up/, 2000);
  await sleep(1500);
  assert.equal(folder.jobs().length, 1, `the schedule was caught up already; the new holder runs nothing:\n${second.output()}`);
  assert.deepEqual(await stop(second, 'SIGTERM'), { code: 0, signal: null }, second.output());
});
