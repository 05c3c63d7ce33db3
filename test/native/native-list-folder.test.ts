import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { linkSync, lstatSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderStat, folderStatFields } from '../../src-main/native/native-fs';
import { addonOrSkip, repoRoot, run, temporaryFolderIn } from './native-kit';

/**
 * listFolder: one call per folder gives every entry's name (raw bytes) and its lstat fields, which a
 * backup's walk uses instead of a readdir and an lstat per entry. Compared with Node's own lstat and
 * with mkfifo's FIFO; a walk with the addon and one without it (DORMOUSE_NATIVE_FS=off) must see
 * the same tree.
 */

const addon = addonOrSkip();

function makeTree(root: string): void {
  mkdirSync(join(root, 'folder'));
  writeFileSync(join(root, 'folder', 'inner.txt'), 'inside');
  writeFileSync(join(root, 'plain.txt'), 'hello');
  linkSync(join(root, 'plain.txt'), join(root, 'second-name.txt'));
  symlinkSync('plain.txt', join(root, 'link'));
  symlinkSync('/nowhere/at/all', join(root, 'dangling'));
  run('mkfifo', [join(root, 'pipe')]);
  writeFileSync(Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0x6e, 0xe9, 0xff, 0x2e, 0x74, 0x78, 0x74])]), 'latin-1 name');
  // Before 1970, with nanoseconds.
  utimesSync(join(root, 'plain.txt'), new Date(-1_000_000_123), new Date(-1_000_000_123));
}

test('listFolder gives each entry of a folder with the fields lstat gives, never following links', { skip: addon.skip }, (t) => {
  const root = temporaryFolderIn(t, tmpdir());
  makeTree(root);
  const { names, stats } = addon.fs!.listFolder(root);
  const listed: Buffer[] = [];
  for (let start = 0; start < names.length; ) {
    const end = names.indexOf(0, start);
    listed.push(names.subarray(start, end));
    start = end + 1;
  }
  assert.equal(stats.length, listed.length * folderStatFields);
  const expected = ['dangling', 'folder', 'link', 'n\udce9\udcff.txt', 'pipe', 'plain.txt', 'second-name.txt'];
  assert.deepEqual(listed.map((raw) => raw.toString('latin1')).sort(), [...expected.map((name) => name.replace(/[\udc80-\udcff]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xdc00)))].sort());
  listed.forEach((raw, index) => {
    const field = (name: keyof typeof FolderStat) => stats[index * folderStatFields + FolderStat[name]];
    const own = lstatSync(Buffer.concat([Buffer.from(`${root}/`), raw]), { bigint: true });
    const what = raw.toString('latin1');
    assert.equal(field('errno'), 0, what);
    assert.equal(field('mode'), Number(own.mode), what);
    assert.equal(field('nlink'), Number(own.nlink), what);
    assert.equal(field('size'), Number(own.size), what);
    assert.equal(field('ino'), Number(own.ino), what);
    assert.equal(field('dev'), Number(own.dev), what);
    assert.equal(field('uid'), Number(own.uid), what);
    assert.equal(BigInt(field('mtimeSec') as number) * 1_000_000_000n + BigInt(field('mtimeNsec') as number), own.mtimeNs, what);
    assert.equal(BigInt(field('ctimeSec') as number) * 1_000_000_000n + BigInt(field('ctimeNsec') as number), own.ctimeNs, what);
  });
});

test('listFolder of a missing folder throws as readdir does', { skip: addon.skip }, (t) => {
  const root = temporaryFolderIn(t, tmpdir());
  assert.throws(() => addon.fs!.listFolder(join(root, 'missing')), { code: 'ENOENT', syscall: 'opendir' });
  writeFileSync(join(root, 'file'), '');
  assert.throws(() => addon.fs!.listFolder(join(root, 'file')), { code: 'ENOTDIR' });
});

test('a walk sees the same entries, in the same order, with the addon and without it', { skip: addon.skip }, (t) => {
  const root = temporaryFolderIn(t, tmpdir());
  makeTree(root);
  const script = `
    const { mtimeTextOf, walkSources } = require(${JSON.stringify(join(repoRoot, 'src-main', 'archive-worker', 'source-walk.ts'))});
    const warnings = [];
    const entries = [...walkSources([process.argv[1]], [], warnings)].map((entry) => ({ ...entry, mtimeNs: mtimeTextOf(entry) }));
    process.stdout.write(JSON.stringify({ entries, warnings }));`;
  const walk = (nativeSetting: string) => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script, root], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, DORMOUSE_NATIVE_FS: nativeSetting } });
    assert.equal(result.status, 0, result.stderr);
    return JSON.parse(result.stdout) as { entries: { name: string; type: string; linkTarget?: string; mtimeNs: string }[]; warnings: string[] };
  };
  const withAddon = walk('on');
  const without = walk('off');
  assert.deepEqual(withAddon.entries, without.entries);
  assert.deepEqual(withAddon.warnings, without.warnings);
  const names = withAddon.entries.map((entry) => entry.name.slice(withAddon.entries[0]!.name.length));
  assert.deepEqual(names, ['', '/dangling', '/folder', '/folder/inner.txt', '/link', '/n\udce9\udcff.txt', '/pipe', '/plain.txt', '/second-name.txt']);
  const plain = withAddon.entries.find((entry) => entry.name.endsWith('/plain.txt'));
  assert.equal(plain?.mtimeNs, '-1000000123000000');
  assert.equal(withAddon.entries.find((entry) => entry.name.endsWith('/second-name.txt'))?.linkTarget, plain?.name);
  assert.equal(withAddon.entries.find((entry) => entry.name.endsWith('/link'))?.type, 'symlink');
});
