import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium: the only browser these machines can have (Playwright's own download cannot work here). */
export const chromiumPath = '/usr/bin/chromium';

/** Whether the real browser is installed; .ci/run installs it, a developer may not have yet. */
export function hasChromium(): boolean {
  return existsSync(chromiumPath);
}

/** Launches Debian's Chromium headless with the flags this closed network needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
