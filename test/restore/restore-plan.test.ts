import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, lstatSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { bench, day, put, uuidOf } from '../incremental/incremental-kit';
import { SnapshotView } from '../../src-main/archive-worker/snapshot-view';
import { planRestore, selectEntries } from '../../src-main/archive-worker/restore-plan';

/**
 * Issue #15: a whole-snapshot restore takes its totals from the snapshot's index and finds the files
 * other names link to by looking for hardlink lines only, instead of reading every line before the
 * restore reads them all again. What it learns must still be what the tree held when it was backed up.
 */

/** What a tree on disk holds: every name of a file, each file's bytes once, and the names of each file that has several. */
function onDisk(root: string, entry: string): { names: number; bytes: number; groups: string[][] } {
  const inodes = new Map<number, { size: number; names: string[] }>();
  let names = 0;
  const walk = (folder: string, prefix: string) => {
    for (const item of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, item.name);
      const name = `${prefix}/${item.name}`;
      if (item.isDirectory()) walk(path, name);
      if (!item.isFile()) continue;
      names += 1;
      const stats = lstatSync(path);
      const inode = inodes.get(stats.ino) ?? { size: stats.size, names: [] };
      inode.names.push(name);
      inodes.set(stats.ino, inode);
    }
  };
  walk(root, entry);
  const all = [...inodes.values()];
  return { names, bytes: all.reduce((sum, inode) => sum + inode.size, 0), groups: all.filter((inode) => inode.names.length > 1).map((inode) => inode.names) };
}

for (const compression of ['none', 'gzip'] as const) {
  test(`a whole restore's plan (${compression}) counts every name of a file and each file's bytes once, and knows a name of every hard-link group, full and incremental`, (t) => {
    const b = bench(t, { extra: ['--compression', compression] });
    for (const folder of ['a', 'g', 'h', 'p', 'r', 'k', 'empty']) mkdirSync(join(b.src, folder));
    put(join(b.src, 'a', 'one.txt'), 'one\n'.repeat(25), day(1));
    put(join(b.src, 'a', 'two.txt'), 'two\n'.repeat(300), day(1));
    put(join(b.src, 'g', 'x.txt'), 'three names\n'.repeat(40), day(1));
    linkSync(join(b.src, 'g', 'x.txt'), join(b.src, 'h', 'y.txt'));
    linkSync(join(b.src, 'g', 'x.txt'), join(b.src, 'h', 'z.txt'));
    put(join(b.src, 'p', 'q.txt'), 'two names\n'.repeat(7), day(1));
    linkSync(join(b.src, 'p', 'q.txt'), join(b.src, 'r', 's.txt'));
    const full = b.backup();
    const atFull = onDisk(b.src, b.srcEntry);

    // The incremental: a name of the first group goes and another comes, the second group's first name goes, a file changes.
    unlinkSync(join(b.src, 'h', 'y.txt'));
    linkSync(join(b.src, 'g', 'x.txt'), join(b.src, 'k', 'new.txt'));
    unlinkSync(join(b.src, 'p', 'q.txt'));
    put(join(b.src, 'a', 'one.txt'), 'changed\n'.repeat(9), day(2));
    put(join(b.src, 'a', 'three.txt'), 'new\n', day(2));
    const incremental = b.backup();
    assert.equal(incremental.snapshot.kind, 'incremental');
    const atIncremental = onDisk(b.src, b.srcEntry);
    assert.ok(atIncremental.groups.some((group) => group.length === 3), 'the tree still has a file of three names');

    const archives = { [uuidOf(full.snapshot)]: full.snapshot.archivePath, [uuidOf(incremental.snapshot)]: incremental.snapshot.archivePath };
    for (const [what, snapshot, tree] of [['full', full.snapshot, atFull], ['incremental', incremental.snapshot, atIncremental]] as const) {
      const view = SnapshotView.open(snapshot.archivePath, archives);
      try {
        const refused: string[] = [];
        const plan = planRestore(view, selectEntries(view, []), [], refused);
        assert.deepEqual(refused, [], what);
        assert.equal(plan.totalFiles, tree.names, `${what}: every name of a file is counted`);
        assert.equal(plan.totalBytes, tree.bytes, `${what}: each file's bytes are counted once`);
        for (const group of tree.groups) assert.ok(group.some((name) => plan.leaders.has(name)), `${what}: one of ${group.join(', ')} is known as the file the others link to`);
      } finally {
        view.close();
      }
    }
  });
}
