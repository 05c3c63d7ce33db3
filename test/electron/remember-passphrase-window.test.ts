// The passphrase dialog's "Remember on this computer" box (#17), in Debian's Chromium: the built
// window talks to the real main entry (stand-in electron module, real preload, real workers) through
// app-page.ts. Ticked, the passphrase is remembered in the (stand-in) keychain: after a reload, which
// empties the window's memory, the snapshot opens without asking. Forget on the Destinations screen;
// a passphrase changed elsewhere is asked again with the reason; no box where there is no keyring.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { axeViolations } from '../helpers/axe';
import { hasChromium } from '../helpers/browser';
import { dormouse } from '../helpers/cli';
import { addEncryptedVault, loadMainEntry, prepareDataFolder, waitFor, type DataFolder, type EncryptedVault, type LoadedApp } from './app-harness';
import { openAppPage } from './app-page';
import { screenshotFolder } from '../ui/ui-daemon';

const skip = hasChromium() ? false : 'Debian chromium is not installed (apt-get install -y chromium); .ci/run installs it';
const passphrase = 'correct horse battery staple';

let folder: DataFolder;
let vault: EncryptedVault;
let loaded: LoadedApp;

before(() => {
  if (skip) return;
  folder = prepareDataFolder({}, { settleSeconds: 3_600 });
  vault = addEncryptedVault(folder, passphrase);
  loaded = loadMainEntry(folder, { hidden: false });
});

after(async () => {
  await loaded?.cleanUp();
});

/** Opens snapshot 1 of the Restore screen, as a person would after opening the window. */
async function browseSnapshot(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Dormouse' }).getByRole('button', { name: 'Restore', exact: true }).click();
  await page.getByRole('button', { name: `Browse snapshot ${vault.snapshotId}` }).click();
}

async function expectListed(page: Page): Promise<void> {
  await page.getByRole('button', { name: `${vault.source.split('/').at(-1)}/` }).or(page.getByText('diary.txt')).first().waitFor();
}

test('ticking "Remember on this computer" keeps the passphrase in the keychain: after a reload the snapshot opens without asking; Forget asks again; a passphrase changed elsewhere is asked for with the reason', { skip }, async (t) => {
  const appWindow = await waitFor('the settings window and its preload', () => loaded.electron.BrowserWindow.instances[0]?.exposed && loaded.electron.BrowserWindow.instances[0]);
  const { page, problems } = await openAppPage(t, appWindow);
  const dialog = page.getByRole('dialog', { name: 'Passphrase for vault' });
  const remember = dialog.getByRole('checkbox', { name: 'Remember on this computer (in the system keychain)' });

  await t.test('the dialog offers the box, unticked, with no serious accessibility problem', async () => {
    await browseSnapshot(page);
    await dialog.waitFor();
    await remember.waitFor();
    assert.equal(await remember.isChecked(), false);
    assert.match((await dialog.textContent()) ?? '', /It is kept in this window until it closes, unless you have this computer remember it\./);
    assert.deepEqual(await axeViolations(page), []);
    await page.screenshot({ path: join(screenshotFolder(), 'passphrase-dialog-remember.png') });
  });

  await t.test('ticked, with the right passphrase: listed, and after a reload (the window\'s memory gone) listed again without a dialog', async () => {
    await dialog.getByLabel('Passphrase').fill(passphrase);
    await remember.check();
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await expectListed(page);
    assert.ok(existsSync(join(folder.dataDir, 'keychain-secrets.json')), 'sealed into the data folder');
    await page.reload();
    await browseSnapshot(page);
    await expectListed(page);
    assert.equal(await dialog.count(), 0, 'not asked');
  });

  await t.test('the Destinations screen says it is remembered; Forget passphrase, and the next browse asks again', async () => {
    await page.getByRole('navigation', { name: 'Dormouse' }).getByRole('button', { name: 'Destinations', exact: true }).click();
    const forget = page.getByRole('button', { name: 'Forget the passphrase of vault' });
    await forget.click();
    await forget.waitFor({ state: 'detached' });
    await page.reload();
    await browseSnapshot(page);
    await dialog.waitFor();
    await dialog.getByLabel('Passphrase').fill(passphrase);
    await remember.check();
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
  });

  await t.test('a passphrase changed with the CLI since: the dialog says the remembered one no longer opens the key, and the new one opens it', async () => {
    const newFile = join(folder.root, 'new-passphrase.txt');
    writeFileSync(newFile, 'a brand new passphrase for the vault\n');
    const changed = dormouse(['--data-dir', folder.dataDir, 'destination', 'passphrase', 'vault', '--passphrase-file', vault.passphraseFile, '--new-passphrase-file', newFile, '--json']);
    assert.equal(changed.code, 0, changed.stderr);
    await page.reload();
    await browseSnapshot(page);
    await dialog.getByRole('alert').getByText('the passphrase remembered for "vault" no longer opens its key (was it changed with `dormouse destination passphrase`?), so it is forgotten; type the current one').waitFor();
    await dialog.getByLabel('Passphrase').fill('a brand new passphrase for the vault');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await expectListed(page);
  });

  await t.test('on a Linux desktop without a keyring (basic_text) there is no box, and the dialog says why', async () => {
    loaded.electron.safeStorage.linuxBackend = 'basic_text';
    try {
      await page.reload();
      await browseSnapshot(page);
      await dialog.getByText('Dormouse cannot remember it here: this desktop has no keyring Dormouse can use', { exact: false }).waitFor();
      assert.equal(await dialog.getByRole('checkbox').count(), 0);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
    } finally {
      loaded.electron.safeStorage.linuxBackend = 'gnome_libsecret';
    }
  });

  assert.deepEqual(problems, []);
});
