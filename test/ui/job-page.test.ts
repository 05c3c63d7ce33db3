// The job page (History's detail): a backup that left an item out and one that failed, each opened
// from its Overview card, say what went wrong and what to do, and show the run's duration, files,
// size and throughput. Real daemon, real backups, Debian's Chromium.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes } from '../../shared/format';
import type { JobView } from '../../shared/types';
import { hasChromium, openWindow } from '../helpers/browser';
import { dormouse, expectOk } from '../helpers/cli';
import { apiValue, eventually, screenshotFolder, startUiDaemon, temporaryRoot } from './ui-daemon';

const skip = hasChromium() ? false : 'Debian chromium is not installed (apt-get install -y chromium); .ci/run installs it';

/** The value beside a term of the job page's list. */
async function field(detail: import('playwright-core').Locator, term: string): Promise<string> {
  return ((await detail.locator(`dt:text-is("${term}") + dd`).textContent()) ?? '').trim();
}

test('the job page: a backup with an item left out and a failed one say what went wrong, what to do, and their figures', { skip }, async (t) => {
  const root = temporaryRoot(t, 'dormouse-job-page-');
  const data = join(root, 'data');
  const documents = join(root, 'Documents');
  const drive = join(root, 'drive');
  mkdirSync(documents);
  mkdirSync(drive);
  writeFileSync(join(documents, 'thesis.txt'), Buffer.alloc(250_000, 'a'));
  const socket = createServer();
  await new Promise<void>((resolve, reject) => socket.once('error', reject).listen(join(documents, 'player.sock'), resolve));
  t.after(() => new Promise<void>((resolve) => socket.close(() => resolve())));

  expectOk(dormouse(['destination', 'add', '--name', 'usb', '--path', drive, '--json', '--data-dir', data]));
  expectOk(dormouse(['schedule', 'add', '--name', 'Documents', '--source', documents, '--destination', 'usb', '--cron', '0 9 * * *', '--json', '--data-dir', data]));
  const daemon = await startUiDaemon(t, data, ['--settle-seconds', '3600']);
  const { page, problems } = await openWindow(t, daemon.url, 15_000);
  const card = page.getByRole('article', { name: 'Documents' });
  const finished = (id: number) => eventually(async () => (await apiValue<JobView[]>(daemon, 'jobs:list', { limit: 5 })).find((each) => each.id === id && each.finishedAt !== null), 30_000, `job ${id} to finish`);

  await t.test('a job with a warning: the card links to it, and its page says what was left out and that the rest is safe', async () => {
    await card.getByRole('button', { name: 'Back Up Now' }).click();
    const job = await finished(1);
    assert.equal(job.status, 'succeeded');
    await card.getByRole('button', { name: 'Show which' }).click();
    const detail = page.getByRole('complementary', { name: 'Job 1' });
    await detail.waitFor();
    const trouble = detail.getByRole('group', { name: 'What went wrong' });
    assert.equal(await trouble.locator('.trouble-headline').textContent(), '1 item could not be backed up.');
    assert.match((await trouble.textContent()) ?? '', /What to do: Everything else is backed up\./);
    assert.equal(await field(detail, 'Files'), '1');
    assert.equal(await field(detail, 'Size'), '250 kB');
    const duration = Date.parse(job.finishedAt as string) - Date.parse(job.startedAt as string);
    assert.equal(await field(detail, 'Throughput'), duration === 0 ? '—' : `${formatBytes(Math.round((250_000 * 1000) / duration))}/s`);
    assert.match(await field(detail, 'Duration'), /^\d+ s$/);
    assert.deepEqual(await detail.getByRole('list', { name: '1 item could not be backed up' }).getByRole('listitem').allTextContents(), [
      `${documents}/player.sock: not backed up, it is a socket, which only lives while its program runs`,
    ]);
    assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Job 1: Documents — succeeded', 'the page takes the keyboard focus to its heading');
    await page.screenshot({ path: join(screenshotFolder(), 'job-page-warning.png') });
  });

  await t.test('a failed job: the card says what went wrong and opens the job page, which says what to do', async () => {
    renameSync(documents, `${documents}-unplugged`);
    await page.getByRole('navigation', { name: 'Dormouse' }).getByRole('button', { name: 'Overview' }).click();
    await card.getByRole('button', { name: 'Back Up Now' }).click();
    const job = await finished(2);
    assert.equal(job.status, 'failed');
    assert.equal(job.error?.code, 'SOURCE_MISSING');
    // The card says it as the notification does, naming the folder, not in the engine's own words.
    assert.equal(((await card.locator('p.error').textContent()) ?? '').trim(), `A folder it backs up is missing (${documents}). Reconnect it or edit the schedule. What went wrong?`);
    await card.getByRole('button', { name: 'What went wrong?' }).click();
    const detail = page.getByRole('complementary', { name: 'Job 2' });
    await detail.waitFor();
    const trouble = detail.getByRole('group', { name: 'What went wrong' });
    assert.equal(await trouble.locator('.trouble-headline').textContent(), 'A folder this schedule backs up is missing.');
    assert.equal(
      ((await trouble.locator('p').nth(1).textContent()) ?? '').trim(),
      'What to do: Reconnect the drive it is on, or edit the schedule to stop backing it up; then choose Back Up Now.',
    );
    assert.equal(await field(detail, 'Error'), `SOURCE_MISSING: ${job.error?.message}`);
    assert.match(job.error?.message ?? '', new RegExp(documents.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the error names the missing folder');
    assert.equal(await field(detail, 'Files'), '0');
    assert.equal(await field(detail, 'Throughput'), '—', 'it stopped before writing anything: no rate to show');
    await page.screenshot({ path: join(screenshotFolder(), 'job-page-failed.png') });
  });

  assert.deepEqual(problems, []);
});
