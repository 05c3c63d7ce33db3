import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, constants, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Engine } from '../../src-main/engine/engine';
import { forkWorkerLauncher, threadWorkerLauncher } from '../../src-main/jobs/worker-launcher';
import { describeResult, workspace, type Job, type Snapshot, type Workspace } from '../helpers/trees';
import { patchFile, readLayout, type Listing } from './restore-kit';

const workerScript = join(__dirname, '..', '..', 'dist', 'main', 'archive-worker.cjs');

/**
 * `dormouse ls SNAPSHOT_ID [PATH]`: a snapshot's folders and files, read from the archive's manifest
 * alone (never its body), in the shape the README promises, and fast on a 100,000-entry snapshot.
 */

const cleanups: (() => void)[] = [];
const scope = { after: (fn: () => void) => cleanups.push(fn) };
after(() => cleanups.reverse().forEach((fn) => fn()));

let ws: Workspace;
let docs: string;
let photos: string;
const oldMtime = new Date('2003-04-05T06:07:08.250Z');

function runBackup(schedule: string): { job: Job; snapshot: Snapshot } {
  const result = ws.cli(['run', schedule, '--json']);
  assert.equal(result.code, 0, describeResult(result));
  const job = result.json<Job>();
  assert.equal(job.status, 'succeeded', describeResult(result));
  const snapshot = ws.ok<Snapshot[]>(['snapshots', '--schedule', schedule]).find((candidate) => candidate.jobId === job.id);
  assert.ok(snapshot, `the snapshot of job ${job.id} is in the catalog`);
  return { job, snapshot };
}

function ls(snapshotId: number, path?: string): Listing {
  return ws.ok<Listing>(['ls', String(snapshotId), ...(path === undefined ? [] : [path])]);
}

