// The real, built main-process entry (dist/main/electron-main.cjs) loaded once in this process with
// a stand-in `electron` module (./fake-electron.ts), a real catalog in a temporary data folder made
// with the CLI, and real archive workers: what the tray app does when the OS and the person act.
// The scenarios share the one app instance and run in order.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ipcChannel, type Channel } from '../../shared/contract';
import { formatBytes } from '../../shared/format';
import { formatDuration } from '../../shared/human-time';
import type { Settings } from '../../shared/settings';
import type { JobView } from '../../shared/types';
import { finishJob, insertQueuedJob, listJobs } from '../../src-main/jobs/job-store';
import type { Db } from '../../src-main/store/open-store';
import { readSettings } from '../../src-main/store/settings-store';
import { dormouse, repoRoot } from '../helpers/cli';
import { iconsFolder, loadMainEntry, markerName, prepareDataFolder, preloadScript, rendererIndex, sleep, waitFor as poll, workerScript, type DataFolder, type LoadedApp } from './app-harness';
import { fakeEvent, findMenuItem, type FakeBrowserWindow, type FakeElectron, type ShownNotification } from './fake-electron';

const day = 24 * 3_600_000;

const sourceFiles: Record<string, string | Buffer> = {
  'letter.txt': 'Dear Dormouse,\n',
  'notes/todo.md': '- back up\n- sleep\n',
  'photo.bin': Buffer.alloc(48_000, 7),
};
const sourceBytes = Object.values(sourceFiles).reduce((sum, content) => sum + Buffer.byteLength(content), 0);

let folder: DataFolder;
let loaded: LoadedApp;
let electron: FakeElectron;
let db: Db;
let dataDir: string;
let drive: string;
let configHome: string;
let scheduleId: number;
let seededSkipId: number;
let markerText: string;
const savedTz = process.env.TZ;

function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  return poll(what, probe, timeoutMs, () => `host log:\n${loaded.hostLog.join('\n')}\njobs: ${JSON.stringify(jobs(), null, 1)}`);
}

function jobs(): JobView[] {
  return listJobs(db, { scheduleId, limit: 100 }).reverse();
}

function tray() {
  const only = electron.Tray.instances[0];
  assert.ok(only, 'the app made a tray icon');
  assert.equal(electron.Tray.instances.length, 1, 'exactly one tray icon');
  return only;
}

function iconName(path: string | undefined): string {
  assert.ok(path, 'the tray shows an image');
  assert.ok(path.startsWith(iconsFolder), `the tray image ${path} is one of the built icons in ${iconsFolder}`);
  assert.ok(existsSync(path), `the tray image ${path} exists`);
  return path.slice(iconsFolder.length + 1);
}

function theWindow(): FakeBrowserWindow {
  const only = electron.BrowserWindow.instances[0];
  assert.ok(only, 'a settings window exists');
  assert.equal(electron.BrowserWindow.instances.length, 1, 'only one settings window is ever made');
  return only;
}

/** The page's URL as Chromium reports it, written out rather than computed the way the app does. */
const pageUrl = `file://${rendererIndex}`;

function trustedEvent() {
  return { sender: theWindow().webContents, senderFrame: { url: pageUrl } };
}

type Envelope<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

async function invoke<T>(channel: Channel, payload: unknown, event: unknown = trustedEvent()): Promise<Envelope<T>> {
  return (await electron.ipcMain.invoke(ipcChannel(channel), event, payload)) as Envelope<T>;
}

function notifications(title: string): ShownNotification[] {
  return electron.Notification.instances.filter((notification) => notification.title === title);
}

const autostartFile = () => join(configHome, 'autostart', 'dormouse.desktop');

