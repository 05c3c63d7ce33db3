// Windows logging off or shutting down: before-quit is not emitted; the open window gets 'session-end'
// and the app must quit cleanly from it, releasing the scheduler lock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dormouse } from '../helpers/cli';
import { loadMainEntry, prepareDataFolder, waitFor, type DataFolder, type LoadedApp } from './app-harness';
import { fakeEvent } from './fake-electron';

let folder: DataFolder;
let loaded: LoadedApp;

before(() => {
  folder = prepareDataFolder({ 'letter.txt': 'Dear Dormouse,\n' }, { settleSeconds: 3_600 });
  loaded = loadMainEntry(folder, { hidden: false });
});

after(async () => {
  await loaded?.cleanUp();
});

test("the window's session-end: the app quits and the scheduler lock is free", async () => {
  const { electron } = loaded;
  const window = await waitFor('the window', () => electron.BrowserWindow.instances[0]);
  await waitFor('the tray menu', () => electron.Tray.instances[0]?.menu);
  window.emit('session-end', { ...fakeEvent(), reasons: ['logoff'] });
  await waitFor('the app to quit', () => electron.app.quitted, 5_000);
  assert.equal(window.isDestroyed(), true);
  const status = dormouse(['--data-dir', folder.dataDir, 'status', '--json']);
  assert.equal(status.code, 0, status.stderr);
  assert.equal(status.json<{ scheduler: { held: boolean } }>().scheduler.held, false);
});
