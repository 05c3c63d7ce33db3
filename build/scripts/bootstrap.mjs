// Makes a fresh clone runnable: installs npm dependencies when node_modules is missing or
// older than the lockfile, then tries the Electron runtime download on its own, so that a
// machine which cannot fetch it still gets a working CLI, daemon and test suite.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const lockfile = join(root, 'package-lock.json');
const installedLock = join(root, 'node_modules', '.package-lock.json');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function needsInstall() {
  if (!existsSync(installedLock)) return true;
  return statSync(installedLock).mtimeMs < statSync(lockfile).mtimeMs;
}

if (needsInstall()) {
  console.log('dormouse: installing dependencies (npm ci)…');
  const result = spawnSync(npm, ['ci', '--no-fund', '--no-audit'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
  });
  if (result.status !== 0) {
    console.error('error: npm ci failed; check the npm registry is reachable and run `npm ci` to see the full error');
    process.exit(1);
  }
}

const electronDir = join(root, 'node_modules', 'electron');
const attemptStamp = join(root, 'node_modules', '.dormouse-electron-attempt');

function electronRuntimeInstalled() {
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return false;
  return existsSync(join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()));
}

function triedRecently() {
  if (!existsSync(attemptStamp)) return false;
  return Date.now() - statSync(attemptStamp).mtimeMs < 24 * 3600 * 1000;
}

/** The Node the tray app's install and packaging tools (Electron's installer, @electron/get, @electron/rebuild) declare, from package.json's engines. */
const trayAppNodeVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines['node-for-tray-app'].replace(/^>=\s*/, '');

/** Whether this Node is at least trayAppNodeVersion. */
function nodeFitsTrayApp() {
  const wanted = trayAppNodeVersion.split('.').map(Number);
  const running = process.versions.node.split('.').map(Number);
  for (let i = 0; i < wanted.length; i += 1) {
    if ((running[i] ?? 0) !== wanted[i]) return (running[i] ?? 0) > wanted[i];
  }
  return true;
}

const trayAppNode = nodeFitsTrayApp();
if (!trayAppNode && !electronRuntimeInstalled()) {
  console.log(`dormouse: Node ${process.versions.node} runs the CLI, the daemon and the tests; the tray app's install and packaging tools need Node ${trayAppNodeVersion} or newer, so the Electron runtime is not fetched (install a newer Node for the tray app).`);
}

if (trayAppNode && existsSync(electronDir) && !electronRuntimeInstalled() && !triedRecently()) {
  const result = spawnSync(process.execPath, [join(electronDir, 'install.js')], {
    cwd: root,
    stdio: 'pipe',
    timeout: 120_000,
  });
  writeFileSync(attemptStamp, new Date().toISOString());
  if (result.status !== 0) {
    console.log('dormouse: the Electron runtime could not be downloaded on this machine; the CLI, the headless daemon and the tests work without it (retried once a day).');
  }
}
