// The real main entry (loaded once in this process with the stand-in electron module) when a backup
// fails, when the laptop is on battery, and with success notifications switched off: started
// normally (not --hidden), so the window opens at start-up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { ipcChannel, type Channel } from '../../shared/contract';
import type { Settings } from '../../shared/settings';
import type { JobView, StatusView } from '../../shared/types';
import { listJobs } from '../../src-main/jobs/job-store';
import { iconsFolder, loadMainEntry, prepareDataFolder, rendererIndex, sleep, waitFor as poll, type DataFolder, type LoadedApp } from './app-harness';
import { fakeEvent, findMenuItem, type FakeElectron, type ShownNotification } from './fake-electron';

let folder: DataFolder;
let loaded: LoadedApp;
let electron: FakeElectron;
let movedSource: string;

function jobs(): JobView[] {
  return listJobs(folder.db, { scheduleId: folder.scheduleId, limit: 100 }).reverse();
}

function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  return poll(what, probe, timeoutMs, () => `host log:\n${loaded.hostLog.join('\n')}\njobs: ${JSON.stringify(jobs(), null, 1)}`);
}

function ended(after: number): JobView | undefined {
  return jobs().find((job) => job.id > after && job.status !== 'queued' && job.status !== 'running');
}

function tray() {
  const only = electron.Tray.instances[0];
  assert.ok(only);
  return only;
}

function icon(): string | undefined {
  return tray().image?.slice(iconsFolder.length + 1);
}

function notifications(title: string): ShownNotification[] {
  return electron.Notification.instances.filter((notification) => notification.title === title);
}

type Envelope<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

async function invoke<T>(channel: Channel, payload: unknown): Promise<Envelope<T>> {
  const window = electron.BrowserWindow.instances[0];
  assert.ok(window);
  const event = { sender: window.webContents, senderFrame: { url: `file://${rendererIndex}` } };
  return (await electron.ipcMain.invoke(ipcChannel(channel), event, payload)) as Envelope<T>;
}

before(() => {
  folder = prepareDataFolder({ 'letter.txt': 'Dear Dormouse,\n' }, { settleSeconds: 1, notifyOnSuccess: false });
  // The source folder is gone (an unmounted disk, a renamed folder): the start-up catch-up fails.
  movedSource = `${folder.source}-elsewhere`;
  renameSync(folder.source, movedSource);
  loaded = loadMainEntry(folder, { hidden: false });
  electron = loaded.electron;
});

after(async () => {
  await loaded?.cleanUp();
});

test('started without --hidden, the settings window opens at start-up', async () => {
  await waitFor('the tray', () => electron.Tray.instances.length > 0);
  const window = electron.BrowserWindow.instances[0];
  assert.ok(window, 'a window was made');
  assert.equal(electron.BrowserWindow.instances.length, 1);
  assert.equal(window.visible, true);
  assert.deepEqual(window.loadedFiles, [rendererIndex]);
});

test('a failed catch-up always notifies, with the reason in words, and the tray asks for attention', async () => {
  const failed = await waitFor('the start-up catch-up to fail', () => ended(0));
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error?.code, 'SOURCE_MISSING');
  const [notice] = await waitFor('the failure notification', () => (notifications('Backup of Documents failed').length > 0 ? notifications('Backup of Documents failed') : null));
  assert.equal(notice?.body, `A folder it backs up is missing (${folder.source}). Reconnect it or edit the schedule.`);
  assert.equal(notice?.shown, true);
  assert.equal(icon(), 'tray-attention.png');
  assert.equal(findMenuItem(tray().menu, 'The last backup of Documents failed — Show Why…').enabled, true, 'the attention line opens the failed job');
  assert.ok(loaded.hostLog.some((line) => line.endsWith(`job ${failed.id} will be retried in 5 min`)), loaded.hostLog.join('\n'));
  assert.equal(electron.utilityProcess.forks.length, 0, 'no worker is started for a missing source');
  assert.equal(electron.powerSaveBlocker.starts.length, 0);
  const events = electron.BrowserWindow.instances[0]?.webContents.sent.map((message) => message.args[0] as { type: string; payload: { id?: number } }) ?? [];
  assert.ok(events.some((event) => event.type === 'job-finished' && event.payload.id === failed.id), 'the open window heard the job end');
});

