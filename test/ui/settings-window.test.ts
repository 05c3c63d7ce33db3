// The settings window end to end: the real `dormouse daemon --ui`, the built renderer, Debian's
// Chromium at 800×600. A new user's first steps: a destination (by keyboard only), a schedule
// with the frequency presets and a custom cron, Back Up Now with live progress, the history.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { formatBytes } from '../../shared/format';
import { hasChromium, launchChromium } from '../helpers/browser';
import { allocatedFile } from '../helpers/trees';
import { api, apiValue, eventually, screenshotFolder, startUiDaemon, temporaryRoot } from './ui-daemon';
import type { JobView } from '../../shared/types';

const skip = hasChromium() ? false : 'Debian chromium is not installed (apt-get install -y chromium); .ci/run installs it';


/** What the focused element is, in words: its tag, placeholder or label, and text. */
function focused(page: Page): Promise<string> {
  return page.evaluate<string>(`(() => {
    const element = document.activeElement;
    if (!element || element === document.body) return 'body';
    const label = element.closest('label');
    return [element.tagName.toLowerCase(), element.getAttribute('placeholder') || '', label ? label.textContent.trim() : '', element.tagName === 'BUTTON' ? element.textContent.trim() : ''].join('|');
  })()`);
}

/** Presses Tab until the focused element matches, as a keyboard user would; fails after 40 presses. */
async function tabTo(page: Page, wanted: RegExp): Promise<number> {
  const seen: string[] = [];
  for (let presses = 1; presses <= 40; presses += 1) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    seen.push(now);
    if (wanted.test(now)) return presses;
  }
  throw new Error(`Tab never reached ${wanted}; focus went through ${seen.join(' → ')}`);
}

async function overflow(page: Page): Promise<{ scrollWidth: number; clientWidth: number }> {
  return page.evaluate<{ scrollWidth: number; clientWidth: number }>('({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })');
}

/** The colour painted behind the body: its own background, else the root element's (which the canvas takes). */
function effectiveBackground(page: Page): Promise<string> {
  return page.evaluate<string>(`(() => {
    for (const element of [document.body, document.documentElement]) {
      const colour = getComputedStyle(element).backgroundColor;
      if (colour && colour !== 'transparent' && colour !== 'rgba(0, 0, 0, 0)') return colour;
    }
    return 'rgba(0, 0, 0, 0)';
  })()`);
}

