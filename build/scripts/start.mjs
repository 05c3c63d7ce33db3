// `npm start`: runs the tray app where the Electron runtime is installed; elsewhere says so in one line
// and runs the headless daemon instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildElectronSqlite, installedElectronVersion } from './electron-sqlite.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const electronDir = join(root, 'node_modules', 'electron');
const pathFile = join(electronDir, 'path.txt');
const electronBinary = existsSync(pathFile) ? join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;

if (electronBinary && existsSync(electronBinary)) {
  // The app loads its own better-sqlite3 built for Electron; node_modules keeps the one for Node.
  const sqlite = buildElectronSqlite(root, installedElectronVersion(root));
  if (sqlite.error) {
    console.error(`error: ${sqlite.error}`);
    process.exit(1);
  }
  const result = spawnSync(electronBinary, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

console.log('dormouse: the Electron runtime is not installed on this machine, so the tray app cannot open; running the headless daemon instead (Ctrl-C stops it).');
const cli = join(root, 'bin', 'dormouse.cjs');
const daemon = spawn(process.execPath, [cli, 'daemon', ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => daemon.kill(signal));
daemon.on('exit', (code) => process.exit(code ?? 1));
