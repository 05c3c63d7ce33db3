import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dormouse, temporaryFolder } from '../helpers/cli';
import { describeResult, describeTree, type Snapshot, type TreeEntry } from '../helpers/trees';
import { gnuTarList, handMadeArchive, type HandEntry, type RestoreReport } from './restore-kit';

/**
 * Hand-made hostile archives, in Dormouse's own layout (manifest and trailer, so Dormouse takes them
 * for its own), found on a destination and imported: entries with absolute names, with `..`, and
 * written through symlinks must never land outside the restore target; the safe entries of the same
 * archive are still restored.
 */

const cleanups: (() => void)[] = [];
const scope = { after: (fn: () => void) => cleanups.push(fn) };
after(() => cleanups.reverse().forEach((fn) => fn()));

let root: string;
let dataDir: string;
/** A folder outside every target, with a file in it; symlinks in the archives point here. */
let outside: string;
/** A second such folder, for a pre-existing symlink to a folder. */
let outsideFolder: string;
/** Where the absolute-path entries point (must never be made). */
let absoluteDir: string;
let targetCount = 0;
const snapshots = new Map<string, number>();

function cli(args: string[]) {
  return dormouse(['--data-dir', dataDir, ...args]);
}

/** Entries that try to get out of the target in every way, with safe entries before and after them. */
function escapingEntries(): HandEntry[] {
  return [
    { path: 'safe', type: 'directory' },
    { path: 'safe/before.txt', type: 'file', content: 'restored before the hostile entries\n' },
    { path: join(absoluteDir, 'evil.txt'), type: 'file', content: 'absolute\n' },
    { path: '../escape.txt', type: 'file', content: 'dot-dot\n' },
    { path: 'safe/../../escape-deep.txt', type: 'file', content: 'dot-dot inside\n' },
    { path: '../escape-folder', type: 'directory' },
    { path: 'link', type: 'symlink', linkTarget: outside },
    { path: 'link/planted.txt', type: 'file', content: 'planted through a symlink\n' },
    { path: 'uplink', type: 'symlink', linkTarget: '..' },
    { path: 'uplink/up-planted.txt', type: 'file', content: 'planted through a relative symlink\n' },
    { path: 'safe/after.txt', type: 'file', content: 'restored after the hostile entries\n', mode: 0o640 },
  ];
}

/** Entries that are harmless in themselves but meet symlinks already in the target. */
function throughExistingLinks(): HandEntry[] {
  return [
    { path: 'docs', type: 'directory' },
    { path: 'docs/planted.txt', type: 'file', content: 'planted through an existing link\n' },
    { path: 'docs/sub', type: 'directory', mode: 0o777 },
    { path: 'folderlink', type: 'directory', mode: 0o777, mtime: new Date('1999-01-01T00:00:00Z') },
    { path: 'folderlink/inside.txt', type: 'file', content: 'planted through an existing folder link\n' },
    { path: 'filelink', type: 'file', content: 'the archive\'s own file\n', mode: 0o666 },
    { path: 'plain.txt', type: 'file', content: 'a harmless file\n' },
  ];
}

before(() => {
  root = temporaryFolder(scope, 'dormouse-hostile-');
  dataDir = join(root, 'data');
  outside = join(root, 'outside');
  outsideFolder = join(root, 'outside-folder');
  absoluteDir = join(root, 'absolute-target');
  mkdirSync(outside);
  mkdirSync(outsideFolder);
  const drive = join(root, 'drive');
  const folder = join(drive, 'Dormouse', 'Hostile');
  mkdirSync(folder, { recursive: true });
  for (const gzip of [false, true]) {
    const extension = gzip ? 'tar.gz' : 'tar';
    writeFileSync(join(folder, `escaping.${extension}`), handMadeArchive(escapingEntries(), { scheduleName: 'Hostile', createdAt: '2024-01-01T00:00:00.000Z' }, { gzip }));
    writeFileSync(join(folder, `links.${extension}`), handMadeArchive(throughExistingLinks(), { scheduleName: 'Hostile', createdAt: '2024-01-02T00:00:00.000Z' }, { gzip }));
  }
  // The hostile names really are in the tar headers, not only in the manifest.
  const names = gnuTarList(join(folder, 'escaping.tar'));
  for (const name of [join(absoluteDir, 'evil.txt'), '../escape.txt', 'safe/../../escape-deep.txt', 'link/planted.txt']) assert.ok(names.includes(name), `the tar holds ${name}: ${names.join(', ')}`);

  const added = cli(['destination', 'add', '--name', 'found', '--path', drive, '--json']);
  assert.equal(added.code, 0, describeResult(added));
  assert.equal(added.json<{ importedSnapshots: number }>().importedSnapshots, 4, 'Dormouse takes the hand-made archives for its own');
  // Archives that do not say whose they are: an unknown machine's, listed apart.
  for (const snapshot of JSON.parse(cli(['snapshots', '--machine', 'unknown', '--json']).stdout) as Snapshot[]) {
    snapshots.set(snapshot.archivePath.slice(folder.length + 1), snapshot.id);
  }
});

