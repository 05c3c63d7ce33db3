import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  childPids,
  commandLine,
  describeResult,
  describeTree,
  zeroFiles,
  startDormouse,
  waitFor,
  workspace,
  type Job,
  type Snapshot,
  type TreeEntry,
  type Workspace,
} from '../helpers/trees';
import { repoRoot } from '../helpers/cli';
import { mountSmallDisk } from '../helpers/small-disk';
import { assembleArchive, buildRichTree, flipByte, oldMtime, readLayout, restoreTemporaries, tarStream, type ManifestEntry, type RestoreReport } from './restore-kit';
import { alive } from '../helpers/trees';

/**
 * `dormouse restore SNAPSHOT_ID --to DIR [--path P …] [--overwrite]`: contents, modes, mtimes and
 * symlinks come back under their full path inside DIR; only the chosen paths with --path; existing
 * files are left alone (and listed) unless --overwrite; uncompressed archives are read by seeking;
 * the work happens in a worker process, and Ctrl-C stops it.
 */

const cleanups: (() => void)[] = [];
const scope = { after: (fn: () => void) => cleanups.push(fn) };
after(() => cleanups.reverse().forEach((fn) => fn()));

type SnapshotWithKind = Snapshot;

let ws: Workspace;
let tree: string;
let outside: string;
let treeName: string;
let targets = 0;

function runBackup(schedule: string): SnapshotWithKind {
  const result = ws.cli(['run', schedule, '--json']);
  assert.equal(result.code, 0, describeResult(result));
  const job = result.json<Job>();
  assert.equal(job.status, 'succeeded', describeResult(result));
  const snapshot = ws.ok<SnapshotWithKind[]>(['snapshots', '--schedule', schedule]).find((candidate) => candidate.jobId === job.id);
  assert.ok(snapshot, `the snapshot of job ${job.id} is in the catalog`);
  return snapshot;
}

function freshTarget(): string {
  targets += 1;
  return join(ws.root, `restored-${targets}`);
}

/** Restores with --json; returns the exit code and the report (printed also when the exit code is 1). */
function restore(snapshotId: number, target: string, extra: string[] = []): { code: number; report: RestoreReport; stderr: string } {
  const result = ws.cli(['restore', String(snapshotId), '--to', target, ...extra, '--json']);
  assert.ok(result.code === 0 || result.code === 1, describeResult(result));
  assert.notEqual(result.stdout, '', `restore prints its report: ${describeResult(result)}`);
  return { code: result.code, report: result.json<RestoreReport>(), stderr: result.stderr };
}

function assertSameTree(actualRoot: string, expected: Map<string, TreeEntry>, label: string): void {
  const actual = describeTree(actualRoot);
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `${label}: the same paths come back`);
  for (const [rel, want] of expected) assert.deepEqual(actual.get(rel), want, `${label}: ${rel} comes back identical (type, mode, size, mtime, content, link target)`);
}

function countFiles(description: Map<string, TreeEntry>): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const entry of description.values()) {
    if (entry.type !== 'file') continue;
    files += 1;
    bytes += entry.size;
  }
  return { files, bytes };
}

before(() => {
  ws = workspace(scope);
  tree = join(ws.src, 'home');
  outside = join(ws.root, 'outside');
  buildRichTree(tree, outside);
  treeName = tree.replace(/^\/+/, '');
  ws.addSchedule('Plain', [], [tree]);
  ws.addSchedule('Zipped', ['--compression', 'gzip'], [tree]);
});

