// Cleans up after a test process that died without stopping its servers (a SIGKILL, a crash):
// node orphan-reaper.mjs PARENT_PID FOLDER. While FOLDER exists and PARENT_PID lives it waits;
// once the parent is gone it kills every pid listed in FOLDER/pids and removes FOLDER. It exits
// as soon as FOLDER is gone (the test stopped its servers itself).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const [parentText, folder] = process.argv.slice(2);
const parent = Number(parentText);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function listedPids() {
  try {
    return readFileSync(join(folder, 'pids'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

setInterval(() => {
  if (!existsSync(folder)) process.exit(0);
  if (alive(parent)) return;
  for (const pid of listedPids()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(folder, { recursive: true, force: true });
  process.exit(0);
}, 250);
