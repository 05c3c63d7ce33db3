// The restore screen with two laptops on one destination, and a damaged archive: the real CLI makes
// two data folders (two machines) backing up to one folder, the second laptop's window (the real
// `dormouse daemon --ui`, Debian's Chromium) lists the first laptop's snapshot under its machine and
// restores it; a restore of a snapshot with one flipped byte in a file's data names that file as damaged.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { hasChromium, openWindow, suggestedFolder } from '../helpers/browser';
import { dormouse, expectOk } from '../helpers/cli';
import { flipByte } from '../restore/restore-kit';
import { screenshotFolder, startUiDaemon, temporaryRoot } from './ui-daemon';

const skip = hasChromium() ? false : 'Debian chromium is not installed (apt-get install -y chromium); .ci/run installs it';

/** Presses Tab until `target` has the focus, as a keyboard user would; fails after 60 presses, naming where focus went. */
async function tabTo(page: Page, target: Locator): Promise<number> {
  const seen: string[] = [];
  for (let presses = 1; presses <= 60; presses += 1) {
    await page.keyboard.press('Tab');
    if ((await target.and(page.locator(':focus')).count()) === 1) return presses;
    seen.push(await page.evaluate<string>("`${document.activeElement?.tagName.toLowerCase()}:${(document.activeElement?.textContent ?? '').trim().slice(0, 30)}`"));
  }
  throw new Error(`Tab never reached the element; focus went through ${seen.join(' → ')}`);
}

/** The machine folders under a destination's Dormouse folder: each machine's name, as it writes it on the disk. */
function machineFolders(destination: string): string[] {
  return readdirSync(join(destination, 'Dormouse')).sort();
}

