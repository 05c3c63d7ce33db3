import { getSystemErrorName } from 'node:util';
import { closeSync, unlinkSync, fchmodSync, fchownSync, lchownSync, chmodSync, lutimesSync, renameSync, utimesSync, futimesSync } from 'node:fs';
import type { ManifestEntry } from './archive-manifest';
import { displayName, fsPath } from './byte-names';
import { restoredGid, restoredUid } from './owner-names';
import { nativeFs } from '../native/native-fs';
import { aclXattrFromText } from '../native/posix-acl';

/** The fields of an entry that its owner, mode and time are applied from. */
export type AttributedEntry = Pick<ManifestEntry, 'path' | 'type' | 'mode' | 'mtimeMs' | 'mtimeNs' | 'uid' | 'gid' | 'user' | 'group'>;

/** Whether this restore runs as root: only then are owners applied (and compared). */
export const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** The modification time of an entry in nanoseconds, from format 2's exact record or format 1's milliseconds. */
export function entryTimeNs(entry: AttributedEntry): bigint {
  if (entry.mtimeNs !== undefined) return BigInt(entry.mtimeNs);
  return BigInt(Math.floor(entry.mtimeMs)) * 1_000_000n;
}

/**
 * Seconds as Node's utimes takes them, never rounded up across a second (a double cannot hold
 * nanoseconds at today's times): used only where the native addon is missing.
 */
function secondsFor(ns: bigint): number {
  const seconds = ns >= 0n ? ns / 1_000_000_000n : -((-ns + 999_999_999n) / 1_000_000_000n);
  const micros = Number((ns - seconds * 1_000_000_000n) / 1000n);
  return Number(seconds) + micros / 1e6 - (micros > 0 ? 1e-7 : 0);
}

const groups = new Set(typeof process.getgroups === 'function' ? process.getgroups() : []);

/**
 * The mode a restore gives: as recorded when restoring as root. As another user, as GNU tar does:
 * setuid is kept only on that user's own files, setgid only for a group of theirs; the files
 * become theirs, so a setuid bit would otherwise hand their rights to whatever the file is.
 */
export function restoredMode(entry: AttributedEntry): number {
  if (asRoot) return entry.mode & 0o7777;
  const ownUser = entry.uid !== undefined && entry.uid === process.getuid?.();
  const ownGroup = entry.gid !== undefined && (groups.has(entry.gid) || entry.gid === process.getgid?.());
  return entry.mode & (0o1777 | (ownUser ? 0o4000 : 0) | (ownGroup ? 0o2000 : 0));
}

/** Collects what could not be applied, one line per entry and attribute. */
export type Unapplied = (line: string) => void;

