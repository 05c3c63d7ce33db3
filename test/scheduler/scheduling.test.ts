import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeJobs, makeWorld, type JobRow, type World } from './world';

/** Runs the test in a real time zone (Node honours TZ changes at run time), restoring the old one afterwards. */
function inZone(t: { after: (fn: () => void) => void }, zone: string): void {
  const previous = process.env.TZ;
  process.env.TZ = zone;
  t.after(() => {
    if (previous === undefined) delete process.env.TZ;
    else process.env.TZ = previous;
  });
}

/** A local wall-clock instant in the current TZ. */
function local(year: number, month: number, day: number, hours = 0, minutes = 0): number {
  return new Date(year, month - 1, day, hours, minutes).getTime();
}

/** Starts the scheduler and lets the start-up catch-up (60 s settle by default) pass. */
async function startSettled(world: World): Promise<void> {
  world.start();
  await world.advance(60_000);
}

test('one timer waits for the earliest next fire of all enabled schedules, and is recomputed when schedules change', async (t) => {
  inZone(t, 'UTC');
  const world = await makeWorld(t, Date.parse('2026-06-10T12:00:00Z'));
  await world.addSchedule('Evening', '0 18 * * *');
  await world.addSchedule('Lunch', '15 14 * * *');
  await world.addSchedule('Off', '0 13 * * *', { enabled: false });
  for (const name of ['Evening', 'Lunch']) await world.backUp(name);
  const manualJobs = world.jobs().length;

  await startSettled(world);
  assert.equal(world.jobs().length, manualJobs, `nothing was overdue, so start-up ran nothing: ${describeJobs(world.jobs())}`);
  const timers = () => world.clock.pending();
  assert.equal(timers().length, 1, `exactly one timer: ${world.clock.describe()}`);
  assert.equal(timers()[0]?.dueAt, Date.parse('2026-06-10T14:15:00Z'), `at Lunch's 14:15, not the disabled 13:00: ${world.clock.describe()}`);
  assert.equal(world.scheduler.nextFireAt(), Date.parse('2026-06-10T14:15:00Z'));

  await world.engine.handle('schedules:edit', { schedule: 'Lunch', changes: { cron: '0 17 * * *' } });
  world.scheduler.recompute();
  assert.equal(timers().length, 1, `still one timer after an edit: ${world.clock.describe()}`);
  assert.equal(timers()[0]?.dueAt, Date.parse('2026-06-10T17:00:00Z'), `now at Lunch's new 17:00: ${world.clock.describe()}`);

  await world.engine.handle('schedules:set-enabled', { name: 'Off', enabled: true });
  world.scheduler.recompute();
  assert.equal(timers().length, 1, world.clock.describe());
  assert.equal(timers()[0]?.dueAt, Date.parse('2026-06-10T13:00:00Z'), `the enabled schedule's 13:00 comes first: ${world.clock.describe()}`);

  await world.engine.handle('schedules:set-enabled', { name: 'Off', enabled: false });
  await world.engine.handle('schedules:set-enabled', { name: 'Evening', enabled: false });
  world.scheduler.recompute();
  assert.equal(timers().length, 1, world.clock.describe());
  assert.equal(timers()[0]?.dueAt, Date.parse('2026-06-10T17:00:00Z'), world.clock.describe());

  await world.engine.handle('schedules:set-enabled', { name: 'Lunch', enabled: false });
  world.scheduler.recompute();
  assert.equal(timers().length, 0, `no enabled schedule, no timer: ${world.clock.describe()}`);
  assert.equal(world.scheduler.nextFireAt(), null);
});

