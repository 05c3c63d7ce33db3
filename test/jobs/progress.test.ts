import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { repoRoot, temporaryFolder } from '../helpers/cli';
import { describeTree, sha256File, zeroFiles } from '../helpers/trees';

/**
 * Drives the built archive worker directly, as the CLI and the app do: a forked process speaking
 * the start / progress / done / error protocol over IPC.
 */

const workerScript = join(repoRoot, 'dist', 'main', 'archive-worker.cjs');
const intervalMs = 250;
/** How much earlier than 250 ms a progress message may arrive here: IPC delivery jitter. */
const slackMs = 30;

interface Progress {
  files: number;
  bytes: number;
  totalFiles: number;
  totalBytes: number;
  currentPath: string;
}

type FromWorker =
  | { type: 'progress'; progress: Progress }
  | { type: 'done'; result: { archivePath: string; sha256: string; files: number; bytes: number; archiveBytes: number; entries: number; warnings: string[] } }
  | { type: 'error'; code: string; message: string };

interface Received {
  at: number;
  message: FromWorker;
}

interface WorkerRun {
  child: ChildProcess;
  received: Received[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startWorker(): WorkerRun {
  const child = fork(workerScript, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced', env: { ...process.env, NODE_OPTIONS: '' } });
  const received: Received[] = [];
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.on('message', (message) => received.push({ at: performance.now(), message: message as FromWorker }));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, received, stderr: () => stderr, exited };
}

function startMessage(sources: string[], archivePath: string, expected?: { files: number; bytes: number; entries: number }) {
  return {
    type: 'start',
    request: {
      sources,
      excludes: [],
      archivePath,
      compression: 'none',
      snapshot: { id: 'test', scheduleName: 'T', createdAt: new Date().toISOString(), kind: 'full', baseId: null },
      ...(expected ? { expected } : {}),
    },
  };
}

/** 300 small files in 10 folders, then 32 sparse files of 12 MiB (384 MiB of zeros written to the archive uncompressed). */
function buildTree(src: string): void {
  for (let folder = 0; folder < 10; folder += 1) {
    const dir = join(src, `folder-${folder}`);
    mkdirSync(dir, { recursive: true });
    for (let file = 0; file < 30; file += 1) writeFileSync(join(dir, `file-${file}.txt`), `folder ${folder} file ${file}\n`.repeat(file + 1));
  }
  mkdirSync(join(src, 'big'));
  zeroFiles(join(src, 'big'), 32, 12 * 1024 * 1024);
}

test('the worker reports progress at most every 250 ms, monotonic and with the real totals, then done', async (t) => {
  const root = temporaryFolder(t, 'dormouse-progress-');
  const src = join(root, 'src');
  buildTree(src);
  const tree = describeTree(src);
  const files = [...tree.values()].filter((entry) => entry.type === 'file');
  const totalFiles = files.length;
  const totalBytes = files.reduce((sum, entry) => sum + entry.size, 0);
  const treePaths = new Set([src, ...[...tree.keys()].map((rel) => join(src, rel))]);
  const archivePath = join(root, 'out', 'test.tar');

  const worker = startWorker();
  t.after(() => worker.child.kill('SIGKILL'));
  // However fast the machine, the backup must last long enough for several reports: the worker is
  // held still for 300 ms after each of its first five (as a slow disk would hold it). Its clock runs
  // on meanwhile, so a worker that reported every entry would report in a burst after each pause.
  let pauses = 0;
  worker.child.on('message', (message: FromWorker) => {
    if (message.type !== 'progress' || pauses >= 5) return;
    pauses += 1;
    worker.child.kill('SIGSTOP');
    setTimeout(() => worker.child.kill('SIGCONT'), 300);
  });
  const started = performance.now();
  worker.child.send(startMessage([src], archivePath));
  const exit = await worker.exited;
  const elapsed = performance.now() - started;
  assert.equal(exit.code, 0, `the worker exits 0 after done: ${worker.stderr()}`);
  assert.equal(pauses, 5, `the worker was still reporting after five pauses (took ${Math.round(elapsed)} ms)`);

  const last = worker.received.at(-1);
  assert.equal(last?.message.type, 'done', `the last message is done: ${JSON.stringify(last?.message)}`);
  const progress = worker.received.filter((item): item is Received & { message: { type: 'progress'; progress: Progress } } => item.message.type === 'progress');
  assert.equal(progress.length, worker.received.length - 1, 'every other message is progress');
  assert.ok(progress.length >= 3, `several progress messages for a ${Math.round(elapsed)} ms backup (got ${progress.length})`);
  assert.ok(progress.length <= Math.ceil(elapsed / intervalMs) + 2, `no more than one progress message per 250 ms (got ${progress.length} in ${Math.round(elapsed)} ms)`);

  // The last progress message may be the forced final one; every earlier pair is 250 ms apart.
  for (let index = 1; index < progress.length - 1; index += 1) {
    const gap = (progress[index]?.at as number) - (progress[index - 1]?.at as number);
    assert.ok(gap >= intervalMs - slackMs, `progress ${index - 1} → ${index} came ${gap.toFixed(1)} ms apart`);
  }
  let previous: Progress = { files: 0, bytes: 0, totalFiles, totalBytes, currentPath: '' };
  progress.forEach(({ message: { progress: current } }, index) => {
    assert.ok(current.files >= previous.files, `files never decrease (${previous.files} → ${current.files})`);
    assert.ok(current.bytes >= previous.bytes, `bytes never decrease (${previous.bytes} → ${current.bytes})`);
    assert.ok(current.files <= totalFiles && current.bytes <= totalBytes, 'never more than the totals');
    assert.equal(current.totalFiles, totalFiles, 'totalFiles is the number of files in the tree');
    assert.equal(current.totalBytes, totalBytes, 'totalBytes is the size of the files in the tree');
    const isFinal = index === progress.length - 1;
    if (!isFinal || current.currentPath !== '') assert.ok(treePaths.has(current.currentPath), `currentPath is a path in the tree: "${current.currentPath}"`);
    previous = current;
  });
  assert.equal(previous.files, totalFiles, 'the last progress counts every file');
  assert.equal(previous.bytes, totalBytes, 'and every byte');
  assert.ok(progress.some(({ message }) => message.progress.files > 0 && message.progress.files < totalFiles), 'progress is reported part-way through');

  const done = last?.message as Extract<FromWorker, { type: 'done' }>;
  const dirs = [...tree.values()].filter((entry) => entry.type === 'directory').length + 1;
  assert.equal(done.result.archivePath, archivePath);
  assert.equal(done.result.files, totalFiles);
  assert.equal(done.result.bytes, totalBytes);
  assert.equal(done.result.entries, totalFiles + dirs, 'one manifest entry per file and folder');
  assert.deepEqual(done.result.warnings, []);
  assert.equal(done.result.archiveBytes, statSync(archivePath).size);
  assert.equal(done.result.sha256, sha256File(archivePath));
  assert.deepEqual(readdirSync(join(root, 'out')).sort(), ['test.tar', 'test.tar.sha256'], 'no partial file is left beside the archive, only its SHA-256 sidecar');
  assert.equal(readFileSync(join(root, 'out', 'test.tar.sha256'), 'utf8'), `${done.result.sha256}  test.tar\n`, 'the sidecar reads as sha256sum prints it');
});

test('a malformed start message gets an INVALID_INPUT error and the worker exits without writing', async (t) => {
  const root = temporaryFolder(t, 'dormouse-progress-');
  const archivePath = join(root, 'out', 'never.tar');
  for (const broken of [
    (() => {
      const message = startMessage([root], archivePath);
      delete (message.request as Partial<typeof message.request>).sources;
      return message;
    })(),
    { ...startMessage([root], archivePath), request: { ...startMessage([root], archivePath).request, sources: [] } },
    { ...startMessage([root], archivePath), request: { ...startMessage([root], archivePath).request, compression: 'zstd' } },
    { type: 'begin' },
  ]) {
    const worker = startWorker();
    t.after(() => worker.child.kill('SIGKILL'));
    worker.child.send(broken);
    const exit = await Promise.race([worker.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000).unref())]);
    assert.ok(exit, `the worker exits on ${JSON.stringify(broken)}`);
    assert.notEqual(exit.code, 0, 'with a failure code');
    assert.equal(worker.received.length, 1, `exactly one message: ${JSON.stringify(worker.received.map((item) => item.message))}`);
    const message = worker.received[0]?.message;
    assert.equal(message?.type, 'error');
    assert.equal((message as Extract<FromWorker, { type: 'error' }>).code, 'INVALID_INPUT');
    assert.ok(((message as Extract<FromWorker, { type: 'error' }>).message ?? '').length > 0, 'with a message');
  }
  assert.ok(!existsSync(join(root, 'out')), 'nothing was written');
});

