// Encrypted destinations in the window (#17, #19): the "Encrypt this destination" switch of the
// add-destination form and of the first-run setup, with its passphrase typed twice and refused in
// words when too short or not matching; a backup made by the CLI to it; and browsing and restoring
// its snapshot, where the window asks for the passphrase once in a small dialog (a wrong one is
// refused with the engine's words) and keeps it in memory only. All in Debian's Chromium, with the
// real daemon and CLI, and axe-core on the dialog.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { DestinationView, JobView } from '../../shared/types';
import { axeViolations } from '../helpers/axe';
import { hasChromium, openWindow, suggestedFolder } from '../helpers/browser';
import { dormouse, expectOk } from '../helpers/cli';
import { api, apiValue, eventually, screenshotFolder, startUiDaemon, temporaryRoot } from './ui-daemon';

const skip = hasChromium() ? false : 'Debian chromium is not installed (apt-get install -y chromium); .ci/run installs it';
const passphrase = 'correct horse battery staple';

/** What the focused element is, as a person using the keyboard would be told: its type and its label. */
function focused(page: Page): Promise<string> {
  return page.evaluate(`(() => { const element = document.activeElement; return (element.type ?? element.tagName) + ': ' + (element.labels?.[0]?.textContent?.trim() ?? element.textContent?.trim()); })()`) as Promise<string>;
}

