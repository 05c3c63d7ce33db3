import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeResult } from '../helpers/cli';
import { flipByte, restoreTemporaries } from '../restore/restore-kit';
import { homeWorkspace, type FidelityVerifyReport, type Home, type Restored, type Snapshot } from './fidelity-kit';
import { buildHomeTree, damageTarget, fidelityUnsupported } from './home-tree';
import { assertSame, compareTrees } from './tree-compare';

/**
 * Issue #14, integrity: one flipped byte in one file's data, in the full archive an incremental
 * depends on. A restore of either snapshot reports exactly that file as damaged, leaves nothing under
 * its name, restores everything else and exits 1; verify names the file and fails the incremental too.
 */

const unsupported = fidelityUnsupported();

describe('fidelity: a flipped byte in one file of an archive', { skip: unsupported ?? false }, () => {
  let home: Home;
  let fullSource: string;
  let full: Snapshot;
  let incremental: Snapshot;
  let damagedPath: string;
  before(() => {
    home = homeWorkspace();
    buildHomeTree(home.src);
    fullSource = home.copySource('as-at-full');
    full = home.backup().snapshot;
    incremental = home.backup().snapshot; // nothing changed: every entry points into the full archive
    assert.equal(incremental.kind, 'incremental');
    const archive = readFileSync(full.archivePath);
    const at = archive.indexOf(damageTarget.marker);
    assert.ok(at >= 0, 'the file to damage is stored uncompressed in the full archive');
    assert.equal(archive.indexOf(damageTarget.marker, at + 1), -1, 'and only once');
    flipByte(full.archivePath, at + 1000);
    damagedPath = join(home.src, damageTarget.path);
  });
  after(() => home?.remove());

  /** The report's damaged list, the file not under its name, no temporary left, and exit 1. */
  const assertReported = (restored: Restored, what: string) => {
    assert.ok(restored.report, `${what}: restore printed its JSON report\n${describeResult(restored.result)}`);
    assert.deepEqual(restored.report.damaged, [damagedPath], `${what}: damaged`);
    const folder = join(restored.inside, 'docs');
    const leftovers = existsSync(folder) ? readdirSync(folder).filter((name) => name.includes('damage-me')) : [];
    assert.deepEqual(leftovers, [], `${what}: nothing is left under the damaged file's name (or beside it)`);
    assert.deepEqual(restoreTemporaries(restored.folder), [], `${what}: no temporary file is left`);
    assert.equal(restored.result.code, 1, `${what}: exit 1\n${describeResult(restored.result)}`);
  };

  test('restoring the full snapshot: exactly that file is reported damaged and left out, everything else is restored, exit 1', () => {
    const restored = home.restore(full.id);
    assertReported(restored, 'the full snapshot');
    const others = compareTrees(fullSource, restored.inside).filter((d) => !(d.path === damageTarget.path && d.property === 'missing'));
    assertSame(others, 'everything but the damaged file (its other properties are round-trip.test.ts\'s)', ['missing', 'extra', 'type', 'content', 'symlink']);
  });

  test('restoring the incremental snapshot, whose copy of the file is in the damaged full archive: the same file is reported', () => {
    assertReported(home.restore(incremental.id), 'the incremental snapshot');
  });

  test('restoring only the damaged file with --path: reported, nothing written, exit 1', () => {
    const restored = home.restore(full.id, [damagedPath]);
    assertReported(restored, '--path of the damaged file');
    assert.equal(restored.report?.files, 0, 'no file restored');
  });

  test('a restore that fails part-way gives the folders it created their modes and mtimes from the snapshot', () => {
    const restored = home.restore(full.id, [damagedPath]);
    for (const folder of ['.', 'docs']) {
      const was = lstatSync(join(fullSource, folder), { bigint: true });
      const now = lstatSync(join(restored.inside, folder), { bigint: true });
      assert.equal((now.mode & 0o7777n).toString(8), (was.mode & 0o7777n).toString(8), `the mode of ${folder}`);
      assert.equal(now.mtimeNs, was.mtimeNs, `the mtime of ${folder} (ns)`);
    }
  });

  test('verify names the damaged file, and an incremental that depends on the damaged archive is not OK', () => {
    const result = home.cli(['verify', '--all', '--json']);
    assert.equal(result.code, 1, describeResult(result));
    const report = result.json<FidelityVerifyReport>();
    assert.equal(report.ok, false);
    const ofFull = report.snapshots.find((one) => one.snapshotId === full.id);
    const ofIncremental = report.snapshots.find((one) => one.snapshotId === incremental.id);
    assert.deepEqual(ofFull?.damaged, [damagedPath], `the full snapshot's damaged files: ${result.stdout}`);
    assert.equal(ofFull?.ok, false);
    assert.equal(ofIncremental?.ok, false, `the incremental snapshot is not OK: ${result.stdout}`);
    const text = home.cli(['verify', String(full.id)]);
    assert.equal(text.code, 1, describeResult(text));
    const named = join(home.srcEntry, damageTarget.path); // with or without the leading slash
    assert.ok(`${text.stdout}${text.stderr}`.includes(named), `the text output names ${damagedPath}:\n${describeResult(text)}`);
  });
});