for (const [schedule, label] of [
  ['Plain', 'uncompressed'],
  ['Zipped', 'gzip'],
] as const) {
  test(`the whole ${label} snapshot restores with contents, modes, mtimes, empty folders and symlinks`, () => {
    const snapshot = runBackup(schedule);
    const expected = describeTree(tree);
    const target = freshTarget();
    const { code, report } = restore(snapshot.id, target);
    assert.equal(code, 0);
    assert.deepEqual(report.conflicts, []);
    assert.deepEqual(report.refused, []);
    assert.equal(report.snapshotId, snapshot.id);
    assert.equal(report.target, target);
    assert.deepEqual({ files: report.files, bytes: report.bytes }, countFiles(expected), 'the report counts every file and byte');
    assert.deepEqual(readdirSync(target), [treeName.split('/')[0]], 'entries go under their full path inside the target (as tar -x does)');
    assertSameTree(join(target, treeName), expected, label);
    const root = lstatSync(join(target, treeName));
    assert.equal(root.mode & 0o7777, lstatSync(tree).mode & 0o7777, 'the source folder keeps its mode');
    assert.equal(Math.floor(root.mtimeMs / 1000), Math.floor(lstatSync(tree).mtimeMs / 1000), 'the source folder keeps its mtime');
    // What matters most to a person, spelled out.
    assert.equal(statSync(join(target, treeName, 'docs', 'report.txt')).mode & 0o7777, 0o640);
    assert.equal(Math.floor(statSync(join(target, treeName, 'docs', 'report.txt')).mtimeMs / 1000), Math.floor(oldMtime.getTime() / 1000));
    assert.equal(statSync(join(target, treeName, 'docs', 'script.sh')).mode & 0o7777, 0o750);
    assert.equal(statSync(join(target, treeName, 'private')).mode & 0o7777, 0o700);
    assert.ok(lstatSync(join(target, treeName, 'link-to-folder')).isSymbolicLink(), 'a link to a folder comes back as a link, not a copy');
    assert.deepEqual(restoreTemporaries(target), [], 'no temporary files are left behind');
  });
}

for (const [compression, label] of [
  ['none', 'uncompressed'],
  ['gzip', 'gzip'],
] as const) {
  test(`an incremental ${label} snapshot restores its own tree, and the full one before it still restores the older tree`, () => {
    const source = join(ws.root, `changing-${compression}`);
    buildRichTree(source, join(ws.root, `changing-outside-${compression}`));
    const sourceName = source.replace(/^\/+/, '');
    const schedule = `Changing-${compression}`;
    ws.addSchedule(schedule, ['--compression', compression], [source]);
    const first = runBackup(schedule);
    const firstTree = describeTree(source);
    writeFileSync(join(source, 'docs', 'nested', 'deep', 'note.txt'), 'the note, edited after the first backup\n');
    writeFileSync(join(source, 'added later.txt'), 'new in the second backup\n');
    unlinkSync(join(source, 'name with spaces.txt'));
    const second = runBackup(schedule);
    const secondTree = describeTree(source);
    assert.equal(first.kind, 'full');
    assert.equal(second.kind, 'incremental', 'the second backup of a schedule is incremental by default');
    assert.equal(second.baseId, first.id);

    const target2 = freshTarget();
    const restored2 = restore(second.id, target2);
    assert.equal(restored2.code, 0, JSON.stringify(restored2.report));
    assertSameTree(join(target2, sourceName), secondTree, `${label} incremental`);
    const target1 = freshTarget();
    const restored1 = restore(first.id, target1);
    assert.equal(restored1.code, 0, JSON.stringify(restored1.report));
    assertSameTree(join(target1, sourceName), firstTree, `${label} full before it`);
    // Only the changed file alone, from the incremental.
    const target3 = freshTarget();
    const one = restore(second.id, target3, ['--path', join(source, 'docs', 'report.txt')]);
    assert.equal(one.code, 0);
    assert.equal(readFileSync(join(target3, sourceName, 'docs', 'report.txt'), 'utf8'), readFileSync(join(source, 'docs', 'report.txt'), 'utf8'), 'an unchanged file comes from the archive that holds it');
  });
}

for (const [schedule, label] of [
  ['Plain', 'uncompressed'],
  ['Zipped', 'gzip'],
] as const) {
  test(`--path (repeatable) restores only the chosen files and folders of ${label === 'gzip' ? 'a' : 'an'} ${label} snapshot`, () => {
    const snapshot = runBackup(schedule);
    const target = freshTarget();
    const chosenFile = join(tree, 'docs', 'report.txt');
    const chosenFolder = join(tree, 'docs', 'nested');
    const chosenLink = join(tree, 'link-relative');
    const { code, report } = restore(snapshot.id, target, ['--path', chosenFile, '--path', chosenFolder, '--path', chosenLink]);
    assert.equal(code, 0, JSON.stringify(report));
    assert.equal(report.files, 2, 'report.txt and nested/deep/note.txt');
    const restoredRoot = join(target, treeName);
    const got = [...describeTree(restoredRoot).keys()].sort();
    assert.deepEqual(got, ['docs', 'docs/nested', 'docs/nested/deep', 'docs/nested/deep/note.txt', 'docs/report.txt', 'link-relative'], 'nothing but the chosen paths (and the folders above them)');
    const expected = describeTree(tree);
    for (const rel of ['docs/report.txt', 'docs/nested', 'docs/nested/deep', 'docs/nested/deep/note.txt', 'link-relative']) {
      assert.deepEqual(describeTree(restoredRoot).get(rel), expected.get(rel), `${rel} comes back identical`);
    }
  });
}

