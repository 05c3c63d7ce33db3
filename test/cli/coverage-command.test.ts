// `dormouse coverage` as a real process, on a catalog whose history was made through the engine with
// its clock set back a day (a real backup through the archive worker), then read at the real time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CoverageView } from '../../shared/coverage';
import { Engine } from '../../src-main/engine/engine';
import { forkWorkerLauncher } from '../../src-main/jobs/worker-launcher';
import { dormouse, expectError, expectOk, temporaryFolder } from '../helpers/cli';
import { workerScript } from '../scheduler/world';

process.env.TZ = 'Europe/Berlin';
const hour = 3_600_000;

async function seeded(t: { after: (fn: () => void) => void }) {
  const root = temporaryFolder(t, 'dormouse-coverage-cli-');
  const data = join(root, 'data');
  const drive = join(root, 'drive');
  const documents = join(root, 'Documents');
  mkdirSync(drive);
  mkdirSync(documents);
  writeFileSync(join(documents, 'notes.txt'), 'milk, eggs\n');
  const now = Date.now();
  let clock = now - 2 * 24 * hour;
  const engine = Engine.forDataDir(data, { launchWorker: forkWorkerLauncher(workerScript), now: () => clock });
  try {
    await engine.handle('destinations:add', { name: 'usb', path: drive });
    await engine.handle('schedules:add', { name: 'Hourly', sources: [documents], destination: 'usb', cron: '0 * * * *' });
    // A manual backup a minute after the hour, 12 hours ago: it covers every run up to that hour.
    const backedUpAt = Math.floor((now - 12 * hour) / hour) * hour + 60_000;
    clock = backedUpAt;
    const job = await engine.handle('jobs:run', { name: 'Hourly' });
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
    return { data, job: job.id, backedUpAt };
  } finally {
    engine.close();
  }
}

test('dormouse coverage --json: the last day of an hourly schedule, run by run; text for people; bad input refused with what to do', async (t) => {
  const { data, job, backedUpAt } = await seeded(t);
  const view = expectOk<CoverageView>(dormouse(['--data-dir', data, '--json', 'coverage', 'Hourly', '--days', '1'], { env: { TZ: 'Europe/Berlin' } }));
  assert.deepEqual(Object.keys(view), ['schedule', 'from', 'to', 'slots']);
  assert.equal(view.schedule, 'Hourly');
  assert.equal(Date.parse(view.to) - Date.parse(view.from), 24 * hour);
  assert.equal(view.slots.length, 24, 'one run an hour, a day long');
  for (const slot of view.slots) {
    assert.deepEqual(Object.keys(slot), ['at', 'status', 'jobId', 'lateSeconds', 'trigger']);
    assert.match(slot.at, /^\d{4}-\d{2}-\d{2}T\d{2}:00:00\+0[12]:00$/, 'local time with its offset');
  }
  const covered = view.slots.filter((slot) => Date.parse(slot.at) <= backedUpAt);
  const after = view.slots.filter((slot) => Date.parse(slot.at) > backedUpAt);
  assert.equal(covered.length + after.length, 24);
  assert.deepEqual(covered[covered.length - 1], { at: covered[covered.length - 1]?.at, status: 'on-time', jobId: job, lateSeconds: 60, trigger: 'manual' });
  assert.ok(covered.slice(0, -1).every((slot) => slot.status === 'caught-up' && slot.jobId === job && slot.trigger === 'manual' && (slot.lateSeconds ?? 0) >= 3600 + 60));
  assert.ok(after.length >= 11 && after.every((slot) => slot.status === 'missed' && slot.jobId === null && slot.lateSeconds === null && slot.trigger === null));

  const text = dormouse(['--data-dir', data, 'coverage', 'Hourly', '--days', '1'], { env: { TZ: 'Europe/Berlin' } });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^Hourly: 24 expected runs from .* to .*: 1 on time, ${covered.length - 1} caught up, ${after.length} missed\\n`));
  assert.match(text.stdout, new RegExp(`caught up by job ${job}, 1 h 1 min to \\d+ h 1 min late, started by Back Up Now\\n`));
  assert.match(text.stdout, new RegExp(`on time: job ${job}, started by Back Up Now\\n`));
  assert.match(text.stdout, /\(\d+ runs\) {2}missed: not backed up yet\n$/);

  for (const days of ['0', '91', '1.5', 'seven', '-3']) {
    expectError(dormouse(['--data-dir', data, '--json', 'coverage', 'Hourly', '--days', days]), 2, /--days .*expected a whole number of days from 1 to 90, such as 7/);
  }
  expectError(dormouse(['--data-dir', data, '--json', 'coverage', 'Nope']), 2, /no schedule named "Nope"; known: Hourly; see `dormouse schedule list`/);
  expectError(dormouse(['--data-dir', data, '--json', 'coverage']), 2, /missing required argument 'name'/);
});
