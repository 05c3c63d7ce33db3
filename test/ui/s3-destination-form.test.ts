// The add-destination form's S3 choice (#18) in Debian's Chromium, with the real daemon and Ceph's
// RADOS Gateway: the fields and their labels (axe-clean), encryption on by default with a plain
// warning when turned off, where the keys will be kept (a 0600 file: the daemon has no keychain),
// wrong keys refused in the engine's words, and an S3 bucket prefix added, listed as S3, available
// and encrypted, with its secret key nowhere in the page afterwards.
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DestinationView } from '../../shared/types';
import { axeViolations } from '../helpers/axe';
import { hasChromium, openWindow } from '../helpers/browser';
import { clientOf, noCeph, useS3Server } from '../s3/s3-kit';
import { apiValue, screenshotFolder, startUiDaemon, temporaryRoot } from './ui-daemon';

const skip = !hasChromium() ? 'Debian chromium is not installed (apt-get install -y chromium); .ci/run installs it' : noCeph;
const server = useS3Server();
const passphrase = 'a bucket far from the flood';

test('an S3 destination added in the window: keys checked, encrypted by default, its secret key never shown again', { skip }, async (t) => {
  const root = temporaryRoot(t, 'dormouse-s3-window-');
  await clientOf(server(), 'family').createBucket();
  const daemon = await startUiDaemon(t, join(root, 'data'), ['--settle-seconds', '3600'], { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SHARED_CREDENTIALS_FILE: join(root, 'no-aws-file') });
  const { page } = await openWindow(t, daemon.url, 30_000);
  const form = page.getByRole('form', { name: 'Add a destination' });
  const encrypt = form.getByRole('switch', { name: 'Encrypt this destination' });
  const wrongSecret = 'not-the-secret-key-at-all';

  await t.test('choosing S3 shows its labelled fields, the secret key as a password, and turns encryption on; no accessibility problem', async () => {
    await page.getByRole('navigation', { name: 'Dormouse' }).getByRole('button', { name: 'Destinations', exact: true }).click();
    assert.equal(await form.getByRole('radio', { name: 'A folder (drive, NAS share)' }).isChecked(), true);
    assert.equal(await encrypt.isChecked(), false, 'a folder is not encrypted by default');
    await form.getByRole('radio', { name: 'S3-compatible storage' }).check();
    assert.equal(await form.getByRole('textbox', { name: 'Folder' }).count(), 0);
    assert.equal(await encrypt.isChecked(), true, 'S3 is encrypted by default');
    assert.equal(await form.getByLabel('Secret access key').getAttribute('type'), 'password');
    // The daemon has no keychain: the form says where the keys will be, under the secret key's field.
    const keysGo = form.getByText(/^The keys are kept in \/.*\/s3-credentials\.json, readable only by your user account \(only the Dormouse app keeps them in the system keychain\)\.$/);
    await keysGo.waitFor();
    assert.match((await form.getByLabel('Secret access key').getAttribute('aria-describedby')) ?? '', /s3-key-storage/);
    for (const label of ['S3 location', 'Endpoint URL (optional)', 'Region (optional)', 'Access key ID']) await form.getByRole('textbox', { name: label }).waitFor();
    await form.getByRole('checkbox', { name: /^Path-style addressing/ }).waitFor();
    assert.deepEqual(await axeViolations(page), []);
    await encrypt.uncheck();
    await form.getByText('Not encrypted: whoever can read the bucket', { exact: false }).waitFor();
    assert.deepEqual(await axeViolations(page), []);
    await encrypt.check();
    assert.equal(await form.getByText('Not encrypted:', { exact: false }).count(), 0);
  });

  await t.test('wrong keys are refused with the engine\'s words, and nothing is added', async () => {
    await form.getByRole('textbox', { name: 'Name' }).fill('cloud');
    await form.getByRole('textbox', { name: 'S3 location' }).fill('s3://family/laptops');
    await form.getByRole('textbox', { name: 'Endpoint URL (optional)' }).fill(server().endpoint);
    await form.getByRole('checkbox', { name: /^Path-style addressing/ }).check();
    await form.getByRole('textbox', { name: 'Access key ID' }).fill(server().accessKeyId);
    await form.getByLabel('Secret access key').fill(wrongSecret);
    await form.getByLabel('Passphrase', { exact: true }).fill(passphrase);
    await form.getByLabel('Passphrase again').fill(passphrase);
    await form.getByRole('button', { name: 'Add destination' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    assert.match((await alert.textContent()) ?? '', /the access key or secret key is wrong/);
    assert.ok(!((await alert.textContent()) ?? '').includes(wrongSecret), 'the error does not repeat the secret key');
    assert.deepEqual(await apiValue<DestinationView[]>(daemon, 'destinations:list'), []);
  });

  await t.test('with the right keys the destination is added, listed as S3, available and encrypted, with no free space', async () => {
    await form.getByLabel('Secret access key').fill(server().secretAccessKey);
    await form.getByRole('button', { name: 'Add destination' }).click();
    const row = page.getByRole('listitem').filter({ has: page.getByText('cloud', { exact: true }) });
    await row.getByText('Encrypted', { exact: true }).waitFor({ timeout: 30_000 });
    await row.getByText('Connected', { exact: true }).waitFor();
    await row.getByText('S3-compatible storage: s3://family/laptops', { exact: true }).waitFor();
    assert.doesNotMatch((await row.textContent()) ?? '', / free/);
    assert.equal(await form.getByRole('alert').count(), 0);
    const listed = await apiValue<DestinationView[]>(daemon, 'destinations:list');
    assert.deepEqual(
      listed.map((each) => [each.name, each.kind, each.available, each.encrypted, each.freeBytes]),
      [['cloud', 's3', true, true, null]],
    );
    await page.screenshot({ path: join(screenshotFolder(), 's3-destination-added.png'), fullPage: true });
  });

  await t.test('the secret key appears nowhere in the page: not in its markup, text or any field', async () => {
    const secret = server().secretAccessKey;
    assert.ok(!(await page.content()).includes(secret), 'not in the markup');
    const values = (await page.evaluate('[...document.querySelectorAll("input, textarea")].map((element) => element.value)')) as string[];
    assert.ok(!values.some((value) => value.includes(secret)), 'not in any field');
    assert.equal(await form.getByLabel('Secret access key').inputValue(), '');
    assert.ok(!(await page.content()).includes(wrongSecret), 'nor the wrong one typed before');
  });
});
