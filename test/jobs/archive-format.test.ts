import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describeResult, describeTree, sha256File, workspace, xxh128File, type Job, type Snapshot, type TreeEntry, type Workspace } from '../helpers/trees';
import type { ManifestEntry } from '../restore/restore-kit';

/**
 * Backs a real tree up through `dormouse run` (once plain, once gzip) and checks the archive the way
 * a person restoring without Dormouse would: with GNU tar, bsdtar and Python's tarfile, and by
 * reading the manifest and trailer Dormouse promises at fixed places.
 */

const oldMtime = new Date('2001-09-09T01:46:40Z'); // 1_000_000_000 s
const tarEnv = { ...process.env, LC_ALL: 'C.UTF-8', TZ: 'UTC' };
const longDirName = `long-${'d'.repeat(110)}`;
const longFileName = `${'n'.repeat(101)}-ünïcødé-日本.txt`;
const longFileRel = `${longDirName}/${longFileName}`;
const secret = `TOP-SECRET-${randomBytes(8).toString('hex')}`;


interface Manifest {
  dormouse: string;
  format: number;
  snapshot: { id: string; scheduleName: string; compression: string; sources: string[]; excludes: string[]; kind: string };
  entries: ManifestEntry[];
  gzipMembers?: { compressedOffset: number; tarOffset: number }[];
}

interface Trailer {
  dormouse: string;
  format: number;
  manifestOffset: number;
  manifestBytes: number;
  manifestMemberOffset: number | null;
  indexOffset: number;
  indexBytes: number;
  indexMemberOffset: number | null;
}

interface Backup {
  job: Job;
  archive: string;
  /** The uncompressed tar stream. */
  tar: Buffer;
}

const cleanups: (() => void)[] = [];
const scope = { after: (fn: () => void) => cleanups.push(fn) };
after(() => cleanups.reverse().forEach((fn) => fn()));

let ws: Workspace;
let outside: string;
let plain: Backup;
let zipped: Backup;
/** The source path as tar stores it: absolute, without the leading slash. */
let srcName: string;

/** Paths below the source that the schedules' excludes leave out. */
function isExcluded(rel: string): boolean {
  const parts = rel.split('/');
  return parts.includes('node_modules') || rel.endsWith('.tmp');
}

function buildTree(src: string, outsideFolder: string): void {
  mkdirSync(join(src, 'docs', 'nested', 'deep'), { recursive: true });
  writeFileSync(join(src, 'docs', 'nested', 'deep', 'note.txt'), 'a note three folders down\n');
  writeFileSync(join(src, 'docs', 'report.txt'), 'quarterly report\n'.repeat(50));
  chmodSync(join(src, 'docs', 'report.txt'), 0o640);
  utimesSync(join(src, 'docs', 'report.txt'), oldMtime, oldMtime);
  writeFileSync(join(src, 'docs', 'keep.tmp.txt'), 'not a .tmp file\n');
  writeFileSync(join(src, 'docs', 'node_modules.txt'), 'a file named like the excluded folder\n');
  writeFileSync(join(src, 'docs', 'old.tmp'), 'excluded by *.tmp at depth\n');
  mkdirSync(join(src, 'docs', 'node_modules', 'lib'), { recursive: true });
  writeFileSync(join(src, 'docs', 'node_modules', 'lib', 'index.js'), 'module.exports = 1;\n');
  mkdirSync(join(src, 'node_modules', 'pkg'), { recursive: true });
  writeFileSync(join(src, 'node_modules', 'pkg', 'index.js'), 'module.exports = 2;\n');
  // A FIFO inside the excluded folder: walking into node_modules would report it as a warning.
  const fifo = spawnSync('mkfifo', [join(src, 'node_modules', 'pkg', 'pipe')]);
  assert.equal(fifo.status, 0, `mkfifo: ${fifo.stderr}`);
  writeFileSync(join(src, 'scratch.tmp'), 'excluded by *.tmp\n');
  mkdirSync(join(src, 'empty'));
  mkdirSync(join(src, longDirName));
  writeFileSync(join(src, longFileRel), 'ünïcødé content 日本\n');
  writeFileSync(join(src, 'data.bin'), randomBytes(5 * 1024 * 1024));
  symlinkSync('docs/report.txt', join(src, 'link-to-file'));
  symlinkSync(longFileRel, join(src, 'link-long'));
  mkdirSync(outsideFolder, { recursive: true });
  writeFileSync(join(outsideFolder, 'secret.txt'), `${secret}\n`);
  symlinkSync(join(outsideFolder, 'secret.txt'), join(src, 'link-outside'));
  symlinkSync(outsideFolder, join(src, 'link-outside-dir'));
  // Folder times last, once their contents exist.
  utimesSync(join(src, 'empty'), oldMtime, oldMtime);
  utimesSync(join(src, 'docs', 'nested'), oldMtime, oldMtime);
}