test('an encrypted destination added in the window, backed up by the CLI, then browsed and restored with its passphrase asked once', { skip }, async (t) => {
  const root = temporaryRoot(t, 'dormouse-encrypted-window-');
  const data = join(root, 'data');
  const documents = join(root, 'home', 'Documents');
  const plain = join(root, 'plain-drive');
  const vault = join(root, 'vault-drive');
  for (const folder of [documents, plain, vault]) mkdirSync(folder, { recursive: true });
  writeFileSync(join(documents, 'diary.txt'), 'Dear diary, nobody reads this.\n');
  writeFileSync(join(documents, 'budget.csv'), 'rent,900\n');
  expectOk(dormouse(['destination', 'add', '--name', 'plain', '--path', plain, '--json', '--data-dir', data]));
  const daemon = await startUiDaemon(t, data, ['--settle-seconds', '3600']);
  const { page, problems } = await openWindow(t, daemon.url, 15_000);
  const nav = (label: string) => page.getByRole('navigation', { name: 'Dormouse' }).getByRole('button', { name: label, exact: true });
  const form = page.getByRole('form', { name: 'Add a destination' });

  await t.test('the switch is off by default; on, it asks for the passphrase twice and warns that a lost passphrase means lost backups', async () => {
    await nav('Destinations').click();
    const encrypt = form.getByRole('switch', { name: 'Encrypt this destination' });
    assert.equal(await encrypt.isChecked(), false);
    assert.equal(await form.getByLabel('Passphrase', { exact: true }).count(), 0, 'no passphrase field while the switch is off');
    await form.getByRole('textbox', { name: 'Name' }).fill('vault');
    await form.getByRole('textbox', { name: 'Folder' }).fill(vault);
    await encrypt.check();
    assert.equal(await form.getByLabel('Passphrase', { exact: true }).getAttribute('type'), 'password');
    assert.equal(await form.getByLabel('Passphrase again').getAttribute('type'), 'password');
    const warning = ((await form.getByText('Keep this passphrase safe.').locator('..').textContent()) ?? '').replace(/\s+/g, ' ');
    assert.match(warning, /If it is lost, the backups are lost: nobody, Dormouse included, can open them without it\. Write it down and keep it somewhere safe/);
    assert.deepEqual(await axeViolations(page), []);
  });

  await t.test('a passphrase of 9 characters is refused saying why, and one typed differently twice too; nothing is added', async () => {
    await form.getByLabel('Passphrase', { exact: true }).fill('short one');
    await form.getByLabel('Passphrase again').fill('short one');
    await form.getByRole('button', { name: 'Add destination' }).click();
    const alert = form.getByRole('alert');
    assert.equal(await alert.textContent(), 'The passphrase is too short: it has 9 characters, and needs at least 12. It is all that protects the backups on a lost drive; a few unrelated words are long enough and easy to remember.');
    await form.getByLabel('Passphrase', { exact: true }).fill(passphrase);
    await form.getByLabel('Passphrase again').fill('correct horse battery stable');
    await form.getByRole('button', { name: 'Add destination' }).click();
    await alert.getByText('The two passphrases do not match: type the same passphrase in both fields.').waitFor();
    assert.deepEqual((await apiValue<DestinationView[]>(daemon, 'destinations:list')).map((each) => each.name), ['plain']);
    assert.deepEqual(readdirSync(vault), [], 'nothing was written to the folder');
  });

  await t.test('with the passphrase typed the same twice the destination is added, encrypted, and the list says so', async () => {
    await form.getByLabel('Passphrase again').fill(passphrase);
    await form.getByRole('button', { name: 'Add destination' }).click();
    const row = page.getByRole('listitem').filter({ has: page.getByText('vault', { exact: true }) });
    await row.getByText('Encrypted', { exact: true }).waitFor();
    assert.equal(await page.getByRole('listitem').filter({ has: page.getByText('plain', { exact: true }) }).getByText('Encrypted', { exact: true }).count(), 0);
    assert.equal(await form.getByRole('switch', { name: 'Encrypt this destination' }).isChecked(), false, 'the form is ready for another destination');
    const listed = await apiValue<DestinationView[]>(daemon, 'destinations:list');
    assert.deepEqual(listed.map((each) => [each.name, each.encrypted]), [['plain', false], ['vault', true]]);
    assert.ok(readdirSync(vault).includes('.dormouse-key.age'), 'the key, locked with the passphrase, is on the drive');
    await page.screenshot({ path: join(screenshotFolder(), 'encrypted-destination-added.png'), fullPage: true });
  });

  let archivePath = '';
  await t.test('the CLI adds a schedule to it and backs up, without the passphrase: an .age archive', () => {
    expectOk(dormouse(['schedule', 'add', '--name', 'Documents', '--source', documents, '--destination', 'vault', '--cron', '0 9 * * *', '--json', '--data-dir', data]));
    const job = expectOk<JobView>(dormouse(['run', 'Documents', '--json', '--data-dir', data]));
    assert.equal(job.status, 'succeeded');
    archivePath = job.archivePath as string;
    assert.match(archivePath, /\.tar\.age$/);
    assert.ok(!readFileSync(archivePath).includes('Dear diary'), 'the archive does not give the diary away');
  });

  const dialog = page.getByRole('dialog', { name: 'Passphrase for vault' });
  await t.test('browsing the snapshot asks for the passphrase in a dialog, focused on its field, with no serious accessibility problem', async () => {
    await nav('Restore').click();
    await page.getByRole('button', { name: 'Browse snapshot 1' }).click();
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', /vault is encrypted\. Type its passphrase to list the files in this snapshot\./);
    // Served by the daemon, there is no keychain: no box to tick, and the dialog says why.
    await dialog.getByText('Dormouse cannot remember it here: only the Dormouse app remembers passphrases, in the system keychain;', { exact: false }).waitFor();
    assert.equal(await dialog.getByRole('checkbox').count(), 0);
    assert.equal(await focused(page), 'password: Passphrase');
    assert.deepEqual(await axeViolations(page), []);
    await page.emulateMedia({ colorScheme: 'dark' });
    assert.deepEqual(await axeViolations(page), []);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: join(screenshotFolder(), 'encrypted-passphrase-dialog.png') });
  });

  await t.test('a wrong passphrase, typed and sent with Enter, is refused with the engine\'s words, and the dialog asks again', async () => {
    await page.keyboard.type('correct horse battery stable');
    await page.keyboard.press('Enter');
    const refused = dialog.getByRole('alert');
    await refused.waitFor();
    assert.match((await refused.textContent()) ?? '', /^the passphrase does not open this destination's key \(.*\.dormouse-key\.age\); check it and try again$/);
    assert.equal(await dialog.getByLabel('Passphrase').inputValue(), '', 'the field is empty for another try');
    await eventually(async () => (await focused(page)) === 'password: Passphrase', 5_000, 'the field focused again');
    assert.equal(await page.getByRole('list', { name: 'Snapshot contents' }).getByRole('listitem').count(), 0);
  });

  await t.test('Escape closes the dialog, and the window says the snapshot stays closed without the passphrase', async () => {
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('alert').getByText('vault is encrypted: without its passphrase this snapshot cannot be opened.').waitFor();
  });

  await t.test('the right passphrase lists the files; browsing again and restoring do not ask again', async () => {
    await page.getByRole('button', { name: '← All snapshots' }).click();
    await page.getByRole('button', { name: 'Browse snapshot 1' }).click();
    await dialog.waitFor();
    await page.keyboard.type(passphrase);
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Documents/' }).click();
    const contents = page.getByRole('list', { name: 'Snapshot contents' });
    await contents.getByText('diary.txt').waitFor();
    assert.deepEqual((await contents.getByRole('checkbox').evaluateAll((boxes) => boxes.map((box) => box.getAttribute('aria-label')))).sort(), ['Choose budget.csv', 'Choose diary.txt']);
    await page.screenshot({ path: join(screenshotFolder(), 'encrypted-snapshot-listed.png') });

    await page.getByRole('button', { name: '← All snapshots' }).click();
    await page.getByRole('button', { name: 'Browse snapshot 1' }).click();
    await page.getByRole('button', { name: 'Documents/' }).click();
    await contents.getByText('diary.txt').waitFor();
    await page.getByRole('checkbox', { name: 'Choose diary.txt' }).check();
    const into = join(root, 'Restored');
    const folder = page.getByRole('textbox', { name: 'New folder' });
    await suggestedFolder(folder);
    await folder.fill(into);
    await page.getByRole('main').getByRole('button', { name: 'Restore', exact: true }).click();
    await page.getByRole('status').getByText(/Restored 1 file \(/).waitFor();
    assert.equal(await dialog.count(), 0, 'the passphrase was not asked again');
    assert.equal(readFileSync(join(into, documents.slice(1), 'diary.txt'), 'utf8'), 'Dear diary, nobody reads this.\n');
  });

  await t.test('the passphrase is kept in memory only: not in the page\'s storage, and asked again after a reload', async () => {
    const stored = (await page.evaluate('JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])')) as string;
    assert.ok(!stored.includes('horse'), stored);
    await page.reload();
    await nav('Restore').click();
    await page.getByRole('button', { name: 'Browse snapshot 1' }).click();
    await dialog.waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  await t.test('Verify checks every file: it asks for the passphrase rather than calling the encrypted file\'s checksum "Verified"', async () => {
    // The engine's two answers: without the passphrase, the encrypted file's SHA-256 alone and saying so; asked for every file, refused.
    const sealed = await apiValue<{ ok: boolean; snapshots: { contentsChecked: boolean }[] }>(daemon, 'snapshots:verify', { snapshotId: 1 });
    assert.deepEqual([sealed.ok, sealed.snapshots[0]?.contentsChecked], [true, false]);
    const refused = await api(daemon, 'snapshots:verify', { snapshotId: 1, contents: true });
    assert.equal(refused.ok ? 'answered' : refused.error.code, 'PASSPHRASE_NEEDED');

    await page.getByRole('button', { name: '← All snapshots' }).click();
    await page.getByRole('button', { name: 'Verify snapshot 1' }).click();
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', /vault is encrypted\. Type its passphrase to check every file in this snapshot\./);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('alert').getByText('Not verified: vault is encrypted: without its passphrase this snapshot cannot be opened.').waitFor();
    assert.equal(await page.getByText('Verified', { exact: true }).count(), 0);

    await page.getByRole('button', { name: 'Verify snapshot 1' }).click();
    await dialog.waitFor();
    await page.keyboard.type(passphrase);
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('Verified', { exact: true }).waitFor();
  });

  assert.deepEqual(problems, []);
});

test('first run with "Encrypt this destination" on: a short passphrase is refused, then the first backup succeeds to an .tar.age archive and the recovery kit is offered at once', { skip }, async (t) => {
  const root = temporaryRoot(t, 'dormouse-encrypted-first-run-');
  const home = join(root, 'home');
  const documents = join(home, 'Documents');
  const drive = join(root, 'drive');
  for (const folder of [documents, drive]) mkdirSync(folder, { recursive: true });
  writeFileSync(join(documents, 'letter.txt'), 'Dear Dormouse,\n');
  const data = join(root, 'data');
  const daemon = await startUiDaemon(t, data, ['--settle-seconds', '3600'], { HOME: home });
  const { page, problems } = await openWindow(t, daemon.url, 15_000);
  const setup = page.getByRole('form', { name: 'Set up your backups' });

  await setup.getByRole('checkbox', { name: documents }).check();
  await setup.getByRole('textbox', { name: 'Folder', exact: true }).fill(drive);
  const encrypt = setup.getByRole('switch', { name: 'Encrypt this destination' });
  assert.equal(await encrypt.isChecked(), false);
  await encrypt.check();
  await setup.getByText('nobody, Dormouse included, can open them without it').waitFor();
  await setup.getByLabel('Passphrase', { exact: true }).fill('tiny');
  await setup.getByLabel('Passphrase again').fill('tiny');
  await setup.getByRole('button', { name: 'Start the first backup' }).click();
  await setup.getByRole('alert').getByText('The passphrase is too short: it has 4 characters, and needs at least 12.', { exact: false }).waitFor();
  assert.deepEqual(await apiValue<DestinationView[]>(daemon, 'destinations:list'), [], 'nothing was added');
  await page.screenshot({ path: join(screenshotFolder(), 'encrypted-first-run-refused.png'), fullPage: true });

  await setup.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await setup.getByLabel('Passphrase again').fill(passphrase);
  await setup.getByRole('button', { name: 'Start the first backup' }).click();
  await page.getByText('Your first backup is done:').waitFor({ timeout: 30_000 });
  // The recovery kit is offered at once, with the warning in plain words.
  await page.getByText('If the passphrase of Backup drive is lost, its backups are lost:').waitFor();
  const kitForm = page.getByRole('form', { name: 'Recovery kit of Backup drive' });
  const stick = join(root, 'usb-stick');
  mkdirSync(stick);
  await kitForm.getByRole('textbox', { name: 'Save the recovery kit in' }).fill(stick);
  await kitForm.getByRole('button', { name: 'Save recovery kit' }).click();
  await page.getByRole('status').getByText('Saved the recovery kit in', { exact: false }).waitFor();
  assert.deepEqual(readdirSync(join(stick, 'Dormouse recovery kit - Backup drive')).sort(), ['RECOVERY.txt', 'dormouse-key.age']);
  assert.deepEqual(await axeViolations(page), []);
  const job = await eventually(async () => (await apiValue<JobView[]>(daemon, 'jobs:list', {})).find((each) => each.status === 'succeeded'), 5_000, 'the job');
  assert.match(job.archivePath as string, /\.tar\.age$/);
  const [destination] = await apiValue<DestinationView[]>(daemon, 'destinations:list');
  assert.equal(destination?.encrypted, true);
  // The passphrase typed in the setup opens it: the CLI lists the letter with it.
  const snapshotId = String((await apiValue<{ id: number }[]>(daemon, 'snapshots:list', {}))[0]?.id);
  const listing = expectOk<{ entries: { name: string }[] }>(dormouse(['ls', snapshotId, documents, '--json', '--data-dir', data], { env: { DORMOUSE_PASSPHRASE: passphrase } }));
  assert.deepEqual(listing.entries.map((entry) => entry.name), ['letter.txt']);
  assert.deepEqual(problems, []);
});
