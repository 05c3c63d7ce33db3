import { type Stats, linkSync, lstatSync, openSync, readdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ManifestEntry } from './archive-manifest';
import { displayName, fsPath } from './byte-names';
import { applyAttributes, applyOwnerAndModeAt, applyTime, discardTemporary, entryTimeNs, nativeOwner, noteUnsettled, restoredMode, settleRestoredFile, type AttributedEntry } from './restore-attributes';
import { nativeFs } from '../native/native-fs';
import { makeFolders } from '../common/make-folders';
import { holdsEntry } from './existing-entry';
import { contentMatches } from './content-hash';
import { cannotWrite } from './content-sink';

/** A `..` that is a whole component of a name, between either separator or an end. */
const dotDotComponent = /(^|[\\/])\.\.([\\/]|$)/;

/** Why an entry's name may not be written under the target, or null when it is safe (checked for every entry a restore writes, without splitting the name). */
export function unsafeName(name: string): string | null {
  if (name === '' || name.includes('\0')) return 'an empty or invalid name';
  if (isAbsolute(name) || /^[a-zA-Z]:[\\/]/.test(name)) return 'an absolute path';
  if (dotDotComponent.test(name)) return 'a ".." path component';
  return null;
}

/** Whether a relative name is already in normal form (no empty, '.' or '..' part, no separator at either end), so joining it needs no normalizing. */
function isNormalName(name: string): boolean {
  return sep === '/' && !/(^|\/)(\.\.?)?(\/|$)/.test(name);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(fsPath(path));
  } catch {
    // already gone
  }
}

/** A restore's temporary name: its process id and mark, then a count (`.dormouse-PID-MARKCOUNT.restoring`, in hex). */
const temporaryName = /^\.dormouse-([0-9a-f]+)-[0-9a-f]{12}\.restoring$/;

/** Whether a process is still there (one of another user counts): a restore's leftovers are removed only when their process is gone. */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files that restores into `folder` left when they were killed (a crash, a
 * power cut): those whose process is gone. A restore running now, here or in another process,
 * keeps its own.
 */
function removeLeftovers(folder: string): void {
  let names: string[];
  try {
    names = readdirSync(fsPath(folder));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = temporaryName.exec(name)?.[1];
    if (pid === undefined) continue;
    const owner = Number.parseInt(pid, 16);
    if (owner === process.pid || processRunning(owner)) continue;
    try {
      if (!lstatSync(fsPath(join(folder, name))).isFile()) continue;
    } catch {
      continue;
    }
    removeQuietly(join(folder, name));
  }
}

/** A folder (or a FIFO) whose own attributes are applied at the end, with only the fields of its entry that needs. */
interface LateAttributes {
  path: string;
  entry: AttributedEntry;
  /** Whether its extended attributes and ACLs sit in its PAX records (read after the restore's pass, by snapshot path). */
  attributed: boolean;
}

/** The attributes kept for the end, without the fields an entry carries for listings. */
function lateAttributes(path: string, entry: ManifestEntry): LateAttributes {
  const { mode, mtimeMs, mtimeNs, uid, gid, user, group } = entry;
  return { path, entry: { path: entry.path, type: entry.type, mode, mtimeMs, mtimeNs, uid, gid, user, group }, attributed: entry.attributes === true };
}

/** The records of an entry that has attributes, or null (with a note when they were never read: the restore stopped first). */
function recordsFor(late: LateAttributes, records: ReadonlyMap<string, ReadonlyMap<string, Buffer>> | null, note: (line: string) => void): ReadonlyMap<string, Buffer> | null {
  if (!late.attributed) return null;
  if (records === null) note(`/${displayName(late.entry.path)}: extended attributes and ACLs (not read: the restore stopped first)`);
  return records?.get(late.entry.path) ?? null;
}

/** A folder's path with one separator at its end. */
function withSeparator(path: string): string {
  return path.endsWith(sep) ? path : path + sep;
}

/** Where settleFolder says what it could not apply (finish). */
const folderErrors = new Int32Array(3);

/** Folders remembered as checked or new before the lists are cut back to the ancestors of the path being written. */
const rememberedFolders = 4096;

/** A file's temporary twin: its name, and its number in this restore, under which the writer keeps it until it settles. */
export interface Temporary {
  path: string;
  number: number;
}

/** A file being restored: its content goes to a temporary name in the same folder, renamed into place once it checks out. */
export interface OpenFile {
  fd: number;
  temporary: string;
  number: number;
}

