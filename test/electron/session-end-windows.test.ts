// The app on Windows (process.platform reads 'win32' for its whole life in this process): its
// AppUserModelId is the appId electron-builder installs it with (toast clicks find the app by it), and
// logging off or shutting down, where before-quit is not emitted, reaches the open window as
// 'session-end': the app must quit cleanly from it, releasing the scheduler lock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dormouse, repoRoot } from '../helpers/cli';
import { loadMainEntry, prepareDataFolder, waitFor, type DataFolder, type LoadedApp } from './app-harness';
import { fakeEvent } from './fake-electron';

let folder: DataFolder;
let loaded: LoadedApp;

const platform = Object.getOwnPropertyDescriptor(process, 'platform') as PropertyDescriptor;

before(() => {
  folder = prepareDataFolder({ 'letter.txt': 'Dear Dormouse,\n' }, { settleSeconds: 3_600 });
  Object.defineProperty(process, 'platform', { ...platform, value: 'win32' });
  loaded = loadMainEntry(folder, { hidden: false });
});

after(async () => {
  await loaded?.cleanUp();
  Object.defineProperty(process, 'platform', platform);
});

test("the AppUserModelId is electron-builder.yml's appId", async () => {
  const appId = /^appId: (\S+)$/m.exec(readFileSync(join(repoRoot, 'electron-builder.yml'), 'utf8'))?.[1];
  assert.ok(appId);
  await waitFor('the tray menu', () => loaded.electron.Tray.instances[0]?.menu);
  assert.equal(loaded.electron.app.appUserModelId, appId);
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
