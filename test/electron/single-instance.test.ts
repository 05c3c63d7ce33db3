// A second launch of the app: the real main entry, loaded with the stand-in electron module whose
// single-instance lock is already held by another instance, quits at once and touches nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { listJobs } from '../../src-main/jobs/job-store';
import { loadMainEntry, prepareDataFolder, sleep, type DataFolder, type LoadedApp } from './app-harness';

let folder: DataFolder;
let loaded: LoadedApp;

before(() => {
  folder = prepareDataFolder({ 'letter.txt': 'Dear Dormouse,\n' }, { settleSeconds: 0 });
  loaded = loadMainEntry(folder, { hidden: false, singleInstanceLock: false });
});

after(async () => {
  await loaded?.cleanUp();
});

test('without the single-instance lock the app quits without a tray, a window, IPC handlers or a scheduler', async () => {
  const { electron } = loaded;
  await sleep(300);
  assert.equal(electron.app.lockRequests, 1);
  assert.equal(electron.app.quitCalls, 1);
  assert.equal(electron.app.quitted, true);
  assert.equal(electron.app.whenReadyCalls, 0, 'it never waits to start the desktop');
  assert.equal(electron.Tray.instances.length, 0);
  assert.equal(electron.BrowserWindow.instances.length, 0);
  assert.equal(electron.ipcMain.handlers.size, 0);
  assert.equal(electron.app.listenerCount('second-instance'), 0, 'the first instance is the one that answers a second launch');
  assert.equal(electron.utilityProcess.forks.length, 0);
  assert.deepEqual(listJobs(folder.db, { limit: 10 }), [], 'no catch-up ran (settleSeconds 0 would have started one at once)');
  assert.equal(loaded.hostLog.length, 0, 'no scheduler lock was taken');
});