/**
 * Writes entries under the target folder and nowhere else: every name is checked, and no entry is
 * written through a symlink (one planted by an earlier entry, or already there), so a hostile
 * archive cannot reach outside the target. A file reaches its real name only once its content
 * matched the hash recorded at backup time (content-hash.ts).
 */
export class SafeWriter {
  readonly conflicts: string[] = [];
  readonly refused: string[] = [];
  readonly damaged: string[] = [];
  readonly unapplied: string[] = [];
  /** The folders whose owner, mode, attributes and time are applied at the end, with only what that needs. */
  private readonly folders: LateAttributes[] = [];
  /** The FIFOs whose extended attributes and ACLs are applied at the end. */
  private readonly fifos: LateAttributes[] = [];
  /** The temporary twins not settled yet, by number: a small integer costs nothing to hash, where a path's hashing was a tenth of a large restore's bookkeeping. */
  private readonly open = new Map<number, string>();
  /** Folders known to be real folders (checked once, or made here): their ancestors need no second look. */
  private readonly folderOk = new Set<string>();
  /** Folders this restore made, empty when made: a name in one can only exist if this restore wrote it. */
  private readonly fresh = new Set<string>();
  /** The folder of the last name placed: real, checked and made. */
  private lastParent: string | null = null;
  /** Whether lastParent is in `fresh`. */
  private lastParentFresh = false;
  /** Whether the name place() returned last is in the folder of the one before it (file-restorers.ts keeps a folder's small files on one thread). */
  placedBeside = false;
  files = 0;
  bytes = 0;
  /** Existing files and links left alone because they already hold what the entry has. */
  unchanged = 0;
  /** Where the entry last placed already was as in the snapshot (null: it was placed, refused or a conflict): other names of it link there. */
  lastKept: string | null = null;

  /** The target with a separator at its end: a name in normal form goes right after it. */
  private base: string;
  /** Whether files are written under their real names (in a stand-in for the target, staged-target.ts) rather than under temporary ones. */
  private direct = false;

  constructor(
    private target: string,
    private readonly overwrite: boolean,
  ) {
    this.base = withSeparator(resolve(target));
  }

  /** Writes into a new folder that stands in for the target until the restore ends (staged-target.ts): files there need no temporary names. Called before anything is placed. */
  writeInto(standIn: string): void {
    this.target = standIn;
    this.base = withSeparator(resolve(standIn));
    this.direct = true;
  }

  readonly note = (line: string): void => {
    this.unapplied.push(line);
  };