const outsideTime = new Date('2010-10-10T10:10:10Z');

/** Puts the outside folders back as they were made, so each test sees (and checks) the same state. */
function resetOutside(): void {
  writeFileSync(join(outside, 'victim.txt'), 'must stay as it is\n');
  writeFileSync(join(outsideFolder, 'keep.txt'), 'must stay as it is\n');
  for (const path of [join(outside, 'victim.txt'), join(outsideFolder, 'keep.txt')]) {
    chmodSync(path, 0o644);
    utimesSync(path, outsideTime, outsideTime);
  }
  for (const path of [outside, outsideFolder]) {
    chmodSync(path, 0o755);
    utimesSync(path, outsideTime, outsideTime);
  }
}

/** Everything under the test's root except the targets, the catalog and the drive: what a restore must not touch. */
function outsideState(): Map<string, TreeEntry> {
  const state = describeTree(root, { skip: (rel) => rel.startsWith('target-') || rel === 'data' || rel === 'drive' });
  for (const path of [outside, outsideFolder]) {
    const entry = state.get(path.slice(root.length + 1));
    assert.ok(entry, `${path} is there`);
  }
  return state;
}

function untouchedOutsideState(): Map<string, TreeEntry> {
  resetOutside();
  return describeTree(root, { skip: (rel) => rel.startsWith('target-') || rel === 'data' || rel === 'drive' });
}

function freshTarget(): string {
  targetCount += 1;
  return join(root, `target-${targetCount}`);
}

function restore(archive: string, target: string, extra: string[] = []): { code: number; report: RestoreReport | null; stderr: string } {
  const id = snapshots.get(archive);
  assert.ok(id, `${archive} was imported`);
  const result = cli(['restore', String(id), '--to', target, ...extra, '--json']);
  let report: RestoreReport | null = null;
  try {
    report = result.json<RestoreReport>();
  } catch {
    report = null;
  }
  return { code: result.code, report, stderr: result.stderr };
}

function assertNothingOutside(before: Map<string, TreeEntry>, label: string): void {
  assert.deepEqual(outsideState(), before, `${label}: nothing outside the target was created, changed or removed`);
  for (const path of [absoluteDir, join(root, 'escape.txt'), join(root, 'escape-deep.txt'), join(root, 'escape-folder'), join(outside, 'planted.txt'), join(root, 'up-planted.txt')]) {
    assert.ok(!existsSync(path), `${label}: ${path} was not written`);
  }
  assert.equal(readFileSync(join(outside, 'victim.txt'), 'utf8'), 'must stay as it is\n', `${label}: the outside file is untouched`);
}

/** The checks shared by every restore of the escaping archive. */
function assertEscapesRefused(target: string, result: { code: number; report: RestoreReport | null; stderr: string }, label: string): void {
  assert.equal(result.code, 1, `${label}: exit 1, since entries were left out (stderr: ${result.stderr})`);
  assert.ok(result.report, `${label}: the report is printed (stderr: ${result.stderr})`);
  const refused = result.report.refused.join('\n');
  // A new target is restored in a hidden folder beside it (staged-target.ts): what the result says names the target.
  assert.ok(!refused.includes('.dormouse-'), `${label}: the refusals name the target, not the hidden folder it was restored in; refused:\n${refused}`);
  for (const name of [join(absoluteDir, 'evil.txt'), '../escape.txt', 'safe/../../escape-deep.txt', '../escape-folder']) {
    assert.ok(result.report.refused.some((line) => line.startsWith(`${name}:`) || line.startsWith(`/${name}:`)), `${label}: ${name} is refused and listed; refused:\n${refused}`);
  }
  assert.equal(readFileSync(join(target, 'safe', 'before.txt'), 'utf8'), 'restored before the hostile entries\n', `${label}: the safe entry before the hostile ones is restored`);
  assert.equal(readFileSync(join(target, 'safe', 'after.txt'), 'utf8'), 'restored after the hostile entries\n', `${label}: the safe entry after the hostile ones is restored`);
  assert.equal(lstatSync(join(target, 'safe', 'after.txt')).mode & 0o7777, 0o640);
  // The entries behind the archive's own symlinks: refused, or (symlinks being made last) written
  // inside the target under a real folder, never through the link.
  for (const [link, file] of [
    ['link', 'planted.txt'],
    ['uplink', 'up-planted.txt'],
  ] as const) {
    const wasRefused = result.report.refused.some((line) => line.startsWith(`${link}/${file}:`));
    const linkPath = join(target, link);
    if (!wasRefused) {
      assert.ok(lstatSync(linkPath).isDirectory() && !lstatSync(linkPath).isSymbolicLink(), `${label}: ${link}/${file} was not refused, so ${link} must be a real folder inside the target`);
      assert.ok(lstatSync(join(linkPath, file)).isFile(), `${label}: ${link}/${file} inside the target`);
    } else if (existsSync(linkPath) || lstatSafe(linkPath)) {
      assert.ok(!existsSync(join(linkPath, file)) || !lstatSync(linkPath).isSymbolicLink(), `${label}: nothing was written through ${link}`);
    }
  }
}