function luminance(colour: string): number {
  const [r, g, b] = (colour.match(/[\d.]+/g) ?? []).map(Number).map((value) => value / 255) as [number, number, number];
  const linear = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

test('the settings window served by dormouse daemon --ui, in Debian Chromium at 800×600', { skip }, async (t) => {
  const root = temporaryRoot(t, 'dormouse-settings-window-');
  const usb = join(root, 'usb');
  const documents = join(root, 'Documents');
  mkdirSync(usb);
  mkdirSync(documents);
  writeFileSync(join(documents, 'notes.txt'), 'the spare key is under the third flowerpot\n');
  // Allocated but unwritten: no time to write, but gzip has to read and compress every byte, so the backup takes seconds.
  for (const name of ['disk-a.img', 'disk-b.img']) {
    allocatedFile(join(documents, name), 384 * 1024 * 1024);
  }

  const daemon = await startUiDaemon(t, join(root, 'data'));
  const browser = await launchChromium();
  t.after(() => browser.close());
  const timezoneId = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const context = await browser.newContext({ viewport: { width: 800, height: 600 }, locale: 'en-US', timezoneId, colorScheme: 'light' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    // The event stream is closed on purpose when the page goes away.
    if (!request.url().endsWith('/api/events')) problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`);
  });

  const shots = screenshotFolder();
  const overflows: string[] = [];
  const visited: string[] = [];
  /** Screenshot and overflow check of the window as it is now. */
  const capture = async (sub: { diagnostic: (text: string) => void }, name: string) => {
    const path = join(shots, `settings-window-${name}.png`);
    await page.screenshot({ path });
    sub.diagnostic(`screenshot: ${path}`);
    const { scrollWidth, clientWidth } = await overflow(page);
    visited.push(name);
    if (scrollWidth > clientWidth) overflows.push(`${name}: scrollWidth ${scrollWidth} > clientWidth ${clientWidth}`);
  };
  const nav = (label: string) => page.getByRole('navigation', { name: 'Dormouse' }).getByRole('button', { name: label, exact: true });
  const screenHeading = (label: string) => page.getByRole('heading', { level: 2, name: label, exact: true });

  await t.test('on an empty data folder the window opens on the setup; the Overview tells a new user to add a destination first', async (sub) => {
    await page.goto(daemon.url);
    await screenHeading('Set up your backups').waitFor();
    await nav('Overview').click();
    await screenHeading('Overview').waitFor();
    await page.getByRole('heading', { name: 'Nothing is backed up yet' }).waitFor();
    assert.match((await page.locator('.empty').textContent()) ?? '', /First, add a destination/);
    await page.locator('.empty').getByRole('button', { name: 'Set up backups' }).waitFor();
    assert.equal(await page.getByText('Scheduled backups are not running').count(), 0, 'the daemon holds the scheduler, so no warning');
    assert.equal(await nav('Overview').getAttribute('aria-current'), 'page');
    await capture(sub, '1-overview-empty');
  });

  await t.test('keyboard only: Tab to Destinations, Enter, type the Add destination form, Enter — then it is Connected with free space', async (sub) => {
    await page.evaluate('document.activeElement && document.activeElement.blur()');
    const toNav = await tabTo(page, /^button\|\|\|Destinations$/);
    await page.keyboard.press('Enter');
    await screenHeading('Destinations').waitFor();
    assert.equal(await nav('Destinations').getAttribute('aria-current'), 'page');
    await page.getByText('No destinations yet.').waitFor();
    await tabTo(page, /^input\|usb-drive\|/);
    await page.keyboard.type('usb');
    await page.keyboard.press('Tab');
    assert.match(await focused(page), /^input\|\/media\/you\/Backup\|Folder/);
    await page.keyboard.type(usb);
    await page.keyboard.press('Enter');
    const row = page.locator('.list li').filter({ hasText: 'usb' });
    await row.getByText('Connected', { exact: true }).waitFor();
    const details = (await row.locator('.muted').textContent()) ?? '';
    assert.match(details, new RegExp(`^${usb.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} — \\d+(\\.\\d)? (B|kB|MB|GB|TB|PB) free$`));
    const [destination] = await apiValue<{ name: string; path: string; available: boolean; freeBytes: number }[]>(daemon, 'destinations:list');
    assert.equal(destination?.name, 'usb');
    assert.equal(destination?.path, usb);
    assert.ok(destination && destination.available && destination.freeBytes > 0);
    assert.equal(await page.getByRole('textbox', { name: 'Name', exact: true }).inputValue(), '', 'the form is cleared after adding');
    sub.diagnostic(`reached the Destinations button with ${toNav} Tab presses; the destination shows "${details}"`);
    await capture(sub, '2-destinations');
  });

  await t.test('a destination folder that does not exist is refused inline with the engine\'s message', async () => {
    const missing = join(root, 'not-plugged-in');
    const expected = await api(daemon, 'destinations:add', { name: 'ghost', path: missing });
    assert.equal(expected.ok, false);
    const message = expected.ok ? '' : expected.error.message;
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('ghost');
    await page.getByRole('textbox', { name: 'Folder', exact: true }).fill(missing);
    await page.getByRole('button', { name: 'Add destination' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.equal((await alert.textContent())?.trim(), message);
    assert.deepEqual((await apiValue<{ name: string }[]>(daemon, 'destinations:list')).map((each) => each.name), ['usb']);
  });

  const editor = page.getByRole('form', { name: 'New schedule' });
  const preview = page.locator('.preview');

  await t.test('the schedule editor\'s presets (Daily at a time, Weekly, Hourly) describe themselves in words', async (sub) => {
    await nav('Schedules').click();
    await screenHeading('Schedules').waitFor();
    await page.getByText('No schedules yet.').waitFor();
    await page.getByRole('button', { name: 'New schedule' }).click();
    await editor.waitFor();
    await editor.getByRole('textbox', { name: 'Name', exact: true }).fill('Documents');
    await editor.getByRole('textbox', { name: 'Source folder 1' }).fill(documents);
    assert.equal(await editor.getByRole('combobox', { name: 'Destination', exact: true }).inputValue(), 'usb');
    assert.equal(await editor.getByRole('combobox', { name: 'How often', exact: true }).inputValue(), 'hourly', 'a new schedule is hourly by default (incremental backups make that cheap)');
    await editor.getByRole('combobox', { name: 'How often', exact: true }).selectOption('daily');
    await editor.getByRole('textbox', { name: 'At', exact: true }).fill('09:30');
    await preview.getByText('Every day at 09:30', { exact: true }).waitFor();
    await capture(sub, '3-schedule-editor-daily');
    await editor.getByRole('combobox', { name: 'How often', exact: true }).selectOption('weekly');
    await editor.getByRole('combobox', { name: 'On', exact: true }).selectOption({ label: 'Wednesday' });
    await preview.getByText('Every Wednesday at 09:30', { exact: true }).waitFor();
    await editor.getByRole('combobox', { name: 'How often', exact: true }).selectOption('hourly');
    await preview.getByText('Every hour', { exact: true }).waitFor();
    await editor.getByRole('combobox', { name: 'How often', exact: true }).selectOption('daily');
    await editor.getByRole('textbox', { name: 'At', exact: true }).fill('21:05');
    await preview.getByText('Every day at 21:05', { exact: true }).waitFor();
    await editor.getByRole('combobox', { name: 'How often', exact: true }).selectOption('custom');
    assert.equal(await editor.getByRole('textbox', { name: 'Cron expression' }).inputValue(), '5 21 * * *', 'Custom starts from the preset chosen before');
    await preview.getByText('Every day at 21:05', { exact: true }).waitFor();
  });

  for (const invalid of ['0 9 * *', '61 * * * *']) {
    await t.test(`the invalid cron "${invalid}" is refused inline with the engine's own message and never saved`, async (sub) => {
      const fields = { name: 'Documents', sources: [documents], excludes: [], destination: 'usb', cron: invalid, compression: 'none', keepLast: null, enabled: true };
      const previewAnswer = await api(daemon, 'cron:preview', { expression: invalid, count: 3 });
      const saveAnswer = await api(daemon, 'schedules:add', fields);
      assert.ok(!previewAnswer.ok && !saveAnswer.ok, 'the engine refuses it');
      const previewMessage = previewAnswer.ok ? '' : previewAnswer.error.message;
      const saveMessage = saveAnswer.ok ? '' : saveAnswer.error.message;

      await editor.getByRole('textbox', { name: 'Cron expression' }).fill(invalid);
      const inline = editor.getByRole('alert').filter({ hasText: previewMessage });
      await inline.waitFor();
      assert.equal((await inline.textContent())?.trim(), previewMessage);
      assert.equal(await preview.count(), 0, 'no description or next runs for an invalid expression');
      await editor.getByRole('button', { name: 'Add schedule' }).click();
      const refusal = editor.getByRole('alert').filter({ hasText: saveMessage });
      await refusal.waitFor();
      assert.ok((await editor.getByRole('alert').allTextContents()).map((text) => text.trim()).includes(saveMessage));
      assert.deepEqual(await apiValue(daemon, 'schedules:list'), [], 'nothing was saved');
      await editor.waitFor();
      sub.diagnostic(`inline: "${previewMessage}"; on save: "${saveMessage}"`);
      await capture(sub, `4-invalid-cron-${invalid.split(' ').length}-fields-${invalid.startsWith('61') ? 'range' : 'shape'}`);
    });
  }

  await t.test('a valid custom cron shows its description in words and its next 3 runs, and saves', async (sub) => {
    const expression = '15 8 * * 1-5';
    const expected = await apiValue<{ description: string; next: string[] }>(daemon, 'cron:preview', { expression, count: 3 });
    await editor.getByRole('textbox', { name: 'Cron expression' }).fill(expression);
    await preview.getByText('Every weekday at 08:15', { exact: true }).waitFor();
    assert.equal(expected.description, 'Every weekday at 08:15');
    const nextLine = ((await preview.locator('.muted').textContent()) ?? '').trim();
    assert.match(nextLine, /^Next runs: /);
    const shown = nextLine.replace(/^Next runs: /, '').split(' · ');
    assert.equal(shown.length, 3, nextLine);
    assert.deepEqual(
      shown.map((text) => new Date(text).getTime()),
      expected.next.map((iso) => Date.parse(iso)),
      'the next runs are the engine\'s',
    );
    assert.equal(await editor.locator('#cron-problem').count(), 0, 'the inline cron problem is gone');
    // The refusal from the last Add schedule stays until the next submit (shown, not asserted).
    const stale = (await editor.getByRole('alert').allTextContents()).map((text) => text.trim());
    if (stale.length > 0) sub.diagnostic(`still shown from the last save attempt: ${stale.join(' | ')}`);
    await capture(sub, '5-schedule-editor-custom-cron');

    await editor.getByRole('combobox', { name: 'Compression', exact: true }).selectOption('gzip');
    await editor.getByRole('button', { name: 'Add schedule' }).click();
    await editor.waitFor({ state: 'detached' });
    const item = page.locator('.list li').filter({ hasText: 'Documents' });
    await item.waitFor();
    assert.match((await item.textContent()) ?? '', /Documents — Every weekday at 08:15 to usb/);
    const [saved, ...others] = await apiValue<{ name: string; cron: string; compression: string; sources: string[]; destination: string; enabled: boolean }[]>(daemon, 'schedules:list');
    assert.equal(others.length, 0);
    assert.deepEqual(
      { name: saved?.name, cron: saved?.cron, compression: saved?.compression, sources: saved?.sources, destination: saved?.destination, enabled: saved?.enabled },
      { name: 'Documents', cron: expression, compression: 'gzip', sources: [documents], destination: 'usb', enabled: true },
    );
    await capture(sub, '6-schedules');
  });

  let jobId = 0;
  await t.test('Back Up Now on the Overview shows live progress, then the schedule is up to date', async (sub) => {
    await nav('Overview').click();
    const card = page.getByRole('article', { name: 'Documents' });
    await card.waitFor();
    await card.getByRole('button', { name: 'Back Up Now' }).click();
    const status = page.getByRole('status').filter({ hasText: 'Backup of Documents queued' });
    await status.waitFor();
    jobId = Number(/job (\d+)/.exec((await status.textContent()) ?? '')?.[1]);
    assert.ok(jobId > 0);
    const progress = card.locator('progress[aria-label="Backing up Documents"]');
    await progress.waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await card.locator('.chip').textContent(), 'Running');
    assert.ok(await card.getByRole('button', { name: 'Back Up Now' }).isDisabled(), 'no second backup while one runs');
    await eventually(async () => Number(await progress.getAttribute('value')) > 0, 20_000, 'progress above 0%');
    const line = (await card.locator('.progress-block .muted').textContent()) ?? '';
    assert.match(line, /^\d+% — [\d,]+ of 3 files, .+ of 805 MB/);
    await capture(sub, '7-overview-backing-up');
    await progress.waitFor({ state: 'detached', timeout: 45_000 });
    await card.locator('.chip', { hasText: 'Up to date' }).waitFor();
    assert.match((await card.textContent()) ?? '', /Last backup.*(just now|second|minute)/i);
    const job = await apiValue<JobView>(daemon, 'jobs:get', { jobId });
    assert.equal(job.status, 'succeeded');
    sub.diagnostic(`job ${jobId} took ${(Date.parse(job.finishedAt ?? '') - Date.parse(job.startedAt ?? '')) / 1000} s; progress seen as "${line}"`);
    await capture(sub, '8-overview-done');
  });

  await t.test('the job appears in History as succeeded; its detail shows timings, files and the archive path', async (sub) => {
    const job = await apiValue<JobView>(daemon, 'jobs:get', { jobId });
    await nav('History').click();
    await screenHeading('History').waitFor();
    const row = page.locator('table.history tbody tr').filter({ has: page.getByRole('button', { name: `Show job ${jobId}`, exact: true }) });
    await row.waitFor();
    const cells = (await row.locator('td').allTextContents()).map((text) => text.trim());
    assert.equal(cells[0], String(jobId));
    assert.equal(cells[1], 'Documents');
    assert.equal(cells[2], 'succeeded');
    assert.equal(cells[3], 'manual');
    assert.equal(cells[5], '3');
    assert.equal(cells[6], formatBytes(job.bytes));
    await capture(sub, '9-history');

    await row.getByRole('button', { name: `Show job ${jobId}` }).click();
    const detail = page.getByRole('complementary', { name: `Job ${jobId}` });
    await detail.waitFor();
    assert.equal((await detail.getByRole('heading').first().textContent())?.trim(), `Job ${jobId}: Documents — succeeded`);
    const terms = (await detail.locator('dt').allTextContents()).map((text) => text.trim());
    const values = (await detail.locator('dd').allTextContents()).map((text) => text.trim());
    const field = (term: string) => values[terms.indexOf(term)];
    for (const term of ['Trigger', 'Queued', 'Started', 'Finished', 'Duration', 'Files', 'Archive', 'SHA-256']) assert.ok(terms.includes(term), `the detail shows ${term}`);
    assert.equal(field('Trigger'), 'manual');
    for (const term of ['Started', 'Finished']) assert.ok(!Number.isNaN(new Date(field(term) ?? '').getTime()), `${term}: ${field(term)}`);
    assert.equal(new Date(field('Finished') ?? '').getTime(), Math.floor(Date.parse(job.finishedAt ?? '') / 1000) * 1000);
    assert.notEqual(field('Duration'), '—');
    assert.match(field('Duration') ?? '', /\d/);
    assert.equal(field('Files'), job.files.toLocaleString('en-US'));
    assert.equal(field('Size'), formatBytes(job.bytes));
    assert.equal(field('Archive'), job.archivePath);
    assert.match(job.archivePath ?? '', /\.tar\.gz$/);
    assert.ok(job.archivePath?.startsWith(join(usb, 'Dormouse')) && existsSync(job.archivePath), `the archive ${job.archivePath} is on the destination`);
    assert.equal(field('SHA-256'), job.sha256);
    sub.diagnostic(`detail: duration ${field('Duration')}, files ${field('Files')}, archive ${field('Archive')}`);
    await capture(sub, '10-history-job-detail');
    await detail.getByRole('button', { name: 'Close' }).click();
    await detail.waitFor({ state: 'detached' });
  });

  await t.test('the Restore and Settings screens open', async (sub) => {
    await nav('Restore').click();
    await screenHeading('Restore').waitFor();
    await capture(sub, '11-restore');
    await nav('Settings').click();
    await screenHeading('Settings').waitFor();
    await page.getByLabel('Open Dormouse at login').waitFor();
    await capture(sub, '12-settings');
  });

  await t.test('no screen scrolls sideways at 800×600', async (sub) => {
    for (const label of ['Overview', 'Schedules', 'Destinations', 'History', 'Restore', 'Settings']) {
      await nav(label).click();
      await screenHeading(label).waitFor();
      await page.waitForTimeout(200);
      const { scrollWidth, clientWidth } = await overflow(page);
      visited.push(label);
      if (scrollWidth > clientWidth) overflows.push(`${label}: scrollWidth ${scrollWidth} > clientWidth ${clientWidth}`);
    }
    sub.diagnostic(`checked: ${visited.join(', ')}`);
    assert.deepEqual(overflows, []);
  });

  await t.test('no console errors, page errors or failed requests', () => {
    assert.deepEqual(problems, []);
  });

  await t.test('dark theme: with colorScheme dark the window is dark, with light text', async (sub) => {
    const lightBackground = await effectiveBackground(page);
    const dark = await browser.newContext({ viewport: { width: 800, height: 600 }, locale: 'en-US', timezoneId, colorScheme: 'dark' });
    t.after(() => dark.close());
    const darkPage = await dark.newPage();
    const darkProblems: string[] = [];
    darkPage.on('console', (message) => message.type() === 'error' && darkProblems.push(message.text()));
    await darkPage.goto(daemon.url);
    await darkPage.getByRole('article', { name: 'Documents' }).waitFor();
    const background = await effectiveBackground(darkPage);
    const text = await darkPage.evaluate<string>('getComputedStyle(document.body).color');
    sub.diagnostic(`light background ${lightBackground}; dark background ${background}, text ${text}`);
    assert.ok(luminance(lightBackground) > 0.7, `the light theme is light (${lightBackground})`);
    assert.ok(luminance(background) < 0.05, `the dark theme's background is dark (${background})`);
    assert.ok(luminance(text) > 0.6, `the dark theme's text is light (${text})`);
    const bodyOwn = await darkPage.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    sub.diagnostic(`body's own background-color: ${bodyOwn} (the root element paints the canvas)`);
    const path = join(shots, 'settings-window-13-overview-dark.png');
    await darkPage.screenshot({ path });
    sub.diagnostic(`screenshot: ${path}`);
    await darkPage.getByRole('navigation', { name: 'Dormouse' }).getByRole('button', { name: 'History' }).click();
    await darkPage.getByRole('heading', { level: 2, name: 'History' }).waitFor();
    const historyPath = join(shots, 'settings-window-14-history-dark.png');
    await darkPage.screenshot({ path: historyPath });
    sub.diagnostic(`screenshot: ${historyPath}`);
    assert.deepEqual(darkProblems, []);
  });
});
