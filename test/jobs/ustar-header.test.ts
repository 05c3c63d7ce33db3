import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Header } from 'tar';
import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeUstarFields, encodeUstarHeader, packageFields, type HeaderFields } from '../../src-main/archive-worker/ustar-header';
import { encodePaxEntry, encodeTimedEntry, paxTime, timedEntryBytes } from '../../src-main/archive-worker/pax-records';
import { temporaryFolder } from '../helpers/cli';

/** The block the `tar` package encodes for the same fields, and whether it asks for a PAX header. */
function packageEncoding(fields: HeaderFields): { block: Buffer; needsPax: boolean } {
  const block = Buffer.alloc(512);
  const needsPax = new Header({ ...fields, mtime: new Date(fields.mtimeSeconds * 1000), uname: '', gname: '' }).encode(block, 0);
  return { block, needsPax };
}

function ours(fields: HeaderFields): Buffer | null {
  const block = Buffer.alloc(512);
  return encodeUstarHeader(block, fields) ? block : null;
}

const base: HeaderFields = { path: 'home/ann/notes.txt', type: 'File', size: 1234, mode: 0o644, mtimeSeconds: 1_763_700_000, uid: 1000, gid: 1000 };

test('ordinary files, folders and links: the fast header is byte for byte the tar package\'s', () => {
  const cases: HeaderFields[] = [
    base,
    { ...base, path: 'home/ann/', type: 'Directory', size: 0, mode: 0o755 },
    { ...base, path: 'home/ann/link', type: 'SymbolicLink', size: 0, mode: 0o777, linkpath: '../target/file.txt' },
    { ...base, size: 0, mode: 0, uid: 0, gid: 0, mtimeSeconds: 0 },
    { ...base, path: 'a', size: 0o77777777777, mode: 0o7777777, uid: 0o7777777, gid: 0o7777777, mtimeSeconds: 0o77777777777 },
    { ...base, path: `home/${'x'.repeat(94)}` },
    { ...base, type: 'SymbolicLink', size: 0, linkpath: 'y'.repeat(99) },
    { ...base, path: 'odd name with spaces, tabs\tand \\ backslashes *?[].txt' },
  ];
  for (const fields of cases) {
    const fast = ours(fields);
    const reference = packageEncoding(fields);
    assert.equal(reference.needsPax, false);
    assert.ok(fast, `the fast path takes ${JSON.stringify(fields)}`);
    assert.ok(fast.equals(reference.block), `same bytes for ${JSON.stringify(fields)}`);
    const decoded = new Header(fast);
    assert.ok(decoded.cksumValid, 'the checksum is valid');
    assert.equal(decoded.path, fields.path);
    assert.equal(decoded.size, fields.size);
  }
});

test('thousands of random ordinary entries encode exactly as the tar package encodes them', () => {
  let seed = 42;
  const random = (limit: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % limit;
  };
  const types = ['File', 'Directory', 'SymbolicLink'] as const;
  let compared = 0;
  for (let i = 0; i < 5000; i += 1) {
    const type = types[random(3)] as HeaderFields['type'];
    const name = Array.from({ length: 1 + random(90) }, () => String.fromCharCode(0x20 + random(95))).join('');
    const fields: HeaderFields = {
      path: type === 'Directory' ? `${name.slice(0, 97)}/` : name,
      type,
      size: type === 'File' ? random(2 ** 31) * random(16) : 0,
      mode: random(0o10000),
      mtimeSeconds: random(2 ** 31),
      uid: random(70000),
      gid: random(70000),
      ...(type === 'SymbolicLink' ? { linkpath: name.split('').reverse().join('') } : {}),
    };
    const reference = packageEncoding(fields);
    const fast = ours(fields);
    if (reference.needsPax) {
      assert.equal(fast, null, `entries needing PAX are left to the tar package: ${JSON.stringify(fields)}`);
      continue;
    }
    assert.ok(fast, `the fast path takes ${JSON.stringify(fields)}`);
    assert.ok(fast.equals(reference.block), `same bytes for ${JSON.stringify(fields)}`);
    compared += 1;
  }
  assert.ok(compared > 4000, `most random entries took the fast path (${compared})`);
});

