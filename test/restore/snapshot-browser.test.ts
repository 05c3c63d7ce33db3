import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openManifest } from '../../src-main/archive-worker/manifest-reader';
import { SnapshotBrowser } from '../../src-main/jobs/snapshot-browser';
import { threadWorkerLauncher, type WorkerHandle, type WorkerLauncher } from '../../src-main/jobs/worker-launcher';
import type { DormouseError } from '../../shared/errors';
import { describeResult, workspace, type Job, type Snapshot, type Workspace } from '../helpers/trees';

/**
 * Browsing a snapshot in the restore screen: one worker thread answers folder after folder and keeps
 * the manifest it parsed, ends when nobody browses, and never answers from a manifest that no longer
 * matches the archive on the destination.
 */

const workerScript = join(__dirname, '..', '..', 'dist', 'main', 'archive-worker.cjs');
const cleanups: (() => void)[] = [];
after(() => cleanups.reverse().forEach((fn) => fn()));

let ws: Workspace;
let docs: string;
let first: Snapshot;
let second: Snapshot;

function backUp(): Snapshot {
  const result = ws.cli(['run', 'Docs', '--json']);
  assert.equal(result.code, 0, describeResult(result));
  const job = result.json<Job>();
  const snapshot = ws.ok<Snapshot[]>(['snapshots', '--schedule', 'Docs']).find((candidate) => candidate.jobId === job.id);
  assert.ok(snapshot, `the snapshot of job ${job.id} is in the catalog`);
  return snapshot;
}

/** The archives of the second snapshot's chain by snapshot id, as the engine passes them: its base is the first. */
function chain(): Record<string, string> {
  const manifest = openManifest(first.archivePath);
  manifest.close();
  return { [manifest.header.snapshot.id]: first.archivePath };
}

/** The real thread launcher, counting its launches and keeping the last handle. */
function countingLauncher(): { launch: WorkerLauncher; launches: () => number; last: () => WorkerHandle } {
  const real = threadWorkerLauncher(workerScript);
  let count = 0;
  let handle: WorkerHandle | undefined;
  return {
    launch: () => {
      count += 1;
      handle = real();
      return handle;
    },
    launches: () => count,
    last: () => handle as WorkerHandle,
  };
}

before(() => {
  ws = workspace({ after: (fn) => cleanups.push(fn) });
  docs = join(ws.src, 'Documents');
  mkdirSync(join(docs, 'letters'), { recursive: true });
  writeFileSync(join(docs, 'letters', 'first.txt'), 'one\n');
  ws.addSchedule('Docs', ['--keep-last', 'all'], [docs]);
  first = backUp();
  writeFileSync(join(docs, 'letters', 'second.txt'), 'two\n');
  second = backUp();
});

test('folder after folder is answered by one worker, which ends once nobody browses', async (t) => {
  const counter = countingLauncher();
  const browser = new SnapshotBrowser(counter.launch, 300);
  t.after(() => browser.close());
  const top = await browser.list(second.archivePath, chain(), second.id, undefined);
  assert.deepEqual(top.entries.map((entry) => entry.path), [docs]);
  const letters = await browser.list(second.archivePath, chain(), second.id, join(docs, 'letters'));
  assert.deepEqual(letters.entries.map((entry) => entry.name).sort(), ['first.txt', 'second.txt']);
  const older = await browser.list(first.archivePath, {}, first.id, join(docs, 'letters'));
  assert.deepEqual(older.entries.map((entry) => entry.name), ['first.txt'], 'another snapshot shows its own tree');
  assert.equal(counter.launches(), 1, 'one worker answered all three');

  const ended = new Promise<void>((resolve) => counter.last().onExit(() => resolve()));
  await Promise.race([ended, sleep(5000).then(() => assert.fail('the idle worker did not end'))]);
  const again = await browser.list(second.archivePath, chain(), second.id, join(docs, 'letters'));
  assert.equal(again.entries.length, 2);
  assert.equal(counter.launches(), 2, 'a new worker answers after the idle one ended');
});

test('an archive replaced on the destination is read again, not answered from the kept manifest', async (t) => {
  const browser = new SnapshotBrowser(threadWorkerLauncher(workerScript));
  t.after(() => browser.close());
  const target = join(ws.root, 'replaced.tar');
  copyFileSync(second.archivePath, target);
  assert.equal((await browser.list(target, chain(), second.id, join(docs, 'letters'))).entries.length, 2);
  copyFileSync(first.archivePath, target);
  assert.deepEqual((await browser.list(target, chain(), second.id, join(docs, 'letters'))).entries.map((entry) => entry.name), ['first.txt']);
});

