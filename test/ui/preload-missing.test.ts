// The app's window when its preload did not load: the page, opened from the app's own files (file:),
// has no window.dormouse and no HTTP host behind it. It must say so plainly, not try /api requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumPath, hasChromium } from '../helpers/browser';
import { repoRoot } from '../helpers/cli';

const skip = hasChromium() ? false : 'Debian chromium is not installed (apt-get install -y chromium); .ci/run installs it';

test('opened from file: without the preload, the window says it could not connect and asks for nothing over HTTP', { skip }, async (t) => {
  // Electron lets the app's file: page load its module scripts; Chromium needs this flag for that.
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--allow-file-access-from-files'] });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  const requests: string[] = [];
  page.on('request', (request) => void (request.url().includes('/api/') && requests.push(request.url())));
  await page.goto(`file://${join(repoRoot, 'dist', 'renderer', 'index.html')}`);
  const alert = page.getByRole('alert').filter({ hasText: 'could not connect to Dormouse' });
  await alert.waitFor({ timeout: 10_000 });
  assert.equal(
    await alert.textContent(),
    'This window could not connect to Dormouse: its preload script did not load. Quit Dormouse from the tray and start it again; if this keeps happening, reinstall Dormouse.',
  );
  assert.deepEqual(requests, [], 'no request to an HTTP bridge that is not there');
});
