import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import {
  assertSameTree,
  bench,
  day,
  dormouseEntries,
  expectedTree,
  lsTree,
  manifestByRelative,
  manifestOf,
  noise,
  put,
  restoredSource,
  tarListRelative,
  uuidOf,
} from './incremental-kit';

/**
 * Incremental chains as the CLI makes them: the first backup of a schedule is full, the next ones
 * incremental on the previous snapshot; an incremental archive (listed with GNU tar) holds only
 * what is new or changed, and its manifest lists the whole tree of that moment, each unchanged
 * entry pointing into the archive that holds it.
 */

test('the first backup is full, the next ones incremental on the previous snapshot; a no-change incremental holds only its manifest and trailer', (t) => {
  const b = bench(t);
  mkdirSync(join(b.src, 'sub'));
  put(join(b.src, 'a.txt'), 'alpha\n', day(1));
  put(join(b.src, 'b.txt'), 'bravo bravo\n', day(2));
  put(join(b.src, 'sub', 'c.bin'), noise(70_000, 3), day(3));

  const first = b.backup();
  assert.equal(first.snapshot.kind, 'full');
  assert.equal(first.snapshot.baseId, null);
  assert.match(basename(first.snapshot.archivePath), /-full-[0-9a-f]{8}\.tar$/);
  assert.deepEqual(tarListRelative(first.snapshot.archivePath, b.srcEntry), ['.', ...dormouseEntries, 'a.txt', 'b.txt', 'sub', 'sub/c.bin'].sort(), 'the full archive holds the whole tree');

  const second = b.backup();
  assert.equal(second.snapshot.kind, 'incremental');
  assert.equal(second.snapshot.baseId, first.snapshot.id, 'based on the previous snapshot');
  assert.match(basename(second.snapshot.archivePath), /-incr-[0-9a-f]{8}\.tar$/);
  assert.deepEqual(tarListRelative(second.snapshot.archivePath, b.srcEntry), dormouseEntries, 'nothing changed: only the manifest and the trailer');
  // Written without the threads a full backup hashes and writes on, the small archive is still private and its sidecar right.
  assert.equal(statSync(second.snapshot.archivePath).mode & 0o777, 0o600);
  assert.match(execFileSync('sha256sum', ['-c', `${basename(second.snapshot.archivePath)}.sha256`], { cwd: dirname(second.snapshot.archivePath), encoding: 'utf8' }), /: OK\n$/);
  // The job and the snapshot report the whole tree the snapshot protects.
  assert.equal(second.job.files, 3);
  assert.equal(second.job.bytes, 6 + 12 + 70_000);
  assert.equal(second.snapshot.files, 3);
  assert.equal(second.snapshot.bytes, 6 + 12 + 70_000);

  const third = b.backup();
  assert.equal(third.snapshot.kind, 'incremental');
  assert.equal(third.snapshot.baseId, second.snapshot.id, 'based on the previous snapshot, not on the full one');
  assert.deepEqual(tarListRelative(third.snapshot.archivePath, b.srcEntry), dormouseEntries);

  // The manifests: identity, the whole tree, each entry pointing into the archive that holds it.
  const fullManifest = manifestOf(first.snapshot.archivePath);
  const fullUuid = fullManifest.snapshot.id;
  assert.equal(fullManifest.snapshot.kind, 'full');
  assert.equal(fullManifest.snapshot.baseId, null);
  for (const entry of fullManifest.entries) assert.equal(entry.archive, undefined, `${entry.path}: held by the full archive itself`);
  const secondManifest = manifestOf(second.snapshot.archivePath);
  const thirdManifest = manifestOf(third.snapshot.archivePath);
  assert.equal(secondManifest.snapshot.kind, 'incremental');
  assert.equal(secondManifest.snapshot.baseId, fullUuid);
  assert.equal(thirdManifest.snapshot.kind, 'incremental');
  assert.equal(thirdManifest.snapshot.baseId, secondManifest.snapshot.id);
  const fullEntries = manifestByRelative(fullManifest, b.srcEntry);
  for (const manifest of [secondManifest, thirdManifest]) {
    const entries = manifestByRelative(manifest, b.srcEntry);
    assert.deepEqual([...entries.keys()].sort(), ['.', 'a.txt', 'b.txt', 'sub', 'sub/c.bin'], 'the manifest lists the whole tree');
    for (const [path, entry] of entries) {
      assert.equal(entry.archive, fullUuid, `${path}: points at the full archive that holds it (not at an incremental that only carried it)`);
      assert.equal(entry.offset, fullEntries.get(path)?.offset, `${path}: its offset in the full archive`);
      assert.equal(entry.size, fullEntries.get(path)?.size, `${path}: size`);
    }
  }

  // The newest no-change incremental restores the whole tree, from the full archive.
  const { folder } = b.restore(third.snapshot.id);
  assertSameTree(restoredSource(folder, b.src), expectedTree({ 'a.txt': 'alpha\n', 'b.txt': 'bravo bravo\n', sub: 'dir', 'sub/c.bin': noise(70_000, 3) }), 'restore of a no-change incremental');
});

