// The per-start token travels as a cookie once the page has loaded. Browsers scope cookies by host,
// not by port, so these tests look at what that cookie does beyond the one daemon it is meant for.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasChromium, launchChromium } from '../helpers/browser';
import { startUiDaemon, temporaryRoot } from './ui-daemon';

const skip = hasChromium() ? false : 'Debian chromium is not installed (apt-get install -y chromium); .ci/run installs it';

test('the token is not sent to other servers on 127.0.0.1 once the settings window has been opened', { skip }, async (t) => {
  const root = temporaryRoot(t, 'dormouse-token-cookie-');
  const daemon = await startUiDaemon(t, join(root, 'data'));
  const seen: IncomingHttpHeaders[] = [];
  const other = createServer((request, response) => {
    seen.push(request.headers);
    response.writeHead(200, { 'content-type': 'text/html' }).end('<p>another local web app</p>');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', () => resolve()));
  t.after(() => other.close());
  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  await page.goto(daemon.url);
  await page.getByRole('heading', { level: 2, name: 'Set up your backups' }).waitFor(); // an empty catalog opens on the first-run setup
  await page.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
  await page.getByText('another local web app').waitFor();
  assert.ok(seen.length > 0);
  const leaked = seen.filter((headers) => JSON.stringify(headers).includes(daemon.token));
  assert.deepEqual(
    leaked.map((headers) => headers.cookie),
    [],
    `a web server on another port of 127.0.0.1 received the Dormouse token (with it, any local program can drive the engine API)`,
  );
});

test('two daemons on one machine: opening the second settings window does not sign the first one out', { skip }, async (t) => {
  const root = temporaryRoot(t, 'dormouse-two-daemons-');
  const first = await startUiDaemon(t, join(root, 'first'));
  const second = await startUiDaemon(t, join(root, 'second'));
  const browser = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
  const firstTab = await context.newPage();
  await firstTab.goto(first.url);
  await firstTab.getByRole('heading', { level: 2, name: 'Set up your backups' }).waitFor(); // an empty catalog opens on the first-run setup
  const secondTab = await context.newPage();
  await secondTab.goto(second.url);
  await secondTab.getByRole('heading', { level: 2, name: 'Set up your backups' }).waitFor(); // an empty catalog opens on the first-run setup

  // Back in the first window, as a person would: another screen, which asks its daemon for data.
  await firstTab.bringToFront();
  const status = await firstTab.evaluate<number>(
    "fetch('/api/destinations:list', { method: 'POST', body: '{}', headers: { authorization: 'Bearer ' + document.querySelector('meta[name=dormouse-token]').content } }).then((response) => response.status)",
  );
  assert.equal(status, 200, "the first window's own token still works after the second window opened");
  await firstTab.getByRole('navigation', { name: 'Dormouse' }).getByRole('button', { name: 'Destinations' }).click();
  await firstTab.getByText('No destinations yet.').waitFor({ timeout: 10_000 });
});
