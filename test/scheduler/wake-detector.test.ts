import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clockJumpMs, wakeCheckMs, WakeDetector } from '../../src-main/scheduler/wake-detector';
import { ManualClock } from '../helpers/manual-clock';

/** A detector on a manual wall clock and a monotonic clock the test moves by hand. */
function detector(options: { zone?: string } = {}) {
  const clock = new ManualClock(Date.parse('2026-06-10T12:00:00Z'));
  let monotonic = 5_000;
  let zone = options.zone ?? 'Europe/Berlin -120';
  const events: string[] = [];
  let ticks = 0;
  const wake = new WakeDetector({
    timers: clock,
    monotonicNow: () => monotonic,
    zone: () => zone,
    onWake: (reason) => events.push(`wake: ${reason}`),
    onClockChange: (reason) => events.push(`clock: ${reason}`),
    onTick: () => {
      ticks += 1;
    },
  });
  wake.start();
  return {
    clock,
    wake,
    events,
    ticks: () => ticks,
    /**
     * One check interval passes on both clocks, plus the given extras, and the check runs: its timer
     * fires after the interval (Node's timers follow the process's clock, not the wall clock).
     */
    interval(extra: { wall?: number; monotonic?: number } = {}) {
      const timer = clock.pending()[0];
      assert.ok(timer, `a check is armed: ${clock.describe()}`);
      assert.equal(timer.delay, wakeCheckMs);
      monotonic += wakeCheckMs + (extra.monotonic ?? 0);
      clock.jump(wakeCheckMs + (extra.wall ?? 0));
      clock.fire(timer.id);
    },
    setZone(next: string) {
      zone = next;
    },
  };
}

test('normal ticks report nothing, and the check re-arms every 10 s', () => {
  const d = detector();
  for (let i = 0; i < 6; i += 1) d.interval();
  d.interval({ wall: 20_000, monotonic: 0 }); // 20 s of drift: under the 30 s threshold
  d.interval({ wall: 0, monotonic: 15_000 }); // a check 15 s late: under it too
  assert.deepEqual(d.events, []);
  assert.equal(d.ticks(), 8);
  assert.equal(d.clock.pending().length, 1, d.clock.describe());
});

test('the wall clock jumping ahead more than 30 s of the process clock is a wake', () => {
  const d = detector();
  d.interval({ wall: clockJumpMs });
  assert.deepEqual(d.events, [], 'exactly 30 s is not yet a wake');
  d.interval({ wall: 3_600_000 });
  assert.equal(d.events.length, 1, d.events.join('\n'));
  assert.match(d.events[0] ?? '', /^wake: .*3600 s/);
  d.interval();
  assert.equal(d.events.length, 1, 'one wake, not one per later tick');
});

test('the check itself running far late (monotonic gap > interval + 30 s) is a wake (a frozen or stalled process)', () => {
  const d = detector();
  d.interval({ wall: 45_000, monotonic: 45_000 });
  assert.equal(d.events.length, 1, d.events.join('\n'));
  assert.match(d.events[0] ?? '', /^wake: .*45 s late/);
});

test('a wall clock set back is a clock change, not a wake', () => {
  const d = detector();
  d.interval({ wall: -120_000 });
  assert.equal(d.events.length, 1, d.events.join('\n'));
  assert.match(d.events[0] ?? '', /^clock: .*set back 120 s/);
});

test('a new time zone is a clock change', () => {
  const d = detector();
  d.setZone('America/New_York 240');
  d.interval();
  assert.deepEqual(d.events, ['clock: the time zone changed to America/New_York']);
  d.interval();
  assert.equal(d.events.length, 1, 'reported once');
});

test('stop() leaves no timer armed, and nothing more is reported', async () => {
  const d = detector();
  d.interval();
  d.wake.stop();
  assert.equal(d.clock.pending().length, 0, d.clock.describe());
  d.clock.jump(3_600_000);
  await d.clock.runDue();
  assert.deepEqual(d.events, []);
});
