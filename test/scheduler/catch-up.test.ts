import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { markerFileName } from '../../src-main/destinations/destination-marker';
import { isOverdue, lastExpectedFire, nextFires } from '../../src-main/scheduler/cron-schedule';
import { describeJobs, makeWorld, type JobRow } from './world';

// Every instant below is UTC; the file runs in UTC so that cron fields read the same.
process.env.TZ = 'UTC';

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;
const at = (iso: string) => Date.parse(iso);

function triggers(jobs: JobRow[]): string[] {
  return jobs.map((job) => `${job.trigger}:${job.status}`);
}

test('isOverdue: the most recent expected fire later than the last success; never backed up is overdue; an unparseable cron never is', () => {
  const noon = at('2026-06-10T12:00:00Z');
  assert.equal(lastExpectedFire('0 3 * * *', noon), at('2026-06-10T03:00:00Z'));
  assert.equal(isOverdue('0 3 * * *', at('2026-06-10T03:30:00Z'), noon), false, 'backed up after today\'s 03:00');
  assert.equal(isOverdue('0 3 * * *', at('2026-06-10T03:00:00Z'), noon), false, 'backed up at the fire itself');
  assert.equal(isOverdue('0 3 * * *', at('2026-06-10T02:59:00Z'), noon), true, 'backed up before today\'s 03:00');
  assert.equal(isOverdue('0 3 * * *', at('2026-06-09T12:00:00Z'), noon), true, 'last backed up yesterday');
  assert.equal(isOverdue('0 3 * * *', at('2026-06-10T03:30:00Z'), at('2026-06-11T03:00:00Z')), true, 'a fire at this very moment counts');
  assert.equal(isOverdue('0 3 * * *', null, noon), true, 'never backed up');
  assert.equal(isOverdue('*/5 * * * *', null, noon), true);
  for (const broken of ['not a cron', '61 * * * *', '* * 31 2 *x', '', '0 3 * *']) {
    assert.equal(lastExpectedFire(broken, noon), null, `"${broken}" has no expected fire`);
    assert.equal(isOverdue(broken, null, noon), false, `"${broken}" is never overdue, even never backed up`);
  }
});

/** Runs `check` with TZ set to a real zone, then back to UTC. */
function zoned(zone: string, check: () => void): void {
  process.env.TZ = zone;
  try {
    check();
  } finally {
    process.env.TZ = 'UTC';
  }
}

test('isOverdue, Europe/Berlin autumn: after the 02:30 run, the repeated 02:30 does not make "30 2 * * *" overdue again (2026-10-25)', () => {
  zoned('Europe/Berlin', () => {
    // 02:30 CEST is 00:30Z; the clocks go back at 01:00Z, so 02:30 comes round again at 01:30Z.
    assert.deepEqual(nextFires('30 2 * * *', at('2026-10-25T00:30:00Z'), 1), [at('2026-10-26T01:30:00Z')], 'the cron timer runs 02:30 once that night');
    const ranAt = at('2026-10-25T00:30:05Z');
    assert.equal(isOverdue('30 2 * * *', ranAt, at('2026-10-25T00:45:00Z')), false);
    assert.equal(isOverdue('30 2 * * *', ranAt, at('2026-10-25T01:45:00Z')), false, 'not overdue again when 02:30 comes round a second time');
    assert.equal(isOverdue('30 2 * * *', ranAt, at('2026-10-25T08:00:00Z')), false, 'nor that morning');
  });
});

test('isOverdue, America/New_York autumn: after the 01:30 run, the repeated 01:30 does not make "30 1 * * *" overdue again (2026-11-01)', () => {
  zoned('America/New_York', () => {
    // 01:30 EDT is 05:30Z, and 01:30 EST is 06:30Z.
    assert.deepEqual(nextFires('30 1 * * *', at('2026-11-01T05:30:00Z'), 1), [at('2026-11-02T06:30:00Z')], 'the cron timer runs 01:30 once that night');
    assert.equal(isOverdue('30 1 * * *', at('2026-11-01T05:30:05Z'), at('2026-11-01T12:00:00Z')), false, 'not overdue again after the repeated 01:30');
  });
});

