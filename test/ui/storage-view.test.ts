// Where the space goes: three real backups onto a small drive of its own (a tmpfs, so its free space
// moves only with what Dormouse writes), their catalog times moved back to seed a 20-day history;
// the destinations screen shows what the archives take, the free space, the bars of the last 30
// days (and their text alternative), when the drive fills at that rate, and which snapshots the
// retention's dry run would delete.
import Database from 'better-sqlite3';
import { mkdirSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes } from '../../shared/format';
import type { JobView, SnapshotView } from '../../shared/types';
import { hasChromium, openWindow } from '../helpers/browser';
import { dormouse, expectOk } from '../helpers/cli';
import { mountSmallDisk } from '../helpers/small-disk';
import { apiValue, eventually, screenshotFolder, startUiDaemon, temporaryRoot } from './ui-daemon';

const skip = hasChromium() ? false : 'Debian chromium is not installed (apt-get install -y chromium); .ci/run installs it';
const dayMs = 24 * 3_600_000;

test('the destinations screen: archives, free space, 30 days of archive bytes, when the drive fills, and what retention would delete', { skip }, async (t) => {
  const drive = mountSmallDisk(t, 24);
  if (drive === null) return t.skip('mounting a tmpfs needs root');
  const root = temporaryRoot(t, 'dormouse-storage-');
  const data = join(root, 'data');
  const documents = join(root, 'Documents');
  mkdirSync(documents);
  expectOk(dormouse(['destination', 'add', '--name', 'usb', '--path', drive, '--json', '--data-dir', data]));
  expectOk(dormouse(['schedule', 'add', '--name', 'Documents', '--source', documents, '--destination', 'usb', '--cron', '0 9 * * *', '--json', '--data-dir', data]));
  const daemon = await startUiDaemon(t, data, ['--settle-seconds', '3600']);
  // Every backup a full one, so each archive stands alone and retention may delete the older ones.
  await apiValue(daemon, 'settings:set', { incrementalsPerFull: 0 });
  for (let run = 1; run <= 3; run += 1) {
    writeFileSync(join(documents, 'scan.bin'), randomBytes(600_000));
    await apiValue(daemon, 'jobs:start', { name: 'Documents' });
    const job = await eventually(async () => (await apiValue<JobView[]>(daemon, 'jobs:list', { limit: 1 })).find((each) => each.id === run && each.finishedAt !== null), 30_000, `backup ${run}`);
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
  }
  const snapshots = (await apiValue<SnapshotView[]>(daemon, 'snapshots:list', {})).sort((a, b) => a.id - b.id);
  assert.equal(snapshots.length, 3);
  // Seed the history: the first backup 20 days ago, the second 10 days ago, the third today.
  const now = Date.now();
  const catalog = new Database(join(data, 'dormouse.sqlite'), { fileMustExist: true });
  catalog.prepare('UPDATE snapshots SET created_at = ? WHERE id = ?').run(now - 20 * dayMs, snapshots[0]?.id);
  catalog.prepare('UPDATE snapshots SET created_at = ? WHERE id = ?').run(now - 10 * dayMs, snapshots[1]?.id);
  catalog.close();
  await apiValue(daemon, 'schedules:edit', { schedule: 'Documents', changes: { keepLast: 1 } });

  const sizes = snapshots.map((snapshot) => statSync(snapshot.archivePath).size);
  const total = sizes.reduce((sum, size) => sum + size, 0);
  const { page, problems } = await openWindow(t, daemon.url, 15_000);
  await page.getByRole('navigation', { name: 'Dormouse' }).getByRole('button', { name: 'Destinations' }).click();
  const space = page.getByRole('region', { name: 'Space on usb' });
  await space.waitFor();

  await t.test("what Dormouse's archives take (the archives' sizes on the drive) and the free space", async () => {
    const free = statfsSync(drive);
    const figures = await space.locator('.usage-figures dd').allTextContents();
    const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
    assert.equal(figures[0], `${mb(total)} in 3 snapshots`);
    assert.equal(figures[1], mb(free.bavail * free.bsize));
  });

  await t.test('the chart: one bar for each of 30 days, three of them with archives, and the figures as text', async () => {
    assert.equal(await space.locator('rect.usage-bar').count(), 30);
    const drawn = await space.locator('rect.usage-bar').evaluateAll((bars) => bars.filter((bar) => Number(bar.getAttribute('height')) > 0).length);
    assert.equal(drawn, 3);
    const label = (await space.getByRole('img').getAttribute('aria-label')) ?? '';
    assert.equal(label, `Archive bytes per day, last 30 days: ${formatBytes(total)} on 3 days, at most ${formatBytes(Math.max(...sizes))} in a day.`);
    await space.getByText('The days with archives').click();
    const rows = await space.locator('table.usage-days tbody tr').allTextContents();
    assert.equal(rows.length, 3);
  });

  await t.test('the estimate: at the rate of the last 20 days, the free space lasts free / (archives / 20) days', async () => {
    const free = statfsSync(drive);
    const freeBytes = free.bavail * free.bsize;
    const expectedDays = freeBytes / (total / 20);
    const text = (await space.locator('.usage-estimate').textContent()) ?? '';
    const match = /^At this rate \(([\d.]+ [kM]B) a day over the last 20 days\) the drive is full in about ([\d,]+) days?, around (.+)\.$/.exec(text);
    assert.ok(match, text);
    assert.equal(match[1], `${((total / 20) / 1000).toFixed(1)} kB`);
    assert.ok(Math.abs(Number(match[2]?.replace(/,/g, '')) - Math.floor(expectedDays)) <= 1, `${text}: expected about ${expectedDays.toFixed(1)} days`);
    const around = new Date(now + expectedDays * dayMs).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
    assert.equal(match[3], around);
    await page.screenshot({ path: join(screenshotFolder(), 'storage-view.png'), fullPage: true });
  });

  await t.test('retention (keep the newest 1) would delete the two older snapshots, as prune --dry-run says', async () => {
    const items = (await space.getByRole('list').getByRole('listitem').allTextContents()).sort();
    assert.equal(items.length, 2);
    assert.match(items[0] ?? '', new RegExp(`^Documents, snapshot ${snapshots[0]?.id} of `));
    assert.match(items[1] ?? '', new RegExp(`^Documents, snapshot ${snapshots[1]?.id} of `));
    const dry = dormouse(['prune', '--dry-run', '--json', '--data-dir', data]).json<{ deleted: { snapshotId: number }[] }[]>();
    assert.deepEqual(dry[0]?.deleted.map((each) => each.snapshotId).sort(), [snapshots[0]?.id, snapshots[1]?.id]);
  });

  assert.deepEqual(problems, []);
});

