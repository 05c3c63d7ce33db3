// The window's page and notifications, with the real built preload run by the stand-in for each page.
// A notification clicked after the main process has moved on: Electron keeps no reference to a
// Notification for the app (electron/electron#16922), so one the app let go of is garbage-collected
// and its click reaches nobody (the stand-in collects before every click). A message sent to a page
// before it listens is dropped (the stand-in's page subscribes 50 ms after did-finish-load).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync } from 'node:fs';
import { eventChannel } from '../../shared/contract';
import type { JobView } from '../../shared/types';
import { listJobs } from '../../src-main/jobs/job-store';
import { readSettings } from '../../src-main/store/settings-store';
import { loadMainEntry, prepareDataFolder, preloadScript, rendererIndex, sleep, waitFor as poll, type DataFolder, type LoadedApp } from './app-harness';
import { collectGarbage, findMenuItem, type FakeElectron } from './fake-electron';

let folder: DataFolder;
let loaded: LoadedApp;
let electron: FakeElectron;

function jobs(): JobView[] {
  return listJobs(folder.db, { scheduleId: folder.scheduleId, limit: 100 }).reverse();
}

function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  return poll(what, probe, timeoutMs, () => `host log:\n${loaded.hostLog.join('\n')}\njobs: ${JSON.stringify(jobs(), null, 1)}`);
}

before(() => {
  folder = prepareDataFolder({ 'letter.txt': 'Dear Dormouse,\n' }, { settleSeconds: 3_600, notifyOnSuccess: true });
  loaded = loadMainEntry(folder, { hidden: true });
  electron = loaded.electron;
});

after(async () => {
  await loaded?.cleanUp();
});

test('a completion notification clicked after a garbage collection still opens the window on its job', async () => {
  await waitFor('the tray menu', () => electron.Tray.instances[0]?.menu);
  findMenuItem(electron.Tray.instances[0]?.menu, 'Back Up Now').click?.();
  const notice = await waitFor('the completion notification', () => electron.Notification.instances.find((each) => each.title === 'Backup complete'));
  const job = jobs().find((each) => each.status === 'succeeded');
  assert.ok(job, 'the backup succeeded');
  await sleep(50);
  collectGarbage();
  notice.click();
  assert.equal(notice.lostClicks, 0, 'the click reached the app');
  const window = electron.BrowserWindow.instances[0];
  assert.ok(window, 'the click opened the settings window');
  assert.equal(window.visible, true);
  assert.deepEqual(window.loadedFiles, [rendererIndex]);
  assert.equal(window.preloadError, null, 'the built preload ran');
  await waitFor('the page to subscribe to engine events', () => window.webContents.rendererListeners.get('dormouse:event')?.size, 2_000);
  await sleep(100);
  const navigations = window.webContents.pageEvents.filter((event) => (event as { type?: string }).type === 'navigate');
  assert.deepEqual(navigations, [{ type: 'navigate', payload: { screen: 'job', jobId: job.id } }], 'the page, once it listens, is told to show that job');
});

test('Restore Files… on a window whose page already listens: the page is told at once, once', async () => {
  await waitFor('the tray menu', () => electron.Tray.instances[0]?.menu);
  findMenuItem(electron.Tray.instances[0]?.menu, 'Open Dormouse…').click?.();
  const window = electron.BrowserWindow.instances[0];
  assert.ok(window);
  await waitFor('the page to subscribe to engine events', () => window.webContents.rendererListeners.get('dormouse:event')?.size, 2_000);
  const heardBefore = window.webContents.pageEvents.length;
  findMenuItem(electron.Tray.instances[0]?.menu, 'Restore Files…').click?.();
  await waitFor('the page to hear it', () => window.webContents.pageEvents.length > heardBefore, 2_000);
  await sleep(100);
  assert.deepEqual(window.webContents.pageEvents.slice(heardBefore), [{ type: 'navigate', payload: { screen: 'restore' } }]);
});

test('a notification the person dismissed is let go of: a later click on it does nothing', async () => {
  const before = electron.Notification.instances.length;
  findMenuItem(electron.Tray.instances[0]?.menu, 'Back Up Now').click?.();
  const notice = await waitFor('a second completion notification', () => electron.Notification.instances[before]);
  notice.close();
  const windowShows = electron.BrowserWindow.instances[0]?.showCalls ?? 0;
  await sleep(20);
  notice.click();
  assert.equal(notice.lostClicks, 1, 'the app no longer holds a notification that was closed');
  assert.equal(electron.BrowserWindow.instances[0]?.showCalls ?? 0, windowShows);
});

