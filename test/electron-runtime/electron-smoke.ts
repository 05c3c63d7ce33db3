// `npm run test:electron`: where an Electron runtime is installed (a contributor's laptop), launches
// the real app with Playwright's _electron on a data folder made with the real CLI, and checks: the
// settings window opens with the renderer; the tray menu was built; a backup started from the window
// runs in Electron's utility process (the archive worker, its 8 MiB shared-memory ring wrapped by a
// 24 MiB file) and ends succeeded with an archive GNU tar reads back; the completion notification
// (turned on in the window's settings first) is shown; and clicking it opens the window on that job.
// The tray and notifications are read through src-main/electron/smoke-probe.ts (DORMOUSE_SMOKE_PROBE=1).
// Elsewhere it says why it skips, in one line.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { _electron, type ElectronApplication } from 'playwright-core';
import type { ProbedMenuItem, ProbedNotification, SmokeProbe } from '../../src-main/electron/smoke-probe';
import { dormouse } from '../helpers/cli';

const repoRoot = join(__dirname, '..', '..');
const electronDir = join(repoRoot, 'node_modules', 'electron');
const pathFile = join(electronDir, 'path.txt');
const executable = existsSync(pathFile) ? join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;
const skip = executable && existsSync(executable) ? false : 'the Electron runtime is not installed here (its download is not reachable); run on a machine where `node node_modules/electron/install.js` works';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Polls the main process until `read` (run there, given the `electron` module) answers something truthy. */
async function waitInMain<T>(app: ElectronApplication, what: string, read: (electron: typeof import('electron')) => T | null | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await app.evaluate(read);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every file under a folder, as paths relative to it. */
function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

test('the tray app backs up through its utility process, notifies, and the notification opens the job', { skip, timeout: 180_000 }, async (t) => {
  const { buildElectronSqlite, installedElectronVersion } = (await import(pathToFileURL(join(repoRoot, 'build', 'scripts', 'electron-sqlite.mjs')).href)) as {
    buildElectronSqlite: (root: string, version: string) => { file?: string; error?: string };
    installedElectronVersion: (root: string) => string | null;
  };
  const built = buildElectronSqlite(repoRoot, installedElectronVersion(repoRoot) as string);
  assert.equal(built.error, undefined, 'better-sqlite3 for this Electron builds');

  const root = mkdtempSync(join(tmpdir(), 'dormouse-electron-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const [dataDir, drive, source, configHome] = ['data', 'drive', 'Documents', 'config'].map((name) => join(root, name)) as [string, string, string, string];
  for (const folder of [drive, source, configHome]) mkdirSync(folder);
  const big = randomBytes(24 * 1024 * 1024);
  writeFileSync(join(source, 'big.bin'), big);
  writeFileSync(join(source, 'letter.txt'), 'Dear Dormouse,\n');
  for (const args of [
    ['destination', 'add', '--name', 'usb', '--path', drive],
    ['schedule', 'add', '--name', 'Documents', '--source', source, '--destination', 'usb', '--cron', '0 3 * * *'],
  ]) {
    const result = dormouse(['--data-dir', dataDir, ...args, '--json']);
    assert.equal(result.code, 0, `dormouse ${args.join(' ')}: ${result.stdout}${result.stderr}`);
  }

  const app = await _electron.launch({
    executablePath: executable as string,
    args: [repoRoot],
    env: { ...process.env, DORMOUSE_DATA_DIR: dataDir, XDG_CONFIG_HOME: configHome, DORMOUSE_SMOKE_PROBE: '1' },
  });
  t.after(() => app.close());
  const window = await app.firstWindow();
  await window.getByRole('heading', { name: 'Dormouse' }).waitFor();
  assert.equal(await window.title(), 'Dormouse');
  const isolated = await window.evaluate(() => typeof (globalThis as { require?: unknown }).require === 'undefined');
  assert.ok(isolated, 'the renderer has no Node integration');

  const menu = await waitInMain<ProbedMenuItem[]>(app, 'the tray menu', () => (globalThis as unknown as { dormouseSmokeProbe: SmokeProbe }).dormouseSmokeProbe.trayMenu(), 15_000);
  assert.deepEqual(
    menu.map((item) => item.label).filter((label) => ['Back Up Now', 'Open Dormouse…', 'Restore Files…', 'Quit Dormouse'].includes(label)),
    ['Back Up Now', 'Open Dormouse…', 'Restore Files…', 'Quit Dormouse'],
    `the tray menu Electron built: ${JSON.stringify(menu)}`,
  );

  await window.getByRole('button', { name: 'Settings' }).click();
  await window.getByRole('checkbox', { name: /Notify me when a backup completes/ }).check();
  await window.getByText('Saved.').waitFor();
  await window.getByRole('button', { name: 'Overview' }).click();
  await window.getByRole('button', { name: 'Back Up Now' }).click();

  const notices = await waitInMain<ProbedNotification[]>(
    app,
    'the completion notification',
    () => {
      const shown = (globalThis as unknown as { dormouseSmokeProbe: SmokeProbe }).dormouseSmokeProbe.notifications();
      return shown.some((each) => each.title === 'Backup complete') ? shown : null;
    },
    120_000,
  );
  const index = notices.findIndex((each) => each.title === 'Backup complete');
  const notice = notices[index] as ProbedNotification;
  assert.match(notice.body, /^Backed up Documents — 2 files, /);
  assert.equal(typeof notice.jobId, 'number');

  const archives = filesUnder(drive).filter((file) => file.endsWith('.tar'));
  assert.equal(archives.length, 1, `one archive on the destination: ${filesUnder(drive).join(', ')}`);
  const archive = archives[0] as string;
  assert.match(archive, /[/\\]Dormouse[/\\][^/\\]+[/\\]Documents[/\\][^/\\]+-full-\d+\.tar$/);
  assert.equal(readFileSync(`${archive}.sha256`, 'utf8').split(' ')[0], sha256(readFileSync(archive)), 'the archive is whole');
  const member = join(source, 'big.bin').replace(/^\//, '');
  const extracted = spawnSync('tar', ['-xOf', archive, member], { maxBuffer: 64 * 1024 * 1024 });
  assert.equal(extracted.status, 0, `GNU tar reads ${member}: ${String(extracted.stderr)}`);
  assert.equal(sha256(extracted.stdout), sha256(big), 'the 24 MiB file came back byte for byte');
  const workerLog = readFileSync(join(dataDir, 'logs', 'archive-worker.log'), 'utf8');
  assert.match(workerLog, /--- archive worker started /, "the archive worker ran as the app's utility process");

  await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.close());
  await waitInMain(app, 'closing to hide the window', ({ BrowserWindow }) => BrowserWindow.getAllWindows().length === 1 && !BrowserWindow.getAllWindows()[0]?.isVisible(), 5_000);
  const reached = await app.evaluate((_electron, at) => (globalThis as unknown as { dormouseSmokeProbe: SmokeProbe }).dormouseSmokeProbe.clickNotification(at), index);
  assert.equal(reached, true, 'the click reached the app');
  await waitInMain(app, 'the click to show the window', ({ BrowserWindow }) => BrowserWindow.getAllWindows().length === 1 && BrowserWindow.getAllWindows()[0]?.isVisible(), 5_000);
  const detail = window.getByRole('complementary', { name: `Job ${notice.jobId}` });
  await detail.waitFor();
  assert.match(await detail.getByRole('heading').innerText(), new RegExp(`^Job ${notice.jobId}: Documents — succeeded$`));
});