for (const compression of ['none', 'gzip'] as const) {
  test(`an incremental (${compression}) holds only what is new or changed; its manifest lists the whole tree, so a deletion is known`, (t) => {
    const b = bench(t, { extra: ['--compression', compression] });
    mkdirSync(join(b.src, 'kept'));
    mkdirSync(join(b.src, 'gone'));
    put(join(b.src, 'a.txt'), 'version one\n', day(1));
    put(join(b.src, 'b.txt'), 'to be deleted\n', day(2));
    put(join(b.src, 'kept', 'c.txt'), 'never changes\n', day(3));
    put(join(b.src, 'gone', 'x.txt'), 'a whole folder that goes\n', day(4));
    const first = b.backup();
    assert.equal(first.snapshot.kind, 'full');
    assert.equal(first.snapshot.compression, compression);
    if (compression === 'gzip') assert.match(first.snapshot.archivePath, /\.tar\.gz$/);

    put(join(b.src, 'a.txt'), 'version two, longer\n', day(10));
    unlinkSync(join(b.src, 'b.txt'));
    rmSync(join(b.src, 'gone'), { recursive: true });
    put(join(b.src, 'new.txt'), 'added later\n', day(11));
    put(join(b.src, 'kept', 'added.txt'), 'added in an unchanged folder\n', day(12));
    const second = b.backup();
    assert.equal(second.snapshot.kind, 'incremental');
    assert.equal(second.snapshot.baseId, first.snapshot.id);

    // GNU tar reads the incremental: the changed file, the new files and the folders whose listing changed.
    assert.deepEqual(
      tarListRelative(second.snapshot.archivePath, b.srcEntry),
      ['.', ...dormouseEntries, 'a.txt', 'kept', 'kept/added.txt', 'new.txt'].sort(),
      'only new or changed entries (a folder counts as changed when an entry was added to or removed from it)',
    );

    const firstUuid = uuidOf(first.snapshot);
    const entries = manifestByRelative(manifestOf(second.snapshot.archivePath), b.srcEntry);
    assert.deepEqual([...entries.keys()].sort(), ['.', 'a.txt', 'kept', 'kept/added.txt', 'kept/c.txt', 'new.txt'], 'the whole tree of that moment: b.txt and gone/ are not in it');
    for (const path of ['.', 'a.txt', 'kept', 'kept/added.txt', 'new.txt']) assert.equal(entries.get(path)?.archive, undefined, `${path} is held by the incremental itself`);
    assert.equal(entries.get('kept/c.txt')?.archive, firstUuid, 'the unchanged file points at the full archive');
    assert.equal(entries.get('a.txt')?.size, 'version two, longer\n'.length);

    // `dormouse ls` of each snapshot tells the deletion apart.
    assert.deepEqual(
      lsTree(b, first.snapshot.id, b.src),
      new Map([
        ['a.txt', 'file:12'],
        ['b.txt', 'file:14'],
        ['gone', 'directory'],
        ['gone/x.txt', 'file:25'],
        ['kept', 'directory'],
        ['kept/c.txt', 'file:14'],
      ]),
    );
    assert.deepEqual(
      lsTree(b, second.snapshot.id, b.src),
      new Map([
        ['a.txt', 'file:20'],
        ['kept', 'directory'],
        ['kept/added.txt', `file:${'added in an unchanged folder\n'.length}`],
        ['kept/c.txt', 'file:14'],
        ['new.txt', 'file:12'],
      ]),
    );
    // The job of an incremental reports the whole tree the snapshot protects.
    assert.equal(second.job.files, 4);
    assert.equal(second.job.bytes, 20 + 'added in an unchanged folder\n'.length + 14 + 12);

    const { folder } = b.restore(second.snapshot.id);
    assertSameTree(
      restoredSource(folder, b.src),
      expectedTree({ 'a.txt': 'version two, longer\n', kept: 'dir', 'kept/added.txt': 'added in an unchanged folder\n', 'kept/c.txt': 'never changes\n', 'new.txt': 'added later\n' }),
      'restore of the incremental',
    );
  });
}

