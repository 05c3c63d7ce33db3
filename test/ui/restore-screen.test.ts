import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SnapshotView } from '../../shared/types';
import { hasChromium, openWindow, suggestedFolder } from '../helpers/browser';
import { dormouse, expectOk } from '../helpers/cli';
import { apiValue, screenshotFolder, startUiDaemon, temporaryRoot } from './ui-daemon';
import { mountSmallDisk } from '../helpers/small-disk';

const skip = hasChromium() ? false : 'Debian chromium is not installed (apt-get install -y chromium); .ci/run installs it';

test('the restore screen browses a snapshot, restores chosen files into a new folder, and verifies it', { skip }, async (t) => {
  const root = temporaryRoot(t, 'dormouse-restore-screen-');
  const data = join(root, 'data');
  const source = join(root, 'home', 'ana', 'Documents');
  const drive = join(root, 'drive');
  mkdirSync(join(source, 'letters'), { recursive: true });
  mkdirSync(drive);
  writeFileSync(join(source, 'letters', 'to-grandma.txt'), 'Dear grandma,\n');
  writeFileSync(join(source, 'letters', 'to-bank.txt'), 'Dear bank,\n');
  writeFileSync(join(source, 'notes.md'), '# notes\n');
  // A name that is not valid UTF-8 (Latin-1 é): shown with its byte as \xe9, never as "�".
  writeFileSync(Buffer.concat([Buffer.from(join(source, 'letters', 'caf')), Buffer.from([0xe9]), Buffer.from('.txt')]), 'latin-1\n');
  symlinkSync('notes.md', join(source, 'latest'));
  utimesSync(join(source, 'letters', 'to-grandma.txt'), new Date('2024-02-03T04:05:06Z'), new Date('2024-02-03T04:05:06Z'));
  expectOk(dormouse(['destination', 'add', '--name', 'usb', '--path', drive, '--json', '--data-dir', data]));
  expectOk(dormouse(['schedule', 'add', '--name', 'Documents', '--source', source, '--destination', 'usb', '--cron', '0 9 * * *', '--json', '--data-dir', data]));
  expectOk(dormouse(['run', 'Documents', '--json', '--data-dir', data]));
  writeFileSync(join(source, 'letters', 'to-grandma.txt'), 'changed after the backup\n');

  const daemon = await startUiDaemon(t, data, ['--settle-seconds', '3600']);
  const { page, problems } = await openWindow(t, daemon.url);
  await page.getByRole('navigation', { name: 'Dormouse' }).getByRole('button', { name: 'Restore' }).click();
  await page.getByRole('button', { name: 'Browse snapshot 1' }).click();

  // The top level is the folder that was backed up; folders open with a click.
  await page.getByRole('button', { name: 'Documents/' }).click();
  await page.getByRole('button', { name: 'letters/' }).click();
  await page.getByText('to-grandma.txt').waitFor();
  await page.getByText('caf\\xe9.txt', { exact: true }).waitFor();
  assert.equal(await page.getByText(/\uFFFD/).count(), 0, 'no name is shown with a replacement character');
  await page.getByRole('checkbox', { name: 'Choose to-grandma.txt' }).check();
  await page.getByRole('button', { name: 'Up' }).click();
  await page.getByRole('checkbox', { name: 'Choose latest' }).check();

  // The default target is a new "Restored <date>" folder; here one inside the test's folder.
  const target = page.getByRole('textbox', { name: 'New folder' });
  await suggestedFolder(target);
  assert.match(await target.inputValue(), /Restored \d{4}-\d{2}-\d{2} \d{2}\.\d{2}$/);
  const into = join(root, 'Restored here');
  await target.fill(into);
  await page.getByRole('main').getByRole('button', { name: 'Restore', exact: true }).click();
  await page.getByRole('status').getByText(/Restored 1 file \(/).waitFor();
  await page.screenshot({ path: join(screenshotFolder(), 'restore-screen.png') });

  const restoredFile = join(into, source.slice(1), 'letters', 'to-grandma.txt');
  assert.equal(readFileSync(restoredFile, 'utf8'), 'Dear grandma,\n', 'the version of the snapshot comes back, not today\'s');
  assert.equal(statSync(restoredFile).mtime.toISOString(), '2024-02-03T04:05:06.000Z');
  assert.equal(readlinkSync(join(into, source.slice(1), 'latest')), 'notes.md');
  assert.throws(() => statSync(join(into, source.slice(1), 'letters', 'to-bank.txt')), 'only the chosen files are restored');
  assert.equal(readFileSync(join(source, 'letters', 'to-grandma.txt'), 'utf8'), 'changed after the backup\n', 'the original location is not touched');

  await page.getByRole('button', { name: '← All snapshots' }).click();
  await page.getByRole('button', { name: 'Verify snapshot 1' }).click();
  await page.getByText('Verified').waitFor();

  // Everything back to where it was: the one file changed since is left alone and said so; the rest
  // (three files and a link) already is as in the snapshot, which is not a failure to report.
  await page.getByRole('button', { name: 'Browse snapshot 1' }).click();
  await page.getByRole('button', { name: 'Documents/' }).waitFor();
  await page.getByLabel('Their original location').check();
  await page.getByRole('main').getByRole('button', { name: 'Restore', exact: true }).click();
  const status = page.getByRole('status');
  await status.getByText('Restored 0 files (0 B) into /, but not everything:').waitFor();
  await status.getByText('4 files were already there as in the snapshot, and left as they are.').waitFor();
  await status.getByText(/^1 file that is already there was left as it is, not replaced\./).waitFor();
  assert.equal(readFileSync(join(source, 'letters', 'to-grandma.txt'), 'utf8'), 'changed after the backup\n');

  // A new folder on a disk that is read-only: what stopped the restore is said in words, apart from any item.
  const disk = mountSmallDisk(t, 1);
  if (disk !== null) {
    assert.equal(spawnSync('mount', ['-o', 'remount,ro', disk]).status, 0);
    await page.getByLabel('A new folder').check();
    await page.getByRole('textbox', { name: 'New folder' }).fill(join(disk, 'Restored'));
    await page.getByRole('main').getByRole('button', { name: 'Restore', exact: true }).click();
    await status.getByText(`The restore stopped: ${disk} is on a read-only file system; what is not listed as restored was not restored.`).waitFor();
    assert.equal(await status.getByText(/items? (was|were) not restored/).count(), 0, 'the stop is not counted as an item not restored');
  }
  const snapshots = await apiValue<SnapshotView[]>(daemon, 'snapshots:list', {});
  assert.equal(snapshots.length, 1);
  assert.deepEqual(problems, []);
});
