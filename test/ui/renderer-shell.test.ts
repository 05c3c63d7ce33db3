import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasChromium, launchChromium, serveFolder } from '../helpers/browser';
import { repoRoot } from '../helpers/cli';

test('the built renderer loads in Debian Chromium under its strict CSP without errors', { skip: hasChromium() ? false : 'Debian chromium is not installed (apt-get install -y chromium); .ci/run installs it' }, async (t) => {
  const { url, server } = await serveFolder(join(repoRoot, 'dist', 'renderer'));
  t.after(() => server.close());
  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(url);
  await page.getByRole('heading', { name: 'Dormouse' }).waitFor();
  assert.deepEqual(problems, []);
  const shots = join(repoRoot, 'test-output', 'screenshots');
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, 'renderer-shell.png') });
});
