// `npm start`: runs the tray app where the Electron runtime is installed; elsewhere says so in one line
// and shows what the headless engine holds.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const electronDir = join(root, 'node_modules', 'electron');
const pathFile = join(electronDir, 'path.txt');
const electronBinary = existsSync(pathFile) ? join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;

if (electronBinary && existsSync(electronBinary)) {
  const result = spawnSync(electronBinary, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

console.log('dormouse: the Electron runtime is not installed on this machine, so the tray app cannot open; here is the headless engine (`npx dormouse --help` for every command):');
const cli = join(root, 'bin', 'dormouse.cjs');
spawnSync(process.execPath, [cli, 'destination', 'list', ...process.argv.slice(2)], { stdio: 'inherit' });
const result = spawnSync(process.execPath, [cli, 'schedule', 'list', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