function lstatSafe(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

for (const extension of ['tar', 'tar.gz']) {
  test(`absolute names, ".." and the archive's own symlinks never reach outside the target (${extension})`, () => {
    const before = untouchedOutsideState();
    const target = freshTarget();
    const result = restore(`escaping.${extension}`, target);
    assertEscapesRefused(target, result, extension);
    assertNothingOutside(before, extension);
  });

  test(`the same hostile archive restored with --overwrite still never reaches outside the target (${extension})`, () => {
    const before = untouchedOutsideState();
    const target = freshTarget();
    const result = restore(`escaping.${extension}`, target, ['--overwrite']);
    assertNothingOutside(before, `${extension} --overwrite`);
    assertEscapesRefused(target, result, `${extension} --overwrite`);
  });

  test(`entries are never written through symlinks already in the target (${extension})`, () => {
    const target = freshTarget();
    mkdirSync(target);
    symlinkSync(outside, join(target, 'docs'));
    symlinkSync(outsideFolder, join(target, 'folderlink'));
    symlinkSync(join(outside, 'victim.txt'), join(target, 'filelink'));
    const before = untouchedOutsideState();
    const result = restore(`links.${extension}`, target);
    assert.equal(result.code, 1, `exit 1: ${result.stderr}`);
    assert.ok(result.report, result.stderr);
    const refused = result.report.refused.join('\n');
    assert.ok(result.report.refused.some((line) => line.startsWith('docs/planted.txt:')), `docs/planted.txt is refused: ${refused}`);
    assert.ok(result.report.refused.some((line) => line.startsWith('folderlink/inside.txt:')), `folderlink/inside.txt is refused: ${refused}`);
    assert.ok(result.report.conflicts.includes('/filelink'), `the existing link is left alone and listed: ${JSON.stringify(result.report.conflicts)}`);
    assert.equal(readFileSync(join(target, 'plain.txt'), 'utf8'), 'a harmless file\n', 'the harmless file is restored');
    assert.equal(readlinkSync(join(target, 'docs')), outside, 'the existing link is left as it was');
    assertNothingOutside(before, extension);
  });

  test(`with --overwrite, links in the way are replaced themselves, never written through, and what they point to is untouched (${extension})`, () => {
    const target = freshTarget();
    mkdirSync(target);
    symlinkSync(outside, join(target, 'docs'));
    symlinkSync(outsideFolder, join(target, 'folderlink'));
    symlinkSync(join(outside, 'victim.txt'), join(target, 'filelink'));
    const before = untouchedOutsideState();
    const result = restore(`links.${extension}`, target, ['--overwrite']);
    // Checked first: the folder an existing link points to keeps its mode (0755, not the archive's 0777) and mtime.
    assertNothingOutside(before, `${extension} --overwrite`);
    assert.equal(result.code, 0, `exit 0: ${result.stderr}`);
    assert.ok(result.report, result.stderr);
    // Overwriting replaces each link by what the archive has there: a real folder, or a file.
    for (const name of ['docs', 'folderlink']) assert.ok(lstatSync(join(target, name)).isDirectory(), `${name} is now the archive's own folder, not a link`);
    assert.equal(readFileSync(join(target, 'docs', 'planted.txt'), 'utf8'), 'planted through an existing link\n', 'the file lands inside the target');
    assert.equal(readFileSync(join(target, 'folderlink', 'inside.txt'), 'utf8'), 'planted through an existing folder link\n');
    assert.ok(lstatSync(join(target, 'filelink')).isFile(), 'with --overwrite the link itself is replaced by the archive\'s file');
    assert.equal(readFileSync(join(target, 'filelink'), 'utf8'), 'the archive\'s own file\n');
  });
}

test('an owner name holding a NUL byte (it would end a field and shift the ones after it) makes an archive not one Dormouse wrote: it is skipped on import, saying why', (t) => {
  const own = temporaryFolder(t, 'dormouse-hostile-nul-');
  const drive = join(own, 'drive');
  const folder = join(drive, 'Dormouse', 'Hostile');
  mkdirSync(folder, { recursive: true });
  const smuggled = join(own, 'outside', 'smuggled.txt');
  const entries: HandEntry[] = [
    { path: 'a.txt', type: 'file', content: 'first\n', user: `ann\u0000${smuggled}\u0000file` },
    { path: 'b.txt', type: 'file', content: 'second\n' },
  ];
  writeFileSync(join(folder, 'owner.tar'), handMadeArchive(entries, { scheduleName: 'Hostile', createdAt: '2024-01-03T00:00:00.000Z' }));
  const added = dormouse(['--data-dir', join(own, 'data'), 'destination', 'add', '--name', 'found', '--path', drive, '--json']);
  assert.equal(added.code, 0, describeResult(added));
  assert.equal(added.json<{ importedSnapshots: number }>().importedSnapshots, 0, 'the archive is not taken for one of Dormouse\'s');
  const report = dormouse(['--data-dir', join(own, 'data'), 'import', '--destination', 'found', '--json']);
  assert.equal(report.code, 0, describeResult(report));
  const skipped = report.json<{ skipped: { archivePath: string; reason: string }[] }>().skipped;
  assert.equal(skipped.length, 1, JSON.stringify(skipped));
  assert.match(skipped[0]?.reason ?? '', /a\.txt: bad owner name/);
  assert.ok(!existsSync(smuggled), 'nothing was written where the name pointed');
});

test('an extended attribute record whose name holds a NUL byte is listed as not applied, never set under the name it ends at, whole-tree or one file; the others are applied', { skip: spawnSync('sh', ['-c', 'command -v getfattr']).status !== 0 && 'getfattr is not installed (apt-get install -y attr)' }, (t) => {
  const own = temporaryFolder(t, 'dormouse-hostile-xattr-');
  const drive = join(own, 'drive');
  const folder = join(drive, 'Dormouse', 'Hostile');
  mkdirSync(folder, { recursive: true });
  const entries: HandEntry[] = [
    { path: 'plain.txt', type: 'file', content: 'plain\n' },
    { path: 'tagged.txt', type: 'file', content: 'tagged\n', records: [['SCHILY.xattr.user.a\u0000b', 'smuggled'], ['SCHILY.xattr.user.ok', 'kept']] },
  ];
  writeFileSync(join(folder, 'attributes.tar'), handMadeArchive(entries, { scheduleName: 'Hostile', createdAt: '2024-01-04T00:00:00.000Z' }));
  const run = (args: string[]) => dormouse(['--data-dir', join(own, 'data'), ...args, '--json']);
  const added = run(['destination', 'add', '--name', 'found', '--path', drive]);
  assert.equal(added.code, 0, describeResult(added));
  assert.equal(added.json<{ importedSnapshots: number }>().importedSnapshots, 1);
  const [snapshot] = run(['snapshots', '--machine', 'all']).json<{ id: number }[]>();
  const attributesOf = (file: string) => spawnSync('getfattr', ['-d', '--absolute-names', file], { encoding: 'utf8' }).stdout;
  for (const [label, extra] of [['whole tree', []], ['one file', ['--path', '/tagged.txt']]] as const) {
    const target = join(own, label.replace(' ', '-'));
    const result = run(['restore', String(snapshot?.id), '--to', target, ...extra]);
    assert.equal(result.code, 0, `${label}: ${describeResult(result)}`);
    assert.deepEqual(result.json<RestoreReport>().unapplied, ['/tagged.txt: extended attribute user.a\u0000b (its name holds a NUL byte)'], label);
    assert.equal(readFileSync(join(target, 'tagged.txt'), 'utf8'), 'tagged\n', label);
    const attributes = attributesOf(join(target, 'tagged.txt'));
    assert.match(attributes, /user\.ok="kept"/, `${label}: the good attribute is applied`);
    assert.doesNotMatch(attributes, /user\.a\b/, `${label}: the record whose name holds a NUL is not applied under the name it ends at`);
  }
});
