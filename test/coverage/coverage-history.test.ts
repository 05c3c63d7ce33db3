// The coverage picture over histories made the real way: a scheduler on a manual clock, a real
// catalog, real backups through the archive worker, a drive "unplugged" by moving its marker away
// and a source folder removed; then what the engine answers on `coverage:get`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CoverageSlot, CoverageView } from '../../shared/coverage';
import { markerFileName } from '../../src-main/destinations/destination-marker';
import { describeJobs, makeWorld, type World } from '../scheduler/world';

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;
const at = (iso: string) => Date.parse(iso);

process.env.TZ = 'UTC';

/** Runs `work` with TZ set to a real zone, then back to UTC. */
async function zoned<T>(zone: string, work: () => Promise<T>): Promise<T> {
  process.env.TZ = zone;
  try {
    return await work();
  } finally {
    process.env.TZ = 'UTC';
  }
}

/** The slots as `time status job late trigger`, one string each, for readable failures. */
function rows(view: CoverageView): string[] {
  return view.slots.map((slot: CoverageSlot) => `${slot.at} ${slot.status} ${slot.jobId === null ? '-' : 'job'} ${slot.lateSeconds ?? '-'} ${slot.trigger ?? '-'}`);
}

function coverage(world: World, schedule: string, days = 1): Promise<CoverageView> {
  return world.engine.handle('coverage:get', { schedule, days });
}

/** The id of the one job of a schedule queued at an instant, read from the jobs table. */
function jobQueuedAt(world: World, scheduleId: number, instant: number): number {
  const found = world.jobs(scheduleId).filter((job) => job.queued_at === instant);
  assert.equal(found.length, 1, `one job queued at ${new Date(instant).toISOString()}: ${describeJobs(world.jobs(scheduleId))}`);
  return (found[0] as { id: number }).id;
}

test('Europe/Berlin spring (2026-03-29): an hourly schedule run every hour has every real hour once, the lost 02:00 none; the daily 02:30 runs once, at 03:30', async (t) => {
  await zoned('Europe/Berlin', async () => {
    const world = await makeWorld(t, at('2026-03-28T19:30:00Z'));
    const hourly = await world.addSchedule('Hourly', '0 * * * *');
    await world.addSchedule('Nightly', '30 2 * * *');
    world.settings({ settleSeconds: 60 });
    world.start();
    await world.advanceTo(at('2026-03-29T04:30:00Z'));

    const view = await coverage(world, 'Hourly');
    assert.equal(view.schedule, 'Hourly');
    assert.equal(view.to, '2026-03-29T06:30:00+02:00');
    assert.equal(view.from, '2026-03-28T05:30:00+01:00', 'a day back, in the offset of that time');
    assert.deepEqual(
      view.slots.map((slot) => slot.at),
      [
        '2026-03-28T21:00:00+01:00',
        '2026-03-28T22:00:00+01:00',
        '2026-03-28T23:00:00+01:00',
        '2026-03-29T00:00:00+01:00',
        '2026-03-29T01:00:00+01:00',
        '2026-03-29T03:00:00+02:00',
        '2026-03-29T04:00:00+02:00',
        '2026-03-29T05:00:00+02:00',
        '2026-03-29T06:00:00+02:00',
      ],
      'no slot before the schedule was made, and 01:00 is followed by 03:00 summer time',
    );
    assert.ok(view.slots.every((slot) => slot.status === 'on-time' && slot.lateSeconds === 0 && slot.trigger === 'scheduled'), rows(view).join('\n'));
    const scheduledJobs = world.jobs(hourly.id).filter((job) => job.trigger === 'scheduled');
    assert.deepEqual(
      view.slots.map((slot) => slot.jobId),
      scheduledJobs.map((job) => job.id),
      `each slot names its own scheduled backup: ${describeJobs(world.jobs(hourly.id))}`,
    );

    const nightly = await coverage(world, 'Nightly');
    assert.deepEqual(rows(nightly), ['2026-03-29T03:30:00+02:00 on-time job 0 scheduled'], 'the 02:30 that does not exist runs once, an hour later');
  });
});

test('Europe/Berlin autumn (2026-10-25): asleep through the repeated hour, one catch-up after the wake covers both 02:00s and the 02:30, each as late as its own time', async (t) => {
  await zoned('Europe/Berlin', async () => {
    const world = await makeWorld(t, at('2026-10-24T21:30:00Z'));
    const hourly = await world.addSchedule('Hourly', '0 * * * *');
    const nightly = await world.addSchedule('Nightly', '30 2 * * *');
    world.settings({ settleSeconds: 60 });
    world.start();
    await world.advanceTo(at('2026-10-24T23:30:00Z'));
    // The lid closes at 01:30 summer time and opens at 04:20 winter time: no timer fires meanwhile.
    world.clock.jump(at('2026-10-25T03:20:00Z') - world.clock.now());
    world.scheduler.armCatchUp('resume from sleep', 'wake');
    await world.runDue(); // the cron timer, late: it leaves the runs it slept through to the catch-up
    await world.advance(61 * second);
    await world.advanceTo(at('2026-10-25T03:30:00Z'));

    const view = await coverage(world, 'Hourly');
    const catchUp = jobQueuedAt(world, hourly.id, at('2026-10-25T03:21:00Z'));
    const scheduled = world.jobs(hourly.id).filter((job) => job.trigger === 'scheduled').map((job) => job.id);
    assert.equal(scheduled.length, 2, describeJobs(world.jobs(hourly.id)));
    assert.deepEqual(
      view.slots.map((slot) => [slot.at, slot.status, slot.jobId, slot.lateSeconds, slot.trigger]),
      [
        ['2026-10-25T00:00:00+02:00', 'on-time', scheduled[0], 0, 'scheduled'],
        ['2026-10-25T01:00:00+02:00', 'on-time', scheduled[1], 0, 'scheduled'],
        ['2026-10-25T02:00:00+02:00', 'caught-up', catchUp, 3 * 3600 + 21 * 60, 'wake'],
        ['2026-10-25T02:00:00+01:00', 'caught-up', catchUp, 2 * 3600 + 21 * 60, 'wake'],
        ['2026-10-25T03:00:00+01:00', 'caught-up', catchUp, 3600 + 21 * 60, 'wake'],
        ['2026-10-25T04:00:00+01:00', 'caught-up', catchUp, 21 * 60, 'wake'],
      ],
      rows(view).join('\n'),
    );

    const night = await coverage(world, 'Nightly');
    assert.deepEqual(
      night.slots.map((slot) => [slot.at, slot.status, slot.jobId, slot.lateSeconds, slot.trigger]),
      [['2026-10-25T02:30:00+02:00', 'caught-up', jobQueuedAt(world, nightly.id, at('2026-10-25T03:21:00Z')), 2 * 3600 + 51 * 60, 'wake']],
      'the repeated 02:30 is not a second expected run',
    );
  });
});

