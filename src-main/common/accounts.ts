import { readFileSync } from 'node:fs';

/**
 * This system's user and group names by number and back, read once a process from /etc/passwd and
 * /etc/group: tar records names beside numbers, and ACLs name users. Node has no getpwuid; names
 * the system resolves elsewhere (LDAP, macOS Directory Services) are not found here, and callers
 * fall back to the numbers, as GNU tar does when a name is unknown.
 */
interface AccountTable {
  nameById: Map<number, string>;
  idByName: Map<string, number>;
}

const tables = new Map<string, AccountTable>();

function table(kind: 'user' | 'group'): AccountTable {
  const file = kind === 'user' ? '/etc/passwd' : '/etc/group';
  const known = tables.get(file);
  if (known) return known;
  const read: AccountTable = { nameById: new Map(), idByName: new Map() };
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = ''; // no account file (Windows; macOS keeps most accounts elsewhere): numbers only
  }
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (!name || name.startsWith('#') || !id || !/^\d+$/.test(id)) continue;
    const number = Number(id);
    if (!read.nameById.has(number)) read.nameById.set(number, name);
    if (!read.idByName.has(name)) read.idByName.set(name, number);
  }
  tables.set(file, read);
  return read;
}

/** The name of a user or group number on this system, or undefined. */
export function accountName(kind: 'user' | 'group', id: number): string | undefined {
  return table(kind).nameById.get(id);
}

/** The number of a user or group name on this system, or undefined. */
export function accountId(kind: 'user' | 'group', name: string): number | undefined {
  return table(kind).idByName.get(name);
}