test('--path takes wildcards as a shell does (`*` also matching names that start with a dot): every path they match, with what is below it', () => {
  const snapshot = runBackup('Plain');
  const target = freshTarget();
  const { code, report } = restore(snapshot.id, target, ['--path', join(tree, 'docs', '*.txt'), '--path', join(tree, '**', 'note.txt'), '--path', join(tree, 'link-*')]);
  assert.equal(code, 0, JSON.stringify(report));
  const got = [...describeTree(join(target, treeName)).keys()].sort();
  assert.deepEqual(got, ['docs', 'docs/nested', 'docs/nested/deep', 'docs/nested/deep/note.txt', 'docs/read-only.txt', 'docs/report.txt', 'link-absolute', 'link-dangling', 'link-relative', 'link-to-folder']);

  const none = ws.cli(['restore', String(snapshot.id), '--to', freshTarget(), '--path', join(tree, 'docs', '*.pdf')]);
  assert.equal(none.code, 2);
  assert.equal(none.stderr, `error: ${join(tree, 'docs', '*.pdf')} matches nothing in this snapshot; see what is there with \`dormouse ls\`\n`);
});

for (const [schedule, label] of [
  ['Plain', 'uncompressed'],
  ['Zipped', 'gzip'],
] as const) {
  test(`existing files are never overwritten unless asked (${label}): those that differ are listed, exit 1; those as in the snapshot are counted unchanged; --overwrite replaces them`, () => {
    const snapshot = runBackup(schedule);
    const target = freshTarget();
    assert.equal(restore(snapshot.id, target).code, 0);
    const root = join(target, treeName);
    const edited = join(root, 'docs', 'report.txt');
    const removed = join(root, 'docs', 'nested', 'deep', 'note.txt');
    writeFileSync(edited, 'my local edit, made after the restore\n');
    unlinkSync(removed);
    // The same size, the same time, one byte different: only its content tells it apart.
    const flipped = join(root, 'docs', 'data.bin');
    const bytes = readFileSync(flipped);
    const { mtime } = statSync(flipped);
    bytes[1000] = (bytes[1000] as number) ^ 0xff;
    writeFileSync(flipped, bytes);
    utimesSync(flipped, mtime, mtime);
    unlinkSync(join(root, 'link-relative'));
    symlinkSync('docs/script.sh', join(root, 'link-relative'));

    const again = restore(snapshot.id, target);
    assert.equal(again.code, 1, 'exit 1 when files were left out');
    assert.equal(readFileSync(edited, 'utf8'), 'my local edit, made after the restore\n', 'the existing file is unchanged');
    assert.deepEqual([...again.report.conflicts].sort(), [`/${treeName}/docs/data.bin`, `/${treeName}/docs/report.txt`, `/${treeName}/link-relative`], 'exactly what differs from the snapshot is listed');
    const expected = describeTree(tree);
    const links = [...expected.values()].filter((entry) => entry.type === 'symlink').length;
    assert.equal(again.report.unchanged, countFiles(expected).files - 3 + links - 1, 'every other file and link was already as in the snapshot');
    assert.equal(again.report.files, 1, 'only the missing file is written');
    assert.equal(readFileSync(removed, 'utf8'), 'a note three folders down\n', 'the missing file comes back');
    assert.deepEqual(again.report.refused, []);
    assert.deepEqual(restoreTemporaries(target), []);

    const forced = restore(snapshot.id, target, ['--overwrite']);
    assert.equal(forced.code, 0, JSON.stringify(forced.report));
    assert.deepEqual(forced.report.conflicts, []);
    assert.equal(readFileSync(edited, 'utf8'), 'quarterly report\n'.repeat(200), 'with --overwrite the file is replaced');
    assert.equal(statSync(edited).mode & 0o7777, 0o640);
    assertSameTree(root, describeTree(tree), `${label} after --overwrite`);
    assert.deepEqual(restoreTemporaries(target), []);

    // Restoring once more over a tree that is just as in the snapshot: nothing to do, and no failure.
    const same = restore(snapshot.id, target);
    assert.equal(same.code, 0, JSON.stringify(same.report));
    assert.deepEqual([same.report.files, same.report.conflicts, same.report.unchanged], [0, [], countFiles(expected).files + links]);
  });
}

