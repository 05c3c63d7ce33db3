import { accountId, accountName } from '../common/accounts';

/**
 * Linux POSIX ACLs between the two forms a backup meets: the binary value of the
 * `system.posix_acl_access` / `system.posix_acl_default` extended attributes, and the text tar
 * keeps in its PAX records `SCHILY.acl.access` / `SCHILY.acl.default`.
 *
 * GNU tar 1.34 writes libacl's acl_to_text(): one entry a line, each ended by '\n', in the
 * kernel's order, user and group names where this system knows them (numbers otherwise), names
 * holding ':' ',' or white space escaped as \ooo:
 *   user::rw-\nuser:nobody:rw-\nuser:1234:r--\ngroup::r--\ngroup:4321:-w-\nmask::rwx\nother::r--\n
 * bsdtar writes one line, comma-separated, owner entries first and the number after each name:
 *   user::rw-,group::r--,other::r--,user:nobody:rw-:65534,group:4321:-w-,mask::rwx
 * GNU tar cannot read bsdtar's form back; aclXattrFromText reads both.
 *
 * Which records GNU tar writes (gnuTarAclRecords): none for a file without an ACL; for one with an
 * ACL the access text (made from the mode when only a default ACL exists), and for a directory also
 * the default text, empty when it has none. With --xattrs it writes the raw attributes as well
 * (SCHILY.xattr.system.posix_acl_*); bsdtar writes only the text.
 */

const version = 2;
const tags = { userObj: 0x01, user: 0x02, groupObj: 0x04, group: 0x08, mask: 0x10, other: 0x20 } as const;
const undefinedId = 0xffffffff;
const entryBytes = 8;
const headerBytes = 4;

/** How user and group numbers map to names on this system (the default reads /etc/passwd and /etc/group). */
export interface AclNames {
  userName(uid: number): string | undefined;
  groupName(gid: number): string | undefined;
  userId(name: string): number | undefined;
  groupId(name: string): number | undefined;
}

/** Names from this system's /etc/passwd and /etc/group, read once a process. */
export const systemAclNames: AclNames = {
  userName: (uid) => accountName('user', uid),
  groupName: (gid) => accountName('group', gid),
  userId: (name) => accountId('user', name),
  groupId: (name) => accountId('group', name),
};

interface AclEntry {
  tag: number;
  perm: number;
  id: number;
}

function perms(perm: number): string {
  return `${perm & 4 ? 'r' : '-'}${perm & 2 ? 'w' : '-'}${perm & 1 ? 'x' : '-'}`;
}

/** libacl's quoting of a name: ':' ',' and white space as \ooo, a backslash doubled. */
function quoteName(name: string): string {
  return name.replace(/[:, \t\n\r\\]/g, (c) => (c === '\\' ? '\\\\' : `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`));
}

function unquoteName(name: string): string {
  return name.replace(/\\([0-7]{3}|\\)/g, (_, code: string) => (code === '\\' ? '\\' : String.fromCharCode(parseInt(code, 8))));
}

function decodeXattr(value: Buffer): AclEntry[] {
  if (value.length < headerBytes || (value.length - headerBytes) % entryBytes !== 0) {
    throw new Error(`a POSIX ACL attribute of ${value.length} bytes is not a 4-byte header and 8-byte entries; the file's ACL was not read`);
  }
  if (value.readUInt32LE(0) !== version) {
    throw new Error(`a POSIX ACL attribute of version ${value.readUInt32LE(0)} is not the version 2 Linux writes; the file's ACL was not read`);
  }
  const entries: AclEntry[] = [];
  for (let at = headerBytes; at < value.length; at += entryBytes) {
    const tag = value.readUInt16LE(at);
    if (!Object.values(tags).includes(tag as never)) throw new Error(`a POSIX ACL attribute holds an entry of unknown tag 0x${tag.toString(16)}; the file's ACL was not read`);
    entries.push({ tag, perm: value.readUInt16LE(at + 2) & 7, id: value.readUInt32LE(at + 4) });
  }
  return entries;
}

