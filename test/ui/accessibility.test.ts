// Every screen of the window, in light and in dark (prefers-color-scheme emulated), checked by
// axe-core in Debian's Chromium: no serious or critical violation. And the keyboard: Tab reaches
// every control of each screen, and the focused control shows a visible focus ring.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { JobView } from '../../shared/types';
import { hasChromium, openWindow } from '../helpers/browser';
import { dormouse, expectOk } from '../helpers/cli';
import { apiValue, eventually, startUiDaemon, temporaryRoot } from './ui-daemon';

const skip = hasChromium() ? false : 'Debian chromium is not installed (apt-get install -y chromium); .ci/run installs it';
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface Finding {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** Runs axe-core on the page as it is; answers the serious and critical violations, and how many of its rules the page passed. */
async function axeProblems(page: Page): Promise<{ violations: Finding[]; passed: number }> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(axeSource);
  const result = (await page.evaluate(
    `window.axe.run(document).then((result) => ({ passed: result.passes.length, violations: result.violations.map((each) => ({ id: each.id, impact: each.impact, help: each.help, targets: each.nodes.map((node) => node.target.join(' ')) })) }))`,
  )) as { violations: Finding[]; passed: number };
  return { passed: result.passed, violations: result.violations.filter((each) => each.impact === 'serious' || each.impact === 'critical') };
}

/**
 * Tabs through the whole page from the top: answers the enabled, visible controls Tab never
 * reached, and those that showed no focus ring (outline or box-shadow) when focused from the keyboard.
 */
async function keyboardProblems(page: Page): Promise<{ unreached: string[]; invisible: string[] }> {
  await page.evaluate(`(() => {
    window.__tabbed = new Set();
    window.__invisible = [];
    const controls = [...document.querySelectorAll('button, input, select, textarea, a[href], summary, [tabindex]:not([tabindex="-1"])')]
      .filter((element) => !element.disabled && element.getClientRects().length > 0 && !element.closest('fieldset:disabled'));
    controls.forEach((element, index) => element.setAttribute('data-control', String(index)));
    document.activeElement?.blur();
  })()`);
  const total = (await page.evaluate('document.querySelectorAll("[data-control]").length')) as number;
  for (let press = 0; press < total + 5; press += 1) {
    await page.keyboard.press('Tab');
    const done = await page.evaluate(`(() => {
      const element = document.activeElement;
      if (!element || element === document.body) return false;
      const id = element.getAttribute('data-control');
      if (id === null) return false;
      if (window.__tabbed.has(id)) return false;
      window.__tabbed.add(id);
      // A radio group is one Tab stop (arrow keys move within it): reaching one reaches the group.
      if (element.type === 'radio') document.querySelectorAll('input[type="radio"][name="' + element.name + '"][data-control]').forEach((radio) => window.__tabbed.add(radio.getAttribute('data-control')));
      const style = getComputedStyle(element);
      const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || (style.boxShadow && style.boxShadow !== 'none');
      if (!ring) window.__invisible.push(element.outerHTML.slice(0, 80));
      return false;
    })()`);
    if (done) break;
  }
  return (await page.evaluate(`(() => ({
    unreached: [...document.querySelectorAll('[data-control]')].filter((element) => !window.__tabbed.has(element.getAttribute('data-control'))).map((element) => element.outerHTML.slice(0, 80)),
    invisible: window.__invisible,
  }))()`)) as { unreached: string[]; invisible: string[] };
}