test('long names, non-ASCII names, huge files and times before 1970 are left to the tar package', () => {
  const declined: HeaderFields[] = [
    { ...base, path: `home/${'x'.repeat(95)}` },
    { ...base, path: 'home/ann/résumé.txt' },
    { ...base, path: 'home/ann/日本語.txt' },
    { ...base, type: 'SymbolicLink', size: 0, linkpath: 'z'.repeat(100) },
    { ...base, type: 'SymbolicLink', size: 0, linkpath: 'café' },
    { ...base, size: 0o77777777777 + 1 },
    { ...base, uid: 0o7777777 + 1 },
    { ...base, mtimeSeconds: -86400 },
  ];
  for (const fields of declined) assert.equal(ours(fields), null, `declined: ${JSON.stringify(fields).slice(0, 80)}`);
});

/** Every header block of a tar file, found by walking it with the tar package's Header (the reference). */
function headerBlocks(tar: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    const block = tar.subarray(at, at + 512);
    if (block.every((byte) => byte === 0)) break;
    blocks.push(Buffer.from(block));
    const size = new Header(block).size ?? 0;
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return blocks;
}

test('headers written by GNU tar, bsdtar and the tar package decode as the tar package decodes them, damaged ones too', (t) => {
  const root = temporaryFolder(t);
  const tree = join(root, 'tree');
  mkdirSync(join(tree, 'folder', 'deeper'), { recursive: true });
  writeFileSync(join(tree, 'folder', 'small.txt'), 'hello\n');
  writeFileSync(join(tree, 'folder', 'deeper', `${'n'.repeat(90)}.txt`), Buffer.alloc(70_000, 7));
  writeFileSync(join(tree, 'empty'), '');
  chmodSync(join(tree, 'folder', 'small.txt'), 0o4751);
  symlinkSync('folder/small.txt', join(tree, 'link'));
  linkSync(join(tree, 'folder', 'small.txt'), join(tree, 'hard'));
  execFileSync('mkfifo', [join(tree, 'pipe')]);
  utimesSync(join(tree, 'empty'), 0, 0);
  utimesSync(join(tree, 'folder', 'small.txt'), 4_000_000_000, 4_000_000_000);
  const blocks: Buffer[] = [];
  const tools: [string, string[]][] = [
    ['tar', ['--format=posix']],
    ['tar', ['--format=gnu']],
    ['tar', ['--format=ustar']],
    ['tar', ['--format=gnu', '--owner=3000000:0', '--group=3000000:0', '--mtime=@-86400']],
    ['bsdtar', ['--format=pax']],
    ['bsdtar', ['--format=ustar']],
  ];
  for (const [tool, options] of tools) {
    const file = join(root, `${blocks.length}.tar`);
    execFileSync(tool, [...options, '-cf', file, '-C', tree, '.']);
    blocks.push(...headerBlocks(readFileSync(file)));
  }
  for (const fields of [base, { ...base, path: 'dir/', type: 'Directory' as const, size: 0 }, { ...base, type: 'FIFO' as const, size: 0 }]) blocks.push(packageEncoding(fields).block);
  // A plain file marked as one by an old tar: a name ending in a slash is a folder.
  const oldFolder = packageEncoding({ ...base, path: 'old/' }).block;
  blocks.push(oldFolder);
  let seed = 7;
  const random = (limit: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % limit;
  };
  const damaged: Buffer[] = [];
  for (const block of blocks) {
    for (let i = 0; i < 40; i += 1) {
      const copy = Buffer.from(block);
      copy[random(512)] = random(256);
      if (i % 2 === 1) copy[100 + random(70)] = [0x20, 0, 0x38, 0x80, 0x2b][random(5)] as number;
      damaged.push(copy);
    }
  }
  let fast = 0;
  for (const block of [...blocks, ...damaged]) {
    const decoded = decodeUstarFields(block);
    if (decoded === null) continue;
    fast += 1;
    assert.deepEqual(decoded, packageFields(block), `the same reading of a block: ${block.subarray(0, 160).toString('latin1').replace(/\0+/g, '|')}`);
  }
  const plain = blocks.filter((block) => decodeUstarFields(block) !== null);
  assert.ok(plain.length >= blocks.length * 0.75, `most real headers take the fast decoder (${plain.length} of ${blocks.length})`);
  assert.equal(decodeUstarFields(oldFolder)?.type, 'Directory');
  assert.ok(fast > blocks.length * 10, `damaged headers were compared too (${fast})`);
  assert.ok(
    damaged.some((block) => decodeUstarFields(block)?.checksumValid === false),
    'a changed byte makes the checksum fail',
  );
  // The checksum is summed four bytes at a time where a block lies aligned in memory, a byte at a time elsewhere: both read alike.
  const everyByte = Array.from({ length: 512 }, (_, at) => {
    const copy = Buffer.from(blocks[0] as Buffer);
    copy[at] = (copy[at] as number) ^ 0x41;
    return copy;
  });
  const all = [...blocks, ...damaged, ...everyByte];
  // Side by side in one memory, 516 bytes apart: each at a different word, as a restore's headers lie in its read buffer.
  const memory = new ArrayBuffer(516 * all.length);
  const aligned = all.map((block, index) => {
    const copy = Buffer.from(memory, 516 * index, 512);
    block.copy(copy);
    return copy;
  });
  for (const block of aligned) {
    const unaligned = Buffer.from(new ArrayBuffer(515), 3, 512);
    block.copy(unaligned);
    assert.deepEqual(decodeUstarFields(block), decodeUstarFields(unaligned), 'aligned or not, a block reads the same');
    const read = decodeUstarFields(block);
    if (read !== null) assert.deepEqual(read, packageFields(block), 'and as the tar package reads it');
  }
});

