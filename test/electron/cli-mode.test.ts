// The packaged `dormouse` launcher runs the app's own binary with --cli (the runAsNode fuse is off, so
// there is no Node to run the CLI with): the real main entry, loaded with the stand-in electron module
// and --cli on its command line, runs the CLI instead of the tray app. A backup through it goes
// through Electron's utility process (child_process.fork cannot start Node there) and lands on the
// destination; no window, tray, IPC handler or single-instance lock appears, and the app exits with
// the CLI's code.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { JobView } from '../../shared/types';
import { loadMainEntry, prepareDataFolder, waitFor, type DataFolder, type LoadedApp } from './app-harness';

let folder: DataFolder;
let loaded: LoadedApp;
const printed: string[] = [];
const cliArgs = ['--cli', 'run', 'Documents', '--json'];
const originalWrite = process.stdout.write;

function filesUnder(path: string): string[] {
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

before(() => {
  folder = prepareDataFolder({ 'letter.txt': 'Dear Dormouse,\n' }, { settleSeconds: 0 });
  process.argv.push(...cliArgs);
  // The CLI writes strings; the test runner's own reports (bytes) still go out.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk !== 'string') return originalWrite.call(process.stdout, chunk, ...rest);
    printed.push(chunk);
    return true;
  }) as typeof process.stdout.write;
  loaded = loadMainEntry(folder, { hidden: false });
});

after(async () => {
  process.stdout.write = originalWrite;
  process.argv.splice(process.argv.indexOf(cliArgs[0] as string), cliArgs.length);
  await loaded?.cleanUp();
});

test('--cli runs the CLI in the app process: a backup through the utility process, no window or tray, exit with its code', async () => {
  const { electron } = loaded;
  await waitFor('the CLI to exit', () => electron.app.exitCode !== null, 30_000, () => printed.join(''));
  process.stdout.write = originalWrite;
  assert.equal(electron.app.exitCode, 0, printed.join(''));
  const job = JSON.parse(printed.join('')) as JobView;
  assert.equal(job.status, 'succeeded');
  assert.equal(electron.utilityProcess.forks.length, 1, 'the archive worker ran as a utility process');
  assert.ok(filesUnder(folder.drive).some((file) => file.endsWith('.tar')), `an archive on the destination: ${filesUnder(folder.drive).join(', ')}`);
  assert.equal(electron.app.lockRequests, 0, 'the CLI runs beside a running tray app');
  assert.equal(electron.Tray.instances.length, 0);
  assert.equal(electron.BrowserWindow.instances.length, 0);
  assert.equal(electron.ipcMain.handlers.size, 0);
  assert.equal(loaded.hostLog.length, 0, 'no scheduler host started');
});
