// The window's recovery kit (#17): an encrypted destination's row warns in plain words that a lost
// passphrase means lost backups and saves its recovery kit to a folder the person names, refusing
// one on the drive itself. Debian's Chromium against the real daemon; axe-core in light and dark.
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations } from '../helpers/axe';
import { hasChromium, openWindow } from '../helpers/browser';
import { dormouse, expectOk } from '../helpers/cli';
import { screenshotFolder, startUiDaemon, temporaryRoot } from './ui-daemon';

const skip = hasChromium() ? false : 'Debian chromium is not installed (apt-get install -y chromium); .ci/run installs it';

test('an encrypted destination warns that a lost passphrase loses the backups, and saves its recovery kit to a folder elsewhere, never on the drive', { skip }, async (t) => {
  const root = temporaryRoot(t, 'dormouse-recovery-kit-window-');
  const data = join(root, 'data');
  const vault = join(root, 'vault-drive');
  const plain = join(root, 'plain-drive');
  const stick = join(root, 'usb-stick');
  for (const folder of [vault, plain, stick]) mkdirSync(folder);
  writeFileSync(join(root, 'passphrase.txt'), 'correct horse battery staple\n');
  expectOk(dormouse(['destination', 'add', '--name', 'vault', '--path', vault, '--encrypt', '--passphrase-file', join(root, 'passphrase.txt'), '--json', '--data-dir', data]));
  expectOk(dormouse(['destination', 'add', '--name', 'plain', '--path', plain, '--json', '--data-dir', data]));
  const daemon = await startUiDaemon(t, data, ['--settle-seconds', '3600']);
  const { page, problems } = await openWindow(t, daemon.url, 15_000);
  await page.getByRole('navigation', { name: 'Dormouse' }).getByRole('button', { name: 'Destinations', exact: true }).click();
  const vaultRow = page.getByRole('listitem').filter({ has: page.getByText('vault', { exact: true }) });
  const plainRow = page.getByRole('listitem').filter({ has: page.getByText('plain', { exact: true }) });
  const kitForm = vaultRow.getByRole('form', { name: 'Recovery kit of vault' });

  await t.test('the encrypted row says in plain words what a lost passphrase means; the plain one has no kit', async () => {
    await kitForm.waitFor();
    const warning = ((await vaultRow.getByText('If the passphrase of vault is lost, its backups are lost:').locator('..').textContent()) ?? '').replace(/\s+/g, ' ');
    assert.match(warning, /nobody, Dormouse included, can open them without it\. Save a recovery kit .* somewhere other than this destination\./);
    assert.equal(await plainRow.getByRole('form').count(), 0);
    assert.equal(await vaultRow.getByRole('button', { name: 'Forget the passphrase of vault' }).count(), 0, 'nothing is remembered where there is no keychain');
    assert.deepEqual(await axeViolations(page), []);
    await page.emulateMedia({ colorScheme: 'dark' });
    assert.deepEqual(await axeViolations(page), []);
    await page.emulateMedia({ colorScheme: 'light' });
  });

  await t.test('a folder on the drive itself is refused, saying why, and nothing is written', async () => {
    await kitForm.getByRole('textbox', { name: 'Save the recovery kit in' }).fill(vault);
    await kitForm.getByRole('button', { name: 'Save recovery kit' }).click();
    await vaultRow.getByRole('alert').getByText('is on the destination "vault" itself: a recovery kit kept on the drive is lost with it', { exact: false }).waitFor();
    assert.deepEqual(readdirSync(vault).sort(), ['.dormouse-destination.json', '.dormouse-key.age', 'RECOVERY.txt']);
  });

  await t.test('a folder elsewhere gets the kit: the locked key and the instructions, private to the user', async () => {
    await kitForm.getByRole('textbox', { name: 'Save the recovery kit in' }).fill(stick);
    await kitForm.getByRole('button', { name: 'Save recovery kit' }).click();
    const kit = join(stick, 'Dormouse recovery kit - vault');
    await vaultRow.getByRole('status').getByText(`Saved the recovery kit in ${kit}: dormouse-key.age and RECOVERY.txt. Keep it away from the drive; it still needs the passphrase.`).waitFor();
    assert.equal(await vaultRow.getByRole('alert').count(), 0, 'the earlier refusal is gone');
    assert.deepEqual(readFileSync(join(kit, 'dormouse-key.age')), readFileSync(join(vault, '.dormouse-key.age')));
    assert.match(readFileSync(join(kit, 'RECOVERY.txt'), 'utf8'), /^Recovery kit of the encrypted Dormouse destination "vault"/);
    for (const file of ['dormouse-key.age', 'RECOVERY.txt']) assert.equal(statSync(join(kit, file)).mode & 0o777, 0o600);
    await page.screenshot({ path: join(screenshotFolder(), 'recovery-kit-saved.png'), fullPage: true });
  });

  assert.deepEqual(problems, []);
});