for (const [compression, label] of [
  ['none', 'uncompressed'],
  ['gzip', 'gzip'],
] as const) {
  test(`${label === 'gzip' ? 'a' : 'an'} ${label} archive that lacks a file its manifest lists never restores "successfully" without it`, () => {
    const source = join(ws.root, `lacking-${compression}`);
    buildRichTree(source, join(ws.root, `lacking-outside-${compression}`));
    const schedule = `Lacking-${compression}`;
    ws.addSchedule(schedule, ['--compression', compression], [source]);
    const snapshot = runBackup(schedule);
    const { manifest } = readLayout(snapshot.archivePath);
    // Cut the tar just before its last file: the manifest (unchanged) still lists it.
    const lastFile = manifest.entries.filter((entry) => entry.type === 'file').sort((a, b) => b.offset - a.offset)[0] as ManifestEntry;
    const body = tarStream(snapshot.archivePath).subarray(0, lastFile.offset);
    writeFileSync(
      snapshot.archivePath,
      assembleArchive(body, manifest.entries, { id: manifest.snapshot.id, scheduleName: manifest.snapshot.scheduleName, createdAt: manifest.snapshot.createdAt, sources: manifest.snapshot.sources }, { gzip: compression === 'gzip' }),
    );
    const target = freshTarget();
    const result = ws.cli(['restore', String(snapshot.id), '--to', target, '--json']);
    assert.ok(!existsSync(join(target, lastFile.path)), 'the file cannot come back');
    assert.equal(result.code, 1, `the restore does not claim success without /${lastFile.path}: ${describeResult(result)}`);
    assert.ok(result.stdout.includes(lastFile.path) || result.stderr.includes(lastFile.path), `the missing file is named: ${describeResult(result)}`);
    assert.deepEqual(restoreTemporaries(target), [], 'no temporary files are left behind');
  });
}

