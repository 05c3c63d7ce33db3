// The tray app while another Dormouse process (a real `dormouse daemon`) holds the scheduler lock on
// the same catalog: the tray waits to take over, and Back Up Now must still back up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ipcChannel } from '../../shared/contract';
import type { JobView } from '../../shared/types';
import { listJobs } from '../../src-main/jobs/job-store';
import { repoRoot } from '../helpers/cli';
import { loadMainEntry, prepareDataFolder, rendererIndex, waitFor as poll, type DataFolder, type LoadedApp } from './app-harness';
import { findMenuItem } from './fake-electron';

let folder: DataFolder;
let loaded: LoadedApp | undefined;
let daemon: ChildProcess;
let daemonOutput = '';

function jobs(): JobView[] {
  return listJobs(folder.db, { scheduleId: folder.scheduleId, limit: 100 }).reverse();
}

function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  return poll(what, probe, timeoutMs, () => `tray log:\n${loaded?.hostLog.join('\n') ?? ''}\ndaemon output:\n${daemonOutput}\njobs: ${JSON.stringify(jobs(), null, 1)}`);
}

before(async () => {
  folder = prepareDataFolder({ 'letter.txt': 'Dear Dormouse,\n' }, { settleSeconds: 1 });
  const env = { ...process.env, NODE_OPTIONS: '' };
  daemon = spawn(process.execPath, [join(repoRoot, 'bin', 'dormouse.cjs'), 'daemon', '--settle-seconds', '1', '--data-dir', folder.dataDir], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  daemon.stdout?.setEncoding('utf8').on('data', (chunk: string) => (daemonOutput += chunk));
  daemon.stderr?.setEncoding('utf8').on('data', (chunk: string) => (daemonOutput += chunk));
  // The daemon takes the lock and runs the start-up catch-up itself.
  await waitFor("the daemon's catch-up", () => jobs().find((job) => job.status === 'succeeded'));
  loaded = loadMainEntry(folder, { hidden: false });
});

after(async () => {
  if (daemon.exitCode === null && daemon.signalCode === null) {
    daemon.kill('SIGTERM');
    await new Promise((resolve) => daemon.once('exit', resolve));
  }
  await loaded?.cleanUp();
});

test('the tray waits for the scheduler lock the daemon holds', async () => {
  await waitFor('the tray to say it waits', () => loaded?.hostLog.find((line) => line.includes(`another Dormouse process (pid ${daemon.pid} on `) && line.endsWith('runs the scheduler; waiting to take over')));
  assert.ok(!loaded?.hostLog.some((line) => line.endsWith('scheduler lock taken: this process runs the scheduler')));
});

test('Back Up Now in the tray backs up even though the daemon runs the scheduler', async () => {
  const electron = loaded?.electron;
  assert.ok(electron);
  const last = jobs().at(-1)?.id ?? 0;
  findMenuItem(electron.Tray.instances[0]?.menu, 'Back Up Now').click?.();
  const queued = await waitFor('a job for Back Up Now', () => jobs().find((job) => job.id > last), 2_000);
  assert.equal(queued.trigger, 'manual');
  const done = await waitFor(
    `job ${queued.id} (Back Up Now) to run and end`,
    () => jobs().find((job) => job.id === queued.id && job.status !== 'queued' && job.status !== 'running'),
    8_000,
  ).catch((error: Error) => {
    throw new assert.AssertionError({ message: `Back Up Now queued job ${queued.id}, which is still "${jobs().find((job) => job.id === queued.id)?.status}" after 8 s: nothing starts it while another process holds the scheduler lock\n${error.message}` });
  });
  assert.equal(done.status, 'succeeded');
});

test('"jobs:start" over IPC (the window\'s Back Up Now) backs up too', async () => {
  const electron = loaded?.electron;
  assert.ok(electron);
  const window = electron.BrowserWindow.instances[0];
  assert.ok(window);
  // Whatever the previous test left queued must not block this one.
  const active = jobs().find((job) => job.status === 'queued' || job.status === 'running');
  if (active) {
    const cancelled = await electron.ipcMain.invoke(ipcChannel('jobs:cancel'), { sender: window.webContents, senderFrame: { url: pathToFileURL(rendererIndex).href } }, { jobId: active.id });
    assert.equal((cancelled as { ok: boolean }).ok, true, JSON.stringify(cancelled));
  }
  const answer = (await electron.ipcMain.invoke(ipcChannel('jobs:start'), { sender: window.webContents, senderFrame: { url: pathToFileURL(rendererIndex).href } }, { name: 'Documents' })) as
    | { ok: true; value: JobView }
    | { ok: false; error: { code: string; message: string } };
  assert.ok(answer.ok, JSON.stringify(answer));
  const done = await waitFor(`job ${answer.value.id} to end`, () => jobs().find((job) => job.id === answer.value.id && job.status !== 'queued' && job.status !== 'running'), 8_000).catch((error: Error) => {
    throw new assert.AssertionError({ message: `jobs:start answered job ${answer.value.id}, which never started while the daemon holds the scheduler lock\n${error.message}` });
  });
  assert.equal(done.status, 'succeeded');
});

test('when the daemon stops, the tray takes the scheduler over', async () => {
  daemon.kill('SIGTERM');
  await new Promise((resolve) => daemon.once('exit', resolve));
  await waitFor('the tray to take the lock', () => loaded?.hostLog.some((line) => line.endsWith('scheduler lock taken: this process runs the scheduler')), 15_000);
});
