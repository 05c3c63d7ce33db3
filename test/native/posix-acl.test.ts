import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aclTextFromXattr, aclXattrFromText, gnuTarAclRecords, type AclNames } from '../../src-main/native/posix-acl';
import { addonOrSkip, hasTool, paxRecordsByMember, run, temporaryFolderIn, tool } from './native-kit';

/**
 * POSIX ACLs between the kernel's binary attribute and tar's text, judged by the tools: files get
 * their ACLs from setfacl, GNU tar 1.34 and bsdtar archive them, and the text each wrote must turn
 * into the bytes getfattr reads (and GNU tar's text must come back out of those bytes). An ACL the
 * addon then writes from that text must be the one getfacl shows on the original.
 */

const addon = addonOrSkip();
const kinds = ['access', 'default'] as const;

function toolsOrSkip(): string | false {
  for (const [command, args, pkg] of [['setfacl', ['--version'], 'acl'], ['getfattr', ['--version'], 'attr'], ['tar', ['--version'], 'tar']] as const) {
    if (!hasTool(command, [...args])) return `${command} is not installed (Debian package ${pkg})`;
  }
  if (!run('tar', ['--version']).startsWith('tar (GNU tar)')) return 'tar here is not GNU tar';
  return false;
}

function xattrBytes(path: string, kind: (typeof kinds)[number]): Buffer | undefined {
  const result = tool('getfattr', ['--absolute-names', '-n', `system.posix_acl_${kind}`, '-e', 'hex', path]);
  const match = /=0x([0-9a-f]+)/.exec(result.stdout.toString());
  return match ? Buffer.from(match[1] as string, 'hex') : undefined;
}

/** A folder of files with ACLs from setfacl, archived by GNU tar and (where installed) bsdtar. */
function aclTree(t: { after: (fn: () => void) => void }) {
  const folder = temporaryFolderIn(t, tmpdir());
  const tree = join(folder, 'tree');
  mkdirSync(tree);
  for (const name of ['file', 'masked', 'plain']) writeFileSync(join(tree, name), 'data');
  for (const name of ['dir', 'access-only', 'only-default']) mkdirSync(join(tree, name));
  chmodSync(join(tree, 'access-only'), 0o750);
  chmodSync(join(tree, 'only-default'), 0o741);
  const setfacl = (args: string[]) => run('setfacl', args);
  setfacl(['-m', 'u:65534:rw-,u:1234:r--,g:100:r-x,g:4321:-w-,m::rwx,o::r--', join(tree, 'file')]);
  setfacl(['-m', 'u:4000000000:rwx,g:0:rw-,m::r--,o::---', join(tree, 'masked')]);
  setfacl(['-m', 'u:65534:rwx', join(tree, 'dir')]);
  setfacl(['-d', '-m', 'u:65534:r-x,g:4321:rw-,o::---', join(tree, 'dir')]);
  setfacl(['-m', 'u:65534:r-x', join(tree, 'access-only')]);
  setfacl(['-d', '-m', 'o::r-x', join(tree, 'only-default')]);
  const names = members.map(([name]) => name);
  run('tar', ['--acls', '-C', tree, '-cf', join(folder, 'gnu.tar'), ...names]);
  const gnu = paxRecordsByMember(readFileSync(join(folder, 'gnu.tar')));
  let bsd: Map<string, Map<string, Buffer>> | undefined;
  if (hasTool('bsdtar')) {
    run('bsdtar', ['--acls', '-C', tree, '-cf', join(folder, 'bsd.tar'), ...names]);
    bsd = paxRecordsByMember(readFileSync(join(folder, 'bsd.tar')));
  }
  return { folder, tree, gnu, bsd };
}

// [name, tar member, whether bsdtar's text is judged too]: bsdtar 3.6 keeps ids in a signed int and
// writes uid 4000000000 as "user:0", so masked is judged by GNU tar only.
const members = [
  ['file', 'file', true],
  ['masked', 'masked', false],
  ['plain', 'plain', true],
  ['dir', 'dir/', true],
  ['access-only', 'access-only/', true],
  ['only-default', 'only-default/', true],
] as const;

