// The probe `npm run test:electron` reads in the real app's main process (src-main/electron/smoke-probe.ts),
// run here in the built main entry under the stand-in electron module: with DORMOUSE_SMOKE_PROBE=1 it
// shows the tray menu as set, the notifications shown, and a click on one opens the window on its job;
// without the variable there is no probe at all.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { listJobs } from '../../src-main/jobs/job-store';
import { smokeProbeGlobal, startSmokeProbe, type SmokeProbe } from '../../src-main/electron/smoke-probe';
import { loadMainEntry, prepareDataFolder, waitFor, type DataFolder, type LoadedApp } from './app-harness';
import { findMenuItem } from './fake-electron';

let folder: DataFolder;
let loaded: LoadedApp;
let savedProbe: string | undefined;

function probe(): SmokeProbe | undefined {
  return (globalThis as Record<string, unknown>)[smokeProbeGlobal] as SmokeProbe | undefined;
}

before(() => {
  savedProbe = process.env.DORMOUSE_SMOKE_PROBE;
  process.env.DORMOUSE_SMOKE_PROBE = '1';
  folder = prepareDataFolder({ 'letter.txt': 'Dear Dormouse,\n' }, { settleSeconds: 3_600, notifyOnSuccess: true });
  loaded = loadMainEntry(folder, { hidden: true });
});

after(async () => {
  await loaded?.cleanUp();
  if (savedProbe === undefined) delete process.env.DORMOUSE_SMOKE_PROBE;
  else process.env.DORMOUSE_SMOKE_PROBE = savedProbe;
  delete (globalThis as Record<string, unknown>)[smokeProbeGlobal];
});

test('with DORMOUSE_SMOKE_PROBE=1 the probe shows the tray menu, the completion notification, and its click opens the window on the job', async () => {
  const menu = await waitFor('the tray menu through the probe', () => probe()?.trayMenu());
  const labels = menu.map((item) => item.label);
  for (const expected of ['Back Up Now', 'Open Dormouse…', 'Restore Files…', 'Quit Dormouse']) assert.ok(labels.includes(expected), `the menu has ${expected}: ${JSON.stringify(labels)}`);
  assert.deepEqual(
    menu.find((item) => item.label === 'Pause Backups')?.submenu?.map((item) => item.label),
    ['For 1 Hour', 'Until Tomorrow', 'Resume'],
  );
  assert.deepEqual(menu, JSON.parse(JSON.stringify(menu)), 'plain data, as Playwright hands it back');

  findMenuItem(loaded.electron.Tray.instances[0]?.menu, 'Back Up Now').click?.();
  const notice = await waitFor('the completion notification through the probe', () => probe()?.notifications().find((each) => each.title === 'Backup complete'));
  const job = listJobs(folder.db, { scheduleId: folder.scheduleId, limit: 10 }).find((each) => each.status === 'succeeded');
  assert.ok(job, 'the backup succeeded');
  assert.equal(notice.jobId, job.id);
  assert.match(notice.body, /^Backed up Documents — 1 file, /);

  assert.equal(loaded.electron.BrowserWindow.instances.length, 0, 'started hidden: no window before the click');
  const index = probe()?.notifications().findIndex((each) => each.title === 'Backup complete') ?? -1;
  assert.equal(probe()?.clickNotification(index), true, 'the click reached the app');
  const window = loaded.electron.BrowserWindow.instances[0];
  assert.ok(window, 'the click opened the settings window');
  assert.equal(window.visible, true);
  await waitFor('the page to be told to show the job', () => window.webContents.pageEvents.find((event) => (event as { type?: string }).type === 'navigate'), 5_000);
  assert.deepEqual(
    window.webContents.pageEvents.filter((event) => (event as { type?: string }).type === 'navigate'),
    [{ type: 'navigate', payload: { screen: 'job', jobId: job.id } }],
  );
});

test('without the variable there is no probe and nothing on the global object', () => {
  const target = {};
  assert.equal(startSmokeProbe({}, target), null);
  assert.equal(startSmokeProbe({ DORMOUSE_SMOKE_PROBE: 'yes' }, target), null, 'only "1" turns it on');
  assert.deepEqual(Object.getOwnPropertyNames(target), []);
});