function runBackup(schedule: string): Backup {
  const result = ws.cli(['run', schedule, '--json']);
  assert.equal(result.code, 0, describeResult(result));
  const job = result.json<Job>();
  assert.equal(job.status, 'succeeded', describeResult(result));
  assert.ok(job.archivePath, 'a succeeded job names its archive');
  const raw = readFileSync(job.archivePath);
  return { job, archive: job.archivePath, tar: job.archivePath.endsWith('.gz') ? gunzipSync(raw) : raw };
}

before(() => {
  ws = workspace(scope);
  outside = join(ws.root, 'outside');
  buildTree(ws.src, outside);
  srcName = ws.src.replace(/^\/+/, '');
  const excludes = ['--exclude', '**/node_modules', '--exclude', '*.tmp'];
  ws.addSchedule('Docs', excludes);
  ws.addSchedule('Zipped', [...excludes, '--compression', 'gzip']);
  plain = runBackup('Docs');
  zipped = runBackup('Zipped');
});

/** The source tree as it should come back: everything but the excluded paths. */
function expectedTree(): Map<string, TreeEntry> {
  return describeTree(ws.src, { skip: isExcluded });
}

function tool(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', env: tarEnv, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

function freshFolder(label: string): string {
  const folder = mkdtempSync(join(ws.root, `${label}-`));
  return folder;
}

/** Compares an extracted copy (the folder that holds `tmp/…/src`) with the source, path by path. */
function assertSameTree(extractedRoot: string, label: string): void {
  const copy = join(extractedRoot, srcName);
  const expected = expectedTree();
  const actual = describeTree(copy);
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `${label}: the same paths come back`);
  for (const [rel, want] of expected) {
    assert.deepEqual(actual.get(rel), want, `${label}: ${rel} comes back identical (type, mode, size, mtime, content, link)`);
  }
  const rootWant = lstatSync(ws.src);
  const rootGot = lstatSync(copy);
  assert.equal(rootGot.mode & 0o7777, rootWant.mode & 0o7777, `${label}: the source folder's mode`);
  assert.equal(Math.floor(rootGot.mtimeMs / 1000), Math.floor(rootWant.mtimeMs / 1000), `${label}: the source folder's mtime`);
  // The checks that matter most to a person, spelled out.
  assert.equal(statSync(join(copy, 'docs', 'report.txt')).mode & 0o777, 0o640, `${label}: mode 0640 kept`);
  assert.equal(Math.floor(statSync(join(copy, 'docs', 'report.txt')).mtimeMs / 1000), oldMtime.getTime() / 1000, `${label}: old mtime kept`);
  assert.equal(readlinkSync(join(copy, 'link-outside')), join(outside, 'secret.txt'), `${label}: the outside symlink is a link`);
  assert.ok(lstatSync(join(copy, 'link-outside-dir')).isSymbolicLink(), `${label}: the outside folder link is a link`);
  assert.ok(lstatSync(join(copy, 'empty')).isDirectory(), `${label}: the empty folder is back`);
  assert.equal(readFileSync(join(copy, longFileRel), 'utf8'), 'ünïcødé content 日本\n', `${label}: the long non-ASCII path`);
}

// ---------------------------------------------------------------------------------------------
// Tar headers, read by hand

interface RawHeader {
  name: string;
  typeflag: string;
  size: number;
  mode: number;
  mtime: number;
  linkname: string;
}

function cString(block: Buffer, start: number, length: number): string {
  const slice = block.subarray(start, start + length);
  const end = slice.indexOf(0);
  return slice.subarray(0, end === -1 ? slice.length : end).toString('utf8');
}