function records(member: Map<string, Buffer> | undefined): { access?: string; default?: string } {
  const found: { access?: string; default?: string } = {};
  for (const kind of kinds) {
    const value = member?.get(`SCHILY.acl.${kind}`);
    if (value) found[kind] = value.toString('utf8');
  }
  return found;
}

function aclTreeOrSkip(t: { after: (fn: () => void) => void; skip: (why: string) => void }): ReturnType<typeof aclTree> | undefined {
  try {
    return aclTree(t);
  } catch (error) {
    t.skip(`this file system takes no ACLs: ${(error as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

test('the records GNU tar wrote come out of the bytes getfattr reads, and both tars\' text goes back to those bytes', { skip: toolsOrSkip() }, (t) => {
  const tree = aclTreeOrSkip(t);
  if (!tree) return;
  let compared = 0;
  for (const [name, member, bsdtarToo] of members) {
    const path = join(tree.tree, name);
    const [type, mode] = run('stat', ['-c', '%F|%f', path]).trim().split('|') as [string, string];
    const bytes = { access: xattrBytes(path, 'access'), default: xattrBytes(path, 'default') };
    const gnuRecords = records(tree.gnu.get(member));
    assert.deepEqual(gnuTarAclRecords({ mode: parseInt(mode, 16), isDirectory: type === 'directory', ...bytes }), gnuRecords, `${name}: the records GNU tar wrote`);
    for (const kind of kinds) {
      const value = bytes[kind];
      if (!value) continue;
      assert.equal(aclTextFromXattr(value), gnuRecords[kind], `${name} ${kind}: the text GNU tar wrote`);
      assert.deepEqual(aclXattrFromText(gnuRecords[kind] as string), value, `${name} ${kind}: GNU tar's text back to the attribute`);
      const bsdText: string | undefined = records(tree.bsd?.get(member))[kind];
      if (bsdText !== undefined && bsdtarToo) {
        assert.notEqual(bsdText, gnuRecords[kind], 'bsdtar writes its own form');
        assert.deepEqual(aclXattrFromText(bsdText), value, `${name} ${kind}: bsdtar's text (${bsdText}) back to the attribute`);
      }
      compared++;
    }
  }
  assert.equal(compared, 6, 'file, masked, dir and access-only have access ACLs; dir and only-default have default ACLs');
  if (!tree.bsd) t.diagnostic('bsdtar is not installed (Debian package libarchive-tools): its form was not checked');
});

test('an ACL written by the addon from GNU tar\'s or bsdtar\'s text is the one getfacl shows on the original', { skip: toolsOrSkip() || addon.skip }, (t) => {
  const tree = aclTreeOrSkip(t);
  if (!tree) return;
  const fs = addon.fs!;
  const getfacl = (path: string, flags: string[] = []) => run('getfacl', [...flags, '--omit-header', '--numeric', '--absolute-names', path]);
  for (const [source, archive] of [['gnu', tree.gnu], ['bsd', tree.bsd]] as const) {
    if (!archive) continue;
    for (const [name, member, bsdtarToo] of members) {
      if (source === 'bsd' && !bsdtarToo) continue;
      const original = join(tree.tree, name);
      const restored = join(tree.folder, `${source}-${name}`);
      const isDirectory = statSync(original).isDirectory();
      if (isDirectory) mkdirSync(restored);
      else writeFileSync(restored, 'data');
      chmodSync(restored, statSync(original).mode & 0o7777);
      for (const [kind, text] of Object.entries(records(archive.get(member)))) {
        if (text.trim() !== '') fs.setXattr(restored, `system.posix_acl_${kind}`, aclXattrFromText(text));
      }
      assert.equal(getfacl(restored), getfacl(original), `${name}: access ACL restored from ${source}tar's text`);
      if (isDirectory) assert.equal(getfacl(restored, ['--default']), getfacl(original, ['--default']), `${name}: default ACL restored from ${source}tar's text`);
    }
  }
});

const names: AclNames = {
  userName: (uid) => ({ 1000: 'ann:lee', 1001: 'back\\slash', 1002: 'with space' })[uid],
  groupName: (gid) => ({ 50: 'staff,team' })[gid],
  userId: (name) => ({ 'ann:lee': 1000, 'back\\slash': 1001, 'with space': 1002, bob: 1003 })[name],
  groupId: (name) => ({ 'staff,team': 50 })[name],
};