test('isOverdue, Europe/Berlin spring: the day whose 02:30 is skipped still expects its run (2026-03-29)', () => {
  zoned('Europe/Berlin', () => {
    // 02:30 does not exist that night; the cron timer runs it at 03:30 CEST (01:30Z).
    assert.deepEqual(nextFires('30 2 * * *', at('2026-03-28T12:00:00Z'), 1), [at('2026-03-29T01:30:00Z')]);
    assert.equal(lastExpectedFire('30 2 * * *', at('2026-03-29T08:00:00Z')), at('2026-03-29T01:30:00Z'), 'the expected fire that morning is the one the cron timer would have run');
    assert.equal(isOverdue('30 2 * * *', at('2026-03-28T01:30:05Z'), at('2026-03-29T08:00:00Z')), true, 'last backed up the day before: overdue');
  });
});

test('isOverdue, America/New_York spring: the day whose 02:30 is skipped still expects its run (2026-03-08)', () => {
  zoned('America/New_York', () => {
    // 02:30 does not exist that night; the cron timer runs it at 03:30 EDT (07:30Z).
    assert.deepEqual(nextFires('30 2 * * *', at('2026-03-07T12:00:00Z'), 1), [at('2026-03-08T07:30:00Z')]);
    assert.equal(lastExpectedFire('30 2 * * *', at('2026-03-08T12:00:00Z')), at('2026-03-08T07:30:00Z'), 'the expected fire that morning is the one the cron timer would have run');
    assert.equal(isOverdue('30 2 * * *', at('2026-03-07T07:30:05Z'), at('2026-03-08T12:00:00Z')), true, 'last backed up the day before: overdue');
  });
});

test('overdue is per schedule, not per machine: a newer backup of another schedule does not excuse one', async (t) => {
  const world = await makeWorld(t, at('2026-06-10T10:10:00Z'));
  const behind = await world.addSchedule('Behind', '0 * * * *');
  const daily = await world.addSchedule('Daily', '0 3 * * *');
  await world.backUp('Behind'); // 10:10, before Behind's 11:00 fire
  world.clock.set(at('2026-06-10T11:10:00Z'));
  await world.backUp('Daily'); // 11:10: the newest backup on this machine, after 11:00
  world.clock.set(at('2026-06-10T11:30:00Z'));

  const views = await world.engine.handle('schedules:list', {});
  assert.deepEqual(views.map((view) => [view.name, view.overdue]), [['Behind', true], ['Daily', false]]);

  world.settings({ settleSeconds: 60 });
  world.start();
  await world.advance(61 * second);
  assert.deepEqual(triggers(world.jobs(behind.id)), ['manual:succeeded', 'catch-up:succeeded'], describeJobs(world.jobs()));
  assert.deepEqual(triggers(world.jobs(daily.id)), ['manual:succeeded'], `Daily was backed up after its last fire: ${describeJobs(world.jobs())}`);
});

test('start-up arms the settle timer from the settings; then each enabled overdue schedule gets ONE catch-up job, however many windows it missed', async (t) => {
  const world = await makeWorld(t, at('2026-06-10T12:00:00Z'));
  const hourly = await world.addSchedule('Hourly', '0 * * * *');
  const fresh = await world.addSchedule('Fresh', '0 3 * * *');
  const off = await world.addSchedule('Off', '0 * * * *', { enabled: false });
  const upToDate = await world.addSchedule('UpToDate', '0 0 1 1 *');
  world.settings({ settleSeconds: 90 });
  await world.backUp('Hourly');
  world.clock.jump(3 * 24 * hour); // three days (72 hourly windows) later
  await world.backUp('UpToDate');
  const before = world.jobs().length;

  world.start();
  assert.ok(world.log.some((line) => /catch-up armed by start-up/.test(line)), world.log.join('\n'));
  await world.advance(90 * second - 1);
  assert.equal(world.jobs().length, before, `nothing runs before the 90 s settle delay: ${describeJobs(world.jobs())}`);
  await world.advance(1);

  assert.deepEqual(triggers(world.jobs(hourly.id)), ['manual:succeeded', 'catch-up:succeeded'], `one catch-up for 72 missed windows: ${describeJobs(world.jobs())}`);
  assert.deepEqual(triggers(world.jobs(fresh.id)), ['catch-up:succeeded'], 'never backed up: caught up');
  assert.deepEqual(triggers(world.jobs(off.id)), [], 'a disabled schedule gets no catch-up');
  assert.deepEqual(triggers(world.jobs(upToDate.id)), ['manual:succeeded'], 'a schedule not overdue gets no catch-up');
  const catchUps = world.jobs().filter((job) => job.trigger === 'catch-up');
  assert.ok(catchUps.every((job) => job.queued_at === at('2026-06-13T12:01:30Z')), describeJobs(catchUps));

  // Later catch-ups find nothing overdue any more.
  world.scheduler.armCatchUp('a test');
  await world.advance(90 * second);
  assert.equal(world.jobs().filter((job) => job.trigger === 'catch-up').length, 2, describeJobs(world.jobs()));
});