test('a disconnected destination gets a clear error, and browsing works again once it is back', async (t) => {
  const browser = new SnapshotBrowser(threadWorkerLauncher(workerScript));
  t.after(() => browser.close());
  assert.equal((await browser.list(second.archivePath, chain(), second.id, undefined)).entries.length, 1);
  const away = `${second.archivePath}.away`;
  renameSync(second.archivePath, away);
  try {
    await assert.rejects(browser.list(second.archivePath, chain(), second.id, undefined), (error: DormouseError) => {
      assert.equal(error.code, 'NOT_FOUND');
      assert.match(error.message, /is its destination connected\?/);
      return true;
    });
  } finally {
    renameSync(away, second.archivePath);
  }
  assert.equal((await browser.list(second.archivePath, chain(), second.id, undefined)).entries.length, 1);
});

test('a worker that dies mid-listing fails that listing only; the next one starts a new worker', async (t) => {
  const counter = countingLauncher();
  const browser = new SnapshotBrowser(counter.launch);
  t.after(() => browser.close());
  const pending = browser.list(second.archivePath, chain(), second.id, undefined);
  await new Promise((resolve) => setImmediate(resolve)); // the listing has started its worker, which needs far longer to answer
  counter.last().kill();
  await assert.rejects(pending, (error: DormouseError) => {
    assert.equal(error.code, 'WORKER_CRASHED');
    return true;
  });
  assert.equal((await browser.list(second.archivePath, chain(), second.id, undefined)).entries.length, 1);
  assert.equal(counter.launches(), 2);
});

test('a folder that is not in the snapshot is refused with NOT_FOUND, and the same worker goes on', async (t) => {
  const counter = countingLauncher();
  const browser = new SnapshotBrowser(counter.launch);
  t.after(() => browser.close());
  await assert.rejects(browser.list(second.archivePath, chain(), second.id, join(docs, 'nope')), (error: DormouseError) => {
    assert.equal(error.code, 'NOT_FOUND');
    assert.match(error.message, /is not in snapshot/);
    return true;
  });
  assert.equal((await browser.list(second.archivePath, chain(), second.id, join(docs, 'letters'))).entries.length, 2);
  assert.equal(counter.launches(), 1);
});

test('the top level is answered before the rest of the manifest is read: damage deeper in it shows on the folder, not the top level', async (t) => {
  const browser = new SnapshotBrowser(threadWorkerLauncher(workerScript));
  t.after(() => browser.close());
  assert.ok(second.archivePath.endsWith('.tar'), 'an uncompressed archive, whose manifest can be patched in place');
  const target = join(ws.root, 'damaged-manifest.tar');
  copyFileSync(second.archivePath, target);
  // Where the manifest is, from the trailer (512 bytes of JSON before the two end blocks): a byte
  // of its last gzip member's checksum is flipped; the index, which lists the top level, is intact.
  const bytes = readFileSync(target);
  const trailer = JSON.parse(bytes.subarray(bytes.length - 1536, bytes.length - 1024).toString('utf8')) as { manifestOffset: number; manifestBytes: number };
  const at = trailer.manifestOffset + 512 + trailer.manifestBytes - 6;
  bytes[at] = (bytes[at] as number) ^ 0xff;
  writeFileSync(target, bytes);

  const top = await browser.list(target, chain(), second.id, undefined);
  assert.deepEqual(top.entries.map((item) => item.path), [docs], 'the sources themselves are intact');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    await assert.rejects(browser.list(target, chain(), second.id, join(docs, 'letters')), (error: DormouseError) => {
      assert.equal(error.code, 'INVALID_INPUT');
      assert.match(error.message, /its manifest cannot be decompressed .*; verify it/);
      return true;
    });
  }
});

test('a path given from inside the backed-up folder (or from its name) is refused, naming the full path it may have meant, for ls and restore alike', () => {
  const expected = join(docs, 'letters', 'first.txt');
  for (const given of ['letters/first.txt', 'Documents/letters/first.txt']) {
    const listed = ws.cli(['ls', String(second.id), given]);
    assert.equal(listed.code, 2, describeResult(listed));
    assert.ok(listed.stderr.includes(`did you mean ${expected}?`), describeResult(listed));
    const restored = ws.cli(['restore', String(second.id), '--path', given, '--to', join(ws.root, 'restored')]);
    assert.equal(restored.code, 2, describeResult(restored));
    assert.ok(restored.stderr.includes(`${given} is not in this snapshot; did you mean ${expected}?`), describeResult(restored));
  }
  const nowhere = ws.cli(['restore', String(second.id), '--path', 'letters/none.txt', '--to', join(ws.root, 'restored')]);
  assert.ok(nowhere.stderr.includes('letters/none.txt is not in this snapshot; list it with `dormouse ls`'), describeResult(nowhere));
  const listedFull = ws.ok<{ entries: { path: string }[] }>(['ls', String(second.id), join(docs, 'letters')]);
  assert.deepEqual(listedFull.entries.map((entry) => entry.path).sort(), [expected, join(docs, 'letters', 'second.txt')], 'the full path lists as before');
});
