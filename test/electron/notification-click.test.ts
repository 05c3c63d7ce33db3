// A notification clicked after the main process has moved on: Electron keeps no reference to a
// Notification for the app (electron/electron#16922), so one the app let go of is garbage-collected
// and its click reaches nobody. The stand-in collects before every click.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobView } from '../../shared/types';
import { listJobs } from '../../src-main/jobs/job-store';
import { loadMainEntry, prepareDataFolder, rendererIndex, sleep, waitFor as poll, type DataFolder, type LoadedApp } from './app-harness';
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
