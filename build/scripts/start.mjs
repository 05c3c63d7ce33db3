// `npm start`: runs the tray app where the Electron runtime is installed; elsewhere (or with
// `npm start -- --browser`) says so in one line and serves the same window from the headless daemon,
// opened in the default browser.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildElectronSqlite, installedElectronVersion } from './electron-sqlite.mjs';
import { serveWindow } from './serve-window.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const electronDir = join(root, 'node_modules', 'electron');
const pathFile = join(electronDir, 'path.txt');
const electronBinary = existsSync(pathFile) ? join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;

const inBrowser = process.argv.includes('--browser');
const args = process.argv.slice(2).filter((arg) => arg !== '--browser');

if (!inBrowser && electronBinary && existsSync(electronBinary)) {
  // The app loads its own better-sqlite3 built for Electron; node_modules keeps the one for Node.
  const sqlite = buildElectronSqlite(root, installedElectronVersion(root));
  if (sqlite.error) {
    console.error(`error: ${sqlite.error}`);
    process.exit(1);
  }
  const result = spawnSync(electronBinary, [root, ...args], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

console.log(
  inBrowser
    ? 'dormouse: serving the Dormouse window from the headless daemon (--browser).'
    : 'dormouse: the Electron runtime is not installed on this machine, so the tray app cannot open; serving the same window from the headless daemon instead, in your browser.',
);
serveWindow(root, args);