test('a cancel message stops the worker with CANCELLED and removes the partial archive', async (t) => {
  const root = temporaryFolder(t, 'dormouse-progress-');
  const src = join(root, 'src');
  mkdirSync(src);
  zeroFiles(src, 64, 16 * 1024 * 1024);
  const archivePath = join(root, 'out', 'cancelled.tar');
  const worker = startWorker();
  t.after(() => worker.child.kill('SIGKILL'));
  worker.child.send(startMessage([src], archivePath));
  let exitedEarly = false;
  void worker.exited.then(() => (exitedEarly = true));
  const deadline = Date.now() + 20_000;
  while (!worker.received.some((item) => item.message.type === 'progress') && !exitedEarly && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(
    worker.received.some((item) => item.message.type === 'progress'),
    `the worker reports progress (exited early: ${exitedEarly}; messages: ${JSON.stringify(worker.received.map((item) => item.message))}; stderr: ${worker.stderr()})`,
  );
  assert.ok(existsSync(`${archivePath}.partial`), 'the worker writes a partial file first');
  worker.child.send({ type: 'cancel' });
  const exit = await worker.exited;
  assert.notEqual(exit.code, 0);
  const last = worker.received.at(-1)?.message;
  assert.deepEqual(last && { type: last.type, code: (last as { code?: string }).code }, { type: 'error', code: 'CANCELLED' });
  assert.ok(!existsSync(`${archivePath}.partial`), 'the partial archive was removed');
  assert.ok(!existsSync(archivePath), 'no archive was made');
});

test('one large file: progress moves through it, and a cancel stops it midway', async (t) => {
  const root = temporaryFolder(t, 'dormouse-progress-');
  const src = join(root, 'src');
  mkdirSync(src);
  // 16 GiB of zeros, gzip: copying all of it takes far longer than this test waits for a cancel.
  const size = 16 * 1024 * 1024 * 1024;
  zeroFiles(src, 1, size, 'video');
  const video = join(src, 'video-0000.bin');
  const archivePath = join(root, 'out', 'large.tar.gz');
  const worker = startWorker();
  t.after(() => worker.child.kill('SIGKILL'));
  const message = startMessage([src], archivePath);
  worker.child.send({ ...message, request: { ...message.request, compression: 'gzip' } });
  const inFile = () =>
    worker.received.flatMap((item) => (item.message.type === 'progress' && item.message.progress.currentPath === video && item.message.progress.bytes > 0 ? [item.message.progress] : []));
  const deadline = Date.now() + 20_000;
  while (inFile().length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const reports = inFile();
  assert.ok(reports.length >= 3, `progress is reported inside the one large file (got ${JSON.stringify(worker.received.map((item) => item.message))})`);
  for (let index = 1; index < reports.length; index += 1) {
    assert.ok((reports[index]?.bytes as number) > (reports[index - 1]?.bytes as number), 'its bytes grow from one report to the next');
  }
  assert.ok(reports.every((report) => report.files === 0 && report.bytes < size && report.totalBytes === size), 'the file is not counted done until it is');

  const cancelledAt = performance.now();
  worker.child.send({ type: 'cancel' });
  const exit = await worker.exited;
  const took = performance.now() - cancelledAt;
  assert.notEqual(exit.code, 0);
  assert.equal(exit.signal, null, 'the worker stopped by itself, it was not killed');
  const last = worker.received.at(-1)?.message;
  assert.deepEqual(last && { type: last.type, code: (last as { code?: string }).code }, { type: 'error', code: 'CANCELLED' });
  assert.ok(took < 5000, `the cancel took effect in the middle of the file (${Math.round(took)} ms)`);
  assert.ok(!existsSync(`${archivePath}.partial`), 'the partial archive was removed');
});

test('a backup told what its schedule\'s previous snapshot held walks the tree once: its progress totals are those, never below what is done', async (t) => {
  const root = temporaryFolder(t, 'dormouse-progress-expected-');
  const src = join(root, 'src');
  mkdirSync(src);
  for (let file = 0; file < 40; file += 1) writeFileSync(join(src, `file-${file}.txt`), `file ${file}\n`);
  for (const [label, expected] of [
    ['more than there is', { files: 5000, bytes: 9_000_000, entries: 5001 }],
    ['less than there is (the tree grew)', { files: 3, bytes: 30, entries: 4 }],
  ] as const) {
    const worker = startWorker();
    t.after(() => worker.child.kill('SIGKILL'));
    worker.child.send(startMessage([src], join(root, `out-${expected.files}`, 'test.tar'), expected));
    assert.equal((await worker.exited).code, 0, worker.stderr());
    const progress = worker.received.flatMap((item) => (item.message.type === 'progress' ? [item.message.progress] : []));
    const done = worker.received.at(-1)?.message;
    assert.equal(done?.type, 'done', label);
    assert.ok(progress.length > 0, `${label}: progress was reported`);
    for (const report of progress) {
      // No counting walk: the totals come from the previous snapshot, not from the tree (40 files).
      assert.equal(report.totalFiles, Math.max(expected.files, report.files), `${label}: totalFiles ${JSON.stringify(report)}`);
      assert.ok(report.totalBytes >= report.bytes, `${label}: never more bytes done than the total`);
    }
    assert.equal(done?.type === 'done' && done.result.files, 40, `${label}: every file is in the archive`);
  }
});