test('a drive unplugged, then connected; a source gone; a drive gone; a night asleep: caught-up by the drive, failed, skipped, missed', async (t) => {
  const world = await makeWorld(t, at('2026-06-01T05:30:00Z'));
  const schedule = await world.addSchedule('Documents', '0 */6 * * *');
  world.settings({ settleSeconds: 60 });
  world.start();
  await world.advanceTo(at('2026-06-01T11:59:00Z'));
  const marker = join(world.dest, markerFileName);
  renameSync(marker, `${marker}.away`); // unplugged: 12:00 is skipped
  await world.advanceTo(at('2026-06-01T12:30:00Z'));
  renameSync(`${marker}.away`, marker); // plugged in again; the scheduler looks once a minute
  await world.advanceTo(at('2026-06-01T17:59:00Z'));
  rmSync(join(world.root, 'sources', 'Documents'), { recursive: true }); // 18:00 and its retries fail
  await world.advanceTo(at('2026-06-01T23:59:00Z'));
  renameSync(marker, `${marker}.away`); // unplugged again: midnight is skipped
  await world.advanceTo(at('2026-06-02T00:05:00Z'));
  world.clock.jump(at('2026-06-02T07:00:00Z') - world.clock.now()); // asleep through 06:00

  const view = await world.engine.handle('coverage:get', { schedule: 'Documents' });
  const id = (instant: string) => jobQueuedAt(world, schedule.id, at(instant));
  assert.equal(view.from, '2026-05-26T07:00:00+00:00', 'seven days unless asked');
  assert.deepEqual(
    view.slots.map((slot) => [slot.at, slot.status, slot.jobId, slot.lateSeconds, slot.trigger]),
    [
      ['2026-06-01T06:00:00+00:00', 'on-time', id('2026-06-01T06:00:00Z'), 0, 'scheduled'],
      ['2026-06-01T12:00:00+00:00', 'caught-up', id('2026-06-01T12:31:00Z'), 31 * 60, 'drive-connected'],
      // The last attempt in 18:00's window is the 2-hour retry at 22:35 (after 18:05 and 18:35).
      ['2026-06-01T18:00:00+00:00', 'failed', id('2026-06-01T22:35:00Z'), null, 'retry'],
      ['2026-06-02T00:00:00+00:00', 'skipped', id('2026-06-02T00:00:00Z'), null, 'scheduled'],
      ['2026-06-02T06:00:00+00:00', 'missed', null, null, null],
    ],
    `${rows(view).join('\n')}\n${describeJobs(world.jobs(schedule.id))}`,
  );
});

test('coverage refuses an unknown schedule, days out of range, and more slots than it lists at once, saying what to do', async (t) => {
  const world = await makeWorld(t, at('2026-06-01T05:30:00Z'));
  await world.addSchedule('Often', '*/5 * * * *');
  world.clock.jump(60 * 24 * hour);
  await assert.rejects(world.engine.handle('coverage:get', { schedule: 'Nope' }), { code: 'NOT_FOUND', message: /no schedule named "Nope"; known: Often/ });
  await assert.rejects(world.engine.handle('coverage:get', { schedule: 'Often', days: 91 }), { code: 'INVALID_INPUT', message: /days: must be at most 90 days/ });
  await assert.rejects(world.engine.handle('coverage:get', { schedule: 'Often', days: 0 }), { code: 'INVALID_INPUT', message: /days: must be at least 1 day/ });
  await assert.rejects(world.engine.handle('coverage:get', { schedule: 'Often', days: 2.5 }), { code: 'INVALID_INPUT', message: /days: must be a whole number/ });
  // Every 5 minutes is 288 runs a day: 41 days fit in 12,000, 60 do not.
  await assert.rejects(world.engine.handle('coverage:get', { schedule: 'Often', days: 60 }), { code: 'INVALID_INPUT', message: /more than 12000 runs in 60 days.*ask for at most 41 days/ });
  const fits = await world.engine.handle('coverage:get', { schedule: 'Often', days: 41 });
  assert.equal(fits.slots.length, 41 * 288);
  assert.ok(fits.slots.every((slot) => slot.status === 'missed'), 'never backed up: every run missed');
});
