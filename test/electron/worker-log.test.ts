// An archive worker that falls over: what it wrote to stderr is kept in the data folder's
// logs/archive-worker.log, and the failure notification names that file. The worker is made to fail
// by a --require'd script (through NODE_OPTIONS, which the worker process inherits) that writes to
// stderr and exits with code 3 before the worker runs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobView } from '../../shared/types';
import { listJobs } from '../../src-main/jobs/job-store';
import { loadMainEntry, prepareDataFolder, waitFor, type DataFolder, type LoadedApp } from './app-harness';
import { findMenuItem } from './fake-electron';

let folder: DataFolder;
let loaded: LoadedApp;
const savedNodeOptions = process.env.NODE_OPTIONS;

function jobs(): JobView[] {
  return listJobs(folder.db, { scheduleId: folder.scheduleId, limit: 100 }).reverse();
}

before(() => {
  folder = prepareDataFolder({ 'letter.txt': 'Dear Dormouse,\n' }, { settleSeconds: 3_600 });
  loaded = loadMainEntry(folder, { hidden: true });
});

after(async () => {
  if (savedNodeOptions === undefined) delete process.env.NODE_OPTIONS;
  else process.env.NODE_OPTIONS = savedNodeOptions;
  await loaded?.cleanUp();
});

test("a worker that crashes: its stderr is in <data>/logs/archive-worker.log and the notification says where", async () => {
  const { electron } = loaded;
  const crash = join(folder.root, 'crash.cjs');
  writeFileSync(crash, "process.stderr.write('dormouse-test: the worker fell over here\\n'); process.exit(3);\n");
  process.env.NODE_OPTIONS = `--require ${crash}`;
  await waitFor('the tray menu', () => electron.Tray.instances[0]?.menu);
  findMenuItem(electron.Tray.instances[0]?.menu, 'Back Up Now').click?.();
  const failed = await waitFor('the job to fail', () => jobs().find((job) => job.status === 'failed'));
  process.env.NODE_OPTIONS = savedNodeOptions ?? '';
  assert.equal(failed.error?.code, 'WORKER_CRASHED', JSON.stringify(failed));
  const log = join(folder.dataDir, 'logs', 'archive-worker.log');
  await waitFor('the log', () => existsSync(log) && readFileSync(log, 'utf8').includes('exited with code 3'), 3_000);
  assert.match(readFileSync(log, 'utf8'), /dormouse-test: the worker fell over here\n/);
  const notice = await waitFor('the failure notification', () => electron.Notification.instances.find((each) => each.title === 'Backup of Documents failed'));
  assert.ok(notice.body.endsWith(` What it said is in ${folder.dataDir}/logs/archive-worker.log.`), notice.body);
});
