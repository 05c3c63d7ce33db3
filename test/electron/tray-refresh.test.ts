// The tray menu is replaced only when what it shows changed: on Linux (AppIndicator) setting a menu
// closes the one the person has open and makes the icon flicker (the stand-in's tray closes an open
// menu on setContextMenu, as AppIndicator does).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMainEntry, prepareDataFolder, rendererIndex, sleep, waitFor, type DataFolder, type LoadedApp } from './app-harness';
import { findMenuItem, type FakeElectron } from './fake-electron';

let folder: DataFolder;
let loaded: LoadedApp;
let electron: FakeElectron;

before(() => {
  folder = prepareDataFolder({ 'letter.txt': 'Dear Dormouse,\n' }, { settleSeconds: 3_600 });
  loaded = loadMainEntry(folder, { hidden: true });
  electron = loaded.electron;
});

after(async () => {
  await loaded?.cleanUp();
});

function tray() {
  const only = electron.Tray.instances[0];
  assert.ok(only, 'the app made a tray icon');
  return only;
}

test('an open menu stays open while the app hears of changes that do not change it', async () => {
  await waitFor('the tray menu', () => electron.Tray.instances[0]?.menu);
  await sleep(300); // the drives' first check has answered
  const menus = tray().contextMenus.length;
  const images = tray().images.length;
  tray().openMenu();
  // A settings change the menu does not show (the engine says "changed"), and a screen unlock.
  const window = { sender: undefined as unknown, senderFrame: { url: `file://${rendererIndex}` } };
  findMenuItem(tray().menu, 'Open Dormouse…').click?.();
  tray().openMenu();
  window.sender = electron.BrowserWindow.instances[0]?.webContents;
  const set = (await electron.ipcMain.invoke('dormouse:settings:set', window, { notifyOnSuccess: false })) as { ok: boolean };
  assert.equal(set.ok, true, JSON.stringify(set));
  electron.powerMonitor.emit('unlock-screen');
  await sleep(1_200);
  assert.equal(tray().menusClosedWhileOpen, 0, 'the open menu was not replaced under the person');
  assert.equal(tray().menuOpen, true);
  assert.equal(tray().contextMenus.length, menus, 'no menu was built');
  assert.equal(tray().images.length, images, 'the icon was not set again');
});

test('a change the menu shows rebuilds it once', async () => {
  await waitFor('the tray menu', () => electron.Tray.instances[0]?.menu);
  const menus = tray().contextMenus.length;
  findMenuItem(tray().menu, 'Pause Backups', 'For 1 Hour').click?.();
  await waitFor('the paused menu', () => findMenuItem(tray().menu, 'Pause Backups', 'Resume').enabled, 2_000);
  await sleep(300);
  assert.equal(tray().contextMenus.length, menus + 1);
  findMenuItem(tray().menu, 'Pause Backups', 'Resume').click?.();
  await waitFor('the resumed menu', () => !findMenuItem(tray().menu, 'Pause Backups', 'Resume').enabled, 2_000);
  await sleep(300);
  assert.equal(tray().contextMenus.length, menus + 2);
});
