import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { decodeJobs, encodeJobs, type FileJob } from '../../src-main/archive-worker/file-restore-thread';
import { bench } from '../incremental/incremental-kit';
import { restoreInWorker } from './worker-run';

/**
 * A whole-tree restore (#15) streams the snapshot's entries instead of holding them: the archive
 * worker's peak memory is the same for 100,000 files as for 30,000. And an interrupted restore
 * (the worker killed mid-way) leaves no file with wrong contents under its real name.
 */

/** `count` files of a few dozen bytes, 20 to a folder, in folders of 50 folders: many folders as well as many files. */
function manySmallFiles(root: string, count: number): void {
  for (let index = 0; index < count; index += 1) {
    const folder = join(root, `p${Math.floor(index / 1000)}`, `d${Math.floor(index / 20) % 50}`);
    if (index % 20 === 0) mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `file-${index}.txt`), `file ${index} of ${count}\n`);
  }
}

test('the restore worker peaks at the same memory restoring 100,000 files as 30,000', async (t) => {
  const peaks: number[] = [];
  for (const count of [30_000, 100_000]) {
    const b = bench(t);
    manySmallFiles(b.src, count);
    const { snapshot } = b.backup();
    const target = b.folder('restore');
    const run = await restoreInWorker(snapshot.archivePath, target);
    assert.equal(run.answer?.type, 'restored', `the restore of ${count} files ended: ${JSON.stringify(run.answer)}`);
    assert.equal(run.answer?.result?.files, count, 'every file restored');
    assert.deepEqual(run.answer?.result?.refused, []);
    assert.equal(readFileSync(join(target, b.srcEntry, 'p9', 'd49', 'file-9999.txt'), 'utf8'), `file 9999 of ${count}\n`);
    t.diagnostic(`${count} files: the worker peaked at ${(run.peakBytes / 1024 ** 2).toFixed(1)} MiB`);
    peaks.push(run.peakBytes);
    rmSync(b.root, { recursive: true, force: true });
  }
  const [small, large] = peaks as [number, number];
  assert.ok(small > 0, 'the peak was read from /proc');
  // Holding every entry (as restores did) costs close to 1 KiB each: about 70 MiB more at 100,000 files.
  // From 30,000 files on, the heap's and the allocator's own growth have settled (from 10,000, they
  // alone made 20–40 MiB, from one run to the next).
  assert.ok(large < small + 40 * 1024 ** 2, `peak memory: ${(small / 1024 ** 2).toFixed(1)} MiB at 30,000 files, ${(large / 1024 ** 2).toFixed(1)} MiB at 100,000`);
});

/** Every regular file below `folder`, by path relative to it. */
function filesBelow(folder: string, prefix = ''): string[] {
  return readdirSync(join(folder, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) return filesBelow(folder, relative);
    return entry.isFile() ? [relative] : [];
  });
}

/** A restore's temporary name: its process id, its mark and a count, in hex. */
const temporary = /(^|\/)\.dormouse-[0-9a-f]+-[0-9a-f]{12}\.restoring$/;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

test('a whole-tree restore writes its files on threads beside the one that reads the archive, one per core up to four', async (t) => {
  const b = bench(t);
  // 48 files of 8 MiB: long enough to be seen at work, each of its own bytes.
  for (let index = 0; index < 48; index += 1) writeFileSync(join(b.src, `f${String(index).padStart(2, '0')}.bin`), Buffer.alloc(8 * 1024 * 1024, `${index} `));
  const { snapshot } = b.backup();
  const target = b.folder('restore');
  const run = await restoreInWorker(snapshot.archivePath, target);
  assert.equal(run.answer?.type, 'restored', JSON.stringify(run.answer));
  assert.equal(run.answer?.result?.files, 48);
  for (const name of ['f00.bin', 'f47.bin']) assert.ok(readFileSync(join(target, b.srcEntry, name)).equals(readFileSync(join(b.src, name))), `${name} has its content`);
  const mib = 1024 * 1024;
  const shown = [...run.threadWrites].map(([tid, bytes]) => `${tid}: ${(bytes / mib).toFixed(1)} MiB`).join(', ');
  t.diagnostic(`bytes written by each thread of the worker (${run.threadWrites.size} seen): ${shown}`);
  // The worker process's own thread has the process id as its thread id.
  const workerPid = Math.min(...run.threadWrites.keys());
  assert.ok((run.threadWrites.get(workerPid) ?? 0) < 8 * mib, `the thread reading the archive writes no file content (${shown})`);
  const writers = [...run.threadWrites.values()].filter((bytes) => bytes >= 8 * mib);
  assert.equal(writers.length, Math.min(4, availableParallelism()), `one thread per core, up to four, each wrote files (${shown})`);
  const written = writers.reduce((sum, bytes) => sum + bytes, 0);
  assert.ok(written >= 40 * 8 * mib, `between them they wrote (nearly) all 384 MiB, as far as the samples saw (${(written / mib).toFixed(0)} MiB)`);
});