test('the preload: window.dormouse passes on only the channels the window uses, and carries neither zod nor cronstrue', async () => {
  findMenuItem(electron.Tray.instances[0]?.menu, 'Open Dormouse…').click?.();
  const window = electron.BrowserWindow.instances[0];
  assert.ok(window);
  const bridge = window.exposed?.dormouse as { invoke: (channel: string, request: unknown) => Promise<unknown> } | undefined;
  assert.ok(bridge, 'the preload exposed window.dormouse');
  assert.deepEqual(Object.keys(window.exposed ?? {}), ['dormouse'], 'and nothing else');
  const status = (await bridge.invoke('status:get', {})) as { ok: boolean };
  assert.equal(status.ok, true, 'a channel the window uses answers');
  const before = jobs().length;
  for (const channel of ['jobs:run', 'snapshots:prune', 'snapshots:import', 'no:such']) {
    assert.deepEqual(await bridge.invoke(channel, { name: 'Documents' }), { ok: false, error: { code: 'INVALID_INPUT', message: `the window has no channel ${channel}` } });
  }
  assert.equal(jobs().length, before, 'jobs:run started nothing');
  assert.equal(eventChannel, 'dormouse:event', "the channel the preload listens on is the contract's");
  const bundle = readFileSync(preloadScript, 'utf8');
  assert.ok(bundle.length < 4_000, `the preload is ${bundle.length} bytes`);
  assert.doesNotMatch(bundle, /zod|cronstrue|ZodError/i);
});

test('Pause and Resume from the tray go through the engine: an open window is told, and the pause counts from the click', async () => {
  await waitFor('the tray menu', () => electron.Tray.instances[0]?.menu);
  findMenuItem(electron.Tray.instances[0]?.menu, 'Open Dormouse…').click?.();
  const window = electron.BrowserWindow.instances[0];
  assert.ok(window);
  await waitFor('the page to subscribe to engine events', () => window.webContents.rendererListeners.get('dormouse:event')?.size, 2_000);
  const heard = window.webContents.pageEvents.length;
  const clickedAt = Date.now();
  findMenuItem(electron.Tray.instances[0]?.menu, 'Pause Backups', 'For 1 Hour').click?.();
  await waitFor('the page to hear of the pause', () => window.webContents.pageEvents.slice(heard).some((event) => (event as { type?: string }).type === 'schedules-changed'), 2_000);
  const paused = readSettings(folder.db).pausedUntil;
  assert.ok(paused !== null && paused >= clickedAt + 3_600_000 && paused <= Date.now() + 3_600_000, `pausedUntil ${paused}, clicked at ${clickedAt}`);
  await waitFor('Resume to be offered', () => findMenuItem(electron.Tray.instances[0]?.menu, 'Pause Backups', 'Resume').enabled);
  const heardPaused = window.webContents.pageEvents.length;
  findMenuItem(electron.Tray.instances[0]?.menu, 'Pause Backups', 'Resume').click?.();
  await waitFor('the page to hear of the resume', () => window.webContents.pageEvents.slice(heardPaused).some((event) => (event as { type?: string }).type === 'schedules-changed'), 2_000);
  assert.equal(readSettings(folder.db).pausedUntil, null);
});

test('a failed backup: the tray line "Show Why…" and the failure notification each open the window on that job', async () => {
  const away = `${folder.source}-away`;
  renameSync(folder.source, away);
  try {
    await waitFor('the tray menu', () => electron.Tray.instances[0]?.menu);
    findMenuItem(electron.Tray.instances[0]?.menu, 'Back Up Now').click?.();
    const failed = await waitFor('the backup to fail', () => jobs().find((each) => each.status === 'failed'));
    assert.equal(failed.error?.code, 'SOURCE_MISSING');
    const line = await waitFor('the tray line about the failure', () => {
      try {
        return findMenuItem(electron.Tray.instances[0]?.menu, 'The last backup of Documents failed — Show Why…');
      } catch {
        return undefined;
      }
    });
    assert.equal(line.enabled, true);
    findMenuItem(electron.Tray.instances[0]?.menu, 'Open Dormouse…').click?.();
    const window = electron.BrowserWindow.instances[0];
    assert.ok(window);
    await waitFor('the page to subscribe to engine events', () => window.webContents.rendererListeners.get('dormouse:event')?.size, 2_000);
    const heard = window.webContents.pageEvents.length;
    line.click?.();
    await waitFor('the page to be told to show the job', () => window.webContents.pageEvents.length > heard, 2_000);
    assert.deepEqual(window.webContents.pageEvents.slice(heard), [{ type: 'navigate', payload: { screen: 'job', jobId: failed.id } }]);

    const notice = await waitFor('the failure notification', () => electron.Notification.instances.find((each) => each.title === 'Backup of Documents failed'));
    const heardBeforeNotice = window.webContents.pageEvents.length;
    notice.click();
    await waitFor('the page to be told again', () => window.webContents.pageEvents.length > heardBeforeNotice, 2_000);
    assert.deepEqual(window.webContents.pageEvents.slice(heardBeforeNotice), [{ type: 'navigate', payload: { screen: 'job', jobId: failed.id } }]);
  } finally {
    renameSync(away, folder.source);
  }
});
