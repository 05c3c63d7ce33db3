import { readFileSync } from 'node:fs';

/**
 * Owner and group names, which tar records beside the numbers (so a restore on another machine
 * gives files to the same person even when the numbers differ). Node has no getpwuid, so the
 * local account files are read once; names the system resolves elsewhere (LDAP, macOS Directory
 * Services) are left empty and the numbers alone are kept, as GNU tar does when a name is unknown.
 */
interface Accounts {
  nameById: Map<number, string>;
  idByName: Map<string, number>;
}

const cache = new Map<string, Accounts>();

function accounts(file: string): Accounts {
  const known = cache.get(file);
  if (known) return known;
  const table: Accounts = { nameById: new Map(), idByName: new Map() };
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      const number = Number(id);
      if (!name || name.startsWith('#') || !Number.isInteger(number)) continue;
      if (!table.nameById.has(number)) table.nameById.set(number, name);
      if (!table.idByName.has(name)) table.idByName.set(name, number);
    }
  } catch {
    // no account files (Windows): numbers only
  }
  cache.set(file, table);
  return table;
}

/** The user name of a uid, or '' when this system has none. */
export function userName(uid: number): string {
  return accounts('/etc/passwd').nameById.get(uid) ?? '';
}

/** The group name of a gid, or '' when this system has none. */
export function groupName(gid: number): string {
  return accounts('/etc/group').nameById.get(gid) ?? '';
}

/** The uid a restore gives a file: the recorded user's number on this system when the name is known here, else the recorded number. */
export function restoredUid(name: string | undefined, uid: number): number {
  return (name ? accounts('/etc/passwd').idByName.get(name) : undefined) ?? uid;
}

/** The gid a restore gives a file, by the same rule as the uid. */
export function restoredGid(name: string | undefined, gid: number): number {
  return (name ? accounts('/etc/group').idByName.get(name) : undefined) ?? gid;
}
