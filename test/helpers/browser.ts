import { existsSync } from 'node:fs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

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

/**
 * Opens the window at `url` in a fresh Chromium (closed when the test ends), 800×600 as a small
 * laptop window, collecting every page error and console error in `problems` for the test to check.
 */
export async function openWindow(t: { after: (fn: () => Promise<void> | void) => void }, url: string, defaultTimeoutMs?: number): Promise<{ page: Page; problems: string[] }> {
  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  if (defaultTimeoutMs !== undefined) page.setDefaultTimeout(defaultTimeoutMs);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => void (message.type() === 'error' && problems.push(message.text())));
  await page.goto(url);
  return { page, problems };
}

/**
 * Waits for the restore screen to suggest a folder (it asks the engine when a snapshot opens), as a
 * person sees it appear before typing their own: typing while it lands mixes the two.
 */
export async function suggestedFolder(field: Locator): Promise<void> {
  for (let waited = 0; (await field.inputValue()) === ''; waited += 20) {
    if (waited > 10_000) throw new Error('the window suggested no folder to restore into within 10 s');
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
}