/**
 * A `sync` first on PATH that notes each run (its arguments, when it started and ended) in `log`
 * and runs the system's own `sync` in between: the restore's syncs still do their work.
 */
function notingSync(folder: string, log: string): NodeJS.ProcessEnv {
  const real = execFileSync('sh', ['-c', 'command -v sync'], { encoding: 'utf8' }).trim();
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'sync'), `#!/bin/sh\necho "start $*" >> '${log}'\n'${real}' "$@"\necho "end $*" >> '${log}'\n`, { mode: 0o755 });
  return { ...process.env, PATH: `${folder}:${process.env.PATH ?? ''}` };
}

test('a large restore has the drive write its files while it runs, not all at the end, and leaves no sync running; a small one syncs once', { skip: process.platform !== 'linux' && 'sync -f is Linux only' }, async (t) => {
  const b = bench(t);
  // 24 files of 2 MiB (48 MiB: above the 16 MiB from which the restore writes back as it goes), and one small file apart.
  for (let index = 0; index < 24; index += 1) writeFileSync(join(b.src, `f${String(index).padStart(2, '0')}.bin`), Buffer.alloc(2 * 1024 * 1024, `${index} `));
  const { snapshot: large } = b.backup();
  const log = join(b.root, 'sync.log');
  const env = notingSync(join(b.root, 'bin'), log);
  const target = b.folder('restore');
  const run = await restoreInWorker(large.archivePath, target, undefined, env);
  assert.equal(run.answer?.type, 'restored', JSON.stringify(run.answer));
  assert.equal(run.answer?.result?.files, 24);
  assert.ok(readFileSync(join(target, b.srcEntry, 'f23.bin')).equals(readFileSync(join(b.src, 'f23.bin'))), 'the files have their content');
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  t.diagnostic(`syncs of the large restore: ${lines.join(' | ')}`);
  const starts = lines.filter((line) => line === `start -f ${target}`);
  assert.ok(starts.length >= 2, `the target's file system was synced while the restore ran as well as at its end (${lines.join(' | ')})`);
  assert.ok(lines.every((line) => line.endsWith(` -f ${target}`)), "only the target's file system is synced");
  assert.equal(lines.filter((line) => line.startsWith('end ')).length, starts.length, 'every sync had ended when the worker did');
  const small = bench(t);
  writeFileSync(join(small.src, 'note.txt'), 'a small restore\n');
  writeFileSync(join(small.src, 'other.txt'), 'and another file\n');
  const { snapshot } = small.backup();
  rmSync(log);
  const smallTarget = small.folder('restore');
  const smallRun = await restoreInWorker(snapshot.archivePath, smallTarget, undefined, env);
  assert.equal(smallRun.answer?.result?.files, 2, JSON.stringify(smallRun.answer));
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [`start -f ${smallTarget}`, `end -f ${smallTarget}`], 'a small restore syncs once, at its end');
});

test('a restore killed mid-way leaves no file with wrong contents under its real name', async (t) => {
  const b = bench(t);
  // Files of 64 KiB and four of 24 MiB (long enough that the kill lands inside one), each of its own bytes, so a file cut short or mixed up shows.
  for (let index = 0; index < 400; index += 1) {
    const folder = join(b.src, `d${index % 8}`);
    mkdirSync(folder, { recursive: true });
    const size = index % 100 === 0 ? 24 * 1024 * 1024 : 64 * 1024;
    const content = Buffer.alloc(size, `${index} `);
    writeFileSync(join(folder, `f${String(index).padStart(3, '0')}.bin`), content);
  }
  const { snapshot } = b.backup();
  // Killed inside a file after the first (a report with as many files done as the one before, and more bytes): the 24 MiB files
  // have such reports whatever the machine. The kill follows the report a moment later, so on a busy machine the file may be
  // finished by then: up to three tries, and one of them must land inside a file.
  let insideFile = 0;
  for (let attempt = 1; attempt <= 3 && insideFile === 0; attempt += 1) {
    const target = b.folder(`restore-${attempt}`);
    const run = await restoreInWorker(snapshot.archivePath, target, (progress, previous) => progress.files > 1 && progress.files === previous?.files && progress.bytes > previous.bytes);
    assert.equal(run.answer, null, `the worker was killed before it finished (it answered ${JSON.stringify(run.answer)})`);
    const restored = filesBelow(join(target, b.srcEntry));
    const named = restored.filter((path) => !temporary.test(path));
    t.diagnostic(`try ${attempt}: killed after ${run.progress.at(-1)?.files} files: ${named.length} files under their names, ${restored.length - named.length} temporary`);
    assert.ok(named.length > 1 && named.length < 400, `the restore was interrupted part-way (${named.length} of 400 files)`);
    const wrong = named.filter((path) => sha256(readFileSync(join(target, b.srcEntry, path))) !== sha256(readFileSync(join(b.src, path))));
    assert.deepEqual(wrong, [], 'every file under its real name has its whole, right content');
    // The restore writes files on one thread per core, up to four: at most one file each is being written.
    assert.ok(restored.length - named.length <= Math.min(4, availableParallelism()), 'at most the files it was writing are there, under temporary names only');
    insideFile = restored.length - named.length;
    if (insideFile === 0) continue;
    // The same restore again into the same folder: the files already there are left as they are, the rest
    // restored, and the temporary file the killed one left is gone.
    const again = await restoreInWorker(snapshot.archivePath, target);
    assert.equal(again.answer?.type, 'restored', JSON.stringify(again.answer));
    const afterwards = filesBelow(join(target, b.srcEntry));
    assert.deepEqual(afterwards.filter((path) => temporary.test(path)), [], 'no temporary file is left');
    assert.equal(afterwards.length, 400, 'every file is there');
    const stillWrong = afterwards.filter((path) => sha256(readFileSync(join(target, b.srcEntry, path))) !== sha256(readFileSync(join(b.src, path))));
    assert.deepEqual(stillWrong, [], 'every file has its right content');
  }
  assert.ok(insideFile >= 1, 'one of the kills landed inside a file, which was there under a temporary name only');
});