test('a fire further away than the longest single timer (6 h) is waited for in steps, running nothing early', async (t) => {
  inZone(t, 'UTC');
  const world = await makeWorld(t, Date.parse('2026-06-10T12:00:00Z'));
  const weekly = await world.addSchedule('Weekly', '0 9 * * 1');
  await world.backUp('Weekly');
  await startSettled(world);
  assert.equal(world.scheduler.nextFireAt(), Date.parse('2026-06-15T09:00:00Z'));
  assert.equal(world.clock.pending().length, 1, world.clock.describe());
  assert.ok((world.clock.pending()[0]?.dueAt as number) <= Date.parse('2026-06-15T09:00:00Z'), world.clock.describe());

  await world.advanceTo(Date.parse('2026-06-15T08:59:00Z'));
  assert.equal(world.jobs(weekly.id).length, 1, `nothing ran before Monday 09:00: ${describeJobs(world.jobs())}`);
  assert.equal(world.clock.pending().length, 1, world.clock.describe());
  assert.equal(world.clock.pending()[0]?.dueAt, Date.parse('2026-06-15T09:00:00Z'), world.clock.describe());

  await world.advanceTo(Date.parse('2026-06-15T09:00:30Z'));
  const jobs = world.jobs(weekly.id);
  assert.deepEqual(jobs.slice(1).map((job) => [job.trigger, job.status, job.queued_at]), [['scheduled', 'succeeded', Date.parse('2026-06-15T09:00:00Z')]], describeJobs(jobs));
});

test('a scheduled fire dispatches a job with trigger "scheduled" at its time, then waits for the next fire', async (t) => {
  inZone(t, 'UTC');
  const world = await makeWorld(t, Date.parse('2026-06-10T12:00:00Z'));
  const hourly = await world.addSchedule('Hourly', '0 * * * *');
  await world.backUp('Hourly');
  await startSettled(world);
  assert.equal(world.jobs(hourly.id).length, 1, describeJobs(world.jobs()));

  await world.advanceTo(Date.parse('2026-06-10T13:00:30Z'));
  const jobs = world.jobs(hourly.id);
  assert.equal(jobs.length, 2, describeJobs(jobs));
  const scheduled = jobs[1];
  assert.equal(scheduled?.trigger, 'scheduled');
  assert.equal(scheduled?.status, 'succeeded', describeJobs(jobs));
  assert.equal(scheduled?.queued_at, Date.parse('2026-06-10T13:00:00Z'), 'queued at the fire time');
  assert.equal(world.clock.pending().length, 1, world.clock.describe());
  assert.equal(world.clock.pending()[0]?.dueAt, Date.parse('2026-06-10T14:00:00Z'), world.clock.describe());

  await world.advanceTo(Date.parse('2026-06-10T16:00:30Z'));
  const later = world.jobs(hourly.id).filter((job) => job.trigger === 'scheduled');
  assert.deepEqual(
    later.map((job) => [new Date(job.queued_at).toISOString(), job.status]),
    ['13', '14', '15', '16'].map((h) => [`2026-06-10T${h}:00:00.000Z`, 'succeeded']),
    'one scheduled job per hour',
  );
});

test('a fire while the schedule already has an active job adds no second job', async (t) => {
  inZone(t, 'UTC');
  const world = await makeWorld(t, Date.parse('2026-06-10T12:00:00Z'));
  const hourly = await world.addSchedule('Hourly', '0 * * * *');
  await world.backUp('Hourly');
  await startSettled(world);

  // On battery with "skip on battery", the 13:00 job waits, queued: it stays the schedule's active job.
  world.settings({ skipOnBattery: true });
  world.power.battery = true;
  await world.advanceTo(Date.parse('2026-06-10T13:00:30Z'));
  let jobs = world.jobs(hourly.id);
  assert.equal(jobs.length, 2, describeJobs(jobs));
  assert.equal(jobs[1]?.status, 'queued');
  assert.equal(jobs[1]?.trigger, 'scheduled');

  await world.advanceTo(Date.parse('2026-06-10T15:30:00Z'));
  jobs = world.jobs(hourly.id);
  assert.equal(jobs.length, 2, `the 14:00 and 15:00 fires added no job while job ${jobs[1]?.id} is queued: ${describeJobs(jobs)}`);
  assert.equal(world.clock.pending().length, 1, `the cron timer still waits for 16:00: ${world.clock.describe()}`);
  assert.equal(world.clock.pending()[0]?.dueAt, Date.parse('2026-06-10T16:00:00Z'), world.clock.describe());

  world.power.battery = false;
  world.scheduler.powerChanged();
  await world.idle();
  jobs = world.jobs(hourly.id);
  assert.equal(jobs.length, 2, describeJobs(jobs));
  assert.equal(jobs[1]?.status, 'succeeded', describeJobs(jobs));
});

