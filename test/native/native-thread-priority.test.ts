import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ownNice } from '../helpers/thread-nice';
import { addonOrSkip, repoRoot } from './native-kit';

/**
 * lowerThreadPriority: a thread that does work which can wait (a first backup's count of its tree)
 * gives way to the others. On Linux that is nice 19 for the calling thread alone, read back from
 * /proc: the thread that asked has it, the process's other threads keep theirs.
 */

const addon = addonOrSkip();
const addonFile = join(repoRoot, 'dist', 'native', 'dormouse_native.node');
const skip = process.platform !== 'linux' ? 'per-thread nice values are read from Linux /proc' : addon.skip || (!existsSync(addonFile) && 'the addon is not built (npm run build)');

test('the thread that asks runs at nice 19; the thread that started it keeps its priority', { skip }, async () => {
  const mainBefore = ownNice();
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { readFileSync } = require('node:fs');
    const niceOf = () => { const stat = readFileSync('/proc/thread-self/stat', 'utf8'); return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); };
    const addon = { exports: {} };
    process.dlopen(addon, workerData);
    const before = niceOf();
    const lowered = addon.exports.lowerThreadPriority();
    parentPort.postMessage({ before, lowered, after: niceOf() });
  `;
  const thread = new Worker(code, { eval: true, workerData: addonFile });
  const answer = await new Promise<{ before: number; lowered: boolean; after: number }>((resolve, reject) => {
    thread.once('message', resolve);
    thread.once('error', reject);
  });
  await thread.terminate();
  assert.equal(answer.before, mainBefore, 'a new thread starts at the priority of the one that made it');
  assert.equal(answer.lowered, true);
  assert.equal(answer.after, 19);
  assert.equal(ownNice(), mainBefore, 'only the thread that asked was lowered');
});