test('a file handed to a restore thread arrives with every field as the restore sent it, odd names and empty owner names included', () => {
  const jobs: FileJob[] = [
    {
      id: 1,
      archivePath: '/drive/Dormouse/m/Home/20261206T000000Z-full-1.tar',
      contentAt: 1536,
      afterHeader: false,
      length: 0,
      sparseSize: null,
      temporary: '/target/a b/.dormouse-1-000000000001000001.restoring',
      destination: '/target/a b/line\nbreak\ttab +plus \u00e9\udc80',
      hash: { kind: 'sha256', hex: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
      entry: { path: 'a b/line\nbreak\ttab +plus \u00e9\udc80', type: 'file', mode: 0o4755, mtimeMs: -1.5, mtimeNs: '-1500000001', uid: 0, gid: 4_000_000_000, user: '', group: 'wheel' },
      records: [
        ['SCHILY.xattr.user.note', Buffer.from('one\0two').toString('base64')],
        ['SCHILY.acl.access', ''],
      ],
    },
    {
      id: 2,
      archivePath: '/drive/b.tar',
      contentAt: 2 ** 40,
      afterHeader: true,
      length: 2 ** 33,
      sparseSize: 2 ** 34,
      temporary: '/t/.x',
      destination: '/t/x',
      hash: { kind: 'xxh128', hex: '99aa06d3014798d86001c324468d497f' },
      entry: { path: 'x', type: 'file', mode: 0, mtimeMs: 1_765_000_000_123.25 },
      records: [],
    },
    {
      // Written under its own name, in the stand-in for a new target (its twin crosses as an empty field).
      id: 3,
      archivePath: '/drive/b.tar',
      contentAt: 512,
      afterHeader: true,
      length: 3,
      sparseSize: null,
      temporary: '/t/.T.dormouse-1-abcdef.restoring/y',
      destination: '/t/.T.dormouse-1-abcdef.restoring/y',
      hash: { kind: 'xxh128', hex: '99aa06d3014798d86001c324468d497f' },
      entry: { path: 'y', type: 'file', mode: 0o644, mtimeMs: 0 },
      records: [],
    },
    {
      // Back to the first archive: a path sent once is not taken for the one before it.
      id: 4,
      archivePath: '/drive/Dormouse/m/Home/20261206T000000Z-full-1.tar',
      contentAt: 2048,
      afterHeader: true,
      length: 1,
      sparseSize: null,
      temporary: '/t/z',
      destination: '/t/z',
      hash: undefined,
      entry: { path: 'z', type: 'file', mode: 0o600, mtimeMs: 1 },
      records: [],
    },
  ];
  assert.deepStrictEqual(decodeJobs(encodeJobs(jobs)), jobs);
  assert.deepStrictEqual(decodeJobs(encodeJobs([])), []);
});

test('a name holding a NUL byte is never handed to a restore thread, since it would end its field early and shift a destination of its own making into place', () => {
  const job: FileJob = {
    id: 1,
    archivePath: '/drive/a.tar',
    contentAt: 512,
    afterHeader: false,
    length: 5,
    sparseSize: null,
    temporary: '/target/.t',
    destination: '/target/a.txt',
    hash: undefined,
    entry: { path: 'a.txt', type: 'file', mode: 0o644, mtimeMs: 0 },
    records: [],
  };
  assert.deepStrictEqual(decodeJobs(encodeJobs([job])), [job], 'the job as it is goes through');
  for (const hostile of [
    { ...job, entry: { ...job.entry, user: 'ann\u00001\u0000/drive/a.tar\u00000\u00005\u0000\u0000/elsewhere/.t\u0000/elsewhere/evil' } },
    { ...job, entry: { ...job.entry, group: 'staff\u0000x' } },
    { ...job, records: [['SCHILY.xattr.user.a\u0000b', 'AA==']] as [string, string][] },
    { ...job, destination: '/target/a\u0000b' },
  ]) {
    assert.throws(() => encodeJobs([hostile]), /NUL byte/, JSON.stringify(hostile));
  }
});
