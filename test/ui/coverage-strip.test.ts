// The overview's coverage strips in Debian's Chromium, over a week of history made the real way:
// a scheduler on a manual clock running real backups, the laptop asleep, the drive unplugged (its
// marker moved away) and the source folder removed; then `dormouse daemon --ui` on that catalog.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobView } from '../../shared/types';
import { Engine } from '../../src-main/engine/engine';
import { markerFileName } from '../../src-main/destinations/destination-marker';
import { forkWorkerLauncher } from '../../src-main/jobs/worker-launcher';
import { Scheduler } from '../../src-main/scheduler/scheduler';
import { readSettings, writeSettings } from '../../src-main/store/settings-store';
import { hasChromium, openWindow } from '../helpers/browser';
import { repoRoot } from '../helpers/cli';
import { ManualClock } from '../helpers/manual-clock';
import { workerScript } from '../scheduler/world';
import { apiValue, screenshotFolder, startUiDaemon, temporaryRoot } from './ui-daemon';

// The daemon and Chromium inherit this: every local time below is UTC.
process.env.TZ = 'UTC';

const skip = hasChromium() ? false : 'Debian chromium is not installed (apt-get install -y chromium); .ci/run installs it';
const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Mon 1 Jun 06:00" for a UTC instant, written out here rather than by the code under test. */
function utcWords(instant: number, withTime = true): string {
  const date = new Date(instant);
  const time = `${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`;
  return `${weekdays[date.getUTCDay()]} ${date.getUTCDate()} ${months[date.getUTCMonth()]}${withTime ? ` ${time}` : ''}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Makes the history on the catalog in `data`: a schedule run at minute `m` of 00:00 and 12:00 UTC
 * (14 runs in the last 7 days, S[0]..S[13]), where S[0..3] run on time, the laptop sleeps through
 * S[4] and S[5] and catches up after the wake, S[6..8] run on time, S[9] finds the drive unplugged
 * and is caught up when it is connected, S[10] runs on time, S[11] finds the drive gone, S[12]
 * fails (the source folder removed), and S[13] is slept through. Then "Often", every 5 minutes
 * since 15 hours ago, backed up once at `often` (2 minutes after a slot, 10 hours ago).
 */
async function makeHistory(root: string, now: number) {
  const data = join(root, 'data');
  const drive = join(root, 'drive');
  const documents = join(root, 'Documents');
  const often = join(root, 'Often');
  for (const folder of [drive, documents, often]) mkdirSync(folder);
  writeFileSync(join(documents, 'notes.txt'), 'the spare key is under the third flowerpot\n');
  writeFileSync(join(often, 'todo.txt'), 'water the plants\n');
  // A minute 30 past the current one: no run of the schedule falls in the next half hour, while the test runs.
  const m = (new Date(now).getUTCMinutes() + 30) % 60;
  const slots: number[] = [];
  for (let instant = Math.floor((now - 7 * day) / hour) * hour + m * minute; instant <= now; instant += hour) {
    if (instant > now - 7 * day && new Date(instant).getUTCHours() % 12 === 0) slots.push(instant);
  }
  assert.equal(slots.length, 14, 'two runs a day for a week');
  const S = (index: number) => slots[index] as number;

  const clock = new ManualClock(S(0) - 30 * minute);
  const engine = Engine.forDataDir(data, { launchWorker: forkWorkerLauncher(workerScript), now: () => clock.now() });
  const scheduler = new Scheduler({ db: () => engine.db, runner: engine.jobs, settings: () => readSettings(engine.db), timers: clock });
  const idle = async () => {
    let quiet = 0;
    while (quiet < 2) {
      await sleep(quiet === 0 ? 15 : 5);
      await scheduler.settled();
      quiet = engine.jobs.runningJobIds().length === 0 ? quiet + 1 : 0;
    }
  };
  const advanceTo = (instant: number) => clock.advanceTo(instant, idle);
  const marker = join(drive, markerFileName);
  try {
    await engine.handle('destinations:add', { name: 'usb', path: drive });
    await engine.handle('schedules:add', { name: 'Documents', sources: [documents], destination: 'usb', cron: `${m} 0,12 * * *` });
    writeSettings(engine.db, { settleSeconds: 60 }, clock.now());
    scheduler.start();
    await advanceTo(S(3) + minute);
    clock.jump(S(5) + 3 * hour - clock.now()); // asleep through S[4] and S[5]
    scheduler.armCatchUp('resume from sleep', 'wake');
    await clock.runDue(idle);
    await advanceTo(clock.now() + 61_000);
    await advanceTo(S(9) - minute);
    renameSync(marker, `${marker}.away`); // unplugged: S[9] is skipped
    await advanceTo(S(9) + 30 * minute);
    renameSync(`${marker}.away`, marker); // connected again: caught up at the next look, a minute on
    await advanceTo(S(10) + minute);
    renameSync(marker, `${marker}.away`); // unplugged again: S[11] is skipped
    await advanceTo(S(11) + minute);
    clock.jump(S(12) - clock.now()); // asleep until S[12]
    renameSync(`${marker}.away`, marker);
    rmSync(documents, { recursive: true }); // S[12]'s backups fail: the source folder is gone
    await clock.runDue(idle);
    scheduler.stop();

    const oftenStart = Math.floor((now - 15 * hour) / hour) * hour;
    clock.set(oftenStart);
    await engine.handle('schedules:add', { name: 'Often', sources: [often], destination: 'usb', cron: '*/5 * * * *' });
    const backedUpAt = Math.floor((now - 10 * hour) / hour) * hour + 32 * minute;
    clock.set(backedUpAt);
    const oftenJob = await engine.handle('jobs:run', { name: 'Often' });
    assert.equal(oftenJob.status, 'succeeded', JSON.stringify(oftenJob.error));
    return { data, slots, catchUpAt: S(5) + 3 * hour + minute, driveBackAt: S(9) + 31 * minute, oftenJob: oftenJob.id, oftenBackedUpAt: backedUpAt, oftenStart };
  } finally {
    scheduler.stop();
    engine.close();
  }
}

test('coverage strips: on-time, caught-up, skipped, failed and missed runs read by name and description; hover, keyboard and click; 30 days; aggregated hours; axe in light and dark', { skip }, async (t) => {
  const root = temporaryRoot(t, 'dormouse-coverage-ui-');
  const history = await makeHistory(root, Date.now());
  const daemon = await startUiDaemon(t, history.data, ['--settle-seconds', '3600']);
  const jobs = await apiValue<JobView[]>(daemon, 'jobs:list', { limit: 1000 });
  const { page, problems } = await openWindow(t, daemon.url, 15_000);
  const strip = page.getByRole('img', { name: 'Backup coverage for Documents' });
  await strip.waitFor();
  const cells = strip.locator('.coverage-cell');
  const titles = () => cells.evaluateAll((spans) => spans.map((span) => span.getAttribute('title') ?? ''));

  const startedAt = (instant: number) => jobs.find((job) => job.startedAt !== null && Date.parse(job.startedAt) === instant && job.status === 'succeeded');
  const wakeJob = startedAt(history.catchUpAt);
  const driveJob = startedAt(history.driveBackAt);
  assert.ok(wakeJob && driveJob, `the catch-ups ran: ${JSON.stringify(jobs.map((job) => [job.id, job.trigger, job.status, job.startedAt]))}`);

  await t.test('one strip per schedule, each one img named for its schedule, with a cell per run: each title starts with its local time and its status word', async () => {
    await page.getByRole('img', { name: 'Backup coverage for Often' }).waitFor();
    assert.equal(await page.getByRole('img', { name: /^Backup coverage for / }).count(), 2);
    const expected = ['on-time', 'on-time', 'on-time', 'on-time', 'caught-up', 'caught-up', 'on-time', 'on-time', 'on-time', 'caught-up', 'on-time', 'skipped', 'failed', 'missed'];
    const read = await titles();
    assert.equal(read.length, 14, read.join('\n'));
    read.forEach((title, index) => assert.ok(title.startsWith(`${utcWords(history.slots[index] as number)} ${expected[index]}:`), `cell ${index}: ${title}`));
    assert.match(read[4] as string, new RegExp(`^.* caught-up: backed up by job ${wakeJob?.id}, 15 h 1 min late, started after a wake from sleep$`));
    assert.match(read[5] as string, new RegExp(`^.* caught-up: backed up by job ${wakeJob?.id}, 3 h 1 min late, started after a wake from sleep$`));
    assert.match(read[9] as string, new RegExp(`^.* caught-up: backed up by job ${driveJob?.id}, 31 min late, started when the drive was connected$`));
    assert.match(read[11] as string, /skipped: job \d+ found the destination missing, started on schedule; not backed up yet$/);
    assert.match(read[12] as string, /failed: job \d+ did not finish, started (on schedule|when the drive was connected); not backed up yet$/);
    assert.match(read[13] as string, /missed: not backed up yet$/);
    const description = await page.evaluate<string>(
      `(() => { const strip = document.querySelector('[aria-label="Backup coverage for Documents"]'); return strip.getAttribute('aria-describedby').split(' ').map((id) => document.getElementById(id).textContent).join(' '); })()`,
    );
    assert.match(description, /^Last 7 days, 14 expected runs: 8 on time, 3 caught up, 1 skipped, 1 failed, 1 missed\./);
    await page.screenshot({ path: join(screenshotFolder(), 'coverage-overview-light.png'), fullPage: true });
  });

  await t.test('hovering a cell says its time, status and job', async () => {
    await cells.nth(5).hover();
    await page.getByText(`${utcWords(history.slots[5] as number)} caught-up: backed up by job ${wakeJob?.id}, 3 h 1 min late, started after a wake from sleep`, { exact: true }).waitFor();
  });

  await t.test('the keyboard reaches the strip from the 30-day switch, shows its focus, and the arrow keys read each run', async () => {
    await page.getByRole('switch', { name: 'Show 30 days' }).focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate<string | null>('document.activeElement.getAttribute("aria-label")'), 'Backup coverage for Documents', 'Tab from the switch lands on the first strip');
    assert.notEqual(await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle'), 'none', 'the focused strip shows a ring');
    assert.equal(await strip.locator('.coverage-current').count(), 1, 'and one cell is marked as the current one');
    const detail = page.locator('.coverage-detail').first();
    await page.mouse.move(0, 0);
    assert.equal(await detail.textContent(), `${utcWords(history.slots[13] as number)} missed: not backed up yet`);
    await page.keyboard.press('ArrowLeft');
    assert.match((await detail.textContent()) ?? '', new RegExp(`^${utcWords(history.slots[12] as number)} failed: `));
    await page.keyboard.press('Home');
    assert.match((await detail.textContent()) ?? '', new RegExp(`^${utcWords(history.slots[0] as number)} on-time: backed up by job \\d+, started on schedule$`));
  });

  await t.test('clicking a caught-up run opens the backup that caught it up', async () => {
    await cells.nth(4).click();
    await page.getByRole('complementary', { name: `Job ${wakeJob?.id}` }).waitFor();
    await page.getByRole('button', { name: 'Overview' }).click();
    await strip.waitFor();
  });

  await t.test('Often, every 5 minutes: its runs fold into hours, the hour of the backup as bad as its missed runs, and says how many of each', async () => {
    const often = page.getByRole('img', { name: 'Backup coverage for Often' });
    await often.locator('.coverage-cell').first().waitFor();
    const hours = await often.locator('.coverage-cell').evaluateAll((spans) => spans.map((span) => [span.getAttribute('data-status'), span.getAttribute('title') ?? '']));
    const startHour = history.oftenStart + hour;
    const backupHour = history.oftenBackedUpAt - 32 * minute;
    const index = hours.findIndex(([, title]) => title.startsWith(`${utcWords(backupHour)}–`));
    assert.ok(index > 0, JSON.stringify(hours));
    const next = utcWords(backupHour + hour).slice(-5);
    assert.equal(hours[index]?.[1], `${utcWords(backupHour)}–${next} missed: 12 expected runs, 1 on time, 6 caught up, 5 missed; open job ${history.oftenJob}`);
    assert.ok(hours.slice(0, index).every(([status]) => status === 'caught-up'), 'every hour before the backup was caught up by it');
    assert.ok(hours.slice(index + 1).every(([status]) => status === 'missed'), 'every hour after it is missed');
    assert.ok((hours[0]?.[1] ?? '').startsWith(`${utcWords(startHour - hour)}–`) || (hours[0]?.[1] ?? '').startsWith(`${utcWords(startHour)}–`), `the first hour: ${hours[0]?.[1]}`);
    await page.getByText(/Each mark is an hour, as bad as its worst run\./).waitFor();
  });

  await t.test('the switch shows 30 days: the same runs, the schedule being younger than a week', async () => {
    await page.getByRole('switch', { name: 'Show 30 days' }).check();
    await page.getByText(/^Last 30 days, 14 expected runs: 8 on time, 3 caught up, 1 skipped, 1 failed, 1 missed\./).waitFor();
    assert.equal((await titles()).length, 14);
    await page.getByRole('switch', { name: 'Show 30 days' }).uncheck();
    await page.getByText(/^Last 7 days, 14 expected runs/).waitFor();
  });

  await t.test('axe-core finds no serious or critical violation on the overview, in light and dark', async () => {
    // Through the DevTools protocol: the window's Content-Security-Policy rightly refuses an injected <script>.
    await page.evaluate(readFileSync(join(repoRoot, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8'));
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const violations = await page.evaluate<{ id: string; impact: string | null; targets: unknown[] }[]>(
        `axe.run(document).then((result) => result.violations.map((violation) => ({ id: violation.id, impact: violation.impact, targets: violation.nodes.map((node) => node.target) })))`,
      );
      const bad = violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
      assert.deepEqual(bad, [], `${scheme}: ${JSON.stringify(bad)}`);
      await page.screenshot({ path: join(screenshotFolder(), `coverage-overview-${scheme}.png`), fullPage: true });
    }
  });

  assert.deepEqual(problems, []);
});
