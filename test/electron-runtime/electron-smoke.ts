// `npm run test:electron`: where an Electron runtime is installed (a contributor's laptop), launches
// the real app with Playwright's _electron and checks the settings window opens with the renderer;
// elsewhere it says why it skips, in one line.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { _electron } from 'playwright-core';

const repoRoot = join(__dirname, '..', '..');
const electronDir = join(repoRoot, 'node_modules', 'electron');
const pathFile = join(electronDir, 'path.txt');
const executable = existsSync(pathFile) ? join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;
const skip = executable && existsSync(executable) ? false : 'the Electron runtime is not installed here (its download is not reachable); run on a machine where `node node_modules/electron/install.js` works';

test('the tray app starts and shows the settings window', { skip }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dormouse-electron-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const app = await _electron.launch({ executablePath: executable as string, args: [repoRoot], env: { ...process.env, DORMOUSE_DATA_DIR: dataDir } });
  t.after(() => app.close());
  const window = await app.firstWindow();
  await window.getByRole('heading', { name: 'Dormouse' }).waitFor();
  assert.equal(await window.title(), 'Dormouse');
  const isolated = await window.evaluate(() => typeof (globalThis as { require?: unknown }).require === 'undefined');
  assert.ok(isolated, 'the renderer has no Node integration');
});
