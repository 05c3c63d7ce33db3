// First run, as a new user meets it in a browser (`npm start` without the tray app): the window opens
// on the setup, offers the home folder's common folders, takes a destination folder typed in, says
// the chosen preset's next runs in words, and starts the first backup with its progress in view,
// to a real archive on the drive.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobView, ScheduleView } from '../../shared/types';
import { hasChromium, openWindow } from '../helpers/browser';
import { apiValue, eventually, screenshotFolder, startUiDaemon, temporaryRoot } from './ui-daemon';

const skip = hasChromium() ? false : 'Debian chromium is not installed (apt-get install -y chromium); .ci/run installs it';

test('first run: the setup, from choosing folders to a first successful backup', { skip }, async (t) => {
  const root = temporaryRoot(t, 'dormouse-first-run-');
  const home = join(root, 'home');
  const documents = join(home, 'Documents');
  const pictures = join(home, 'Pictures');
  const drive = join(root, 'drive');
  for (const folder of [documents, pictures, join(home, 'Downloads'), drive]) mkdirSync(folder, { recursive: true });
  writeFileSync(join(documents, 'letter.txt'), 'Dear Dormouse,\n');
  writeFileSync(join(pictures, 'cat.jpg'), Buffer.alloc(300_000, 7));
  // A file in the home folder but outside the folders chosen: it must not be in the archive.
  writeFileSync(join(home, 'Downloads', 'installer.iso'), 'not chosen');
  const daemon = await startUiDaemon(t, join(root, 'data'), ['--settle-seconds', '3600'], { HOME: home });
  const { page, problems } = await openWindow(t, daemon.url, 15_000);
  const setup = page.getByRole('form', { name: 'Set up your backups' });

  await t.test('with no destination and no schedule the window opens on the setup, offering the common folders of the home folder', async () => {
    await page.getByRole('heading', { level: 2, name: 'Set up your backups' }).waitFor();
    // The common folders are looked for off the event loop: they come a moment after the form.
    await setup.getByRole('checkbox', { name: join(home, 'Downloads') }).waitFor();
    const offered = await setup.getByRole('checkbox').evaluateAll((boxes) => boxes.map((box) => box.parentElement?.textContent?.trim()));
    assert.deepEqual(offered, [documents, pictures, join(home, 'Downloads')]);
  });

  await t.test('choose Documents, type Pictures in, type the drive, pick "Every day" at 09:00: the next runs are said in words', async () => {
    await setup.getByRole('checkbox', { name: documents }).check();
    await setup.getByRole('textbox', { name: 'Another folder' }).fill(pictures);
    await setup.getByRole('button', { name: 'Add', exact: true }).click();
    await setup.getByRole('textbox', { name: 'Folder', exact: true }).fill(drive);
    await setup.getByRole('radio', { name: 'Every day' }).check();
    await setup.getByLabel('At', { exact: true }).fill('09:00');
    const words = setup.getByText(/^Every day at 09:00\. Next runs: /);
    await words.waitFor();
    assert.match((await words.textContent()) ?? '', /^Every day at 09:00\. Next runs: (today|tomorrow) at 09:00, (tomorrow|\w{3} \d{1,2} \w{3}) at 09:00, \w{3} \d{1,2} \w{3} at 09:00\.$/);
    await setup.getByRole('radio', { name: 'Every hour' }).check();
    await setup.getByText(/^Every hour\. Next runs: (today|tomorrow) at \d\d:00, /).waitFor();
    await setup.getByRole('radio', { name: 'Every day' }).check();
    await setup.getByLabel('At', { exact: true }).fill('09:00');
    await page.screenshot({ path: join(screenshotFolder(), 'first-run-setup.png'), fullPage: true });
  });

  await t.test('Start the first backup: its progress shows, it ends done, and the archive on the drive holds the chosen folders', async () => {
    await setup.getByRole('button', { name: 'Start the first backup' }).click();
    await page.getByRole('status').filter({ hasText: /Backing up…|Your first backup is done/ }).first().waitFor();
    await page.getByText('Your first backup is done:').waitFor({ timeout: 30_000 });
    const [schedule] = await apiValue<ScheduleView[]>(daemon, 'schedules:list');
    assert.equal(schedule?.cron, '0 9 * * *');
    assert.equal(schedule?.destination, 'Backup drive');
    assert.deepEqual(schedule?.sources, [documents, pictures]);
    const job = await eventually(async () => (await apiValue<JobView[]>(daemon, 'jobs:list', {})).find((each) => each.status === 'succeeded'), 5_000, 'the job');
    assert.equal(job.files, 2);
    assert.equal(((await page.getByRole('status').textContent()) ?? '').replace(/\s+/g, ' ').trim(), 'Your first backup is done: 2 files, 300 kB.Go to the overview');
    const listing = spawnSync('tar', ['-tf', job.archivePath as string], { encoding: 'utf8' });
    const names = listing.stdout.split('\n').filter((name) => !name.endsWith('/') && name !== '' && !name.startsWith('.dormouse/'));
    assert.deepEqual(names.sort(), [join(documents, 'letter.txt').slice(1), join(pictures, 'cat.jpg').slice(1)]);
    assert.ok(readdirSync(drive).includes('.dormouse-destination.json'));
    await page.screenshot({ path: join(screenshotFolder(), 'first-run-done.png'), fullPage: true });
  });

  await t.test('"Go to the overview" shows the schedule up to date', async () => {
    await page.getByRole('button', { name: 'Go to the overview' }).click();
    const card = page.getByRole('article', { name: 'My files' });
    await card.waitFor();
    assert.equal(await card.locator('.chip').textContent(), 'Up to date');
  });

  assert.deepEqual(problems, []);
});
