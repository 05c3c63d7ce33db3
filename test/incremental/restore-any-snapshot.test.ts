import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeResult } from '../helpers/cli';
import { assertSameTree, bench, dormouseEntries, expectedTree, lsTree, manifestByRelative, manifestOf, restoredSource, tarListRelative, uuidOf, type Bench, type Snapshot } from './incremental-kit';
import { buildHistory, content, fileMtimes, listings, trees } from './history';

/**
 * Listing and restoring any snapshot of a chain gives exactly the tree of that moment: files
 * changed later come back in their old version, deleted ones are absent, re-created ones in their
 * new content, each file read from the archive that holds it — for an uncompressed chain, a gzip
 * chain and a chain whose compression changed midway.
 */

const variants = [
  { name: 'uncompressed', compression: 'none', switchToGzip: false },
  { name: 'gzip', compression: 'gzip', switchToGzip: false },
  { name: 'uncompressed, then gzip from snapshot 2 on', compression: 'none', switchToGzip: true },
] as const;

for (const variant of variants) {
  describe(`a chain of three snapshots (${variant.name})`, () => {
    const cleanups: (() => void)[] = [];
    after(() => cleanups.reverse().forEach((fn) => fn()));
    let b: Bench;
    let snapshots: [Snapshot, Snapshot, Snapshot];

    before(() => {
      b = bench({ after: (fn) => cleanups.push(fn) }, { extra: ['--compression', variant.compression] });
      snapshots = buildHistory(b, (next) => {
        if (variant.switchToGzip && next === 2) b.ok(['schedule', 'edit', 'S', '--compression', 'gzip']);
      });
      const suffixes = snapshots.map((snapshot) => (snapshot.archivePath.endsWith('.tar.gz') ? 'gz' : 'tar'));
      assert.deepEqual(suffixes, variant.switchToGzip ? ['tar', 'gz', 'gz'] : variant.compression === 'gzip' ? ['gz', 'gz', 'gz'] : ['tar', 'tar', 'tar']);
    });

    it('each archive holds only what was new or changed, and each manifest says which archive holds every other file', () => {
      const [s1, s2, s3] = snapshots;
      assert.deepEqual(tarListRelative(s1.archivePath, b.srcEntry), ['.', ...dormouseEntries, 'a.txt', 'b.txt', 'docs', 'docs/c.bin'].sort());
      // 2: a modified, b deleted and d added (so the folder itself changed)
      assert.deepEqual(tarListRelative(s2.archivePath, b.srcEntry), ['.', ...dormouseEntries, 'a.txt', 'd.bin'].sort());
      // 3: a modified, b re-created (the folder changed again)
      assert.deepEqual(tarListRelative(s3.archivePath, b.srcEntry), ['.', ...dormouseEntries, 'a.txt', 'b.txt'].sort());

      const [u1, u2] = [uuidOf(s1), uuidOf(s2)];
      const holders = (snapshot: Snapshot) => new Map([...manifestByRelative(manifestOf(snapshot.archivePath), b.srcEntry)].map(([path, entry]) => [path, entry.archive ?? 'itself']));
      assert.deepEqual(holders(s2), new Map([['.', 'itself'], ['a.txt', 'itself'], ['d.bin', 'itself'], ['docs', u1], ['docs/c.bin', u1]]));
      assert.deepEqual(holders(s3), new Map([['.', 'itself'], ['a.txt', 'itself'], ['b.txt', 'itself'], ['d.bin', u2], ['docs', u1], ['docs/c.bin', u1]]));
    });

    it('`dormouse ls` of each snapshot shows exactly the tree of that moment', () => {
      snapshots.forEach((snapshot, index) => {
        assert.deepEqual(lsTree(b, snapshot.id, b.src), listings[index], `ls of snapshot ${index + 1}`);
      });
      // The root listing names the source folder in every snapshot.
      for (const snapshot of snapshots) {
        const root = b.ok<{ entries: { path: string; type: string }[] }>(['ls', String(snapshot.id)]);
        assert.deepEqual(root.entries.map((entry) => [entry.path, entry.type]), [[b.src, 'directory']]);
      }
    });

    it('restoring each snapshot gives exactly its tree: old versions, no deleted file, the re-created file in its new content, the recorded mtimes', () => {
      snapshots.forEach((snapshot, index) => {
        const { folder, report } = b.restore(snapshot.id);
        assert.deepEqual(report.conflicts, []);
        assert.deepEqual(report.refused, []);
        assertSameTree(restoredSource(folder, b.src), trees[index] as Map<string, string>, `restore of snapshot ${index + 1}`);
        const files = fileMtimes[index] as Record<string, Date>;
        assert.equal(report.files, Object.keys(files).length, `snapshot ${index + 1}: files restored`);
        for (const [path, mtime] of Object.entries(files)) {
          assert.equal(statSync(join(folder, b.src, path)).mtimeMs, mtime.getTime(), `snapshot ${index + 1}: ${path} has the mtime of its version`);
        }
      });
    });

    it('a single path of snapshot 3 whose content lives in snapshot 1 (or 2) is read from that archive', () => {
      const [s1, s2, s3] = snapshots;
      const c = b.restore(s3.id, [join(b.src, 'docs', 'c.bin')]);
      assert.equal(c.report.files, 1);
      assertSameTree(restoredSource(c.folder, b.src), expectedTree({ docs: 'dir', 'docs/c.bin': content.c }), 'c.bin alone, from snapshot 1');
      const d = b.restore(s3.id, [join(b.src, 'd.bin')]);
      assertSameTree(restoredSource(d.folder, b.src), expectedTree({ 'd.bin': content.d }), 'd.bin alone, from snapshot 2');
      const oldB = b.restore(s1.id, [join(b.src, 'b.txt')]);
      assertSameTree(restoredSource(oldB.folder, b.src), expectedTree({ 'b.txt': content.b1 }), 'b.txt of snapshot 1, though snapshot 3 has another b.txt');
      const oldA = b.restore(s2.id, [join(b.src, 'a.txt')]);
      assertSameTree(restoredSource(oldA.folder, b.src), expectedTree({ 'a.txt': content.a2 }), 'a.txt of snapshot 2');
      const gone = b.cli(['restore', String(s2.id), '--to', b.folder('gone'), '--path', join(b.src, 'b.txt'), '--json']);
      // b.txt is not in snapshot 2: nothing is restored (however the CLI reports it, it never brings back another version)
      if (gone.code === 0) assert.equal(gone.json<{ files: number }>().files, 0, describeResult(gone));
    });

    it("with snapshot 1's archive away, snapshot 3's own files still restore and c.bin (held by snapshot 1) cannot: each file is read from the archive that holds it", () => {
      const [s1, , s3] = snapshots;
      const away = `${s1.archivePath}.away`;
      renameSync(s1.archivePath, away);
      try {
        const own = b.restore(s3.id, [join(b.src, 'a.txt'), join(b.src, 'b.txt'), join(b.src, 'd.bin')]);
        assertSameTree(restoredSource(own.folder, b.src), expectedTree({ 'a.txt': content.a3, 'b.txt': content.b3, 'd.bin': content.d }), "snapshot 3's and snapshot 2's files without snapshot 1's archive");

        const target = b.folder('without-base');
        const result = b.cli(['restore', String(s3.id), '--to', target, '--path', join(b.src, 'docs', 'c.bin'), '--json']);
        assert.equal(result.code, 1, describeResult(result));
        assert.ok(!existsSync(join(target, b.src, 'docs', 'c.bin')), 'no c.bin without the archive that holds it');
        const leftovers = (readdirSync(target, { recursive: true }) as string[]).filter((name) => name.endsWith('.dormouse-restore'));
        assert.deepEqual(leftovers, [], 'no half-written file');
      } finally {
        renameSync(away, s1.archivePath);
      }
    });

    it('a restore that needs a missing earlier archive exits 1 and its JSON result names the file not restored and that archive', () => {
      const [s1, , s3] = snapshots;
      const away = `${s1.archivePath}.away`;
      renameSync(s1.archivePath, away);
      try {
        const result = b.cli(['restore', String(s3.id), '--to', b.folder('named'), '--path', join(b.src, 'docs', 'c.bin'), '--json']);
        assert.equal(result.code, 1, describeResult(result));
        const report = JSON.parse(result.stdout) as { files: number; refused: string[] };
        assert.equal(report.files, 0);
        assert.equal(report.refused.length, 1, describeResult(result));
        assert.ok(report.refused[0]?.startsWith(`${join(b.src, 'docs', 'c.bin')}: not restored`), describeResult(result));
        assert.ok(report.refused[0]?.includes(s1.archivePath), `the reason names ${s1.archivePath}\n${describeResult(result)}`);
      } finally {
        renameSync(away, s1.archivePath);
      }
    });
  });
}
