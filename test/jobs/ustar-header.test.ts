import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Header } from 'tar';
import { encodeUstarHeader, type HeaderFields } from '../../src-main/archive-worker/ustar-header';

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
