// Linux and macOS shutting down: Electron emits powerMonitor 'shutdown'; the app delays the shutdown
// (preventDefault, as Electron documents) and quits cleanly, releasing the scheduler lock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dormouse } from '../helpers/cli';
import { loadMainEntry, prepareDataFolder, waitFor, type DataFolder, type LoadedApp } from './app-harness';
import { fakeEvent } from './fake-electron';

let folder: DataFolder;
let loaded: LoadedApp;

before(() => {
  folder = prepareDataFolder({ 'letter.txt': 'Dear Dormouse,\n' }, { settleSeconds: 3_600 });
  loaded = loadMainEntry(folder, { hidden: true });
});

after(async () => {
  await loaded?.cleanUp();
});

test('powerMonitor shutdown: the app delays it, quits, and the scheduler lock is free', async () => {
  const { electron } = loaded;
  await waitFor('the tray menu', () => electron.Tray.instances[0]?.menu);
  const event = fakeEvent();
  electron.powerMonitor.emit('shutdown', event);
  assert.equal(event.defaultPrevented, true, 'the shutdown is delayed for a clean exit');
  await waitFor('the app to quit', () => electron.app.quitted, 5_000);
  const status = dormouse(['--data-dir', folder.dataDir, 'status', '--json']);
  assert.equal(status.code, 0, status.stderr);
  assert.equal(status.json<{ scheduler: { held: boolean } }>().scheduler.held, false);
});
