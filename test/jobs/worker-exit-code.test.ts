import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeResult, workspace, type Snapshot } from '../helpers/trees';

/**
 * The archive worker process ends with exit code 0 after the answer to a task (a backup, a restore,
 * a verify, an inspect) and 1 only after an error: an owner or a process supervisor that reads the
 * code must not take a good restore for a failure. (A browsing worker stays for the next folder.)
 */

const workerScript = join(__dirname, '..', '..', 'dist', 'main', 'archive-worker.cjs');

/** Forks the built worker, sends one message, and resolves with its last message and exit code (killing it after 60 s). */
function ask(message: object): Promise<{ last: { type: string }; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = fork(workerScript, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced', env: { ...process.env, NODE_OPTIONS: '' } });
    let last: { type: string } = { type: 'none' };
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('message', (received) => {
      if ((received as { type: string }).type !== 'progress') last = received as { type: string };
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ last, code });
    });
    child.send(message);
  });
}

test('the archive worker exits 0 after a restore, a verify and an inspect, and 1 after an error', async (t) => {
  const ws = workspace(t);
  mkdirSync(join(ws.src, 'docs'));
  writeFileSync(join(ws.src, 'docs', 'a.txt'), 'a\n');
  ws.addSchedule('Docs');
  const run = ws.cli(['run', 'Docs', '--json']);
  assert.equal(run.code, 0, describeResult(run));
  const [snapshot] = ws.ok<Snapshot[]>(['snapshots']);
  assert.ok(snapshot);
  const answers = {
    restored: await ask({ type: 'restore', request: { archivePath: snapshot.archivePath, archives: {}, target: join(ws.root, 'restored'), paths: [], overwrite: false } }),
    verified: await ask({ type: 'verify', archives: [{ archivePath: snapshot.archivePath, sha256: null }] }),
    inspected: await ask({ type: 'inspect', archivePaths: [snapshot.archivePath] }),
  };
  for (const [type, answer] of Object.entries(answers)) {
    assert.equal(answer.last.type, type, `the worker answered ${JSON.stringify(answer.last)}`);
    assert.equal(answer.code, 0, `exit code after "${type}"`);
  }
  const failed = await ask({ type: 'restore', request: { archivePath: join(ws.root, 'no-such.tar'), archives: {}, target: join(ws.root, 'nowhere'), paths: [], overwrite: false } });
  assert.equal(failed.last.type, 'error');
  assert.equal(failed.code, 1, 'exit code after an error');
});