  /** The place an entry goes, or null (with the reason recorded) when it must not be written. */
  place(entry: ManifestEntry): string | null {
    this.lastKept = null;
    const why = unsafeName(entry.path);
    if (why) {
      this.refused.push(`${displayName(entry.path)}: refused, ${why}`);
      return null;
    }
    // Nearly every name is in normal form: it is joined as it is, without path.resolve's garbage (a million-file restore made gigabytes of it).
    const normal = isNormalName(entry.path);
    const destination = normal ? this.base + entry.path : resolve(this.target, entry.path);
    const inside = normal ? entry.path : relative(this.target, destination);
    if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
      this.refused.push(`${displayName(entry.path)}: refused, it would land outside ${this.target}`);
      return null;
    }
    if (this.folderOk.size > rememberedFolders || this.fresh.size > rememberedFolders) this.forgetBeside(destination);
    const parent = dirname(destination);
    // The folders above the last name placed were checked (and made) then: only a name in another folder needs its own looked at.
    const sameFolder = parent === this.lastParent;
    if (!sameFolder && !this.foldersSound(entry, parent)) return null;
    // Looked up once a folder: a Set lookup hashes the whole path, a tenth of a second per 100,000 names.
    const parentFresh = sameFolder ? this.lastParentFresh : this.fresh.has(parent);
    let existing: Stats | null = null;
    if (!parentFresh) {
      try {
        existing = lstatSync(fsPath(destination));
      } catch {
        existing = null;
      }
    }
    if (existing !== null) {
      if (entry.type === 'directory' && existing.isDirectory()) {
        if (this.overwrite) this.folders.push(lateAttributes(destination, entry));
        return null;
      }
      if (existing.isDirectory()) {
        // A folder in the way of a file or link is never deleted, even when overwriting.
        if (this.overwrite) this.refused.push(`/${displayName(entry.path)}: not restored, a folder is in the way (it is never replaced; move it aside and restore again)`);
        else this.conflicts.push(`/${displayName(entry.path)}`);
        return null;
      }
      if (!this.overwrite) {
        // Another name of a file is placed only once that file was restored or found as in the snapshot (lastKept).
        const linked = entry.type === 'hardlink' && entry.linkTarget !== undefined && unsafeName(entry.linkTarget) === null;
        if (holdsEntry(destination, existing, entry, linked ? resolve(this.target, entry.linkTarget as string) : null)) {
          this.unchanged += 1;
          this.lastKept = destination;
        } else this.conflicts.push(`/${displayName(entry.path)}`);
        return null;
      }
      // Overwriting replaces a file or a link itself (never what a link points to).
      unlinkSync(fsPath(destination));
    }
    this.placedBeside = sameFolder;
    if (!sameFolder) {
      if (!parentFresh) removeLeftovers(parent);
      this.makeFolder(parent);
      this.lastParent = parent;
      this.lastParentFresh = this.fresh.has(parent);
    }
    return destination;
  }

  /**
   * Whether the folders from the target down to `parent` are real folders or not there yet (to be
   * made); one that is a symlink or a file refuses the entry, said in `refused`. Only the folders
   * below the nearest one already known (folderOk) are looked at, walking up from `parent`: most
   * names are in a folder beside or below the last one.
   */
  private foldersSound(entry: ManifestEntry, parent: string): boolean {
    const unknown: string[] = [];
    for (let folder = parent; folder.length >= this.base.length && !this.folderOk.has(folder); folder = folder.slice(0, folder.lastIndexOf(sep))) unknown.push(folder);
    for (let index = unknown.length - 1; index >= 0; index -= 1) {
      const folder = unknown[index] as string;
      let stats: Stats;
      try {
        stats = lstatSync(fsPath(folder));
      } catch {
        // Not there: nor is anything below it.
        return true;
      }
      if (stats.isSymbolicLink()) {
        this.refused.push(`${displayName(entry.path)}: refused, it would be written through the symlink ${displayName(folder)}`);
        return false;
      }
      if (!stats.isDirectory()) {
        this.refused.push(`${displayName(entry.path)}: refused, ${displayName(folder)} is not a folder`);
        return false;
      }
      this.folderOk.add(folder);
    }
    return true;
  }

  /**
   * Forgets the checked and new folders that are not above `destination`: a restore in path order
   * does not come back to a folder it left, and one that does (a file from a gzip archive, a later
   * name of a file) only looks at its folders again. Keeps memory flat in a tree of many folders.
   */
  private forgetBeside(destination: string): void {
    const above = (folder: string) => destination.length > folder.length && destination.startsWith(folder) && destination[folder.length] === sep;
    for (const folder of this.folderOk) if (!above(folder)) this.folderOk.delete(folder);
    for (const folder of this.fresh) if (!above(folder)) this.fresh.delete(folder);
  }

  /** Makes a folder and any missing above it (0700 until the snapshot's modes are applied), remembering which are new. */
  private makeFolder(path: string): void {
    if (this.folderOk.has(path)) return;
    const first = makeFolders(path, 0o700, fsPath);
    // makeFolders reports the first folder it made: it and those below it on the way to `path` are new.
    if (first !== undefined) {
      for (let made = path; made.startsWith(first); made = dirname(made)) {
        this.fresh.add(made);
        if (made === first || dirname(made) === made) break;
      }
    }
    this.folderOk.add(path);
  }

  folder(entry: ManifestEntry, destination: string): void {
    this.makeFolder(destination);
    this.folders.push(lateAttributes(destination, entry));
  }

  symlink(entry: ManifestEntry, destination: string): void {
    symlinkSync(fsPath(entry.linkTarget ?? ''), fsPath(destination));
    applyOwnerAndModeAt(destination, entry, this.note);
    applyTime(destination, entry, this.note);
  }

  /** Makes a FIFO with its owner, mode and time; its extended attributes and ACLs come at the end (finish). */
  fifo(entry: ManifestEntry, destination: string): void {
    const native = nativeFs();
    if (!native) {
      this.refused.push(`/${displayName(entry.path)}: not restored, this build cannot make a FIFO`);
      return;
    }
    native.mkfifo(fsPath(destination), 0o600);
    applyOwnerAndModeAt(destination, entry, this.note);
    applyTime(destination, entry, this.note);
    if (entry.attributes === true) this.fifos.push(lateAttributes(destination, entry));
  }

  /** Another name of a file this restore wrote (`leader`: where that file went). */
  hardlink(destination: string, leader: string): void {
    linkSync(fsPath(leader), fsPath(destination));
    this.files += 1;
  }

  /** This restore's mark in its temporary names (its process, so a later restore knows when it is gone), and how many it has made. */
  private readonly mark = `${process.pid.toString(16)}-${randomBytes(3).toString('hex')}`;
  private made = 0;

  /**
   * The name of a file's temporary twin, short (`temporaryName`: this restore's mark and a count) so
   * a 255-byte name still restores; kept until the file settles, so a restore that stops removes it.
   * Writing into a stand-in (writeInto), the twin is the file's own name: the stand-in has none yet.
   */
  temporaryFor(destination: string): Temporary {
    const number = (this.made += 1);
    // The destination is a resolved path, so its folder is what comes before its last separator.
    const path = this.direct ? destination : `${destination.slice(0, destination.lastIndexOf(sep) + 1)}.dormouse-${this.mark}${number.toString(16).padStart(6, '0')}.restoring`;
    this.open.set(number, path);
    return { path, number };
  }

  /** Opens a file's temporary twin (temporaryFor) to write here. */
  openFile(destination: string): OpenFile {
    const { path, number } = this.temporaryFor(destination);
    try {
      return { fd: openSync(fsPath(path), 'wx', 0o600), temporary: path, number };
    } catch (error) {
      this.forget(number);
      // Named by the file being restored, not by its temporary twin's name.
      throw cannotWrite(destination, error);
    }
  }

  /** Counts a file of `size` bytes that took its name (settleRestoredFile, here or in a file thread), by its temporary's number. */
  settled(temporary: number, size: number): void {
    this.open.delete(temporary);
    this.files += 1;
    this.bytes += size;
  }

  /** Forgets a temporary twin (by its number) a file thread removed: a damaged file. */
  forget(temporary: number): void {
    this.open.delete(temporary);
  }

  /**
   * Puts a file in place once its content is read: when its hash (`digest`, of the kind its entry
   * records) matches the one recorded at backup time it gets its owner, mode, attributes and time
   * and takes its name; otherwise the temporary file is removed and the file is listed as damaged.
   * Says whether the file took its name.
   */
  closeFile(entry: ManifestEntry, destination: string, file: OpenFile, digest: string | null, records: ReadonlyMap<string, Buffer>): boolean {
    if (!contentMatches(entry, digest)) {
      this.discard(file);
      this.damaged.push(`/${displayName(entry.path)}`);
      return false;
    }
    settleRestoredFile(file.fd, file.temporary, destination, entry, records, this.note);
    this.settled(file.number, entry.size);
    return true;
  }

  /** Closes and removes a file's temporary twin (a read that failed, a damaged file). */
  discard(file: OpenFile): void {
    discardTemporary(file.fd, file.temporary);
    this.open.delete(file.number);
  }

  /** Removes the temporary twin of a file a cancelled or failed restore was writing: nothing half-written stays. */
  abandon(): void {
    for (const temporary of this.open.values()) removeQuietly(temporary);
    this.open.clear();
  }

  /**
   * FIFOs' attributes, then folder owners, modes, attributes and times last, deepest first, since
   * writing inside a folder changes its mtime. `records`: the PAX records of the entries that have
   * attributes, by snapshot path, or null when the restore stopped before reading them.
   */
  finish(records: ReadonlyMap<string, ReadonlyMap<string, Buffer>> | null): void {
    for (const fifo of this.fifos) {
      const found = recordsFor(fifo, records, this.note);
      try {
        // Only the FIFO this restore made: setting attributes would follow a link planted meanwhile.
        if (found === null || !lstatSync(fsPath(fifo.path)).isFIFO()) continue;
        applyAttributes(fifo.path, fifo.entry, found, this.note);
        applyTime(fifo.path, fifo.entry, this.note);
      } catch {
        // gone meanwhile
      }
    }
    const native = nativeFs();
    for (let index = this.folders.length - 1; index >= 0; index -= 1) {
      const late = this.folders[index] as LateAttributes;
      const { path, entry } = late;
      const folderRecords = recordsFor(late, records, this.note);
      if (native !== null && folderRecords === null) {
        // One call a folder; one that is not a real folder of this restore (errors[2]) is left as it is.
        const { uid, gid } = nativeOwner(entry);
        native.settleFolder(fsPath(path), uid, gid, restoredMode(entry), entryTimeNs(entry), folderErrors);
        if (folderErrors[2] === 0) noteUnsettled(entry, folderErrors[0] as number, folderErrors[1] as number, this.note);
        continue;
      }
      try {
        // Only a real folder: chmod and utimes would follow a link planted meanwhile.
        if (!lstatSync(fsPath(path)).isDirectory()) continue;
        applyOwnerAndModeAt(path, entry, this.note);
        if (folderRecords) applyAttributes(path, entry, folderRecords, this.note);
        applyTime(path, entry, this.note);
      } catch {
        // a folder that was already there and is not ours to change
      }
    }
  }
}