/** Owner first (chown clears setuid bits), then the mode: on an open file. */
export function applyOwnerAndMode(fd: number, entry: AttributedEntry, unapplied: Unapplied): void {
  if (asRoot && entry.uid !== undefined && entry.gid !== undefined) {
    try {
      fchownSync(fd, restoredUid(entry.user, entry.uid), restoredGid(entry.group, entry.gid));
    } catch (error) {
      unapplied(`/${displayName(entry.path)}: owner ${entry.uid}:${entry.gid} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  fchmodSync(fd, restoredMode(entry));
}

/** Owner and mode of a folder or a FIFO by path (a symlink only gets its owner). */
export function applyOwnerAndModeAt(path: string, entry: AttributedEntry, unapplied: Unapplied): void {
  if (asRoot && entry.uid !== undefined && entry.gid !== undefined) {
    try {
      lchownSync(fsPath(path), restoredUid(entry.user, entry.uid), restoredGid(entry.group, entry.gid));
    } catch (error) {
      unapplied(`/${displayName(entry.path)}: owner ${entry.uid}:${entry.gid} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  if (entry.type !== 'symlink') chmodSync(fsPath(path), restoredMode(entry));
}

/** Whether a PAX record is one applyAttributes applies (an extended attribute or an ACL). */
export function isAttributeRecord(key: string): boolean {
  return key.startsWith('SCHILY.xattr.') || key === 'SCHILY.acl.access' || key === 'SCHILY.acl.default';
}

/**
 * What a restore says of an attribute record whose name holds a NUL byte, or null for any other:
 * no system's attribute name can hold one (the name would end there, at another attribute's), so it
 * is listed as not applied, whichever thread writes the file.
 */
export function nulNamedAttribute(entryPath: string, key: string): string | null {
  if (!key.includes('\0')) return null;
  return `/${displayName(entryPath)}: extended attribute ${key.startsWith('SCHILY.xattr.') ? key.slice('SCHILY.xattr.'.length) : key} (its name holds a NUL byte)`;
}

/** Extended attributes and ACLs from the entry's PAX records (`SCHILY.xattr.*`, `SCHILY.acl.*`). */
export function applyAttributes(path: string, entry: AttributedEntry, records: ReadonlyMap<string, Buffer>, unapplied: Unapplied): void {
  const wanted: [string, Buffer][] = [];
  for (const [key, value] of records) {
    const nulNamed = nulNamedAttribute(entry.path, key);
    if (nulNamed !== null) {
      if (isAttributeRecord(key)) unapplied(nulNamed);
      continue;
    }
    if (key.startsWith('SCHILY.xattr.')) wanted.push([key.slice('SCHILY.xattr.'.length), value]);
    else if (value.length === 0) continue;
    else if (key === 'SCHILY.acl.access') wanted.push(['system.posix_acl_access', aclXattrFromText(value.toString('utf8'))]);
    else if (key === 'SCHILY.acl.default') wanted.push(['system.posix_acl_default', aclXattrFromText(value.toString('utf8'))]);
  }
  if (wanted.length === 0) return;
  const native = nativeFs();
  for (const [name, value] of wanted) {
    if (!native) {
      unapplied(`/${displayName(entry.path)}: extended attribute ${name} (this build cannot write extended attributes)`);
      continue;
    }
    try {
      native.setXattr(fsPath(path), Buffer.from(name, 'utf8'), value);
    } catch (error) {
      unapplied(`/${displayName(entry.path)}: extended attribute ${name} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
}

/** Sets the modification time (the access time too) as exactly as the platform allows; a symlink's own when it is one. */
export function applyTime(path: string, entry: AttributedEntry, unapplied: Unapplied, fd?: number): void {
  const ns = entryTimeNs(entry);
  const native = nativeFs();
  try {
    if (native) native.setTimes(fsPath(path), ns, ns, false);
    else if (fd !== undefined) futimesSync(fd, secondsFor(ns), secondsFor(ns));
    else if (entry.type === 'symlink') lutimesSync(fsPath(path), secondsFor(ns), secondsFor(ns));
    else utimesSync(fsPath(path), secondsFor(ns), secondsFor(ns));
  } catch (error) {
    // Not every file system keeps a link's own times; anything else is said.
    if (entry.type !== 'symlink') unapplied(`/${displayName(entry.path)}: modification time (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** Whether any of an entry's PAX records is an extended attribute or an ACL to apply. */
function hasAttributeRecords(records: ReadonlyMap<string, Buffer>): boolean {
  for (const key of records.keys()) if (isAttributeRecord(key)) return true;
  return false;
}

/** Where settleFile says what it could not apply (one array per thread, reused for every file). */
const settleErrors = new Int32Array(2);

/** The owner a restore gives a file, for the native calls: its recorded one (by name where the name exists here) as root, else -1 (left as the restoring user). */
export function nativeOwner(entry: AttributedEntry): { uid: number; gid: number } {
  const owned = asRoot && entry.uid !== undefined && entry.gid !== undefined;
  return { uid: owned ? restoredUid(entry.user, entry.uid as number) : -1, gid: owned ? restoredGid(entry.group, entry.gid as number) : -1 };
}

/** Says which of an owner and a time a native call could not apply (their errnos, 0: applied). */
export function noteUnsettled(entry: AttributedEntry, ownerErrno: number, timeErrno: number, unapplied: Unapplied): void {
  if (ownerErrno !== 0) unapplied(`/${displayName(entry.path)}: owner ${entry.uid}:${entry.gid} (${getSystemErrorName(-ownerErrno)})`);
  if (timeErrno !== 0) unapplied(`/${displayName(entry.path)}: modification time (${getSystemErrorName(-timeErrno)})`);
}

/**
 * Puts a restored file whose content checked out in place: owner, mode, attributes and time on its
 * temporary twin, then the twin takes its real name. The one way a file reaches its name, whichever
 * thread wrote it. Without attributes to set (nearly every file), the native addon gives owner, mode
 * and time in one call on the open file (settleFile), instead of three calls and a lookup of its name.
 */
export function settleRestoredFile(fd: number, temporary: string, destination: string, entry: AttributedEntry, records: ReadonlyMap<string, Buffer>, unapplied: Unapplied): void {
  const native = nativeFs();
  if (native && !hasAttributeRecords(records)) {
    const { uid, gid } = nativeOwner(entry);
    native.settleFile(fd, uid, gid, restoredMode(entry), entryTimeNs(entry), settleErrors);
    noteUnsettled(entry, settleErrors[0] as number, settleErrors[1] as number, unapplied);
    closeSync(fd);
    takeName(temporary, destination);
    return;
  }
  applyOwnerAndMode(fd, entry, unapplied);
  applyAttributes(temporary, entry, records, unapplied);
  applyTime(temporary, entry, unapplied, fd);
  closeSync(fd);
  takeName(temporary, destination);
}

/** A restored file's twin takes its real name; one written under it already (in a stand-in for the target) is where it goes. */
function takeName(temporary: string, destination: string): void {
  if (temporary !== destination) renameSync(fsPath(temporary), fsPath(destination));
}

/** Closes and removes a file's temporary twin: content that could not be read, or did not match its SHA-256. */
export function discardTemporary(fd: number, temporary: string): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
  try {
    unlinkSync(fsPath(temporary));
  } catch {
    // already gone
  }
}