function aclValue(entries: [tag: number, perm: number, id: number][]): Buffer {
  const value = Buffer.alloc(4 + entries.length * 8);
  value.writeUInt32LE(2, 0);
  entries.forEach(([tag, perm, id], index) => {
    value.writeUInt16LE(tag, 4 + index * 8);
    value.writeUInt16LE(perm, 6 + index * 8);
    value.writeUInt32LE(id, 8 + index * 8);
  });
  return value;
}

const none = 0xffffffff;
const quotedValue = aclValue([[1, 6, none], [2, 7, 77], [2, 4, 1000], [2, 2, 1001], [2, 1, 1002], [4, 4, none], [8, 5, 50], [16, 7, none], [32, 0, none]]);
// libacl's quoting: ':' ',' and white space as a backslash and three octal digits, a backslash doubled.
const quotedText = 'user::rw-\nuser:77:rwx\nuser:ann\\072lee:r--\nuser:back\\\\slash:-w-\nuser:with\\040space:--x\ngroup::r--\ngroup:staff\\054team:r-x\nmask::rwx\nother::---\n';

test('names are quoted the way libacl quotes them, numbers kept where a name is unknown, and read back', () => {
  assert.equal(aclTextFromXattr(quotedValue, names), quotedText);
  assert.deepEqual(aclXattrFromText(quotedText, names), quotedValue);
});

test('other spellings restore: bsdtar\'s numbers after unknown names, abbreviations, Solaris\' other:, comments, default: prefixes', () => {
  const expected = aclValue([[1, 7, none], [2, 5, 1003], [2, 4, 4242], [4, 5, none], [16, 5, none], [32, 4, none]]);
  assert.deepEqual(aclXattrFromText('user::rwx,group::r-x,other::r--,user:bob:r-x:9,user:nobody-here:r--:4242,mask::r-x', names), expected);
  assert.deepEqual(aclXattrFromText('u::rwx\n u:1003:r-x\t#effective:r-x\nu:4242:r--\ng::r-x\nm::rx\no:r--\n', names), expected);
  assert.deepEqual(aclXattrFromText('default:user::rwx,default:user:bob:r-x,default:user:0x1092:r--,default:group::r-x,default:mask::r-x,default:other::r--', names), expected);
  // libacl reads "-2" as 65534, as a 16-bit number.
  assert.deepEqual(aclXattrFromText('user::rwx,user:-2:r--,group::---,mask::r--,other::---', names), aclValue([[1, 7, none], [2, 4, 65534], [4, 0, none], [16, 4, none], [32, 0, none]]));
});

test('named entries without a mask get the mask setfacl would compute', () => {
  assert.deepEqual(
    aclXattrFromText('user::rw-,user:1003:r--,group::--x,group:50:-w-,other::---', names),
    aclValue([[1, 6, none], [2, 4, 1003], [4, 1, none], [8, 2, 50], [16, 7, none], [32, 0, none]]),
  );
});

test('an ACL that cannot be restored says why', () => {
  assert.throws(() => aclXattrFromText('user::rw-,user:nobody-here:r--,group::r--,mask::r--,other::---', names), /names user "nobody-here", who is not known on this system/);
  assert.throws(() => aclXattrFromText('user::rw-,group::r--', names), /has no other:: entry/);
  assert.throws(() => aclXattrFromText('user::rw-,user:1003:r--,user:bob:rw-,group::r--,mask::r--,other::---', names), /two entries for the same id 1003/);
  assert.throws(() => aclXattrFromText('user::rw-,group::r--,other::rwz', names), /no permissions like rwx/);
  assert.throws(() => aclXattrFromText('owner@:rw-p--aARWcCos:-------:allow', names), /not a user, group, mask or other entry/);
  assert.throws(() => aclTextFromXattr(Buffer.from([2, 0, 0, 0, 1, 0, 6])), /not a 4-byte header and 8-byte entries/);
  assert.throws(() => aclTextFromXattr(aclValue([]).fill(1, 0, 1)), /version 1 is not the version 2/);
  assert.throws(() => aclTextFromXattr(aclValue([[64, 7, none]])), /unknown tag 0x40/);
});