test('a flapping laptop (armCatchUp 5 times, 10 s apart) gets exactly one catch-up round', async (t) => {
  const world = await makeWorld(t, at('2026-06-10T12:00:00Z'));
  world.settings({ settleSeconds: 60 });
  const good = await world.addSchedule('Good', '0 3 * * *');
  // A schedule whose source is gone stays overdue after each attempt, so a second round would show.
  const gone = await world.addSchedule('Gone', '0 3 * * *');
  rmSync(join(world.root, 'sources', 'Gone'), { recursive: true });

  world.start();
  for (let i = 1; i <= 4; i += 1) {
    await world.advance(10 * second);
    world.scheduler.armCatchUp(`resume ${i}`);
  }
  await world.advance(10 * second);
  world.scheduler.armCatchUp('unlock');
  assert.equal(world.jobs().length, 0, 'no catch-up while the laptop keeps waking');
  await world.advance(60 * second - 1);
  assert.equal(world.jobs().length, 0, `nothing before 60 s after the last wake: ${describeJobs(world.jobs())}`);
  await world.advance(1);
  await world.advance(3 * minute); // well past every earlier arm's 60 s, short of the first retry
  assert.deepEqual(triggers(world.jobs(good.id)), ['catch-up:succeeded'], describeJobs(world.jobs()));
  assert.deepEqual(triggers(world.jobs(gone.id)), ['catch-up:failed'], describeJobs(world.jobs()));
  assert.equal(world.log.filter((line) => line.includes('catch-up armed')).length, 6, world.log.join('\n'));
});

test('a cron timer firing late after a sleep adds no scheduled job on top of the catch-up', async (t) => {
  const world = await makeWorld(t, at('2026-06-10T23:00:00Z'));
  world.settings({ settleSeconds: 60 });
  const daily = await world.addSchedule('Daily', '0 3 * * *');
  await world.backUp('Daily');
  world.start();
  await world.advance(60 * second);
  assert.deepEqual(world.clock.pending().map((timer) => timer.dueAt), [at('2026-06-11T03:00:00Z')], world.clock.describe());

  // The laptop sleeps from 23:01 to 07:00; on waking the 03:00 timer fires, four hours late.
  world.clock.set(at('2026-06-11T07:00:00Z'));
  await world.runDue();
  assert.deepEqual(triggers(world.jobs(daily.id)), ['manual:succeeded'], `the late timer itself runs nothing: ${describeJobs(world.jobs())}`);
  assert.ok(world.log.some((line) => line.includes('catch-up armed by a late timer')), world.log.join('\n'));
  await world.advance(60 * second);
  assert.deepEqual(triggers(world.jobs(daily.id)), ['manual:succeeded', 'catch-up:succeeded'], `one job for the missed 03:00: ${describeJobs(world.jobs())}`);

  // The schedule goes on as usual: the next night's 03:00 runs once, on time.
  await world.advanceTo(at('2026-06-12T04:00:00Z'));
  assert.deepEqual(triggers(world.jobs(daily.id)), ['manual:succeeded', 'catch-up:succeeded', 'scheduled:succeeded'], describeJobs(world.jobs()));
  assert.equal(world.jobs(daily.id)[2]?.queued_at, at('2026-06-12T03:00:00Z'));
});