test('on battery with skipOnBattery, a catch-up waits queued; on AC it runs; success is silent with notifyOnSuccess off', async () => {
  renameSync(movedSource, folder.source);
  electron.powerMonitor.onBattery = true;
  electron.powerMonitor.emit('on-battery');
  const set = await invoke<Settings>('settings:set', { skipOnBattery: true });
  assert.ok(set.ok, JSON.stringify(set));
  const last = jobs().at(-1)?.id ?? 0;
  electron.powerMonitor.emit('resume');
  const queued = await waitFor('the catch-up to be queued', () => jobs().find((job) => job.id > last && job.status === 'queued'));
  assert.equal(queued.trigger, 'catch-up');
  const status = await invoke<StatusView>('status:get', {});
  assert.ok(status.ok);
  assert.match(status.value.running.find((job) => job.id === queued.id)?.waitingReason ?? '', /waiting for AC power/);
  await sleep(500);
  assert.equal(jobs().find((job) => job.id === queued.id)?.status, 'queued', 'it keeps waiting on battery');

  electron.powerMonitor.onBattery = false;
  electron.powerMonitor.emit('on-ac');
  const done = await waitFor('the catch-up to run on AC', () => ended(last));
  assert.equal(done.id, queued.id);
  assert.equal(done.status, 'succeeded', JSON.stringify(done));
  await sleep(200);
  assert.equal(notifications('Backup complete').length, 0, 'notifyOnSuccess is off');
  assert.equal(icon(), 'tray-idle.png');
});

test('switching notifyOnSuccess on over IPC takes effect for the next backup', async () => {
  const set = await invoke<Settings>('settings:set', { notifyOnSuccess: true });
  assert.ok(set.ok && set.value.notifyOnSuccess === true);
  const last = jobs().at(-1)?.id ?? 0;
  findMenuItem(tray().menu, 'Back Up Now').click?.();
  const done = await waitFor('Back Up Now to end', () => ended(last));
  assert.equal(done.status, 'succeeded');
  const [complete] = await waitFor('the notification', () => (notifications('Backup complete').length > 0 ? notifications('Backup complete') : null));
  assert.match(complete?.body ?? '', /^Backed up Documents — 1 file, 15 B in \d+ s$/);
});

test('a source folder that is not there for Back Up Now fails, notifies again, and the tray shows attention', async () => {
  mkdirSync(movedSource, { recursive: true });
  renameSync(folder.source, join(movedSource, 'Documents'));
  const last = jobs().at(-1)?.id ?? 0;
  const before = notifications('Backup of Documents failed').length;
  findMenuItem(tray().menu, 'Back Up Now').click?.();
  const done = await waitFor('the job to fail', () => ended(last));
  assert.equal(done.status, 'failed');
  assert.equal(done.trigger, 'manual');
  await waitFor('a second failure notification', () => notifications('Backup of Documents failed').length === before + 1);
  assert.equal(icon(), 'tray-attention.png');
  assert.ok(existsSync(join(movedSource, 'Documents', 'letter.txt')), 'the files are safe where they were moved');
});

test('app before-quit shuts the scheduler down (its retry timer too) and quits', async () => {
  const window = electron.BrowserWindow.instances[0];
  assert.ok(window);
  const quit = fakeEvent();
  electron.app.emit('before-quit', quit);
  assert.equal(quit.defaultPrevented, true, 'the first quit waits for the shutdown');
  await waitFor('the app to quit', () => electron.app.quitted, 10_000);
  assert.equal(window.isDestroyed(), true);
});