test('two schedules firing at the same minute run one at a time', async (t) => {
  inZone(t, 'UTC');
  const world = await makeWorld(t, Date.parse('2026-06-10T12:00:00Z'));
  await world.addSchedule('A', '0 13 * * *');
  await world.addSchedule('B', '0 13 * * *');
  await world.backUp('A');
  await world.backUp('B');
  await startSettled(world);

  let runningRightAfterFire = -1;
  let queuedRightAfterFire = -1;
  await world.clock.advanceTo(Date.parse('2026-06-10T13:00:00Z'), async () => {
    if (runningRightAfterFire === -1) {
      // The first job starts once its drive has answered (checked off the event loop).
      const deadline = Date.now() + 5_000;
      while (!world.jobs().some((job) => job.status === 'running') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
      runningRightAfterFire = world.engine.jobs.runningJobIds().length;
      queuedRightAfterFire = world.jobs().filter((job) => job.status === 'queued').length;
    }
    await world.idle();
  });
  assert.equal(runningRightAfterFire, 1, 'one job runs');
  assert.equal(queuedRightAfterFire, 1, 'the other waits, queued');
  await world.idle();
  const scheduled = world.jobs().filter((job) => job.trigger === 'scheduled');
  assert.equal(scheduled.length, 2, describeJobs(world.jobs()));
  assert.ok(scheduled.every((job) => job.status === 'succeeded'), describeJobs(scheduled));
});

/**
 * Starts a day before `night` at noon with the schedule backed up, then lets the manual clock run
 * through the night to noon after it; returns the scheduled jobs.
 */
async function throughTheNight(t: Parameters<typeof makeWorld>[0], zone: string, cron: string, night: [number, number, number]) {
  inZone(t, zone);
  const [year, month, day] = night;
  const world = await makeWorld(t, local(year, month, day - 1, 12));
  const schedule = await world.addSchedule('Nightly', cron);
  await world.backUp('Nightly');
  await startSettled(world);
  await world.advanceTo(local(year, month, day, 12));
  const scheduled = world.jobs(schedule.id).filter((job) => job.trigger !== 'manual');
  return { world, scheduled };
}

function localDate(instant: number): string {
  const date = new Date(instant);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

/** Exactly one job that night, by the schedule, succeeded, queued on the given local day. */
function expectOneScheduledSuccessOn(scheduled: JobRow[], day: string, what: string): void {
  assert.equal(scheduled.length, 1, `${what}: ${describeJobs(scheduled)}`);
  assert.equal(scheduled[0]?.trigger, 'scheduled');
  assert.equal(scheduled[0]?.status, 'succeeded');
  assert.equal(localDate(scheduled[0]?.queued_at as number), day);
}

test('Europe/Berlin autumn: the repeated hour never runs "30 2 * * *" twice (2026-10-25)', async (t) => {
  const { scheduled } = await throughTheNight(t, 'Europe/Berlin', '30 2 * * *', [2026, 10, 25]);
  expectOneScheduledSuccessOn(scheduled, '2026-10-25', 'exactly one job that night');
});

test('America/New_York autumn: the repeated hour never runs "30 1 * * *" twice (2026-11-01)', async (t) => {
  const { scheduled } = await throughTheNight(t, 'America/New_York', '30 1 * * *', [2026, 11, 1]);
  expectOneScheduledSuccessOn(scheduled, '2026-11-01', 'exactly one job that night');
});

test('Europe/Berlin spring: the skipped hour never loses the daily "30 2 * * *" run (2026-03-29)', async (t) => {
  const { scheduled } = await throughTheNight(t, 'Europe/Berlin', '30 2 * * *', [2026, 3, 29]);
  expectOneScheduledSuccessOn(scheduled, '2026-03-29', 'a job still runs that day');
});

test('America/New_York spring: the skipped hour never loses the daily "30 2 * * *" run (2026-03-08)', async (t) => {
  const { scheduled } = await throughTheNight(t, 'America/New_York', '30 2 * * *', [2026, 3, 8]);
  expectOneScheduledSuccessOn(scheduled, '2026-03-08', 'a job still runs that day');
});

/**
 * The same nights seen by catch-up: the laptop wakes (or sleeps through the night) and catch-up asks
 * whether the schedule is overdue. The daily run must still happen exactly once that day.
 */
async function nightWithAWake(t: Parameters<typeof makeWorld>[0], zone: string, cron: string, night: [number, number, number], sleepsThroughTheNight: boolean) {
  inZone(t, zone);
  const [year, month, day] = night;
  const world = await makeWorld(t, local(year, month, day - 1, 12));
  const schedule = await world.addSchedule('Nightly', cron);
  await world.backUp('Nightly');
  await startSettled(world);
  if (sleepsThroughTheNight) {
    // Awake until 23:00, asleep until 09:00: the cron timer fires late on waking.
    await world.advanceTo(local(year, month, day - 1, 23));
    world.clock.set(local(year, month, day, 9));
    await world.runDue();
  } else {
    // Awake all night; the lid is closed and opened again at 09:00 (a wake arms catch-up).
    await world.advanceTo(local(year, month, day, 9));
    world.scheduler.armCatchUp('resume');
  }
  await world.advanceTo(local(year, month, day, 12));
  const jobs = world.jobs(schedule.id).filter((job) => job.trigger !== 'manual');
  const overdue = (await world.engine.handle('schedules:list', {}))[0]?.overdue;
  return { jobs, overdue };
}

test('Europe/Berlin autumn: a wake the morning after the repeated hour does not run "30 2 * * *" a second time (2026-10-25)', async (t) => {
  const { jobs, overdue } = await nightWithAWake(t, 'Europe/Berlin', '30 2 * * *', [2026, 10, 25], false);
  assert.deepEqual(jobs.map((job) => `${job.trigger}:${job.status}`), ['scheduled:succeeded'], `one job that night, none added by the morning's catch-up: ${describeJobs(jobs)}`);
  assert.equal(overdue, false, 'the schedule ran at 02:30 and is not overdue that morning');
});

test('America/New_York autumn: a wake the morning after the repeated hour does not run "30 1 * * *" a second time (2026-11-01)', async (t) => {
  const { jobs, overdue } = await nightWithAWake(t, 'America/New_York', '30 1 * * *', [2026, 11, 1], false);
  assert.deepEqual(jobs.map((job) => `${job.trigger}:${job.status}`), ['scheduled:succeeded'], `one job that night, none added by the morning's catch-up: ${describeJobs(jobs)}`);
  assert.equal(overdue, false, 'the schedule ran at 01:30 and is not overdue that morning');
});

test('Europe/Berlin spring: a laptop asleep through the skipped hour still gets its "30 2 * * *" run by catch-up (2026-03-29)', async (t) => {
  const { jobs } = await nightWithAWake(t, 'Europe/Berlin', '30 2 * * *', [2026, 3, 29], true);
  assert.deepEqual(jobs.map((job) => `${job.trigger}:${job.status}`), ['catch-up:succeeded'], `the missed run of 2026-03-29 is caught up on waking: ${describeJobs(jobs)}`);
});

test('America/New_York spring: a laptop asleep through the skipped hour still gets its "30 2 * * *" run by catch-up (2026-03-08)', async (t) => {
  const { jobs } = await nightWithAWake(t, 'America/New_York', '30 2 * * *', [2026, 3, 8], true);
  assert.deepEqual(jobs.map((job) => `${job.trigger}:${job.status}`), ['catch-up:succeeded'], `the missed run of 2026-03-08 is caught up on waking: ${describeJobs(jobs)}`);
});