/**
 * The text GNU tar 1.34 writes in `SCHILY.acl.access` / `SCHILY.acl.default` for the binary value
 * of a file's `system.posix_acl_access` / `system.posix_acl_default` attribute.
 */
export function aclTextFromXattr(value: Buffer, names: AclNames = systemAclNames): string {
  const lines = decodeXattr(value).map(({ tag, perm, id }) => {
    switch (tag) {
      case tags.userObj: return `user::${perms(perm)}`;
      case tags.user: return `user:${quoteName(names.userName(id) || String(id))}:${perms(perm)}`;
      case tags.groupObj: return `group::${perms(perm)}`;
      case tags.group: return `group:${quoteName(names.groupName(id) || String(id))}:${perms(perm)}`;
      case tags.mask: return `mask::${perms(perm)}`;
      default: return `other::${perms(perm)}`;
    }
  });
  return lines.map((line) => `${line}\n`).join('');
}

/** The three-entry ACL a mode stands for, as GNU tar writes it for a folder that has only a default ACL. */
export function aclTextFromMode(mode: number): string {
  return `user::${perms(mode >> 6)}\ngroup::${perms(mode >> 3)}\nother::${perms(mode)}\n`;
}

/** What a file holds that GNU tar's ACL records are made of: its mode and its ACL attributes' values, where present. */
export interface AclSource {
  mode: number;
  isDirectory: boolean;
  access?: Buffer;
  default?: Buffer;
}

/**
 * The `SCHILY.acl.access` / `SCHILY.acl.default` records GNU tar 1.34 `--acls` writes for one file:
 * none unless it has an extended access ACL (more than the three entries its mode gives) or, for a
 * directory, a default ACL; then the access text, and for a directory the default text ('' for none).
 */
export function gnuTarAclRecords(source: AclSource, names: AclNames = systemAclNames): { access?: string; default?: string } {
  const extendedAccess = source.access !== undefined && decodeXattr(source.access).length > 3;
  const hasDefault = source.isDirectory && source.default !== undefined && decodeXattr(source.default).length > 0;
  if (!extendedAccess && !hasDefault) return {};
  const access = extendedAccess ? aclTextFromXattr(source.access as Buffer, names) : aclTextFromMode(source.mode);
  if (!source.isDirectory) return { access };
  return { access, default: hasDefault ? aclTextFromXattr(source.default as Buffer, names) : '' };
}

function parsePerms(field: string | undefined, entry: string): number {
  if (!field || !/^[rwxRWX-]+$/.test(field)) throw new Error(`the ACL entry "${entry}" has no permissions like rwx or r-x; the file's ACL cannot be restored`);
  let perm = 0;
  for (const c of field.toLowerCase()) perm |= c === 'r' ? 4 : c === 'w' ? 2 : c === 'x' ? 1 : 0;
  return perm;
}

/** libacl reads a number first (strtol, any base; negatives as 16-bit), then a name. */
function numericId(text: string): number | undefined {
  const match = /^([+-]?)(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)$/i.exec(text);
  if (!match) return undefined;
  const digits = match[2] as string;
  const magnitude = /^0x/i.test(digits) ? parseInt(digits.slice(2), 16) : digits.length > 1 && digits.startsWith('0') ? parseInt(digits, 8) : Number(digits);
  const value = match[1] === '-' ? -magnitude & 0xffff : magnitude;
  return value <= undefinedId - 1 ? value : undefined;
}

function qualifierId(kind: 'user' | 'group', qualifier: string, trailingId: string | undefined, names: AclNames, entry: string): number {
  const name = unquoteName(qualifier);
  const id = numericId(name) ?? (kind === 'user' ? names.userId(name) : names.groupId(name)) ?? (trailingId && /^\d+$/.test(trailingId) ? Number(trailingId) : undefined);
  if (id === undefined || id >= undefinedId) {
    throw new Error(`the ACL entry "${entry}" names ${kind} "${name}", who is not known on this system and has no number; create the ${kind} or restore without ACLs`);
  }
  return id;
}

