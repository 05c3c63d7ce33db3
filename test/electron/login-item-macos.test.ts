// The app started by macOS as a login item: macOS passes no args, so --hidden never arrives; the app
// must see wasOpenedAtLogin and stay in the menu bar without opening its window. process.platform
// reads 'darwin' for the whole life of the app in this process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMainEntry, prepareDataFolder, sleep, waitFor, type DataFolder, type LoadedApp } from './app-harness';

let folder: DataFolder;
let loaded: LoadedApp;
const platform = Object.getOwnPropertyDescriptor(process, 'platform') as PropertyDescriptor;

before(() => {
  folder = prepareDataFolder({ 'letter.txt': 'Dear Dormouse,\n' }, { settleSeconds: 3_600 });
  Object.defineProperty(process, 'platform', { ...platform, value: 'darwin' });
  loaded = loadMainEntry(folder, {
    hidden: false,
    beforeStart: (electron) => {
      electron.app.launchedAtLogin = true;
    },
  });
});

after(async () => {
  await loaded?.cleanUp();
  Object.defineProperty(process, 'platform', platform);
});

test('started by macOS at login (no --hidden in argv): a menu bar icon, no window and no Dock icon', async () => {
  const { electron } = loaded;
  assert.ok(!process.argv.includes('--hidden'));
  await waitFor('the menu bar icon', () => electron.Tray.instances[0]?.menu);
  await sleep(200);
  assert.equal(electron.BrowserWindow.instances.length, 0, 'no window at login');
  assert.match(electron.Tray.instances[0]?.image ?? '', /tray-\w+Template\.png$/);
  assert.equal(electron.app.macDock.hidden, true, 'a menu bar app has no Dock icon');
});