test('axe-core on every screen in light and dark, and every control reachable by keyboard with a visible focus', { skip }, async (t) => {
  const root = temporaryRoot(t, 'dormouse-accessibility-');
  const data = join(root, 'data');
  const emptyData = join(root, 'empty-data');
  const documents = join(root, 'Documents');
  const drive = join(root, 'drive');
  mkdirSync(documents);
  mkdirSync(drive);
  writeFileSync(join(documents, 'notes.txt'), 'notes\n');
  const socket = createServer();
  await new Promise<void>((resolve, reject) => socket.once('error', reject).listen(join(documents, 'player.sock'), resolve));
  t.after(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  expectOk(dormouse(['destination', 'add', '--name', 'usb', '--path', drive, '--json', '--data-dir', data]));
  expectOk(dormouse(['schedule', 'add', '--name', 'Documents', '--source', documents, '--destination', 'usb', '--cron', '0 9 * * *', '--keep-last', '1', '--json', '--data-dir', data]));
  const daemon = await startUiDaemon(t, data, ['--settle-seconds', '3600']);
  await apiValue(daemon, 'jobs:start', { name: 'Documents' });
  await eventually(async () => (await apiValue<JobView[]>(daemon, 'jobs:list', {})).find((each) => each.finishedAt !== null), 30_000, 'the backup');
  const firstRun = await startUiDaemon(t, emptyData, ['--settle-seconds', '3600']);

  const { page, problems } = await openWindow(t, daemon.url, 15_000);
  const nav = (label: string) => page.getByRole('navigation', { name: 'Dormouse' }).getByRole('button', { name: label, exact: true });
  const screens: { name: string; open: () => Promise<void> }[] = [
    { name: 'setup', open: async () => (await page.goto(firstRun.url), await page.getByRole('heading', { level: 2, name: 'Set up your backups' }).waitFor()) },
    { name: 'overview', open: async () => (await page.goto(daemon.url), await page.getByRole('article', { name: 'Documents' }).waitFor()) },
    { name: 'schedules', open: async () => (await nav('Schedules').click(), await page.getByRole('heading', { level: 2, name: 'Schedules' }).waitFor()) },
    { name: 'schedule editor', open: async () => (await page.getByRole('button', { name: 'New schedule' }).click(), await page.getByRole('form', { name: 'New schedule' }).waitFor()) },
    { name: 'destinations', open: async () => (await nav('Destinations').click(), await page.getByRole('region', { name: 'Space on usb' }).waitFor()) },
    { name: 'history', open: async () => (await nav('History').click(), await page.getByRole('button', { name: 'Show job 1' }).waitFor()) },
    { name: 'job page', open: async () => (await page.getByRole('button', { name: 'Show job 1' }).click(), await page.getByRole('complementary', { name: 'Job 1' }).waitFor()) },
    { name: 'restore', open: async () => (await nav('Restore').click(), await page.getByRole('heading', { level: 2, name: 'Restore' }).waitFor()) },
    { name: 'settings', open: async () => (await nav('Settings').click(), await page.getByRole('heading', { level: 2, name: 'Settings' }).waitFor()) },
  ];

  for (const scheme of ['light', 'dark'] as const) {
    await t.test(`${scheme}: axe-core finds no serious or critical violation on any screen`, async () => {
      await page.emulateMedia({ colorScheme: scheme });
      const found: string[] = [];
      for (const screen of screens) {
        await screen.open();
        await page.waitForTimeout(150);
        const { violations, passed } = await axeProblems(page);
        assert.ok(passed > 10, `axe-core checked ${screen.name} (${passed} rules passed)`);
        for (const each of violations) found.push(`${screen.name}: ${each.impact} ${each.id} (${each.help}) at ${each.targets.join(', ')}`);
      }
      assert.deepEqual(found, []);
    });
  }

  await t.test('Tab reaches every control of every screen, each with a visible focus ring', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    const found: string[] = [];
    for (const screen of screens) {
      await screen.open();
      await page.waitForTimeout(150);
      const { unreached, invisible } = await keyboardProblems(page);
      for (const each of unreached) found.push(`${screen.name}: not reached by Tab: ${each}`);
      for (const each of invisible) found.push(`${screen.name}: no visible focus: ${each}`);
    }
    assert.deepEqual(found, []);
  });

  assert.deepEqual(problems, []);
});
