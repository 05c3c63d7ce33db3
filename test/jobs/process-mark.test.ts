import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ownerAlive, processMark } from '../../src-main/common/processes';

/** How a job's owner is told apart from a later process given the same pid. */

const unsupported = processMark(process.pid) === null ? 'processes carry no start mark on this system (Linux /proc gives one)' : false;

test('a process mark is this boot and the start time, the same at every reading, and gone with the process', { skip: unsupported }, async (t) => {
  const own = processMark(process.pid);
  assert.match(own ?? '', /^[0-9a-f-]{36}\/\d+$/);
  assert.equal(processMark(process.pid), own, 'stable');
  // A program whose name holds spaces and parentheses, as /proc/PID/stat shows it between its own parentheses.
  const folder = mkdtempSync(join(tmpdir(), 'dormouse-mark-'));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  const oddName = join(folder, 'a) (b c');
  copyFileSync(spawnSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).stdout.trim(), oddName);
  const child = spawn(oddName, ['30'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await sleep(100);
  const mark = processMark(child.pid as number);
  assert.match(mark ?? '', /^[0-9a-f-]{36}\/\d+$/, `the odd name's mark: ${mark}`);
  assert.equal(mark?.split('/')[0], own?.split('/')[0], 'the same boot');
  assert.ok(Number(mark?.split('/')[1]) >= Number(own?.split('/')[1]), 'started after this process');
  assert.equal(ownerAlive(child.pid as number, mark), true, 'the owner with its own mark is alive');
  assert.equal(ownerAlive(child.pid as number, `${own?.split('/')[0]}/1`), false, 'a process that started earlier under that pid is not');
  assert.equal(ownerAlive(child.pid as number, null), true, 'with no mark to compare, a live pid counts');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  assert.equal(processMark(child.pid as number), null, 'no mark once it is gone');
  assert.equal(ownerAlive(child.pid as number, mark), false);
});