test('a cron timer less than a minute late still runs the scheduled job', async (t) => {
  const world = await makeWorld(t, at('2026-06-10T23:00:00Z'));
  world.settings({ settleSeconds: 60 });
  const daily = await world.addSchedule('Daily', '0 3 * * *');
  await world.backUp('Daily');
  world.start();
  await world.advance(60 * second);
  world.clock.set(at('2026-06-11T03:00:45Z'));
  await world.runDue();
  await world.advance(2 * minute);
  assert.deepEqual(triggers(world.jobs(daily.id)), ['manual:succeeded', 'scheduled:succeeded'], describeJobs(world.jobs()));
});

test('destination unavailable: the catch-up job is skipped, the schedule stays overdue, and it runs within a minute of the drive coming back', async (t) => {
  const world = await makeWorld(t, at('2026-06-10T12:00:00Z'));
  world.settings({ settleSeconds: 60 });
  const daily = await world.addSchedule('Daily', '0 3 * * *');
  const marker = join(world.dest, markerFileName);
  renameSync(marker, `${marker}.away`); // the drive is unplugged: its folder is an empty mount point

  world.start();
  await world.advance(60 * second);
  let jobs = world.jobs(daily.id);
  assert.deepEqual(triggers(jobs), ['catch-up:skipped'], describeJobs(jobs));
  assert.equal(jobs[0]?.error_code, 'DESTINATION_UNAVAILABLE');
  assert.equal((await world.engine.handle('schedules:list', {}))[0]?.overdue, true, 'still overdue');

  await world.advance(3 * minute);
  jobs = world.jobs(daily.id);
  assert.deepEqual(triggers(jobs), ['catch-up:skipped'], `no job while the drive is still away: ${describeJobs(jobs)}`);

  renameSync(`${marker}.away`, marker);
  const back = world.clock.now();
  await world.advance(60 * second);
  jobs = world.jobs(daily.id);
  assert.deepEqual(triggers(jobs), ['catch-up:skipped', 'catch-up:succeeded'], `caught up within a minute of the drive coming back: ${describeJobs(jobs)}`);
  assert.ok((jobs[1]?.queued_at as number) <= back + 60 * second);
  assert.equal((await world.engine.handle('schedules:list', {}))[0]?.overdue, false);
  await world.advance(5 * minute);
  assert.equal(world.jobs(daily.id).length, 2, `nothing more once caught up: ${describeJobs(world.jobs())}`);
});

test('a failed catch-up is retried after 5 min, 30 min, 2 h, then every 2 h, until it succeeds; then no more retries', async (t) => {
  const world = await makeWorld(t, at('2026-06-10T12:00:00Z'));
  world.settings({ settleSeconds: 60 });
  const yearly = await world.addSchedule('Yearly', '0 0 1 1 *');
  const source = join(world.root, 'sources', 'Yearly');
  rmSync(source, { recursive: true });

  world.start();
  await world.advance(60 * second);
  const first = world.jobs(yearly.id)[0];
  assert.equal(first?.trigger, 'catch-up');
  assert.equal(first?.status, 'failed');
  assert.equal(first?.error_code, 'SOURCE_MISSING');

  const delays = [5 * minute, 30 * minute, 2 * hour, 2 * hour];
  let failedAt = first?.finished_at as number;
  for (const [index, delay] of delays.entries()) {
    const count = world.jobs(yearly.id).length;
    await world.advanceTo(failedAt + delay - 1);
    assert.equal(world.jobs(yearly.id).length, count, `retry ${index + 1} not before ${delay / minute} min: ${describeJobs(world.jobs())}`);
    await world.advance(1);
    const jobs = world.jobs(yearly.id);
    assert.equal(jobs.length, count + 1, `retry ${index + 1} after exactly ${delay / minute} min: ${describeJobs(jobs)}`);
    const retry = jobs.at(-1) as JobRow;
    assert.equal(retry.trigger, 'retry');
    assert.equal(retry.queued_at - failedAt, delay);
    assert.equal(retry.status, 'failed');
    assert.equal(retry.error_code, 'SOURCE_MISSING');
    failedAt = retry.finished_at as number;
  }

  mkdirSync(source, { recursive: true });
  writeFileSync(join(source, 'back.txt'), 'back again\n');
  await world.advanceTo(failedAt + 2 * hour);
  const jobs = world.jobs(yearly.id);
  assert.deepEqual(triggers(jobs), ['catch-up:failed', 'retry:failed', 'retry:failed', 'retry:failed', 'retry:failed', 'retry:succeeded'], describeJobs(jobs));
  assert.equal(jobs.at(-1)?.queued_at, failedAt + 2 * hour);

  await world.advance(12 * hour);
  assert.equal(world.jobs(yearly.id).length, 6, `no retry after a success: ${describeJobs(world.jobs())}`);
});