before(() => {
  ws = workspace(scope);
  docs = join(ws.src, 'Documents');
  photos = join(ws.src, 'Photos');
  mkdirSync(join(docs, 'work', 'deeper'), { recursive: true });
  writeFileSync(join(docs, 'work', 'deeper', 'grandchild.txt'), 'two folders down\n');
  writeFileSync(join(docs, 'work', 'plan.txt'), 'plan\n');
  writeFileSync(join(docs, 'notes.txt'), 'notes '.repeat(100));
  chmodSync(join(docs, 'notes.txt'), 0o640);
  utimesSync(join(docs, 'notes.txt'), oldMtime, oldMtime);
  writeFileSync(join(docs, 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(docs, 'run.sh'), 0o750);
  writeFileSync(join(docs, 'empty.txt'), '');
  mkdirSync(join(docs, 'empty-folder'));
  // Incompressible content, so that both archives have a body of several megabytes (several gzip members).
  writeFileSync(join(docs, 'random.bin'), randomBytes(6 * 1024 * 1024));
  symlinkSync('notes.txt', join(docs, 'link-to-notes'));
  mkdirSync(join(photos, '2024'), { recursive: true });
  writeFileSync(join(photos, '2024', 'beach.jpg'), randomBytes(2048));
  utimesSync(join(docs, 'work'), oldMtime, oldMtime);
  chmodSync(join(docs, 'work'), 0o700);
  for (const [name, compression] of [
    ['Plain', 'none'],
    ['Zipped', 'gzip'],
    ['Damaged', 'none'],
    ['DamagedZipped', 'gzip'],
  ] as const) {
    ws.addSchedule(name, ['--compression', compression], [docs, photos]);
  }
});

test('ls without a path lists the folders that were backed up, in the promised JSON shape', () => {
  const { snapshot } = runBackup('Plain');
  const result = ws.cli(['ls', String(snapshot.id), '--json']);
  assert.equal(result.code, 0, describeResult(result));
  const listing = result.json<Listing>();
  assert.deepEqual(Object.keys(listing).sort(), ['entries', 'path', 'snapshotId']);
  assert.equal(listing.snapshotId, snapshot.id);
  assert.equal(listing.path, '/');
  assert.deepEqual(
    listing.entries.map((entry) => entry.path).sort(),
    [docs, photos].sort(),
    'the two source folders, as they were on the laptop, and nothing above or below them',
  );
  for (const entry of listing.entries) {
    assert.deepEqual(Object.keys(entry).sort(), ['linkTarget', 'mode', 'mtime', 'name', 'path', 'size', 'type'], `keys of ${entry.path}`);
    assert.equal(entry.type, 'directory');
    assert.equal(entry.name, basename(entry.path));
    assert.equal(entry.linkTarget, null);
    assert.equal(entry.mode, lstatSync(entry.path).mode & 0o7777);
  }
  const text = ws.cli(['ls', String(snapshot.id)]);
  assert.equal(text.code, 0, describeResult(text));
  assert.match(text.stdout, new RegExp(docs.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the text listing names the source folder');
});

test('ls with a path lists exactly its direct children, with type, size, mtime, mode and link target', () => {
  const { snapshot } = runBackup('Plain');
  const listing = ls(snapshot.id, docs);
  assert.equal(listing.path, docs);
  const expectedNames = ['empty-folder', 'empty.txt', 'link-to-notes', 'notes.txt', 'random.bin', 'run.sh', 'work'];
  assert.deepEqual(listing.entries.map((entry) => entry.name).sort(), expectedNames, 'direct children only: no grandchildren, not the folder itself');
  for (const entry of listing.entries) {
    const onDisk = join(docs, entry.name);
    const stats = lstatSync(onDisk);
    assert.equal(entry.path, onDisk, `${entry.name}: the path as it was on the laptop`);
    const type = stats.isSymbolicLink() ? 'symlink' : stats.isDirectory() ? 'directory' : 'file';
    assert.equal(entry.type, type, `${entry.name}: type`);
    assert.equal(entry.size, type === 'file' ? stats.size : 0, `${entry.name}: size`);
    assert.equal(entry.mode, stats.mode & 0o7777, `${entry.name}: mode`);
    assert.match(entry.mtime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?[+-]\d\d:\d\d$/, `${entry.name}: mtime is local ISO-8601 with its offset`);
    assert.equal(Date.parse(entry.mtime), Math.floor(stats.mtimeMs), `${entry.name}: mtime to the millisecond`);
    assert.equal(entry.linkTarget, type === 'symlink' ? readlinkSync(onDisk) : null, `${entry.name}: link target`);
  }
  const notes = listing.entries.find((entry) => entry.name === 'notes.txt');
  assert.equal(notes?.mode, 0o640);
  assert.equal(Date.parse(notes?.mtime ?? ''), oldMtime.getTime());
  assert.equal(listing.entries.find((entry) => entry.name === 'link-to-notes')?.linkTarget, 'notes.txt');

  const nested = ls(snapshot.id, join(docs, 'work'));
  assert.deepEqual(nested.entries.map((entry) => entry.name).sort(), ['deeper', 'plan.txt']);
  const withSlash = ls(snapshot.id, `${join(docs, 'work')}/`);
  assert.deepEqual(withSlash.entries.map((entry) => entry.name).sort(), ['deeper', 'plan.txt'], 'a trailing slash names the same folder');
  const emptyFolder = ls(snapshot.id, join(docs, 'empty-folder'));
  assert.deepEqual(emptyFolder.entries, [], 'an empty folder lists nothing');
});

test('ls of a path that is not in the snapshot, or of an unknown snapshot, exits 2 with one error line', () => {
  const { snapshot } = runBackup('Plain');
  for (const args of [
    ['ls', String(snapshot.id), join(docs, 'no-such-folder')],
    ['ls', String(snapshot.id), '/definitely/not/backed/up'],
    ['ls', '999999'],
  ]) {
    const result = ws.cli([...args, '--json']);
    assert.equal(result.code, 2, `${args.join(' ')}: ${describeResult(result)}`);
    assert.equal(result.stdout, '', `${args.join(' ')}: nothing on stdout`);
    assert.match(result.stderr, /^error: .+\n$/, `${args.join(' ')}: one error line`);
  }
});

/** Zeroes the middle half of an archive's body (never its end, where the manifest and trailer are). */
function zeroMiddleOfBody(archivePath: string): { from: number; length: number } {
  const { trailer } = readLayout(archivePath);
  const bodyBytes = archivePath.endsWith('.gz') ? trailer.manifestMemberOffset : trailer.manifestOffset;
  assert.ok(bodyBytes !== null && bodyBytes > 4 * 1024 * 1024, `the body of ${archivePath} is several MiB (${bodyBytes} bytes)`);
  const from = Math.floor(bodyBytes / 4);
  const length = Math.floor(bodyBytes / 2);
  patchFile(archivePath, from, Buffer.alloc(length));
  assert.ok(statSync(archivePath).size > from + length + 2048, 'the end of the archive is left as it was');
  return { from, length };
}

for (const [schedule, compression] of [
  ['Damaged', 'uncompressed'],
  ['DamagedZipped', 'gzip'],
] as const) {
  test(`ls reads only the manifest: it still lists ${compression === 'gzip' ? 'a' : 'an'} ${compression} archive whose body has been zeroed in the middle`, () => {
    const { snapshot } = runBackup(schedule);
    const before = { top: ls(snapshot.id), docs: ls(snapshot.id, docs), work: ls(snapshot.id, join(docs, 'work')), photos: ls(snapshot.id, join(photos, '2024')) };
    const damage = zeroMiddleOfBody(snapshot.archivePath);
    const verify = ws.cli(['verify', String(snapshot.id), '--json']);
    assert.equal(verify.code, 1, `the body really is unreadable now (verify fails): ${describeResult(verify)}`);
    const afterDamage = { top: ls(snapshot.id), docs: ls(snapshot.id, docs), work: ls(snapshot.id, join(docs, 'work')), photos: ls(snapshot.id, join(photos, '2024')) };
    assert.deepEqual(afterDamage, before, `the same listings after zeroing ${damage.length} bytes from byte ${damage.from}`);
  });
}

/**
 * Makes 100 folders of 999 empty files each: 100,100 entries with the folders and the root. In
 * memory (/dev/shm) where there is one, since making 100,000 inodes on a busy disk can take half a minute.
 */
function hugeTree(): string {
  let parent = ws.root;
  try {
    accessSync('/dev/shm', constants.W_OK);
    parent = '/dev/shm';
  } catch {
    // no shared-memory file system: the temporary folder will do
  }
  const root = mkdtempSync(join(parent, 'dormouse-huge-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const script = 'cd "$1" && for d in $(seq 0 99); do mkdir "d$d" && (cd "d$d" && touch $(seq -f "f%g" 0 998)); done';
  const made = spawnSync('bash', ['-c', script, 'bash', root], { encoding: 'utf8' });
  assert.equal(made.status, 0, `making the tree: ${made.stderr}`);
  return root;
}

test('a 100,000-entry snapshot lists its top level and then any folder, read by the worker script in a thread', async (t) => {
  const made = performance.now();
  const huge = hugeTree();
  ws.addSchedule('Huge', [], [huge]);
  const backedUp = performance.now();
  const { snapshot } = runBackup('Huge');
  t.diagnostic(`tree of 100,000 files made in ${Math.round(backedUp - made)} ms; backed up in ${Math.round(performance.now() - backedUp)} ms`);
  assert.equal(readLayout(snapshot.archivePath).manifest.entries.length, 100_001, 'the manifest lists every entry');

  // The engine as the daemon and the CLI build it. How fast this is belongs to `npm run bench`; the
  // timings here are only printed.
  const engine = Engine.forDataDir(ws.dataDir, { launchWorker: forkWorkerLauncher(workerScript), launchReader: threadWorkerLauncher(workerScript) });
  try {
    const start = performance.now();
    const top = await engine.handle('snapshots:ls', { snapshotId: snapshot.id });
    const topMs = performance.now() - start;
    assert.deepEqual(top.entries.map((entry) => entry.path), [huge]);
    assert.equal(top.entries[0]?.type, 'directory');
    const folderStart = performance.now();
    const folder = await engine.handle('snapshots:ls', { snapshotId: snapshot.id, path: join(huge, 'd7') });
    const folderMs = performance.now() - folderStart;
    assert.equal(folder.entries.length, 999, 'the next folder lists all its files');
    assert.ok(folder.entries.every((entry) => entry.type === 'file' && entry.path.startsWith(`${huge}/d7/f`)));
    const whole = await engine.handle('snapshots:ls', { snapshotId: snapshot.id, path: huge });
    assert.equal(whole.entries.length, 100, 'the top folder holds its 100 folders');
    t.diagnostic(`top level ${topMs.toFixed(1)} ms (thread start and manifest read included); the next folder ${folderMs.toFixed(1)} ms`);
  } finally {
    engine.close();
  }

  const cliStart = performance.now();
  const result = ws.cli(['ls', String(snapshot.id), '--json']);
  const cliMs = performance.now() - cliStart;
  assert.equal(result.code, 0, describeResult(result));
  assert.deepEqual(
    result.json<Listing>().entries.map((entry) => entry.path),
    [huge],
  );
  const folderStart = performance.now();
  const folder = ws.cli(['ls', String(snapshot.id), join(huge, 'd42'), '--json']);
  const folderMs = performance.now() - folderStart;
  assert.equal(folder.code, 0, describeResult(folder));
  assert.equal(folder.json<Listing>().entries.length, 999);
  t.diagnostic(`whole CLI call (node start, catalog, manifest, listing, JSON): top level ${Math.round(cliMs)} ms; one folder of 999 files ${Math.round(folderMs)} ms`);
});

test('the owner never parses a manifest: with the worker held still, a listing waits for it while the owner keeps running', async () => {
  const { snapshot } = runBackup('Plain');
  const launch = forkWorkerLauncher(workerScript);
  const readers: number[] = [];
  const engine = Engine.forDataDir(ws.dataDir, {
    launchWorker: launch,
    launchReader: () => {
      const reader = launch();
      assert.ok(reader.pid, 'the reader is a process of its own');
      process.kill(reader.pid, 'SIGSTOP');
      readers.push(reader.pid);
      return reader;
    },
  });
  try {
    let answered = false;
    const listing = engine.handle('snapshots:ls', { snapshotId: snapshot.id, path: docs }).finally(() => {
      answered = true;
    });
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 10);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    clearInterval(ticker);
    assert.equal(readers.length, 1, 'one reader was started');
    assert.equal(answered, false, 'the listing of a small snapshot waits for the held worker: nothing in the owner answers it');
    assert.ok(ticks >= 20, `the owner's timers kept firing meanwhile (${ticks} ticks of 10 ms in 1 s)`);
    process.kill(readers[0] as number, 'SIGCONT');
    const names = (await listing).entries.map((entry) => entry.name);
    assert.ok(names.includes('notes.txt') && names.includes('work'), `the listing arrives once the worker runs again: ${names.join(', ')}`);
  } finally {
    for (const pid of readers) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    engine.close();
  }
});
