// What a backup could not keep, said in the window: a backup of a folder holding UNIX sockets (one
// named with a byte that is not UTF-8) succeeds, the Overview card says how many items could not
// be backed up, and its button opens the job in History with every path listed as the engine wrote it.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobView } from '../../shared/types';
import { hasChromium, openWindow } from '../helpers/browser';
import { dormouse, expectOk } from '../helpers/cli';
import { apiValue, eventually, screenshotFolder, startUiDaemon, temporaryRoot } from './ui-daemon';

const skip = hasChromium() ? false : 'Debian chromium is not installed (apt-get install -y chromium); .ci/run installs it';

/** A listening UNIX socket at `path`, closed when the test ends. */
async function socketAt(t: { after: (fn: () => Promise<void>) => void }, path: string): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}

test('items a backup could not keep: the Overview card counts them, one click lists them in the job', { skip }, async (t) => {
  const root = temporaryRoot(t, 'dormouse-left-out-');
  const data = join(root, 'data');
  const documents = join(root, 'Documents');
  const drive = join(root, 'drive');
  mkdirSync(documents);
  mkdirSync(drive);
  writeFileSync(join(documents, 'notes.txt'), 'the spare key is under the third flowerpot\n');
  await socketAt(t, join(documents, 'player.sock'));
  // net cannot listen on a name that is not UTF-8: listen on a plain one, then rename it to "café.sock" in Latin-1 bytes.
  await socketAt(t, join(documents, 'cafe.sock'));
  const latin1Socket = Buffer.concat([Buffer.from(`${documents}/caf`), Buffer.from([0xe9]), Buffer.from('.sock')]);
  renameSync(join(documents, 'cafe.sock'), latin1Socket);

  expectOk(dormouse(['destination', 'add', '--name', 'usb', '--path', drive, '--json', '--data-dir', data]));
  expectOk(dormouse(['schedule', 'add', '--name', 'Documents', '--source', documents, '--destination', 'usb', '--cron', '0 9 * * *', '--json', '--data-dir', data]));
  const daemon = await startUiDaemon(t, data, ['--settle-seconds', '3600']);

  const { page, problems } = await openWindow(t, daemon.url, 15_000);

  const card = page.getByRole('article', { name: 'Documents' });
  await card.getByRole('button', { name: 'Back Up Now' }).click();
  const expected = [
    `${documents}/caf\\xe9.sock: not backed up, it is a socket, which only lives while its program runs`,
    `${documents}/player.sock: not backed up, it is a socket, which only lives while its program runs`,
  ];

  await t.test('the backup succeeds, its warnings name both sockets, the Latin-1 byte escaped', async () => {
    const job = await eventually(async () => (await apiValue<JobView[]>(daemon, 'jobs:list', { limit: 5 })).find((each) => each.status !== 'queued' && each.status !== 'running'), 30_000, 'the backup to finish');
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
    assert.equal(job.files, 1, 'notes.txt is backed up');
    assert.deepEqual([...job.warnings].sort(), expected);
  });

  await t.test('the card says "2 items could not be backed up" once the job has finished, without a reload', async () => {
    await card.getByText('2 items could not be backed up.').waitFor();
    assert.equal(await card.locator('.chip').textContent(), 'Up to date', 'the backup itself succeeded');
    await page.screenshot({ path: join(screenshotFolder(), 'left-out-overview.png') });
  });

  await t.test('"Show the list" opens the job in History: the heading counts the items, each path is listed in full', async () => {
    await card.getByRole('button', { name: 'Show the list' }).click();
    await page.getByRole('heading', { level: 2, name: 'History' }).waitFor();
    const detail = page.getByRole('complementary', { name: 'Job 1' });
    await detail.waitFor();
    await detail.getByRole('heading', { name: '2 items could not be backed up' }).waitFor();
    const list = detail.getByRole('list', { name: '2 items could not be backed up' });
    assert.deepEqual((await list.getByRole('listitem').allTextContents()).sort(), expected);
    assert.deepEqual((await list.locator('.path').allTextContents()).sort(), [`${documents}/caf\\xe9.sock`, `${documents}/player.sock`]);
    assert.equal(await page.getByRole('navigation', { name: 'Dormouse' }).getByRole('button', { name: 'History' }).getAttribute('aria-current'), 'page');
    const width = await page.evaluate<{ scroll: number; client: number }>('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })');
    assert.ok(width.scroll <= width.client, `no sideways scrolling at 800 px (${width.scroll} > ${width.client})`);
    await page.screenshot({ path: join(screenshotFolder(), 'left-out-job.png') });
  });

  await t.test('once a backup keeps everything, the card no longer says anything could not be backed up', async () => {
    rmSync(join(documents, 'player.sock'));
    rmSync(latin1Socket);
    await page.getByRole('navigation', { name: 'Dormouse' }).getByRole('button', { name: 'Overview' }).click();
    await card.getByText('2 items could not be backed up.').waitFor();
    await card.getByRole('button', { name: 'Back Up Now' }).click();
    await eventually(async () => (await apiValue<JobView[]>(daemon, 'jobs:list', { limit: 5 })).find((each) => each.id === 2 && each.status === 'succeeded'), 30_000, 'the second backup to succeed');
    await card.getByText('could not be backed up').waitFor({ state: 'detached' });
    assert.equal(await card.getByRole('button', { name: 'Show the list' }).count(), 0);
  });

  assert.deepEqual(problems, []);
});