test('a failed scheduled job is retried after 5 min, and the failure count starts again after a success', async (t) => {
  const world = await makeWorld(t, at('2026-06-10T12:00:00Z'));
  world.settings({ settleSeconds: 60 });
  const hourly = await world.addSchedule('Hourly', '0 * * * *');
  await world.backUp('Hourly');
  world.start();
  await world.advance(60 * second);
  const source = join(world.root, 'sources', 'Hourly');
  rmSync(source, { recursive: true });

  await world.advanceTo(at('2026-06-10T13:00:00Z'));
  assert.deepEqual(triggers(world.jobs(hourly.id)), ['manual:succeeded', 'scheduled:failed'], describeJobs(world.jobs()));
  await world.advanceTo(at('2026-06-10T13:05:00Z'));
  assert.deepEqual(triggers(world.jobs(hourly.id)).slice(1), ['scheduled:failed', 'retry:failed'], describeJobs(world.jobs()));
  assert.equal(world.jobs(hourly.id).at(-1)?.queued_at, at('2026-06-10T13:05:00Z'));

  mkdirSync(source);
  writeFileSync(join(source, 'again.txt'), 'again\n');
  await world.advanceTo(at('2026-06-10T14:30:00Z')); // the second retry, 30 min after the first, succeeds; so does 14:00
  assert.deepEqual(triggers(world.jobs(hourly.id)).slice(1), ['scheduled:failed', 'retry:failed', 'retry:succeeded', 'scheduled:succeeded'], describeJobs(world.jobs()));
  assert.equal(world.jobs(hourly.id)[3]?.queued_at, at('2026-06-10T13:35:00Z'));
  rmSync(source, { recursive: true });
  await world.advanceTo(at('2026-06-10T15:00:00Z'));
  await world.advanceTo(at('2026-06-10T15:05:00Z'));
  const jobs = world.jobs(hourly.id);
  assert.deepEqual(triggers(jobs).slice(5), ['scheduled:failed', 'retry:failed'], `after a success the back-off starts again at 5 min: ${describeJobs(jobs)}`);
  assert.equal(jobs.at(-1)?.queued_at, at('2026-06-10T15:05:00Z'));
});

test('a failed manual job is not retried', async (t) => {
  const world = await makeWorld(t, at('2026-06-10T12:00:00Z'));
  world.settings({ settleSeconds: 60 });
  const yearly = await world.addSchedule('Yearly', '0 0 1 1 *');
  await world.backUp('Yearly');
  world.start();
  await world.advance(60 * second);
  rmSync(join(world.root, 'sources', 'Yearly'), { recursive: true });

  const viaEngine = await world.backUpNow('Yearly'); // `dormouse run`
  assert.equal(viaEngine.status, 'failed');
  world.scheduler.backUpNow(yearly.id); // the app's Back Up Now
  await world.idle();
  assert.deepEqual(triggers(world.jobs(yearly.id)), ['manual:succeeded', 'manual:failed', 'manual:failed'], describeJobs(world.jobs()));
  assert.equal(world.clock.pending().length, 1, `only the cron timer, no retry: ${world.clock.describe()}`);
  await world.advance(5 * hour);
  assert.equal(world.jobs(yearly.id).length, 3, `no retry: ${describeJobs(world.jobs())}`);
});

