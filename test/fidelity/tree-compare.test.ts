import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryNames, buildHomeTree, fidelityUnsupported, isRoot, rawPath, sparseFile } from './home-tree';
import { compareTrees, describeDifferences } from './tree-compare';

/**
 * The comparison the fidelity suite relies on finds each kind of difference, names its path and its
 * property, and reports nothing else: a copy made with `cp -a` is equal, and a copy changed in one
 * property at each of several paths differs in exactly those.
 */

const unsupported = fidelityUnsupported();

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  assert.equal(result.status, 0, `${command} ${args.join(' ')}: ${result.stderr}`);
}

describe('the fidelity comparison', { skip: unsupported ?? false }, () => {
  let root: string;
  let source: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'dormouse-fidelity-compare-'));
    source = join(root, 'source');
    mkdirSync(source);
    buildHomeTree(source);
  });
  after(() => {
    spawnSync('chmod', ['-R', 'u+rwX', root]);
    rmSync(root, { recursive: true, force: true });
  });

  test('a cp -a copy is equal to its source', () => {
    const copy = join(root, 'equal');
    run('cp', ['-a', source, copy]);
    const differences = compareTrees(source, copy);
    assert.deepEqual(differences, [], describeDifferences(differences));
  });

  test('a copy changed in one property at each of several paths differs in exactly those, each named', () => {
    const copy = join(root, 'changed');
    run('cp', ['-a', source, copy]);
    const at = (path: string) => join(copy, path);
    /** Puts the source's mtime back on folders a change touched, so only the intended property differs. */
    const keepTime = (...paths: string[]) => paths.forEach((path) => run('touch', ['-h', '-r', join(source, path), at(path)]));

    const fd = openSync(at('docs/report.bin'), 'r+');
    writeSync(fd, Buffer.from([0x5a]), 0, 1, 1000);
    closeSync(fd);
    keepTime('docs/report.bin');
    const sparse = openSync(at(sparseFile.path), 'r+');
    writeSync(sparse, Buffer.from('x'), 0, 1, 300 * 1024 * 1024);
    closeSync(sparse);
    keepTime(sparseFile.path);
    chmodSync(at('docs/notes.txt'), 0o600);
    run('touch', ['-h', '-d', '@1685622896.999999998', at('times/last-nanosecond.txt')]);
    run('touch', ['-h', '-d', '@1700000000.123456788', at('times')]);
    run('touch', ['-h', '-d', '@1600000000.500000002', at('links/relative')]);
    unlinkSync(at('links/dangling'));
    symlinkSync('does/not/exist-either', at('links/dangling'));
    keepTime('links/dangling', 'links');
    run('cp', ['-p', at('photos/linked.txt'), at('photos/linked.tmp')]);
    run('mv', [at('photos/linked.tmp'), at('photos/linked.txt')]);
    keepTime('photos');
    unlinkSync(at('pipe'));
    unlinkSync(rawPath(copy, binaryNames.file));
    writeFileSync(at('docs/extra.txt'), 'not in the source\n');
    rmSync(at('empty-folder'), { recursive: true });
    writeFileSync(at('empty-folder'), '');
    keepTime('empty-folder', 'docs', 'names', '.');
    run('setfacl', ['-n', '-m', 'u:1234:r--', at('acl-file.txt')]);
    run('setfacl', ['-d', '-n', '-m', 'u:1234:r-x', at('acl-folder')]);
    run('setfattr', ['-n', 'user.binary', '-v', '0x01', at('attrs/tagged.txt')]);
    if (isRoot) chownSync(at('owned/theirs.txt'), 0, 0);

    const expected = [
      'docs/report.bin content',
      `${sparseFile.path} content`,
      'docs/notes.txt mode',
      'times/last-nanosecond.txt mtime',
      'times mtime',
      'links/relative mtime',
      'links/dangling symlink',
      'docs/linked.txt hardlink',
      'music/linked.txt hardlink',
      'photos/linked.txt hardlink',
      'pipe missing',
      'names/latin1-\\#351t\\#351-\\#377.txt missing',
      'docs/extra.txt extra',
      'empty-folder type',
      'acl-file.txt acl',
      'acl-folder acl',
      'attrs/tagged.txt xattr',
      ...(isRoot ? ['owned/theirs.txt owner', 'owned/theirs.txt group'] : []),
    ].sort();
    const differences = compareTrees(source, copy);
    assert.deepEqual(differences.map((d) => `${d.path} ${d.property}`).sort(), expected, describeDifferences(differences));
  });

  test('a sparse file whose holes were filled is told apart by its allocated blocks', () => {
    const small = join(root, 'small-sparse');
    mkdirSync(small);
    const file = join(small, 'holes.bin');
    const fd = openSync(file, 'w');
    ftruncateSync(fd, 8 * 1024 * 1024);
    writeSync(fd, Buffer.alloc(16 * 1024, 7), 0, 16 * 1024, 4 * 1024 * 1024);
    closeSync(fd);
    const filled = join(root, 'small-filled');
    mkdirSync(filled);
    run('cp', ['-p', '--sparse=never', file, join(filled, 'holes.bin')]);
    run('touch', ['-h', '-r', small, filled]);
    const differences = compareTrees(small, filled);
    assert.deepEqual(differences.map((d) => `${d.path} ${d.property}`), ['holes.bin allocation'], describeDifferences(differences));
  });
});