test("a second laptop's window restores the first laptop's snapshot, and says which file of a damaged one was not restored", { skip }, async (t) => {
  const root = temporaryRoot(t, 'dormouse-restore-machines-');
  const nas = join(root, 'nas');
  const homeA = join(root, 'a-home');
  const homeB = join(root, 'b-home');
  for (const folder of [nas, join(homeA, 'letters'), homeB]) mkdirSync(folder, { recursive: true });
  writeFileSync(join(homeA, 'letters', 'to-grandma.txt'), 'Dear grandma, from laptop A\n');
  writeFileSync(join(homeA, 'todo.txt'), "laptop A's list\n");
  const marker = 'dormouse-ui-damage-target:';
  writeFileSync(join(homeB, 'damage-me.dat'), marker + Array.from({ length: 400 }, (_, line) => `line ${line} of the file that will be damaged\n`).join(''));
  writeFileSync(join(homeB, 'keep.txt'), 'this one is fine\n');

  // Laptop A backs up its Home to the shared folder; laptop B adds the same folder, then backs up its Notes there.
  const a = (args: string[]) => expectOk(dormouse([...args, '--json', '--data-dir', join(root, 'a-data')]));
  const b = (args: string[]) => expectOk(dormouse([...args, '--json', '--data-dir', join(root, 'b-data')]));
  a(['destination', 'add', '--name', 'nas', '--path', nas]);
  a(['schedule', 'add', '--name', 'Home', '--source', homeA, '--destination', 'nas', '--cron', '0 3 * * *']);
  a(['run', 'Home']);
  const [machineA] = machineFolders(nas) as [string];
  b(['destination', 'add', '--name', 'nas', '--path', nas]);
  b(['schedule', 'add', '--name', 'Notes', '--source', homeB, '--destination', 'nas', '--cron', '0 4 * * *']);
  b(['run', 'Notes']);
  const machineB = machineFolders(nas).find((name) => name !== machineA);
  assert.ok(machineB, `laptop B writes under a folder of its own: ${machineFolders(nas).join(', ')}`);

  // One flipped byte in the data of damage-me.dat, found by its unique content in B's uncompressed archive.
  const [archiveB] = readdirSync(join(nas, 'Dormouse', machineB, 'Notes')).filter((name) => name.endsWith('.tar'));
  assert.ok(archiveB, "laptop B's archive");
  const archivePath = join(nas, 'Dormouse', machineB, 'Notes', archiveB);
  const bytes = readFileSync(archivePath);
  const at = bytes.indexOf(marker);
  assert.ok(at >= 0 && bytes.indexOf(marker, at + 1) === -1, 'the file is stored once, uncompressed');
  flipByte(archivePath, at + 200);

  const daemon = await startUiDaemon(t, join(root, 'b-data'), ['--settle-seconds', '3600']);
  const { page, problems } = await openWindow(t, daemon.url, 15_000);
  await page.getByRole('navigation', { name: 'Dormouse' }).getByRole('button', { name: 'Restore' }).click();
  const machine = page.getByRole('combobox', { name: 'Machine' });
  const snapshots = page.getByRole('list', { name: 'Snapshots' });
  const main = page.getByRole('main');

  await t.test("by default only this laptop's snapshots are listed; the Machine choice names the other laptop", async () => {
    await snapshots.getByRole('listitem').filter({ hasText: 'Notes' }).waitFor();
    assert.deepEqual(await machine.locator('option').allTextContents(), ['This laptop', machineA, 'All machines']);
    assert.equal(await machine.locator('option:checked').textContent(), 'This laptop');
    assert.equal(await snapshots.getByRole('listitem').count(), 1, "laptop A's Home is not among this laptop's");
    assert.equal(await snapshots.getByText(/^from /).count(), 0, "this laptop's own snapshot is not marked with a machine");
  });

  await t.test("by keyboard: Tab to Machine, choose the other laptop; its Home snapshot is listed, marked with its machine", async () => {
    await tabTo(page, machine);
    await page.keyboard.press('ArrowDown');
    assert.equal(await machine.locator('option:checked').textContent(), machineA);
    const home = snapshots.getByRole('listitem').filter({ hasText: 'Home' });
    await home.getByText(`from ${machineA}`).waitFor();
    assert.equal(await snapshots.getByRole('listitem').count(), 1, "only laptop A's snapshot");
    await page.screenshot({ path: join(screenshotFolder(), 'restore-other-machine.png') });
  });

  await t.test("Browse and Restore, by keyboard: laptop A's files come back on laptop B", async () => {
    const browse = snapshots.getByRole('listitem').filter({ hasText: 'Home' }).getByRole('button', { name: /^Browse snapshot \d+$/ });
    await tabTo(page, browse);
    await page.keyboard.press('Enter');
    await main.getByRole('heading', { level: 3, name: new RegExp(`^Home: snapshot of .* from ${machineA}$`) }).waitFor();
    const into = join(root, 'A restored on B');
    const target = main.getByRole('textbox', { name: 'New folder' });
    await suggestedFolder(target);
    await tabTo(page, target);
    await page.keyboard.press('Control+A');
    await page.keyboard.type(into);
    await tabTo(page, main.getByRole('button', { name: 'Restore', exact: true }));
    await page.keyboard.press('Enter');
    const status = main.getByRole('status');
    await status.getByText('Restored 2 files').waitFor();
    assert.equal(await status.getByText(/damaged|not restored|not everything/).count(), 0, 'nothing is said missing from a whole restore');
    assert.equal(readFileSync(join(into, homeA.slice(1), 'letters', 'to-grandma.txt'), 'utf8'), 'Dear grandma, from laptop A\n');
    assert.equal(readFileSync(join(into, homeA.slice(1), 'todo.txt'), 'utf8'), "laptop A's list\n");
    await main.getByRole('button', { name: '← All snapshots' }).click();
  });

  await t.test('All machines lists both laptops\' snapshots; only the other laptop\'s is marked', async () => {
    await machine.selectOption({ label: 'All machines' });
    await snapshots.getByRole('listitem').filter({ hasText: 'Notes' }).waitFor();
    assert.equal(await snapshots.getByRole('listitem').count(), 2);
    assert.deepEqual(await snapshots.getByText(/^from /).allTextContents(), [`from ${machineA}`]);
    assert.equal(await snapshots.getByRole('listitem').filter({ hasText: 'Home' }).getByText(`from ${machineA}`).count(), 1);
  });

  await t.test('restoring the damaged snapshot: the window says the file was damaged and not restored, its path one click away', async () => {
    await machine.selectOption({ label: 'This laptop' });
    await snapshots.getByRole('listitem').filter({ hasText: 'Notes' }).getByRole('button', { name: /^Browse snapshot \d+$/ }).click();
    const into = join(root, 'B restored');
    const folder = main.getByRole('textbox', { name: 'New folder' });
    await suggestedFolder(folder);
    await folder.fill(into);
    assert.equal(await folder.inputValue(), into, 'the folder is typed in before Restore is pressed');
    await main.getByRole('button', { name: 'Restore', exact: true }).click();
    const status = main.getByRole('status');
    await status.getByText(/Restored 1 file \(/).waitFor();
    assert.equal(await status.locator('.path').first().textContent(), into, 'the report names the folder restored into');
    await status.getByText('1 file was damaged in the backup and not restored').waitFor();
    const damagedList = status.getByRole('list', { name: 'Damaged files, not restored', includeHidden: true });
    assert.equal(await damagedList.isVisible(), false, 'the paths wait behind a click');
    const show = status.getByRole('button', { name: 'Show the damaged file' });
    assert.equal(await show.getAttribute('aria-expanded'), 'false');
    await tabTo(page, show);
    await page.keyboard.press('Enter');
    await status.getByRole('button', { name: 'Hide the damaged file' }).waitFor();
    assert.equal(await status.getByRole('button', { name: 'Hide the damaged file' }).getAttribute('aria-expanded'), 'true');
    assert.deepEqual(await damagedList.getByRole('listitem').allTextContents(), [join(homeB, 'damage-me.dat')]);
    assert.equal(await status.getByText(/existing|already there/).count(), 0, 'damaged files are not said to be conflicts');
    await page.screenshot({ path: join(screenshotFolder(), 'restore-damaged.png') });

    assert.equal(existsSync(join(into, homeB.slice(1), 'damage-me.dat')), false, 'nothing is left under the damaged file\'s name');
    assert.equal(readFileSync(join(into, homeB.slice(1), 'keep.txt'), 'utf8'), 'this one is fine\n', 'the rest is restored');

    await status.getByRole('button', { name: 'Verify this snapshot' }).click();
    await status.getByText(/^Verify found this snapshot damaged: /).waitFor();
  });

  assert.deepEqual(problems, []);
});
