import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { addonOrSkip, temporaryFolderIn } from './native-kit';

/**
 * renameNoReplace: how a restore's stand-in takes the target's name (staged-target.ts). A plain
 * rename replaces an empty folder under the new name; this one never replaces anything.
 */

const addon = addonOrSkip();

test('renameNoReplace renames onto a free name, and never replaces an empty folder, a folder or a file that took the name', { skip: addon.skip }, (t) => {
  const fs = addon.fs!;
  const root = temporaryFolderIn(t, tmpdir());
  const standIn = join(root, '.restored.dormouse-1-abcdef.restoring');
  mkdirSync(standIn);
  writeFileSync(join(standIn, 'restored.txt'), 'restored');

  for (const [name, make] of [
    ['empty folder', (path: string) => mkdirSync(path)],
    ['folder', (path: string) => (mkdirSync(path), writeFileSync(join(path, 'own.txt'), 'own'))],
    ['file', (path: string) => writeFileSync(path, 'own')],
  ] as const) {
    const taken = join(root, name);
    make(taken);
    const before = existsSync(join(taken, 'own.txt')) ? readdirSync(taken) : null;
    assert.equal(fs.renameNoReplace(standIn, taken), constants.errno.EEXIST, `${name}: EEXIST`);
    assert.ok(existsSync(join(standIn, 'restored.txt')), `${name}: the stand-in keeps its files`);
    if (before !== null) assert.deepEqual(readdirSync(taken), before, `${name}: what was there stays as it was`);
  }
  assert.deepEqual(readdirSync(join(root, 'empty folder')), [], 'the empty folder is still there, empty');

  const target = join(root, 'restored');
  assert.equal(fs.renameNoReplace(standIn, target), 0);
  assert.equal(readFileSync(join(target, 'restored.txt'), 'utf8'), 'restored');
  assert.equal(existsSync(standIn), false);
  assert.equal(fs.renameNoReplace(join(root, 'missing'), join(root, 'elsewhere')), constants.errno.ENOENT);
});
