import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeResult } from '../helpers/cli';
import { unprivilegedUser } from '../faults/fault-kit';
import { homeBackups, type HomeBackups, type Restored } from './fidelity-kit';
import { fidelityUnsupported, isRoot, linkNames, privilegedFiles, sparseFile } from './home-tree';
import { assertSame, compareTrees, describeDifferences, type Difference, type Property } from './tree-compare';

/**
 * Issue #14, fidelity: the home-like tree (test/fidelity/home-tree.ts) backed up full, changed, backed
 * up incremental; each snapshot restored whole and in parts with the real `dormouse restore`, and
 * compared with a copy of the source as it was at that backup, one property per test, so what is
 * still lost is named.
 */

const unsupported = fidelityUnsupported();
/** Not met yet when the suite runs as a normal user (the tree is then the user's own). */

describe('fidelity: a home-like tree round-trips through dormouse', { skip: unsupported ?? false }, () => {
  let backups: HomeBackups;
  before(() => {
    backups = homeBackups();
  });
  after(() => backups?.home.remove());

  const restores = new Map<string, { restored: Restored; differences: Difference[] }>();
  /** Restores a snapshot once (the first test that needs it) and compares it with the source as it was. */
  const restoredWhole = (kind: 'full' | 'incremental') => {
    let done = restores.get(kind);
    if (!done) {
      const restored = backups.home.restore(backups[kind].snapshot.id);
      done = { restored, differences: compareTrees(backups[kind].source, restored.inside) };
      restores.set(kind, done);
    }
    return done;
  };

  test('both backups hold everything: each job succeeded without a warning', () => {
    for (const kind of ['full', 'incremental'] as const) assert.deepEqual(backups[kind].job.warnings, [], `the ${kind} backup's warnings`);
  });

  test('the full archive keeps the sparse file as holes: far smaller than its 1 GiB', () => {
    const size = statSync(backups.full.snapshot.archivePath).size;
    assert.ok(size < 64 * 1024 * 1024, `the full archive is ${size} bytes: the 1 GiB file with 32 KiB of data was stored with its holes filled`);
  });

  for (const kind of ['full', 'incremental'] as const) {
    const compared = (properties: Property[], what: string) => () => {
      const { differences } = restoredWhole(kind);
      assertSame(differences, `the ${kind} snapshot restored: ${what}`, properties);
    };

    test(`${kind}: the restore succeeds: exit 0, nothing damaged, nothing left unapplied`, () => {
      const { restored } = restoredWhole(kind);
      assert.ok(restored.report, `restore printed its JSON report\n${describeResult(restored.result)}`);
      assert.deepEqual(restored.report.damaged, [], 'damaged');
      assert.deepEqual(restored.report.unapplied, [], 'unapplied');
      assert.deepEqual(restored.report.conflicts, [], 'conflicts');
      assert.deepEqual(restored.report.refused, [], 'refused');
      assert.equal(restored.result.code, 0, describeResult(restored.result));
    });
    test(`${kind}: every entry comes back with its type and nothing else (FIFO, 255-byte name, names that are not UTF-8 included)`, compared(['missing', 'extra', 'type'], 'entries'));
    test(`${kind}: contents and symlink targets`, compared(['content', 'symlink'], 'contents'));
    test(`${kind}: modes, setuid, setgid and sticky bits included`, compared(['mode'], 'modes'));
    test(`${kind}: mtimes to the nanosecond (.999999999, 1960, 2100, a folder's, a symlink's)`, compared(['mtime'], 'mtimes'));
    test(`${kind}: owners: uid and gid (1234:2345 on a setuid file)`, { skip: isRoot ? false : 'not root: the tree has no file of another owner' }, compared(['owner', 'group'], 'owners'));
    test(`${kind}: hard links come back as one file with all its names`, compared(['hardlink'], 'hard links'));
    test(`${kind}: extended attributes, a binary value included`, compared(['xattr'], 'xattrs'));
    test(`${kind}: POSIX ACLs, access and default`, compared(['acl'], 'ACLs'));
    test(`${kind}: the sparse file keeps its holes`, compared(['allocation'], 'allocated blocks'));
  }

  test('--path with folders: each comes back whole, and nothing beside them', () => {
    const chosen = ['docs', 'special', 'acl-folder', 'attrs', 'times'];
    const { home, full } = backups;
    const restored = home.restore(full.snapshot.id, chosen.map((name) => join(home.src, name)));
    assert.equal(restored.result.code, 0, describeResult(restored.result));
    assert.deepEqual(readdirSync(restored.inside).sort(), [...chosen].sort(), 'the source folder holds only the chosen folders');
    const differences = chosen.flatMap((name) => compareTrees(join(full.source, name), join(restored.inside, name)).map((d) => ({ ...d, path: `${name}/${d.path}` })));
    assertSame(differences, '--path restores of folders');
  });

  test('--path with one name of a hard-link group, and with the sparse file: each comes back with its content and attributes', () => {
    const { home, full } = backups;
    const oneName = linkNames[2] as string;
    const restored = home.restore(full.snapshot.id, [join(home.src, oneName), join(home.src, sparseFile.path)]);
    assert.equal(restored.result.code, 0, describeResult(restored.result));
    const differences = [oneName, sparseFile.path].flatMap((name) => compareTrees(join(full.source, name), join(restored.inside, name)).map((d) => ({ ...d, path: name })));
    assertSame(differences, '--path restores of single files');
    assert.equal(lstatSync(join(restored.inside, oneName)).nlink, 1, 'the one name is a file of its own');
  });

  test('restored by another user: the files are theirs, setuid and setgid are cleared, everything else as it was', { skip: isRoot ? false : 'not root: cannot switch to another user' }, (t) => {
    const user = unprivilegedUser();
    if (typeof user === 'string') {
      t.skip(user);
      return;
    }
    const { home, full } = backups;
    const restored = home.restore(full.snapshot.id, [], user);
    assert.ok(restored.report, `restore printed its JSON report\n${describeResult(restored.result)}`);
    assert.deepEqual(restored.report.damaged, [], 'damaged');
    const notTheirs = spawnSync('find', [restored.inside, '(', '!', '-uid', String(user.uid), '-o', '!', '-gid', String(user.gid), ')', '-printf', '%U:%G %P\\n'], { encoding: 'utf8' });
    assert.equal(notTheirs.stdout, '', `entries that do not belong to ${user.uid}:${user.gid}`);
    const unexpected = compareTrees(full.source, restored.inside).filter((d) => {
      if (d.property === 'owner' || d.property === 'group') return false;
      if (d.property !== 'mode') return true;
      const was = lstatSync(join(full.source, d.path)).mode & 0o7777;
      const now = lstatSync(join(restored.inside, d.path)).mode & 0o7777;
      if (privilegedFiles.includes(d.path)) return now !== (was & ~0o6000);
      return !(lstatSync(join(full.source, d.path)).isDirectory() && now === (was & ~0o2000)); // a folder may keep its setgid bit, or not
    });
    assert.deepEqual(unexpected, [], `differences beyond the owner and the setuid/setgid bits:\n${describeDifferences(unexpected)}\nthe restore's report: ${restored.result.stdout}`);
    for (const path of privilegedFiles) assert.equal(lstatSync(join(restored.inside, path)).mode & 0o6000, 0, `${path} has no setuid/setgid bit`);
  });
});