before(() => {
  process.env.TZ = 'Europe/Berlin';
  folder = prepareDataFolder(sourceFiles, { settleSeconds: 1 });
  ({ db, dataDir, drive, configHome, scheduleId } = folder);
  // The drive has been missing for two days already: a catch-up was skipped for want of it back then.
  const twoDaysAgo = Date.now() - 2 * day;
  seededSkipId = insertQueuedJob(db, scheduleId, 'catch-up', { pid: process.pid, hostname: hostname(), mark: null }, twoDaysAgo).view.id;
  finishJob(db, seededSkipId, { status: 'skipped', error: { code: 'DESTINATION_UNAVAILABLE', message: 'destination "usb" is not available' } }, twoDaysAgo);
  // Unplug the drive: the start-up catch-up is skipped with DESTINATION_UNAVAILABLE.
  markerText = readFileSync(join(drive, markerName), 'utf8');
  unlinkSync(join(drive, markerName));
  // As the login item starts it: hidden in the tray, no window until asked for.
  loaded = loadMainEntry(folder, { hidden: true });
  electron = loaded.electron;
});

after(async () => {
  await loaded?.cleanUp();
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

test('start-up: one instance lock, a tray and no window when started with --hidden, only the channels the window uses handled', async () => {
  await waitFor('the tray icon', () => electron.Tray.instances.length > 0);
  assert.equal(electron.app.lockRequests, 1);
  assert.equal(electron.app.whenReadyCalls, 1);
  assert.equal(electron.BrowserWindow.instances.length, 0, 'started with --hidden: no window');
  const registered = [...electron.ipcMain.handlers.keys()].sort();
  // Written out here, from what src-renderer/ calls: the CLI-shaped channels (jobs:run blocks for a whole backup) are not the window's.
  const windowUses = ['coverage:get', 'cron:preview', 'destinations:add', 'destinations:list', 'destinations:recovery-kit', 'destinations:remove', 'destinations:s3-key-storage', 'destinations:usage', 'folders:pick', 'folders:suggest', 'jobs:get', 'jobs:list', 'jobs:start', 'passphrases:forget', 'passphrases:remember', 'passphrases:status', 'schedules:add', 'schedules:edit', 'schedules:list', 'schedules:remove', 'settings:get', 'settings:set', 'snapshots:list', 'snapshots:ls', 'snapshots:restore', 'snapshots:suggest-target', 'snapshots:verify', 'status:get'];
  assert.deepEqual(registered, [...windowUses.map((channel) => `dormouse:${channel}`), 'dormouse:page-listening'].sort());
  for (const cliOnly of ['jobs:run', 'jobs:cancel', 'snapshots:prune', 'snapshots:import', 'schedules:set-enabled', 'destinations:passphrase']) assert.ok(!registered.includes(`dormouse:${cliOnly}`), `${cliOnly} is not the window's`);
  const first = tray();
  assert.equal(iconName(first.images[0]), 'tray-idle.png', 'the tray starts with the idle icon');
  // Never backed up, overdue, and its drive is not connected: the tray asks for attention as soon as
  // the drive's check (off the event loop) has answered.
  await waitFor('the attention icon', () => iconName(first.image) === 'tray-attention.png');
  assert.equal(findMenuItem(first.menu, 'Documents is waiting for “usb” to be connected').enabled, false);
  assert.equal(first.menu?.[0]?.label, 'No backups yet');
  assert.equal(first.menu?.[0]?.enabled, false);
  assert.match(first.tooltip ?? '', /^Dormouse\nLast backup: never\nNext backup: (today|tomorrow) at 03:00$/);
});

test('the drive missing for more than a day: one "Connect your backup drive" notification', async () => {
  const notices = await waitFor('the drive notice', () => (notifications('Connect your backup drive').length > 0 ? notifications('Connect your backup drive') : null));
  assert.equal(notices.length, 1);
  assert.equal(notices[0]?.body, 'Documents has not been backed up yet: “usb” is not connected.');
  assert.equal(notices[0]?.shown, true);
});

test('the start-up catch-up is skipped while the drive is missing: no job notification, no worker, no power blocker', async () => {
  const skipped = await waitFor('the start-up catch-up to be skipped', () => jobs().find((job) => job.id > seededSkipId && job.status === 'skipped'));
  assert.equal(skipped.trigger, 'catch-up');
  assert.equal(skipped.error?.code, 'DESTINATION_UNAVAILABLE');
  await sleep(1_200); // a tray refresh later
  assert.equal(electron.utilityProcess.forks.length, 0);
  assert.equal(electron.powerSaveBlocker.starts.length, 0);
  assert.deepEqual(
    electron.Notification.instances.map((notification) => notification.title),
    ['Connect your backup drive'],
    'a skipped job shows no notification, and the drive notice is not repeated on every refresh',
  );
  assert.equal(iconName(tray().image), 'tray-attention.png');
});

test('resume from sleep with the drive back: a catch-up in a real worker succeeds and notifies', async () => {
  writeFileSync(join(drive, markerName), markerText, { mode: 0o600 });
  const before = jobs().length;
  electron.powerMonitor.emit('resume');
  const done = await waitFor('the catch-up after resume to succeed', () => jobs().slice(before).find((job) => job.status === 'succeeded' || job.status === 'failed'));
  assert.equal(done.status, 'succeeded', JSON.stringify(done));
  assert.equal(done.trigger, 'catch-up');
  assert.ok(loaded.hostLog.some((line) => line.endsWith('catch-up armed by resume from sleep; runs in 1 s')), loaded.hostLog.join('\n'));
  assert.equal(done.files, Object.keys(sourceFiles).length);
  assert.equal(done.bytes, sourceBytes);
  assert.ok(done.archivePath && existsSync(done.archivePath), `the archive ${done.archivePath} is on the drive`);
  assert.equal(dirname(done.archivePath), join(drive, 'Dormouse', basename(dirname(dirname(done.archivePath))), 'Documents'), "in this machine's folder, then the schedule's");

  const [worker] = electron.utilityProcess.forks;
  assert.equal(electron.utilityProcess.forks.length, 1, 'one worker for one job');
  assert.equal(worker?.modulePath, workerScript);
  assert.equal(worker?.options.serviceName, 'Dormouse archive worker');
  assert.notEqual(worker?.child.pid, process.pid, 'the archive is written in another process');
  await waitFor('the worker to exit', () => worker?.exitCode !== null);
  assert.equal(worker?.exitCode, 0);

  const complete = await waitFor('the completion notification', () => notifications('Backup complete')[0]);
  const took = formatDuration(Date.parse(done.finishedAt as string) - Date.parse(done.startedAt as string));
  assert.equal(complete.body, `Backed up Documents — 3 files, ${formatBytes(sourceBytes)} in ${took}`);
  assert.match(complete.body, /^Backed up Documents — 3 files, 48\.\d kB in \d+ s$/);
  assert.equal(complete.shown, true);
  assert.equal(iconName(tray().image), 'tray-idle.png', 'all is well again');
});

test('the power-save blocker ("prevent-app-suspension") was taken for that job and is released after it', () => {
  const { starts, stops, active } = electron.powerSaveBlocker;
  assert.deepEqual(starts.map((start) => start.type), ['prevent-app-suspension']);
  assert.deepEqual(stops, [starts[0]?.id], 'stopped once the job succeeded');
  assert.equal(active.size, 0, 'nothing keeps the laptop from sleeping after the backup');
});

test('clicking the completion notification opens the window on that job, once its page listens', async () => {
  const complete = notifications('Backup complete')[0];
  assert.ok(complete);
  const doneJob = jobs().find((job) => job.status === 'succeeded') as JobView;
  complete.click();
  const window = theWindow();
  assert.equal(window.visible, true);
  assert.ok(window.showCalls >= 1 && window.focusCalls >= 1);
  assert.deepEqual(window.loadedFiles, [rendererIndex]);
  await waitFor('the page to listen', () => window.webContents.rendererListeners.get('dormouse:event')?.size, 2_000);
  await sleep(100);
  assert.deepEqual(
    window.webContents.pageEvents.filter((event) => (event as { type?: string }).type === 'navigate'),
    [{ type: 'navigate', payload: { screen: 'job', jobId: doneJob.id } }],
    'the page hears the navigation once it listens; a message sent before that is dropped by Electron',
  );
});

test('the settings window: isolated and sandboxed with the preload; closing hides it; a second launch or the tray shows it again', () => {
  const window = theWindow();
  const preferences = window.options.webPreferences ?? {};
  assert.equal(preferences.contextIsolation, true);
  assert.equal(preferences.sandbox, true);
  assert.equal(preferences.nodeIntegration, false);
  assert.notEqual(preferences.webSecurity, false);
  assert.equal(preferences.preload, preloadScript);
  assert.ok(existsSync(preferences.preload as string));
  assert.equal(window.options.show, false, 'shown only once asked for');
  assert.deepEqual(window.webContents.windowOpenHandler?.({ url: 'https://example.com/' }), { action: 'deny' });
  const navigation = fakeEvent();
  window.webContents.emit('will-navigate', navigation, 'https://example.com/');
  assert.equal(navigation.defaultPrevented, true, 'the window never navigates away from the app');

  const close = fakeEvent();
  window.emit('close', close);
  assert.equal(close.defaultPrevented, true, 'closing is prevented');
  assert.equal(window.visible, false, 'the window is hidden');
  assert.equal(window.isDestroyed(), false, 'and kept, not destroyed');

  const shows = window.showCalls;
  const focuses = window.focusCalls;
  electron.app.emit('second-instance', fakeEvent(), [process.execPath, repoRoot], repoRoot, {});
  assert.equal(theWindow(), window, 'the same window');
  assert.equal(window.visible, true);
  assert.equal(window.showCalls, shows + 1);
  assert.equal(window.focusCalls, focuses + 1);

  window.emit('close', fakeEvent());
  assert.equal(window.visible, false);
  tray().emit('click', fakeEvent());
  assert.equal(window.visible, true, 'clicking the tray icon shows it too');
  assert.equal(electron.BrowserWindow.instances.length, 1);
});

test('Back Up Now in the tray: a real job runs with the running icon and the blocker held, then idle with the last backup in the tooltip', async () => {
  const theTray = tray();
  const backUpNow = findMenuItem(theTray.menu, 'Back Up Now');
  assert.equal(backUpNow.enabled, true);
  assert.equal(typeof backUpNow.click, 'function');
  const before = jobs().length;
  const imagesBefore = theTray.images.length;
  const notificationsBefore = notifications('Backup complete').length;
  backUpNow.click?.();

  const queued = jobs()[before];
  assert.ok(queued, 'clicking queued a job at once');
  assert.equal(queued.trigger, 'manual');
  // It starts once its drive has answered (checked off the event loop).
  const started = await waitFor('the job to start', () => jobs()[before]?.status === 'running' && jobs()[before], 5_000);
  assert.equal(started.id, queued.id);
  assert.ok(theTray.images.slice(imagesBefore).some((path) => iconName(path) === 'tray-running.png'), `running icon shown: ${theTray.images.slice(imagesBefore).join(', ')}`);
  assert.equal(iconName(theTray.image), 'tray-running.png');
  assert.match(theTray.menu?.[0]?.label ?? '', /^Backing up Documents — \d+%$/);
  assert.equal(findMenuItem(theTray.menu, 'Back Up Now').enabled, false, 'no second Back Up Now of the running schedule');
  assert.deepEqual([...electron.powerSaveBlocker.active.values()], ['prevent-app-suspension']);

  const done = await waitFor('the Back Up Now job to end', () => jobs().slice(before).find((job) => job.status !== 'queued' && job.status !== 'running'));
  assert.equal(done.status, 'succeeded', JSON.stringify(done));
  assert.equal(electron.utilityProcess.forks.length, 2);
  assert.equal(iconName(theTray.image), 'tray-idle.png');
  assert.match(theTray.tooltip ?? '', /^Dormouse\nLast backup: just now\nNext backup: (today|tomorrow) at 03:00$/);
  assert.equal(theTray.menu?.[0]?.label, 'Last backup just now');
  assert.equal(findMenuItem(theTray.menu, 'Back Up Now').enabled, true);
  await waitFor('its notification', () => notifications('Backup complete').length === notificationsBefore + 1);

  const events = theWindow().webContents.sent.map((message) => message.args[0] as { type: string; payload: { id?: number; jobId?: number } });
  assert.ok(events.some((event) => event.type === 'job-started' && event.payload.id === done.id), 'the window heard job-started');
  assert.ok(events.some((event) => event.type === 'job-finished' && event.payload.id === done.id), 'the window heard job-finished');

  // Held while this job ran (checked above), and released once it ended.
  assert.equal(electron.powerSaveBlocker.active.size, 0, `the blocker is released after the job: ${JSON.stringify({ starts: electron.powerSaveBlocker.starts, stops: electron.powerSaveBlocker.stops })}`);
  assert.deepEqual(electron.powerSaveBlocker.stops, electron.powerSaveBlocker.starts.map((start) => start.id));
});

test('Pause Backups For 1 Hour and Resume from the tray', async () => {
  const theTray = tray();
  const clickedAt = Date.now();
  findMenuItem(theTray.menu, 'Pause Backups', 'For 1 Hour').click?.();
  const paused = await waitFor('the pause', () => readSettings(db).pausedUntil, 2_000);
  // The hour counts from the click, however long ago the menu was built.
  assert.ok(paused >= clickedAt + 3_600_000 && paused <= Date.now() + 3_600_000, `pausedUntil ${paused}, clicked at ${clickedAt}`);
  await waitFor('the paused icon', () => iconName(theTray.image) === 'tray-paused.png', 2_000);
  assert.match(theTray.tooltip ?? '', /\nPaused until (today|tomorrow) at \d\d:\d\d$/);
  const resume = findMenuItem(theTray.menu, 'Pause Backups', 'Resume');
  assert.equal(resume.enabled, true);

  resume.click?.();
  await waitFor('the resume', () => readSettings(db).pausedUntil === null, 2_000);
  await waitFor('the idle icon', () => iconName(theTray.image) === 'tray-idle.png', 2_000);
  assert.equal(findMenuItem(theTray.menu, 'Pause Backups', 'Resume').enabled, false);
});

test('Restore Files… in the tray shows the window on the restore screen', async () => {
  const window = theWindow();
  window.emit('close', fakeEvent());
  const sentBefore = window.webContents.sent.length;
  findMenuItem(tray().menu, 'Restore Files…').click?.();
  assert.equal(window.visible, true);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(window.webContents.sent.slice(sentBefore).map((message) => message.args[0]), [{ type: 'navigate', payload: { screen: 'restore' } }]);
});

test('open at login over IPC: writes and removes the XDG autostart entry, and reports what the OS has', async () => {
  assert.equal(existsSync(autostartFile()), false);
  const initial = await invoke<Settings>('settings:get', {});
  assert.ok(initial.ok, JSON.stringify(initial));
  assert.equal(initial.value.openAtLogin, false);

  const on = await invoke<Settings>('settings:set', { openAtLogin: true });
  assert.ok(on.ok, JSON.stringify(on));
  assert.equal(on.value.openAtLogin, true);
  assert.equal(on.value.settleSeconds, 1, 'the other settings are untouched');
  const text = readFileSync(autostartFile(), 'utf8');
  assert.match(text, /^\[Desktop Entry\]\n/);
  const exec = /^Exec=(.*)$/m.exec(text)?.[1];
  assert.ok(exec?.endsWith(' --hidden'), `Exec=${exec}`);
  assert.ok(exec?.includes(process.execPath) && exec.includes(repoRoot), `unpackaged, it starts Electron with the app folder: Exec=${exec}`);
  const got = await invoke<Settings>('settings:get', {});
  assert.ok(got.ok && got.value.openAtLogin === true);

  unlinkSync(autostartFile());
  const removedByHand = await invoke<Settings>('settings:get', {});
  assert.ok(removedByHand.ok);
  assert.equal(removedByHand.value.openAtLogin, false, 'what the OS has wins over the stored setting');

  assert.ok((await invoke<Settings>('settings:set', { openAtLogin: true })).ok);
  assert.ok(existsSync(autostartFile()));
  const off = await invoke<Settings>('settings:set', { openAtLogin: false });
  assert.ok(off.ok && off.value.openAtLogin === false);
  assert.equal(existsSync(autostartFile()), false);
  assert.equal(electron.app.loginItemSettingsCalls.length, 0, 'on Linux the XDG entry is used, not app.setLoginItemSettings');
});

/** Runs body with process.platform reading as another OS, as the main process's platform checks see it. */
async function asPlatform<T>(platform: NodeJS.Platform, body: () => Promise<T>): Promise<T> {
  const saved = Object.getOwnPropertyDescriptor(process, 'platform') as PropertyDescriptor;
  Object.defineProperty(process, 'platform', { ...saved, value: platform });
  try {
    return await body();
  } finally {
    Object.defineProperty(process, 'platform', saved);
  }
}

test('on Windows, open at login is a Run entry with --hidden that reads back on, and off again', async () => {
  electron.app.loginItemSettingsCalls.length = 0;
  await asPlatform('win32', async () => {
    const on = await invoke<Settings>('settings:set', { openAtLogin: true });
    assert.ok(on.ok && on.value.openAtLogin === true, `the switch reads back on: ${JSON.stringify(on)}`);
    // Unpackaged, electron.exe is the executable, so the app folder comes first.
    assert.deepEqual(electron.app.windowsRunEntry, { path: process.execPath, args: [repoRoot, '--hidden'] });
    const got = await invoke<Settings>('settings:get', {});
    assert.ok(got.ok && got.value.openAtLogin === true, JSON.stringify(got));
    const off = await invoke<Settings>('settings:set', { openAtLogin: false });
    assert.ok(off.ok && off.value.openAtLogin === false);
    assert.equal(electron.app.windowsRunEntry, null);
  });
  assert.equal(existsSync(autostartFile()), false, 'no XDG entry on Windows');
});

test('on macOS, open at login is a login item without args (macOS has none), and the tray uses template icons', async () => {
  electron.app.loginItemSettingsCalls.length = 0;
  await asPlatform('darwin', async () => {
    const on = await invoke<Settings>('settings:set', { openAtLogin: true });
    assert.ok(on.ok && on.value.openAtLogin === true, JSON.stringify(on));
    assert.deepEqual(electron.app.loginItemSettingsCalls, [{ openAtLogin: true }]);
    assert.equal(existsSync(autostartFile()), false, 'no XDG entry on macOS');
    findMenuItem(tray().menu, 'Open Dormouse…').click?.(); // a menu action shows the tray again
    assert.equal(iconName(tray().image), 'tray-idleTemplate.png', 'the menu bar tints template images');
    const off = await invoke<Settings>('settings:set', { openAtLogin: false });
    assert.ok(off.ok && off.value.openAtLogin === false);
    assert.deepEqual(electron.app.loginItemSettingsCalls.at(-1), { openAtLogin: false });
  });
  findMenuItem(tray().menu, 'Open Dormouse…').click?.();
  assert.equal(iconName(tray().image), 'tray-idle.png');
  electron.app.loginItemSettingsCalls.length = 0;
});

test('an untrusted sender gets {ok: false} and changes nothing', async () => {
  const window = theWindow();
  const settingsBefore = readSettings(db);
  const goodUrl = pageUrl;
  const untrusted = [
    { sender: { id: 99 }, senderFrame: { url: goodUrl } },
    { sender: window.webContents, senderFrame: { url: 'https://evil.example/index.html' } },
    { sender: window.webContents, senderFrame: { url: `file://${join(folder.root, 'index.html')}` } },
    { sender: window.webContents, senderFrame: null },
  ];
  for (const event of untrusted) {
    const set = await invoke('settings:set', { openAtLogin: true }, event);
    assert.equal(set.ok, false, JSON.stringify(event));
    const get = await invoke('settings:get', {}, event);
    assert.equal(get.ok, false);
    const run = await invoke('jobs:start', { name: 'Documents' }, event);
    assert.equal(run.ok, false);
  }
  assert.equal(existsSync(autostartFile()), false);
  assert.deepEqual(readSettings(db), settingsBefore);
  assert.equal(jobs().filter((job) => job.status === 'queued' || job.status === 'running').length, 0, 'no job was started');
});

test('an invalid settings payload gets INVALID_INPUT and changes nothing', async () => {
  const settingsBefore = readSettings(db);
  for (const payload of [{ openAtLogin: 'yes' }, { openAtLogin: true, extra: 1 }, { openAtLogin: 1 }, null, 'openAtLogin', [true], { settleSeconds: -1, openAtLogin: true }]) {
    const answer = await invoke('settings:set', payload);
    assert.equal(answer.ok, false, JSON.stringify(payload));
    if (!answer.ok) assert.equal(answer.error.code, 'INVALID_INPUT', `${JSON.stringify(payload)}: ${answer.error.message}`);
  }
  assert.equal(existsSync(autostartFile()), false, 'no autostart entry was written');
  assert.deepEqual(readSettings(db), settingsBefore);
});

test('other requests over IPC reach the engine: status and the job list', async () => {
  const status = await invoke<{ scheduler: { held: boolean; pid: number | null } }>('status:get', {});
  assert.ok(status.ok, JSON.stringify(status));
  assert.equal(status.value.scheduler.held, true);
  assert.equal(status.value.scheduler.pid, process.pid, 'the tray app holds the scheduler lock');
  const list = await invoke<JobView[]>('jobs:list', { limit: 10 });
  assert.ok(list.ok);
  assert.equal(list.value.filter((job) => job.status === 'succeeded').length, 2);
});

test('the folder picker over IPC is the native dialog, attached to the settings window', async () => {
  const window = theWindow();
  electron.dialog.nextOpenResult = { canceled: false, filePaths: [drive] };
  const picked = await invoke<{ supported: boolean; path: string | null }>('folders:pick', {});
  assert.ok(picked.ok, JSON.stringify(picked));
  assert.deepEqual(picked.value, { supported: true, path: drive });
  const call = electron.dialog.openCalls.at(-1);
  assert.equal(call?.parent, window, 'the dialog belongs to the settings window');
  assert.ok(call?.options.properties?.includes('openDirectory'), JSON.stringify(call?.options));

  electron.dialog.nextOpenResult = { canceled: true, filePaths: [] };
  const cancelled = await invoke<{ supported: boolean; path: string | null }>('folders:pick', {});
  assert.ok(cancelled.ok);
  assert.deepEqual(cancelled.value, { supported: true, path: null });

  const untrusted = await invoke('folders:pick', {}, { sender: { id: 7 }, senderFrame: { url: pageUrl } });
  assert.equal(untrusted.ok, false);
  assert.equal(electron.dialog.openCalls.length, 2, 'an untrusted sender opens no dialog');
});

test('Quit in the tray: the scheduler shuts down, the lock is released, the window lets the app quit', async () => {
  const window = theWindow();
  findMenuItem(tray().menu, 'Quit Dormouse').click?.();
  await waitFor('the app to quit', () => electron.app.quitted, 10_000);
  assert.ok(electron.app.quitCalls >= 2, 'the entry prevents the first quit, shuts down, then quits again');
  assert.equal(window.isDestroyed(), true, 'the window closed instead of hiding');
  const status = dormouse(['--data-dir', dataDir, 'status', '--json']);
  assert.equal(status.code, 0, status.stderr);
  assert.equal(status.json<{ scheduler: { held: boolean } }>().scheduler.held, false, 'the scheduler lock is released');
  assert.ok(electron.utilityProcess.forks.every((worker) => worker.exitCode !== null), 'no worker is left running');
  assert.ok(statSync(dataDir).isDirectory());
});