function octal(block: Buffer, start: number, length: number): number {
  const text = cString(block, start, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** Parses (and checksums) the ustar header block at `offset`. */
function headerAt(tar: Buffer, offset: number): RawHeader {
  assert.equal(offset % 512, 0, `offset ${offset} is on a block boundary`);
  const block = tar.subarray(offset, offset + 512);
  assert.equal(block.length, 512, `a whole block at ${offset}`);
  let sum = 0;
  for (let index = 0; index < 512; index += 1) sum += index >= 148 && index < 156 ? 0x20 : (block[index] as number);
  assert.equal(octal(block, 148, 8), sum, `the header at ${offset} has a valid checksum (is a header)`);
  assert.equal(block.subarray(257, 262).toString('latin1'), 'ustar', `the header at ${offset} is ustar`);
  const prefix = cString(block, 345, 155);
  const name = cString(block, 0, 100);
  return {
    name: prefix === '' ? name : `${prefix}/${name}`,
    typeflag: String.fromCharCode(block[156] as number),
    size: octal(block, 124, 12),
    mode: octal(block, 100, 8),
    mtime: octal(block, 136, 12),
    linkname: cString(block, 157, 100),
  };
}

function paxRecords(body: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let position = 0;
  while (position < body.length) {
    const space = body.indexOf(0x20, position);
    if (space === -1) break;
    const length = Number(body.subarray(position, space).toString('latin1'));
    if (!Number.isFinite(length) || length <= 0) break;
    const record = body.subarray(space + 1, position + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    records.set(record.slice(0, equals), record.slice(equals + 1));
    position += length;
  }
  return records;
}

/** The entry whose first header block is at `offset`, with a PAX header's path and linkpath applied. */
function entryAt(tar: Buffer, offset: number): RawHeader & { pax: boolean } {
  const first = headerAt(tar, offset);
  if (first.typeflag !== 'x') return { ...first, pax: false };
  const records = paxRecords(tar.subarray(offset + 512, offset + 512 + first.size));
  const real = headerAt(tar, offset + 512 + Math.ceil(first.size / 512) * 512);
  return { ...real, name: records.get('path') ?? real.name, linkname: records.get('linkpath') ?? real.linkname, pax: true };
}

function readTrailer(tar: Buffer): Trailer {
  const header = headerAt(tar, tar.length - 2048);
  assert.equal(header.name, '.dormouse/trailer.json');
  assert.equal(header.size, 512);
  assert.ok(tar.subarray(tar.length - 1024).every((byte) => byte === 0), 'the archive ends with two zero blocks');
  const block = tar.subarray(tar.length - 1536, tar.length - 1024);
  return JSON.parse(block.toString('utf8').trimEnd()) as Trailer;
}

/**
 * The manifest as format 3 lays it out, read by hand: gzip JSON lines (a header line, then the
 * entries, each without `mtimeMs`) where the trailer says, and the index (with the gzip members) after it.
 */
function readManifest(tar: Buffer): { manifest: Manifest; trailer: Trailer; lines: string } {
  const trailer = readTrailer(tar);
  const header = headerAt(tar, trailer.manifestOffset);
  assert.equal(header.name, '.dormouse/manifest.jsonl.gz', "the trailer's manifestOffset points at the manifest's header");
  assert.equal(header.size, trailer.manifestBytes);
  const lines = gunzipSync(tar.subarray(trailer.manifestOffset + 512, trailer.manifestOffset + 512 + header.size)).toString('utf8');
  const [first, ...rest] = lines.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
  const entries = rest.map((entry) => ({ ...entry, mtimeMs: Number(BigInt(entry.mtimeNs as string) / 1_000_000n) }) as unknown as ManifestEntry);
  const indexHeader = headerAt(tar, trailer.indexOffset);
  assert.equal(indexHeader.name, '.dormouse/index.json', "the trailer's indexOffset points at the index's header");
  const index = JSON.parse(tar.subarray(trailer.indexOffset + 512, trailer.indexOffset + 512 + trailer.indexBytes).toString('utf8')) as { gzipMembers?: Manifest['gzipMembers'] };
  return { manifest: { ...(first as Omit<Manifest, 'entries'>), entries, gzipMembers: index.gzipMembers }, trailer, lines };
}

const typeflags: Record<ManifestEntry['type'], string> = { file: '0', directory: '5', symlink: '2' };

// ---------------------------------------------------------------------------------------------

test('tar -tvf lists every entry under its absolute path without the leading slash, excludes left out', () => {
  const names = tool('tar', ['--quoting-style=literal', '-tf', plain.archive]).split('\n').filter((line) => line !== '');
  const expected = [`${srcName}/`, ...[...expectedTree()].map(([rel, entry]) => `${srcName}/${rel}${entry.type === 'directory' ? '/' : ''}`), '.dormouse/manifest.jsonl.gz', '.dormouse/index.json', '.dormouse/trailer.json'];
  assert.deepEqual([...names].sort(), [...expected].sort());
  assert.ok(names.every((name) => !name.startsWith('/')), 'no absolute names');
  assert.equal(names.at(-3), '.dormouse/manifest.jsonl.gz', 'the manifest comes after the files');
  assert.equal(names.at(-2), '.dormouse/index.json', 'then its index');
  assert.equal(names.at(-1), '.dormouse/trailer.json', 'the trailer is the last entry');
  for (const excluded of ['node_modules', 'docs/node_modules', 'docs/node_modules/lib/index.js', 'node_modules/pkg/index.js', 'scratch.tmp', 'docs/old.tmp']) {
    assert.ok(!names.some((name) => name === `${srcName}/${excluded}` || name.startsWith(`${srcName}/${excluded}/`)), `${excluded} is excluded`);
  }
  for (const kept of ['docs/keep.tmp.txt', 'docs/node_modules.txt']) assert.ok(names.includes(`${srcName}/${kept}`), `${kept} is not excluded`);

  const verbose = tool('tar', ['--quoting-style=literal', '-tvf', plain.archive]);
  const line = (rel: string) => verbose.split('\n').find((candidate) => candidate.endsWith(` ${srcName}/${rel}`) || candidate.includes(` ${srcName}/${rel} -> `)) ?? '';
  assert.match(line('docs/report.txt'), /^-rw-r----- .* 2001-09-09 01:46 /, 'the 0640 file with its old mtime');
  assert.match(line('link-outside'), new RegExp(`^l.* -> ${join(outside, 'secret.txt')}$`), 'the outside link is listed as a link');
  assert.match(line('link-outside-dir'), new RegExp(`^l.* -> ${outside}$`), 'the outside folder link is listed as a link');
  assert.match(line('empty/'), /^d/, 'the empty folder');
  assert.match(line(longFileRel), /^-/, 'the long non-ASCII file');
  // Walking into node_modules would have met the FIFO there and warned about it.
  assert.deepEqual(plain.job.warnings, [], 'nothing inside the excluded folders was walked');
});

test('symlinks are stored as links: nothing outside the tree is in the archive', () => {
  for (const backup of [plain, zipped]) {
    assert.equal(backup.tar.indexOf(secret), -1, `${backup.archive}: the outside file's content is not archived`);
  }
  const names = tool('tar', ['--quoting-style=literal', '-tf', plain.archive]).split('\n');
  assert.ok(!names.some((name) => name.startsWith(outside.replace(/^\//, ''))), 'no entry for anything in the outside folder');
  assert.ok(!names.some((name) => name.startsWith(`${srcName}/link-outside-dir/`)), 'the folder link was not walked into');
});

test('GNU tar -xf gives back identical contents, modes, mtimes, symlinks and the empty folder', () => {
  const out = freshFolder('gnu-tar');
  tool('tar', ['-xf', plain.archive, '-C', out]);
  assertSameTree(out, 'tar -xf');
  // The manifest a person extracts is the one the trailer points at.
  assert.equal(gunzipSync(readFileSync(join(out, '.dormouse', 'manifest.jsonl.gz'))).toString('utf8'), readManifest(plain.tar).lines);
});

test('bsdtar reads and extracts the archive identically', { skip: spawnSync('bsdtar', ['--version']).status === 0 ? false : 'bsdtar is not installed (apt-get install -y libarchive-tools); .ci/run installs it' }, () => {
  const out = freshFolder('bsdtar');
  tool('bsdtar', ['-xf', plain.archive, '-C', out]);
  assertSameTree(out, 'bsdtar -xf');
});

test("Python's tarfile reads and extracts the archive identically", () => {
  const out = freshFolder('python');
  const script = [
    'import sys, tarfile',
    'kw = {"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}',
    'with tarfile.open(sys.argv[1]) as archive:',
    '    archive.extractall(sys.argv[2], **kw)',
  ].join('\n');
  tool('python3', ['-c', script, plain.archive, out]);
  assertSameTree(out, 'python tarfile');
});

test('a gzip archive passes gzip -t and tar -xzf extracts it identically', () => {
  assert.ok(zipped.archive.endsWith('.tar.gz'), zipped.archive);
  const check = spawnSync('gzip', ['-t', zipped.archive], { encoding: 'utf8' });
  assert.equal(check.status, 0, `gzip -t: ${check.stderr}`);
  const out = freshFolder('gzip');
  tool('tar', ['-xzf', zipped.archive, '-C', out]);
  assertSameTree(out, 'tar -xzf');
  assert.ok(statSync(zipped.archive).size < zipped.tar.length, 'the gzip archive is smaller than the tar it holds');
});

test('archives are private (0600) and the recorded sha256 is the sha256sum of the file', () => {
  const snapshots = ws.ok<Snapshot[]>(['snapshots']);
  for (const backup of [plain, zipped]) {
    assert.equal(statSync(backup.archive).mode & 0o777, 0o600, `${backup.archive} is 0600`);
    const summed = tool('sha256sum', [backup.archive]).split(' ')[0];
    assert.equal(backup.job.sha256, summed, 'the job records the sha256 of the file');
    const snapshot = snapshots.find((candidate) => candidate.jobId === backup.job.id);
    assert.equal(snapshot?.sha256, summed, 'the snapshot records it too');
    assert.equal(snapshot?.archivePath, backup.archive);
    assert.equal(sha256File(backup.archive), summed);
  }
  assert.equal(snapshots.find((s) => s.jobId === zipped.job.id)?.compression, 'gzip');
  assert.equal(snapshots.find((s) => s.jobId === plain.job.id)?.compression, 'none');
});

test('the job counts the regular files and their bytes', () => {
  const files = [...expectedTree().values()].filter((entry) => entry.type === 'file');
  for (const backup of [plain, zipped]) {
    assert.equal(backup.job.files, files.length);
    assert.equal(backup.job.bytes, files.reduce((sum, entry) => sum + entry.size, 0));
  }
});

test('the trailer sits in the block at size-1536 of the tar and points at the manifest', () => {
  for (const backup of [plain, zipped]) {
    const { trailer, manifest } = readManifest(backup.tar);
    assert.equal(trailer.dormouse, 'trailer');
    assert.equal(trailer.format, 4);
    assert.equal(manifest.dormouse, 'manifest');
    assert.equal(manifest.snapshot.compression, backup === zipped ? 'gzip' : 'none');
    assert.deepEqual(manifest.snapshot.sources, [ws.src]);
    assert.deepEqual(manifest.snapshot.excludes, ['**/node_modules', '*.tmp']);
    assert.equal(trailer.manifestMemberOffset === null, backup === plain, 'manifestMemberOffset only for gzip');
    // The manifest entry is followed by exactly the index entry, then the trailer header, its block and the end blocks.
    const manifestEnd = trailer.manifestOffset + 512 + Math.ceil(trailer.manifestBytes / 512) * 512;
    assert.equal(manifestEnd, trailer.indexOffset);
    assert.equal(trailer.indexOffset + 512 + Math.ceil(trailer.indexBytes / 512) * 512, backup.tar.length - 2048);
  }
  // For an uncompressed archive the block is there in the file itself.
  assert.equal(statSync(plain.archive).size, plain.tar.length);
});

test('the manifest lists every archived path with type, size, mtime, mode and the offset of its header', () => {
  for (const backup of [plain, zipped]) {
    const { manifest } = readManifest(backup.tar);
    const byPath = new Map(manifest.entries.map((entry) => [entry.path, entry]));
    assert.equal(byPath.size, manifest.entries.length, 'each path once');
    const expected = expectedTree();
    const expectedPaths = [srcName, ...[...expected.keys()].map((rel) => `${srcName}/${rel}`)];
    assert.deepEqual([...byPath.keys()].sort(), expectedPaths.sort(), 'every archived path, and only those');
    let paxSeen = 0;
    for (const entry of manifest.entries) {
      const absolute = `/${entry.path}`;
      const stats = lstatSync(absolute);
      const type = stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'symlink';
      assert.equal(entry.type, type, `${entry.path}: type`);
      assert.equal(entry.size, type === 'file' ? stats.size : 0, `${entry.path}: size`);
      assert.equal(entry.mode, stats.mode & 0o7777, `${entry.path}: mode`);
      assert.equal(Math.floor(entry.mtimeMs / 1000), Math.floor(stats.mtimeMs / 1000), `${entry.path}: mtime`);
      if (type === 'symlink') assert.equal(entry.linkTarget, readlinkSync(absolute), `${entry.path}: link target`);
      const header = entryAt(backup.tar, entry.offset);
      if (header.pax) paxSeen += 1;
      assert.equal(header.name.replace(/\/$/, ''), entry.path, `${entry.path}: the header at its offset is its own`);
      assert.equal(header.typeflag, typeflags[entry.type], `${entry.path}: header type`);
      assert.equal(header.size, entry.size, `${entry.path}: header size`);
      assert.equal(header.mode, entry.mode, `${entry.path}: header mode`);
      assert.equal(header.mtime, Math.floor(entry.mtimeMs / 1000), `${entry.path}: header mtime`);
      if (type === 'symlink') assert.equal(header.linkname, entry.linkTarget, `${entry.path}: header link target`);
      if (type === 'file') {
        const dataStart = entry.offset + (header.pax ? 512 + Math.ceil(headerAt(backup.tar, entry.offset).size / 512) * 512 : 0) + 512;
        assert.deepEqual(backup.tar.subarray(dataStart, dataStart + entry.size), readFileSync(absolute), `${entry.path}: content follows its header`);
        assert.equal(entry.xxh128, xxh128File(absolute), `${entry.path}: its XXH3-128, as xxh128sum prints it (hashed on the tapping thread, or on the builder's with gzip)`);
      }
    }
    assert.ok(paxSeen >= 2, 'the long paths and link got PAX headers');
    const longEntry = byPath.get(`${srcName}/${longFileRel}`);
    assert.ok(longEntry, 'the long non-ASCII path is listed');
    assert.equal(headerAt(backup.tar, longEntry.offset).typeflag, 'x', 'its offset is that of its PAX header');
    const report = byPath.get(`${srcName}/docs/report.txt`);
    assert.equal(report?.mode, 0o640);
    assert.equal(Math.floor((report?.mtimeMs ?? 0) / 1000), oldMtime.getTime() / 1000);
  }
});

test('a gzip archive is multi-member: each recorded member inflates to the tar bytes at its offset, the last one stored', () => {
  const raw = readFileSync(zipped.archive);
  const { manifest, trailer } = readManifest(zipped.tar);
  const members = manifest.gzipMembers ?? [];
  assert.ok(members.length >= 2, `the 5 MiB file spans more than one member (got ${members.length})`);
  const starts = [...members.map((member) => member.compressedOffset), trailer.manifestMemberOffset as number];
  members.forEach((member, index) => {
    assert.deepEqual([...raw.subarray(member.compressedOffset, member.compressedOffset + 3)], [0x1f, 0x8b, 0x08], `member ${index} starts with a gzip header`);
    const inflated = gunzipSync(raw.subarray(member.compressedOffset, starts[index + 1]));
    assert.deepEqual(inflated, zipped.tar.subarray(member.tarOffset, member.tarOffset + inflated.length), `member ${index} holds the tar bytes at ${member.tarOffset}`);
  });
  // Seeking to the manifest's member gives the manifest header first, to the index's the index header.
  const fromManifest = gunzipSync(raw.subarray(trailer.manifestMemberOffset as number));
  assert.equal(headerAt(fromManifest, 0).name, '.dormouse/manifest.jsonl.gz');
  assert.equal(fromManifest.length, zipped.tar.length - trailer.manifestOffset);
  const fromIndex = gunzipSync(raw.subarray(trailer.indexMemberOffset as number));
  assert.equal(headerAt(fromIndex, 0).name, '.dormouse/index.json');
  assert.equal(fromIndex.length, zipped.tar.length - trailer.indexOffset);
  // The last member is stored: the trailer block is readable in the file as it is, near its end.
  const trailerBlock = zipped.tar.subarray(zipped.tar.length - 1536, zipped.tar.length - 1024);
  const at = raw.indexOf(trailerBlock, raw.length - 2200);
  assert.ok(at !== -1, 'the trailer block is stored uncompressed at the end of the file');
});

test('a source folder given through a symlink (e.g. ~/Documents -> /data/Documents) backs up the folder it points to', (t) => {
  const linked = workspace(t);
  const real = join(linked.root, 'real-documents');
  mkdirSync(join(real, 'sub'), { recursive: true });
  writeFileSync(join(real, 'sub', 'thesis.txt'), 'chapter one\n');
  writeFileSync(join(real, 'todo.txt'), 'write chapter two\n');
  const link = join(linked.root, 'Documents');
  symlinkSync(real, link);
  // `schedule add` accepts the link: it is a folder to anyone who opens it.
  linked.addSchedule('Documents', [], [link]);
  const result = linked.cli(['run', 'Documents', '--json']);
  const job = result.json<Job>();
  assert.ok(
    job.status !== 'succeeded' || job.files === 2,
    `the backup either refuses the link or archives the 2 files behind it; it reported ${job.status} with ${job.files} files and warnings ${JSON.stringify(job.warnings)}`,
  );
  if (job.status === 'succeeded') {
    const names = tool('tar', ['--quoting-style=literal', '-tf', job.archivePath as string]);
    assert.match(names, /\/sub\/thesis\.txt$/m, 'the files behind the link are in the archive');
  }
});

test('unusual but legal file names (backslash, newline, tab, glob characters, a real U+FFFD) come back under their own names', (t) => {
  const odd = workspace(t);
  // U+FFFD is what an undecodable name turns into; one that really has it is valid UTF-8 and kept.
  const names = ['back\\slash.txt', 'new\nline.txt', 'tab\tand space *?[].txt', 'replacement \uFFFD character.txt'];
  names.forEach((name, index) => writeFileSync(join(odd.src, name), `content ${index}\n`));
  odd.addSchedule('Odd');
  const result = odd.cli(['run', 'Odd', '--json']);
  assert.equal(result.code, 0, describeResult(result));
  const job = result.json<Job>();
  assert.equal(job.files, names.length);
  const out = mkdtempSync(join(odd.root, 'extract-'));
  tool('tar', ['-xf', job.archivePath as string, '-C', out]);
  const copy = join(out, odd.src.replace(/^\/+/, ''));
  assert.deepEqual(Object.fromEntries(describeTree(copy)), Object.fromEntries(describeTree(odd.src)), 'the same names, types and contents');
});

test('a file whose name is not valid UTF-8 (e.g. Latin-1 from an old drive) is backed up under its exact bytes, listed so by GNU tar, and restored under them', (t) => {
  const latin = workspace(t);
  const made = spawnSync('python3', ['-c', 'import os, sys; open(os.path.join(os.fsencode(sys.argv[1]), b"caf\\xe9-r\\xe9sum\\xe9.txt"), "wb").write(b"bonjour\\n")', latin.src]);
  assert.equal(made.status, 0, String(made.stderr));
  writeFileSync(join(latin.src, 'plain.txt'), 'plain\n');
  latin.addSchedule('Latin');
  const result = latin.cli(['run', 'Latin', '--json']);
  const job = result.json<Job>();
  assert.equal(job.status, 'succeeded', describeResult(result));
  assert.equal(job.files, 2, `both files are archived; warnings: ${JSON.stringify(job.warnings)}`);
  assert.deepEqual(job.warnings, []);
  const listed = spawnSync('tar', ['-tf', job.archivePath as string], { encoding: 'latin1' });
  assert.ok(listed.stdout.split('\n').some((line) => line.endsWith('/caf\\351-r\\351sum\\351.txt')), `GNU tar lists the name byte for byte (octal escapes): ${listed.stdout}`);
  const target = join(latin.root, 'back');
  const snapshot = latin.cli(['snapshots', '--json']).json<Snapshot[]>()[0] as Snapshot;
  const restored = latin.cli(['restore', String(snapshot.id), '--to', target, '--json']);
  assert.equal(restored.code, 0, describeResult(restored));
  const names = spawnSync('python3', ['-c', 'import os, sys; print(sorted(n.hex() for n in os.listdir(os.fsencode(sys.argv[1]))))', join(target, latin.src)], { encoding: 'utf8' });
  assert.equal(names.stdout.trim(), `['${Buffer.from('caf\xe9-r\xe9sum\xe9.txt', 'latin1').toString('hex')}', '${Buffer.from('plain.txt').toString('hex')}']`);
});