test('a gzip archive with a damaged member: the restore exits 1 with its JSON result saying what was not restored and why, and leaves no temporary file behind', () => {
  const source = join(ws.root, 'damaged-member');
  mkdirSync(source);
  writeFileSync(join(source, 'random.bin'), randomBytes(4 * 1024 * 1024));
  writeFileSync(join(source, 'zz-after.txt'), 'after the damage\n');
  ws.addSchedule('DamagedMember', ['--compression', 'gzip'], [source]);
  const snapshot = runBackup('DamagedMember');
  const members = readLayout(snapshot.archivePath).manifest.gzipMembers ?? [];
  assert.ok(members.length >= 3, `several gzip members (${members.length})`);
  const middle = Math.floor(((members[1]?.compressedOffset ?? 0) + (members[2]?.compressedOffset ?? 0)) / 2);
  for (let index = 0; index < 16; index += 1) flipByte(snapshot.archivePath, middle + index);
  const target = freshTarget();
  const result = ws.cli(['restore', String(snapshot.id), '--to', target, '--json']);
  assert.equal(result.code, 1, describeResult(result));
  const report = result.json<RestoreReport & { damaged: string[] }>();
  const notRestored = [...report.refused, ...report.damaged].join('\n');
  assert.match(notRestored, new RegExp(`${join(source, 'random.bin').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), `the damaged file is named: ${describeResult(result)}`);
  assert.match(report.refused.join('\n'), /cannot be read past this point .*verify it/, 'the reason says the archive cannot be read on and to verify it');
  assert.deepEqual(restoreTemporaries(target), [], 'no half-written temporary file is left in the target');
  assert.ok(!existsSync(join(target, source, 'random.bin')), 'the damaged file is not put in place');
});

test('a target disk that fills up stops the restore saying so in words, calls no file damaged, and a restore after room is made finishes the rest', (t) => {
  const source = join(ws.root, 'fills-the-disk');
  mkdirSync(source);
  for (let index = 0; index < 6; index += 1) writeFileSync(join(source, `part-${index}.bin`), randomBytes(3 * 1024 * 1024));
  ws.addSchedule('FillsPlain', [], [source]);
  ws.addSchedule('FillsGzip', ['--compression', 'gzip'], [source]);
  for (const schedule of ['FillsPlain', 'FillsGzip']) {
    const snapshot = runBackup(schedule);
    const disk = mountSmallDisk(t, 8);
    if (disk === null) {
      t.skip('mounting a tmpfs is not allowed here');
      return;
    }
    const result = ws.cli(['restore', String(snapshot.id), '--to', disk, '--json']);
    assert.equal(result.code, 1, describeResult(result));
    const report = result.json<RestoreReport>();
    assert.deepEqual(report.damaged, [], `${schedule}: a full disk is not damage in the backup`);
    assert.match(report.refused.join('\n'), new RegExp(`the restore stopped: the disk holding ${disk} ran out of space \\([\\d.]+ [kM]?B free now\\); free some room there or restore to another disk, then restore again`), `${schedule}: the reason says the disk is full: ${describeResult(result)}`);
    assert.ok(report.files >= 1 && report.files < 6, `${schedule}: what fitted is restored (${report.files} of 6 files)`);
    assert.deepEqual(restoreTemporaries(disk), [], `${schedule}: no half-written temporary file is left`);
    const restored = readdirSync(join(disk, source));
    for (const name of restored) assert.ok(readFileSync(join(disk, source, name)).equals(readFileSync(join(source, name))), `${schedule}: ${name}, under its name, is whole`);

    assert.equal(spawnSync('mount', ['-o', 'remount,size=32m', disk]).status, 0, 'the disk grows');
    const again = ws.cli(['restore', String(snapshot.id), '--to', disk, '--json']);
    assert.equal(again.code, 0, describeResult(again));
    assert.deepEqual([again.json<RestoreReport>().files, again.json<RestoreReport & { unchanged: number }>().unchanged], [6 - report.files, report.files], `${schedule}: the rest is restored, what was there already left as it is`);
  }
});

test('a target disk with room but no free inodes says so, not that it is full', (t) => {
  const source = join(ws.root, 'many-small-files');
  mkdirSync(source);
  for (let index = 0; index < 40; index += 1) writeFileSync(join(source, `note-${index}.txt`), `note ${index}\n`);
  ws.addSchedule('ManySmall', [], [source]);
  const snapshot = runBackup('ManySmall');
  const disk = mountSmallDisk(t, 64, 'tmpfs', 12);
  if (disk === null) return t.skip('mounting a tmpfs is not allowed here');
  const result = ws.cli(['restore', String(snapshot.id), '--to', disk, '--json']);
  assert.equal(result.code, 1, describeResult(result));
  assert.match(result.json<RestoreReport>().refused.join('\n'), new RegExp(`the restore stopped: the disk holding ${disk} has no room for more files \\(no free inodes, though 6\\d(\\.\\d)? MB is free\\)`), describeResult(result));

  // In text, the stop is said as what happened to the restore, not listed as an entry not restored.
  const text = ws.cli(['restore', String(snapshot.id), '--to', disk]);
  assert.equal(text.code, 1);
  const lines = text.stdout.trim().split('\n');
  assert.match(lines[0] ?? '', /^Restored 0 files \(0 B\) from snapshot \d+ into /);
  assert.match(lines.find((line) => line.startsWith('The restore stopped: ')) ?? text.stdout, /^The restore stopped: the disk holding .* has no room for more files .*; what is not listed as restored was not restored\.$/);
  assert.ok(!text.stdout.includes('not restored:'), text.stdout);
});

/** A schedule over about 1 GiB of allocated (unwritten) files and one small file, backed up once, uncompressed. */
let big: { snapshot: SnapshotWithKind; folder: string; small: string } | undefined;

function bigSnapshot(): { snapshot: SnapshotWithKind; folder: string; small: string } {
  if (big) return big;
  const folder = join(ws.root, 'large');
  mkdirSync(folder);
  zeroFiles(folder, 4, 256 * 1024 * 1024);
  const small = join(folder, 'zz-small.txt');
  writeFileSync(small, 'the one small file\n');
  ws.addSchedule('Large', [], [folder]);
  big = { snapshot: runBackup('Large'), folder, small };
  return big;
}

/** How many bytes of a file are in the page cache, from util-linux's fincore; null when it is not installed. */
function cachedBytes(path: string): number | null {
  const result = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], { encoding: 'utf8' });
  return result.status === 0 ? Number(result.stdout.trim()) : null;
}

const noFincore = cachedBytes(process.execPath) === null ? 'fincore is not installed (apt-get install -y util-linux-extra); .ci/run installs it' : false;

test('one small file out of a 1 GiB uncompressed archive is read at its recorded offset: the restore reads kilobytes of the archive, not the gigabyte before it', { skip: noFincore }, (t) => {
  const { snapshot, small } = bigSnapshot();
  const archiveBytes = statSync(snapshot.archivePath).size;
  assert.ok(archiveBytes > 1024 * 1024 * 1024, `the archive is over 1 GiB (${archiveBytes} bytes)`);
  const entry = readLayout(snapshot.archivePath).manifest.entries.find((candidate) => `/${candidate.path}` === small);
  assert.ok(entry && entry.offset > 1024 * 1024 * 1024, `the small file's header is past the first GiB (at ${entry?.offset})`);

  // Nothing of the archive in the page cache, then whatever the restore reads lands there.
  const dropped = spawnSync('dd', [`if=${snapshot.archivePath}`, 'iflag=nocache', 'count=0'], { encoding: 'utf8' });
  assert.equal(dropped.status, 0, `dropping the archive from the page cache: ${dropped.stderr}`);
  assert.ok((cachedBytes(snapshot.archivePath) as number) < 64 * 1024, 'the archive starts out of the page cache');
  const target = freshTarget();
  const start = performance.now();
  const result = ws.cli(['restore', String(snapshot.id), '--to', target, '--path', small, '--json']);
  const elapsed = performance.now() - start;
  const read = cachedBytes(snapshot.archivePath) as number;
  t.diagnostic(`restoring ${small} from a ${(archiveBytes / 1024 ** 3).toFixed(2)} GiB archive read ${read} bytes of it and took ${Math.round(elapsed)} ms (the whole CLI call; its target is in npm run bench)`);
  assert.equal(result.code, 0, describeResult(result));
  assert.equal(result.json<RestoreReport>().files, 1);
  assert.equal(readFileSync(join(target, small), 'utf8'), 'the one small file\n');
  assert.ok(read < 4 * 1024 * 1024, `the restore read ${read} bytes of the ${archiveBytes}-byte archive: the trailer, the manifest and the file, no more`);
});

test('restoring one large file reports progress inside it, and a cancel stops it midway with nothing left behind', async (t) => {
  const { snapshot, folder } = bigSnapshot();
  const large = join(folder, 'big-0000.bin');
  const target = freshTarget();
  const worker = fork(join(repoRoot, 'dist', 'main', 'archive-worker.cjs'), [], { serialization: 'advanced', stdio: 'ignore' });
  t.after(() => worker.kill('SIGKILL'));
  const progress: { files: number; bytes: number; currentPath: string }[] = [];
  let last: { type: string; code?: string } | null = null;
  // Held still for 300 ms after each report, as a slow drive would hold it, so reports fall inside the file.
  worker.on('message', (message: { type: string; code?: string; progress?: { files: number; bytes: number; currentPath: string } }) => {
    last = message;
    if (message.type !== 'progress' || !message.progress) return;
    progress.push(message.progress);
    const inside = progress.filter((report) => report.currentPath.endsWith(large.slice(1)) && report.bytes > 0).length;
    worker.kill('SIGSTOP');
    if (inside === 2) worker.send({ type: 'cancel' });
    setTimeout(() => worker.kill('SIGCONT'), 300);
  });
  const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));
  worker.send({ type: 'restore', request: { archivePath: snapshot.archivePath, archives: {}, target, paths: [large], overwrite: false } });
  const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000))]);
  assert.notEqual(code, 'timeout', 'the worker ended');
  const inside = progress.filter((report) => report.bytes > 0 && report.files === 0);
  assert.ok(inside.length >= 2, `progress inside the 256 MiB file (got ${JSON.stringify(progress)})`);
  assert.ok((inside[1]?.bytes as number) > (inside[0]?.bytes as number) && (inside[1]?.bytes as number) < 256 * 1024 * 1024, 'its bytes grow and stay below the file size');
  assert.deepEqual(last, { type: 'error', code: 'CANCELLED', message: (last as unknown as { message: string }).message });
  assert.equal(existsSync(join(target, large)), false, 'the half-restored file is not there');
  assert.deepEqual(restoreTemporaries(target), [], 'nor any temporary file');
});