// A new user's first backup: a few bytes on a drive with gigabytes free, so at this rate the drive
// fills in thousands of years. The window said "full in about NaN days, around Invalid Date" (the
// date was written with a five-digit year no one could read back); it says when it does not fill.
test('the destinations screen after a first small backup: the drive does not fill within ten years', { skip }, async (t) => {
  const root = temporaryRoot(t, 'dormouse-storage-first-');
  const data = join(root, 'data');
  const documents = join(root, 'Documents');
  const drive = join(root, 'drive');
  mkdirSync(documents);
  mkdirSync(drive);
  writeFileSync(join(documents, 'letter.txt'), 'Dear Ana,\n');
  const free = statfsSync(drive);
  if (free.bavail * free.bsize < 1e9) return t.skip('this test wants a drive with at least 1 GB free');
  expectOk(dormouse(['destination', 'add', '--name', 'usb', '--path', drive, '--json', '--data-dir', data]));
  expectOk(dormouse(['schedule', 'add', '--name', 'Documents', '--source', documents, '--destination', 'usb', '--cron', '0 9 * * *', '--json', '--data-dir', data]));
  expectOk(dormouse(['run', 'Documents', '--json', '--data-dir', data]));
  const daemon = await startUiDaemon(t, data, ['--settle-seconds', '3600']);
  const { page, problems } = await openWindow(t, daemon.url, 15_000);
  await page.getByRole('navigation', { name: 'Dormouse' }).getByRole('button', { name: 'Destinations' }).click();
  const space = page.getByRole('region', { name: 'Space on usb' });
  await space.waitFor();
  const text = (await space.locator('.usage-estimate').textContent()) ?? '';
  assert.match(text, /^At this rate \([\d.]+ kB a day over the last 1 day\) the drive does not fill within ten years\.$/);
  assert.deepEqual(problems, []);
});

