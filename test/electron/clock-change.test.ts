// A laptop that travels: a new time zone recomputes the schedule in the tray app, as in the daemon.
// The app checks its clocks every 10 s (wake-detector.ts), so this waits up to 15 s.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMainEntry, prepareDataFolder, waitFor, type DataFolder, type LoadedApp } from './app-harness';

let folder: DataFolder;
let loaded: LoadedApp;
const zoneBefore = process.env.TZ;

before(() => {
  process.env.TZ = 'Europe/Berlin';
  folder = prepareDataFolder({ 'letter.txt': 'Dear Dormouse,\n' }, { settleSeconds: 3_600 });
  loaded = loadMainEntry(folder, { hidden: true });
});

after(async () => {
  await loaded?.cleanUp();
  if (zoneBefore === undefined) delete process.env.TZ;
  else process.env.TZ = zoneBefore;
});

test('the time zone changing under the running app recomputes the schedule, saying so in its log', async () => {
  await waitFor('the tray menu', () => loaded.electron.Tray.instances[0]?.menu);
  process.env.TZ = 'America/New_York';
  const line = await waitFor('the schedule recomputed for the new zone', () => loaded.hostLog.find((entry) => /schedule recomputed: the time zone changed to /.test(entry)), 15_000);
  assert.match(line, /the time zone changed to (America\/New_York|[A-Z]{3,4}|GMT-0[45]00)/);
});