test('a large restore runs in a worker process, and SIGINT to the CLI cancels it', async (t) => {
  const { snapshot, small, folder } = bigSnapshot();
  const target = freshTarget();
  t.after(() => rmSync(target, { recursive: true, force: true }));
  const running = startDormouse(['--data-dir', ws.dataDir, 'restore', String(snapshot.id), '--to', target, '--json']);
  const cliPid = running.child.pid as number;
  let exited = false;
  void running.done.then(() => (exited = true));
  const workerPid = await waitFor('the restore worker process', () => (exited ? -1 : childPids(cliPid).find((pid) => /archive-worker/.test(commandLine(pid)))), 20_000);
  assert.ok(workerPid > 0, `the CLI started a worker child before it exited: ${JSON.stringify(await Promise.race([running.done, Promise.resolve(null)]))}`);
  t.after(() => {
    if (alive(workerPid)) process.kill(workerPid, 'SIGKILL');
  });
  assert.match(commandLine(workerPid), /node.*archive-worker/, 'a Node child running the archive worker');
  t.diagnostic(`CLI ${cliPid}, worker ${workerPid}: ${commandLine(workerPid)}`);
  // Mid-restore: the worker has started writing, into the hidden folder that stands in for the target until the restore ends.
  const standIns = () => readdirSync(dirname(target)).filter((name) => name.startsWith(`.${basename(target)}.dormouse-`));
  await waitFor('the first restored bytes', () => standIns().some((name) => existsSync(join(dirname(target), name, folder, 'big-0000.bin'))), 20_000, 10);
  const signalledAt = performance.now();
  process.kill(cliPid, 'SIGINT');

  const ended = await Promise.race([running.done, new Promise<null>((resolve) => setTimeout(() => resolve(null), 15_000))]);
  const problems: string[] = [];
  if (ended === null) {
    problems.push('the CLI was still running 15 s after SIGINT');
    running.child.kill('SIGKILL');
    await running.done;
  }
  let workerGoneAfter = -1;
  try {
    await waitFor('the worker to stop', () => !alive(workerPid), 20_000);
    workerGoneAfter = performance.now() - signalledAt;
  } catch {
    problems.push('the worker was still running 20 s after SIGINT');
  }
  t.diagnostic(`CLI ended with ${JSON.stringify(ended && { code: ended.code, signal: ended.signal, stderr: ended.stderr.trim() })}; worker gone ${Math.round(workerGoneAfter)} ms after SIGINT`);
  if (workerGoneAfter > 5000) problems.push(`the worker kept going for ${Math.round(workerGoneAfter)} ms after SIGINT`);
  const leftovers = restoreTemporaries(target);
  if (leftovers.length > 0) problems.push(`temporary files left behind: ${leftovers.join(', ')}`);
  if (existsSync(join(target, small))) problems.push('the restore ran to its end (the last file was restored) despite SIGINT');
  if (!existsSync(target)) problems.push('the target folder, with what was restored before SIGINT, is not there');
  if (standIns().length > 0) problems.push(`the hidden folder standing in for the target is left: ${standIns().join(', ')}`);
  if (ended) {
    if (ended.signal !== null) problems.push(`the CLI was killed by ${ended.signal} instead of cancelling the restore and exiting with a code (as \`dormouse run\` does on Ctrl-C)`);
    else if (ended.code !== 1) problems.push(`the CLI exited ${ended.code}, not 1`);
    if (!/^error: .*cancel/im.test(ended.stderr)) problems.push(`no error line saying the restore was cancelled on stderr (stderr: ${JSON.stringify(ended.stderr)})`);
  }
  assert.deepEqual(problems, [], 'Ctrl-C stops a restore cleanly');
});
