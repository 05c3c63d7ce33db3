// Quit while the archive worker is stuck (here stopped with SIGSTOP, as one waiting on a dead share
// answers nothing): the app must still quit, within its time limit, with a note on the job.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobView } from '../../shared/types';
import { listJobs } from '../../src-main/jobs/job-store';
import { loadMainEntry, prepareDataFolder, waitFor, type DataFolder, type LoadedApp } from './app-harness';
import { findMenuItem } from './fake-electron';

let folder: DataFolder;
let loaded: LoadedApp;
let stuckPid: number | undefined;

function jobs(): JobView[] {
  return listJobs(folder.db, { scheduleId: folder.scheduleId, limit: 100 }).reverse();
}

before(() => {
  folder = prepareDataFolder({ 'letter.txt': 'Dear Dormouse,\n', 'big.bin': Buffer.alloc(20_000_000, 3) }, { settleSeconds: 3_600 });
  loaded = loadMainEntry(folder, { hidden: true });
});

after(async () => {
  if (stuckPid !== undefined) {
    try {
      process.kill(stuckPid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await loaded?.cleanUp();
});

test('Quit with a backup whose worker answers nothing: the app quits within 5 s and the job says why it stopped', async () => {
  const { electron } = loaded;
  await waitFor('the tray menu', () => electron.Tray.instances[0]?.menu);
  findMenuItem(electron.Tray.instances[0]?.menu, 'Back Up Now').click?.();
  const worker = await waitFor('the worker', () => (electron.utilityProcess.forks[0]?.child.pid === undefined ? null : electron.utilityProcess.forks[0]));
  stuckPid = worker.child.pid;
  process.kill(stuckPid as number, 'SIGSTOP');
  const running = await waitFor('the job to run', () => jobs().find((job) => job.status === 'running'));
  const asked = Date.now();
  findMenuItem(electron.Tray.instances[0]?.menu, 'Quit Dormouse').click?.();
  await waitFor('the app to quit', () => electron.app.quitted, 9_000);
  const took = Date.now() - asked;
  assert.ok(took >= 4_900 && took < 7_000, `quit after ${took} ms: it waited for the shutdown, but not for ever`);
  const job = jobs().find((each) => each.id === running.id);
  assert.ok(job?.warnings.some((warning) => /^Dormouse quit \(.+\) while this backup had not stopped after 5 s; it is checked again at the next start$/.test(warning)), JSON.stringify(job));
});