function parseEntry(entry: string, names: AclNames): AclEntry {
  let fields = entry.split(':').map((field) => field.trim());
  if (/^d(efault)?$/.test(fields[0] ?? '') && fields.length > 2) fields = fields.slice(1);
  const [tagField = '', qualifier = '', ...rest] = fields;
  const kind = /^u(ser)?$/.test(tagField) ? 'user' : /^g(roup)?$/.test(tagField) ? 'group' : /^m(ask)?$/.test(tagField) ? 'mask' : /^o(ther)?$/.test(tagField) ? 'other' : undefined;
  if (!kind) throw new Error(`the ACL entry "${entry}" is not a user, group, mask or other entry; the file's ACL cannot be restored`);
  if (kind === 'mask' || kind === 'other') {
    // "other::r--", or Solaris' "other:r--"
    const solaris = fields.length === 2 && /^[rwxRWX-]+$/.test(qualifier);
    if (!solaris && qualifier !== '') throw new Error(`the ACL entry "${entry}" has a name where a ${kind} entry has none; the file's ACL cannot be restored`);
    return { tag: kind === 'mask' ? tags.mask : tags.other, perm: parsePerms(solaris ? qualifier : rest[0], entry), id: undefinedId };
  }
  const perm = parsePerms(rest[0], entry);
  if (qualifier === '') return { tag: kind === 'user' ? tags.userObj : tags.groupObj, perm, id: undefinedId };
  return { tag: kind === 'user' ? tags.user : tags.group, perm, id: qualifierId(kind, qualifier, rest[1], names, entry) };
}

/**
 * The binary `system.posix_acl_access` / `system.posix_acl_default` value for the text of a tar
 * ACL record, in GNU tar's form or bsdtar's (names or numbers; a name unknown here falls back to the
 * number bsdtar records). Entries are put in the order the kernel requires; a mask is added, as
 * setfacl does, when named entries come without one. An empty text is no ACL at all (GNU tar writes
 * `SCHILY.acl.default=` for a directory without one): restore nothing for it; this throws.
 */
export function aclXattrFromText(text: string, names: AclNames = systemAclNames): Buffer {
  if (text.trim() === '') throw new Error('an empty ACL text stands for no ACL: there is nothing to restore (skip the record)');
  const entries = text
    .split(/[,\n]/)
    .map((entry) => entry.replace(/#.*$/, '').trim())
    .filter((entry) => entry !== '')
    .map((entry) => parseEntry(entry, names));
  entries.sort((a, b) => a.tag - b.tag || a.id - b.id);
  for (let i = 1; i < entries.length; i++) {
    const [previous, current] = [entries[i - 1] as AclEntry, entries[i] as AclEntry];
    if (previous.tag === current.tag && previous.id === current.id) throw new Error(`the ACL "${text.trim()}" has two entries for the same ${current.id === undefinedId ? 'class' : `id ${current.id}`}; the file's ACL cannot be restored`);
  }
  for (const [tag, what] of [[tags.userObj, 'user::'], [tags.groupObj, 'group::'], [tags.other, 'other::']] as const) {
    if (!entries.some((entry) => entry.tag === tag)) throw new Error(`the ACL "${text.trim()}" has no ${what} entry; the file's ACL cannot be restored`);
  }
  const named = entries.filter((entry) => entry.tag === tags.user || entry.tag === tags.group);
  if (named.length > 0 && !entries.some((entry) => entry.tag === tags.mask)) {
    const groupClass = [...named, ...entries.filter((entry) => entry.tag === tags.groupObj)];
    entries.push({ tag: tags.mask, perm: groupClass.reduce((all, entry) => all | entry.perm, 0), id: undefinedId });
    entries.sort((a, b) => a.tag - b.tag || a.id - b.id);
  }
  const value = Buffer.alloc(headerBytes + entries.length * entryBytes);
  value.writeUInt32LE(version, 0);
  entries.forEach((entry, index) => {
    const at = headerBytes + index * entryBytes;
    value.writeUInt16LE(entry.tag, at);
    value.writeUInt16LE(entry.perm, at + 2);
    value.writeUInt32LE(entry.id, at + 4);
  });
  return value;
}
