import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { noCeph, startS3Server } from '../helpers/s3-server';

/** The test S3 server cleans up after itself: on stop(), and when the test process is killed. */

function daemonPids(folder: string): number[] {
  return readFileSync(join(folder, 'pids'), 'utf8').split('\n').filter(Boolean).map(Number);
}

/** A process that is gone, or a zombie nobody has reaped yet. */
function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('Z');
  } catch {
    return true;
  }
}

async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

test('stop() ends the monitor, the OSD and the gateway, and removes the cluster folder', { skip: noCeph }, async () => {
  const server = await startS3Server();
  const pids = daemonPids(server.folder);
  assert.equal(pids.length, 3);
  assert.ok(pids.every((pid) => !gone(pid)));
  await server.stop();
  assert.ok(pids.every(gone), 'no daemon is left');
  assert.equal(existsSync(server.folder), false);
});

test('a test process killed with SIGKILL leaves no daemon and no folder behind (the reaper cleans up)', { skip: noCeph }, async () => {
  const holder = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 's3-server-holder.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await new Promise<string[]>((resolve) => createInterface({ input: holder.stdout }).once('line', (text) => resolve([text])));
  const { folder } = JSON.parse(line as string) as { folder: string };
  const pids = daemonPids(folder);
  assert.equal(pids.length, 3);
  holder.kill('SIGKILL');
  assert.ok(await eventually(() => pids.every(gone) && !existsSync(folder), 5_000), `daemons ${pids.join(', ')} and ${folder} are gone within 5 s`);
});