test('change detection: a size change, an mtime change, a file replaced by one of the same size and mtime (new inode), a rewrite with the old mtime put back (ctime), a mode change and a type change are each seen; an untouched file is not', (t) => {
  const b = bench(t);
  const staging = b.folder('staging');
  const cases = ['size', 'mtime', 'replaced', 'ctime', 'mode', 'type', 'untouched'];
  for (const name of cases) {
    mkdirSync(join(b.src, name));
    put(join(b.src, name, 'f.txt'), `original content of ${name}\n`, day(1));
  }
  const first = b.backup();
  const before = manifestByRelative(manifestOf(first.snapshot.archivePath), b.srcEntry);

  // size: different length, the same mtime put back
  put(join(b.src, 'size', 'f.txt'), 'original content of size, and more\n', day(1));
  // mtime: same content, a new mtime
  utimesSync(join(b.src, 'mtime', 'f.txt'), day(2), day(2));
  // replaced: another file with the same size and mtime renamed over it (a new inode)
  const replacement = 'REPLACED content of replaced\n';
  assert.equal(replacement.length, 'original content of replaced\n'.length);
  put(join(staging, 'f.txt'), replacement, day(1));
  renameSync(join(staging, 'f.txt'), join(b.src, 'replaced', 'f.txt'));
  // ctime: rewritten in place with the same size, the old mtime put back: only its ctime tells
  put(join(b.src, 'ctime', 'f.txt'), 'ORIGINAL CONTENT OF CTIME\n', day(1));
  // mode: chmod alone
  chmodSync(join(b.src, 'mode', 'f.txt'), 0o600);
  // type: the file becomes a symlink
  unlinkSync(join(b.src, 'type', 'f.txt'));
  symlinkSync('../untouched/f.txt', join(b.src, 'type', 'f.txt'));

  // The test's own premises: what each case changed, and what it did not.
  const stat = (name: string) => statSync(join(b.src, name, 'f.txt'));
  assert.notEqual(stat('size').size, before.get('size/f.txt')?.size);
  assert.equal(stat('size').mtimeMs, before.get('size/f.txt')?.mtimeMs);
  assert.equal(stat('mtime').size, before.get('mtime/f.txt')?.size);
  assert.notEqual(stat('mtime').mtimeMs, before.get('mtime/f.txt')?.mtimeMs);
  assert.equal(stat('replaced').size, before.get('replaced/f.txt')?.size);
  assert.equal(stat('replaced').mtimeMs, before.get('replaced/f.txt')?.mtimeMs);
  assert.notEqual(stat('replaced').ino, before.get('replaced/f.txt')?.ino, 'the replacement has a new inode');
  assert.equal(stat('ctime').size, before.get('ctime/f.txt')?.size);
  assert.equal(stat('ctime').mtimeMs, before.get('ctime/f.txt')?.mtimeMs);
  assert.equal(stat('ctime').ino, before.get('ctime/f.txt')?.ino);
  assert.notEqual(stat('ctime').ctimeMs, before.get('ctime/f.txt')?.ctimeMs);
  assert.deepEqual(
    [stat('untouched').size, stat('untouched').mtimeMs, stat('untouched').ino, stat('untouched').ctimeMs],
    [before.get('untouched/f.txt')?.size, before.get('untouched/f.txt')?.mtimeMs, before.get('untouched/f.txt')?.ino, before.get('untouched/f.txt')?.ctimeMs],
  );

  const second = b.backup();
  assert.equal(second.snapshot.kind, 'incremental');
  const held = tarListRelative(second.snapshot.archivePath, b.srcEntry);
  for (const name of ['size', 'mtime', 'replaced', 'ctime', 'mode', 'type']) assert.ok(held.includes(`${name}/f.txt`), `${name}: the changed entry is in the incremental (it holds ${held.join(', ')})`);
  assert.ok(!held.includes('untouched/f.txt'), 'the untouched file is not in the incremental');
  assert.ok(!held.includes('untouched'), 'the untouched folder is not in the incremental');
  // The changed entries and the folders above them (so tar extracting the chain in order sets each folder's time), nothing else.
  assert.deepEqual(held, [...dormouseEntries, '.', 'ctime', 'ctime/f.txt', 'mode', 'mode/f.txt', 'mtime', 'mtime/f.txt', 'replaced', 'replaced/f.txt', 'size', 'size/f.txt', 'type', 'type/f.txt'].sort());

  const after = manifestByRelative(manifestOf(second.snapshot.archivePath), b.srcEntry);
  assert.equal(after.get('untouched/f.txt')?.archive, uuidOf(first.snapshot));
  assert.equal(after.get('mode/f.txt')?.mode, 0o600);
  assert.equal(after.get('type/f.txt')?.type, 'symlink');
  assert.equal(after.get('type/f.txt')?.linkTarget, '../untouched/f.txt');

  const { folder } = b.restore(second.snapshot.id);
  const tree = restoredSource(folder, b.src);
  assert.equal(tree.get('size/f.txt'), 'original content of size, and more\n');
  assert.equal(tree.get('replaced/f.txt'), replacement, 'the replacement comes back, not the file it replaced');
  assert.equal(tree.get('ctime/f.txt'), 'ORIGINAL CONTENT OF CTIME\n', 'the in-place rewrite comes back');
  assert.equal(tree.get('type/f.txt'), 'link:../untouched/f.txt');
  assert.equal(tree.get('untouched/f.txt'), 'original content of untouched\n');
  assert.equal(statSync(join(folder, b.src, 'mode', 'f.txt')).mode & 0o777, 0o600);
  assert.equal(statSync(join(folder, b.src, 'mtime', 'f.txt')).mtimeMs, day(2).getTime());
});