test('on battery with "skip on battery", a catch-up job waits queued (saying why) and starts when the laptop is on AC', async (t) => {
  const world = await makeWorld(t, at('2026-06-10T12:00:00Z'));
  world.settings({ settleSeconds: 60, skipOnBattery: true });
  world.power.battery = true;
  world.power.percent = 80;
  const daily = await world.addSchedule('Daily', '0 3 * * *');

  world.start();
  await world.advance(60 * second);
  let jobs = world.jobs(daily.id);
  assert.deepEqual(triggers(jobs), ['catch-up:queued'], describeJobs(jobs));
  assert.match(jobs[0]?.waiting_reason ?? '', /AC power/, 'the jobs table says why it waits');
  const status = await world.engine.handle('status:get', {});
  assert.match(status.running[0]?.waitingReason ?? '', /AC power/, 'status shows why it waits');

  // Another wake while it waits: the queued job is the schedule's active job, so no second one.
  world.scheduler.armCatchUp('resume');
  await world.advance(5 * minute);
  assert.deepEqual(triggers(world.jobs(daily.id)), ['catch-up:queued'], describeJobs(world.jobs()));

  world.power.battery = false;
  world.scheduler.powerChanged();
  await world.idle();
  jobs = world.jobs(daily.id);
  assert.deepEqual(triggers(jobs), ['catch-up:succeeded'], describeJobs(jobs));
  assert.equal(jobs[0]?.waiting_reason, null, 'the reason is cleared once it starts');
});

test('below minBatteryPercent a catch-up job waits queued; above it (still on battery) it runs; a manual backup ignores the limit', async (t) => {
  const world = await makeWorld(t, at('2026-06-10T12:00:00Z'));
  world.settings({ settleSeconds: 60, skipOnBattery: false, minBatteryPercent: 30 });
  world.power.battery = true;
  world.power.percent = 20;
  const daily = await world.addSchedule('Daily', '0 3 * * *');
  const other = await world.addSchedule('Other', '0 3 * * *');
  await world.backUp('Other');

  world.start();
  await world.advance(60 * second);
  let jobs = world.jobs(daily.id);
  assert.deepEqual(triggers(jobs), ['catch-up:queued'], describeJobs(jobs));
  assert.match(jobs[0]?.waiting_reason ?? '', /20%/, `the reason names the battery level: ${jobs[0]?.waiting_reason}`);

  world.scheduler.backUpNow(other.id);
  await world.idle();
  assert.deepEqual(triggers(world.jobs(other.id)), ['manual:succeeded', 'manual:succeeded'], `Back Up Now runs on a low battery: ${describeJobs(world.jobs())}`);
  assert.deepEqual(triggers(world.jobs(daily.id)), ['catch-up:queued'], describeJobs(world.jobs()));

  world.power.percent = 60;
  world.scheduler.powerChanged();
  await world.idle();
  jobs = world.jobs(daily.id);
  assert.deepEqual(triggers(jobs), ['catch-up:succeeded'], describeJobs(jobs));
});

test('while backups are paused no scheduled job starts (Back Up Now still does); the pause\'s end arms one catch-up', async (t) => {
  const world = await makeWorld(t, at('2026-06-10T12:00:00Z'));
  world.settings({ settleSeconds: 60 });
  const hourly = await world.addSchedule('Hourly', '0 * * * *');
  await world.backUp('Hourly');
  world.start();
  await world.advance(60 * second);

  world.settings({ pausedUntil: at('2026-06-10T14:30:00Z') });
  world.scheduler.recompute(); // as the hosts do after a settings change
  assert.equal(world.scheduler.isPaused(), true);
  await world.advanceTo(at('2026-06-10T13:30:00Z'));
  world.scheduler.backUpNow(hourly.id);
  await world.idle();
  await world.advanceTo(at('2026-06-10T14:30:00Z') - 1);
  assert.deepEqual(triggers(world.jobs(hourly.id)), ['manual:succeeded', 'manual:succeeded'], `the 13:00 and 14:00 fires ran nothing: ${describeJobs(world.jobs())}`);

  await world.advanceTo(at('2026-06-10T14:32:00Z'));
  assert.ok(world.log.some((line) => line.includes('catch-up armed by the end of a pause')), world.log.join('\n'));
  const jobs = world.jobs(hourly.id);
  assert.deepEqual(triggers(jobs), ['manual:succeeded', 'manual:succeeded', 'catch-up:succeeded'], describeJobs(jobs));
  assert.equal(jobs[2]?.queued_at, at('2026-06-10T14:31:00Z'), 'caught up one settle delay after the pause ended');
  await world.advanceTo(at('2026-06-10T15:00:30Z'));
  assert.deepEqual(triggers(world.jobs(hourly.id)).slice(3), ['scheduled:succeeded'], 'the 15:00 fire runs as usual');
});