test('an entry whose only PAX record is its nanosecond time is encoded in place exactly as the general path encodes it, and GNU tar reads its time to the nanosecond', (t) => {
  let seed = 7;
  const random = (limit: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % limit;
  };
  let taken = 0;
  for (let i = 0; i < 3000; i += 1) {
    const name = Array.from({ length: 1 + random(110) }, () => String.fromCharCode(0x20 + random(95))).join('') + (random(10) === 0 ? '\u00e9' : '');
    const seconds = BigInt(random(2 ** 31)) - (random(4) === 0 ? 2n ** 31n : 0n);
    const ns = seconds * 1_000_000_000n + BigInt(random(1_000_000_000));
    const plain: HeaderFields = { path: name, type: 'File', size: random(2 ** 31), mode: random(0o10000), mtimeSeconds: Math.max(0, Number(seconds)), uid: random(3_000_000), gid: random(3_000_000), uname: 'ann', gname: 'staff' };
    const target = Buffer.alloc(timedEntryBytes);
    const fast = encodeTimedEntry(target, plain, ns);
    const block = ours(plain);
    assert.equal(fast, block !== null, `in place exactly when the ustar header holds the rest: ${JSON.stringify(plain)}`);
    if (!fast || block === null) continue;
    const general = Buffer.concat([encodePaxEntry([['mtime', Buffer.from(paxTime(ns))]], plain.mtimeSeconds), block]);
    assert.ok(target.equals(general), `same bytes for ${JSON.stringify(plain)} at ${ns} ns`);
    taken += 1;
  }
  assert.ok(taken > 600, `many took the path (${taken})`);

  // Times GNU tar must show to the nanosecond: just after the epoch, a fraction with trailing zeros, after 2038.
  const folder = temporaryFolder(t);
  const entries: [string, bigint][] = [
    ['epoch.txt', 1n],
    ['tenth.txt', 1_763_700_000_100_000_000n],
    ['future.txt', 4_000_000_000_999_999_999n],
  ];
  const blocks = entries.map(([path, ns]) => {
    const target = Buffer.alloc(timedEntryBytes);
    const seconds = ns >= 0n ? ns / 1_000_000_000n : -((-ns + 999_999_999n) / 1_000_000_000n);
    assert.ok(encodeTimedEntry(target, { path, type: 'File', size: 0, mode: 0o644, mtimeSeconds: Math.max(0, Number(seconds)), uid: 0, gid: 0, uname: 'root', gname: 'root' }, ns));
    return target;
  });
  const archive = join(folder, 'timed.tar');
  writeFileSync(archive, Buffer.concat([...blocks, Buffer.alloc(1024)]));
  const listing = execFileSync('tar', ['--full-time', '--utc', '-tvf', archive], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  assert.match(listing, /1970-01-01 00:00:00\.000000001 epoch\.txt/);
  assert.match(listing, /2025-11-21 04:40:00\.1 +tenth\.txt/);
  assert.match(listing, /2096-10-02 07:06:40\.999999999 future\.txt/);
});
