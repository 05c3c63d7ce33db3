import { test } from 'node:test';
import assert from 'node:assert/strict';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isNativeFsError } from '../../src-main/native/native-fs';
import { addonOrSkip, getfattrDump, tool, xattrFolder } from './native-kit';

/**
 * Extended attributes through the addon, each result read back (or first written) by
 * getfattr/setfattr: names and values that are not UTF-8, and symlinks that must not be followed.
 */

const addon = addonOrSkip();
const latin1 = (bytes: Buffer) => bytes.toString('latin1');
const oddName = Buffer.concat([Buffer.from('user.caf'), Buffer.from([0xe9, 0xff]), Buffer.from('.name')]);
const oddValue = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0xc3, 0x28]);
const bigValue = Buffer.alloc(3000, 0xab);

test('attributes the addon sets are what getfattr reads, raw bytes and all', { skip: addon.skip }, (t) => {
  const place = xattrFolder(t);
  if (place.folder === null) return t.skip(place.skip);
  const fs = addon.fs!;
  const rawPath = Buffer.from([...Buffer.from(place.folder), 0x2f, 0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74]);
  writeFileSync(rawPath, 'data');

  fs.setXattr(rawPath, oddName, oddValue);
  fs.setXattr(rawPath, 'user.dormouse.plain', Buffer.from('hello'));
  fs.setXattr(rawPath, 'user.dormouse.empty', Buffer.alloc(0));
  fs.setXattr(rawPath, 'user.dormouse.big', bigValue);
  fs.setXattr(rawPath, 'user.dormouse.plain', Buffer.from('replaced'));

  const seen = getfattrDumpOfRaw(rawPath);
  assert.equal(seen.get(latin1(oddName)), `0x${oddValue.toString('hex')}`);
  assert.equal(seen.get('user.dormouse.plain'), `0x${Buffer.from('replaced').toString('hex')}`);
  assert.equal(seen.get('user.dormouse.empty'), '0x', 'an empty value is kept as an attribute with no bytes');
  assert.equal(seen.get('user.dormouse.big'), `0x${bigValue.toString('hex')}`);
});

test('attributes setfattr wrote are what the addon lists and reads', { skip: addon.skip }, (t) => {
  const place = xattrFolder(t);
  if (place.folder === null) return t.skip(place.skip);
  const fs = addon.fs!;
  const file = join(place.folder, 'from-setfattr');
  writeFileSync(file, 'data');
  // setfattr --restore reads names with \ooo escapes: the only way to hand it bytes that are not UTF-8.
  const restore = Buffer.from(`# file: ${file}\nuser.caf\\351\\377.name=0x${oddValue.toString('hex')}\nuser.second=0x${bigValue.toString('hex')}\n`);
  const restored = tool('setfattr', ['--restore=-'], restore);
  assert.equal(restored.status, 0, restored.stderr.toString());

  const names = fs.listXattrs(file).map(latin1).filter((name) => name.startsWith('user.')).sort();
  assert.deepEqual(names, [latin1(oddName), 'user.second']);
  assert.deepEqual(fs.getXattr(file, oddName), oddValue);
  assert.deepEqual(fs.getXattr(Buffer.from(file), 'user.second'), bigValue);
});

test('a symlink is never followed: its target keeps its attributes to itself', { skip: addon.skip }, (t) => {
  const place = xattrFolder(t);
  if (place.folder === null) return t.skip(place.skip);
  const fs = addon.fs!;
  const target = join(place.folder, 'target');
  const link = join(place.folder, 'link');
  writeFileSync(target, 'data');
  symlinkSync('target', link);
  assert.equal(tool('setfattr', ['-n', 'user.on.target', '-v', '0x01', target]).status, 0);

  const linkNames = fs.listXattrs(link).map(latin1);
  const linkDump = [...getfattrDump(link, true).keys()];
  assert.deepEqual(linkNames.sort(), linkDump.sort(), 'the link lists only what getfattr -h lists');
  assert.ok(!linkNames.includes('user.on.target'));
  assert.throws(() => fs.getXattr(link, 'user.on.target'), (error) => isNativeFsError(error, 'ENODATA'));

  // Linux keeps user.* attributes off symlinks: the write fails rather than landing on the target.
  assert.throws(() => fs.setXattr(link, 'user.through.link', Buffer.from('x')), (error) => isNativeFsError(error) && ['EPERM', 'ENOTSUP'].includes(error.code));
  assert.ok(!getfattrDump(target).has('user.through.link'), 'the target did not get the attribute');

  if (process.getuid?.() !== 0) return t.diagnostic('trusted.* on a symlink itself needs root: not checked');
  fs.setXattr(link, 'trusted.dormouse.link', Buffer.from('on-link'));
  assert.equal(getfattrDump(link, true).get('trusted.dormouse.link'), `0x${Buffer.from('on-link').toString('hex')}`);
  assert.ok(!getfattrDump(target).has('trusted.dormouse.link'), 'the target did not get it');
  assert.deepEqual(fs.getXattr(link, 'trusted.dormouse.link'), Buffer.from('on-link'));
});

test('failures throw Node-style errors: code, negative errno, syscall and the path as a string', { skip: addon.skip }, (t) => {
  const place = xattrFolder(t);
  if (place.folder === null) return t.skip(place.skip);
  const fs = addon.fs!;
  const file = join(place.folder, 'plain');
  writeFileSync(file, '');
  assert.throws(() => fs.getXattr(file, 'user.absent'), { code: 'ENODATA', syscall: 'lgetxattr', path: file, message: `ENODATA: no data available, lgetxattr '${file}'` });
  const missing = join(place.folder, 'missing');
  assert.throws(() => fs.listXattrs(missing), { code: 'ENOENT', errno: -2, syscall: 'llistxattr', path: missing });
  assert.throws(() => fs.setXattr(file, 'nonsense-namespace.x', Buffer.from('x')), { code: 'ENOTSUP', syscall: 'lsetxattr' });
  assert.throws(() => fs.getXattr(file, ''), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => fs.setXattr(file, 'user.x', 'text' as unknown as Buffer), { code: 'ERR_INVALID_ARG_TYPE' });
});

function getfattrDumpOfRaw(rawPath: Buffer): Map<string, string> {
  // getfattr takes the path as an argument, which Node passes as UTF-8: reach the file through its folder's listing instead.
  const result = tool('sh', ['-c', 'cd "$1" && for f in *; do getfattr --absolute-names -d -m - -e hex "$f"; done', 'sh', rawPath.subarray(0, rawPath.lastIndexOf(0x2f)).toString()]);
  if (result.status !== 0) throw new Error(result.stderr.toString());
  const values = new Map<string, string>();
  for (const line of result.stdout.toString('latin1').split('\n')) {
    if (line === '' || line.startsWith('# file: ')) continue;
    const equals = line.lastIndexOf('=');
    values.set(equals < 0 ? line : line.slice(0, equals), equals < 0 ? '' : line.slice(equals + 1));
  }
  return values;
}
