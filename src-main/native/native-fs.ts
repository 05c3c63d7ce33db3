import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';

/**
 * The file-system calls Node lacks, from Dormouse's own N-API addon (native/dormouse-native.c,
 * built by `npm run build` into dist/native/): extended attributes that never follow a symlink,
 * nanosecond times set on a symlink itself, FIFOs, the data segments of sparse files, and XXH3-128.
 *
 * The addon may be missing (no C compiler where Dormouse was built): nativeFs() then gives null
 * and nativeFsUnavailableReason() one line saying why, so a backup still runs and says which
 * attributes it could not keep. Setting DORMOUSE_NATIVE_FS=off turns it off the same way.
 */

/** A path as raw bytes (names need not be UTF-8) or as a string (encoded as UTF-8). */
export type NativePath = Buffer | string;

/** What every call throws on failure: Node's fs error shape (code 'ENOTSUP', 'EPERM', 'ENOENT', 'ENODATA', …; errno negative, as in Node). */
export interface NativeFsError extends Error {
  code: string;
  errno: number;
  syscall: string;
  /** The path shown as a string (bytes that are not UTF-8 shown as U+FFFD); absent for fd calls. */
  path?: string;
}

/** The addon's calls; all synchronous, all throw a NativeFsError when the system call fails. */
export interface NativeFs {
  /** The names of path's own extended attributes (llistxattr; macOS listxattr with XATTR_NOFOLLOW). */
  listXattrs(path: NativePath): Buffer[];
  /** One attribute's value, read from path itself (lgetxattr); a missing one throws code 'ENODATA'. */
  getXattr(path: NativePath, name: NativePath): Buffer;
  /** Creates or replaces one attribute on path itself (lsetxattr). */
  setXattr(path: NativePath, name: NativePath, value: Buffer): void;
  /**
   * Sets access and modification times in nanoseconds since the epoch (negative before 1970) with
   * utimensat; on a symlink itself unless followLinks.
   */
  setTimes(path: NativePath, atimeNs: bigint, mtimeNs: bigint, followLinks: boolean): void;
  /**
   * Gives an open restored file its owner (fchown, skipped when uid is -1), mode (fchmod) and times
   * (futimens, nanoseconds) in one call. The errno of an owner or a time that could not be applied
   * goes to errors[0] and errors[1] (0: applied); a failing fchmod throws.
   */
  settleFile(fd: number, uid: number, gid: number, mode: number, mtimeNs: bigint, errors: Int32Array): void;
  /**
   * Gives a restored folder its owner (skipped when uid is -1), mode and times in one call, opening
   * it without following a link. errors[2]: the errno of the open or of the mode (nothing else was
   * applied: not a folder of this restore); errors[0] and errors[1]: those of the owner and the time.
   */
  settleFolder(path: NativePath, uid: number, gid: number, mode: number, mtimeNs: bigint, errors: Int32Array): void;
  /**
   * Renames `from` to `to` only when nothing has that name, in one step (Linux renameat2,
   * RENAME_NOREPLACE): 0, or the errno (EEXIST: taken; ENOSYS or EINVAL: not possible here).
   */
  renameNoReplace(from: NativePath, to: NativePath): number;
  /** Makes a FIFO (named pipe); the process umask applies, as with mkdir. */
  mkfifo(path: NativePath, mode: number): void;
  /**
   * The data segments of an open file below size, as [offset, length, offset, length, …], from
   * lseek SEEK_DATA/SEEK_HOLE: [] for a file of holes only (or size 0), [0, size] where the
   * platform or file system cannot tell holes. The file offset is left where it was.
   */
  dataRanges(fd: number, size: number): number[];
  /**
   * A folder's entries in one call (readdir, then fstatat of each without following links): their
   * names as raw bytes, each followed by a NUL, in the order the folder gives them, and for each
   * `folderStatFields` numbers laid out as `FolderStat` says (errno non-zero: that entry could not be
   * stat'ed). A walk pays one call per folder instead of a readdir and an lstat per entry.
   */
  listFolder(path: NativePath): { names: Buffer; stats: Float64Array };
  /**
   * Opens a file for the archive as GNU tar does (read-only, no symlink followed, non-blocking)
   * and gives, laid out as `OpenedFile` says, its fstat and the size of its extended attribute
   * names (0: none; -1: unknown). A dense regular file no larger than scratch is read whole into
   * it, stat'ed again and closed (fd -1, read: the bytes read); any other stays open for the
   * caller (read -1). A file that is not regular is closed (fd -1, read -1). Throws when open fails.
   * Given `fields` (openedFileFields numbers), the answer goes there and it is returned, so a backup
   * makes no array per file.
   */
  openFile(path: NativePath, scratch: Buffer, fields?: Float64Array): Float64Array;
  /**
   * Makes the calling thread give way to the process's other threads (Linux: nice 19 for that
   * thread only; macOS: the background band); false when the system refuses. For work that can
   * wait, such as a first backup's count of its tree.
   */
  lowerThreadPriority(): boolean;
  /** The XXH3-128 of data, written as its 16 canonical bytes (what `xxh128sum` prints in hex) at out[offset]. */
  xxh128(data: Uint8Array, out: Uint8Array, offset: number): void;
  /** Starts a new XXH3-128 in state (a Buffer of xxh128StateBytes). */
  xxh128Reset(state: Uint8Array): void;
  /** Adds data to the XXH3-128 in state. */
  xxh128Update(state: Uint8Array, data: Uint8Array): void;
  /** The XXH3-128 of what was added to state since its reset, as 16 canonical bytes at out[offset]. */
  xxh128Digest(state: Uint8Array, out: Uint8Array, offset: number): void;
  /** Bytes a streaming XXH3-128 state needs. */
  readonly xxh128StateBytes: number;
  /**
   * Restores one small file of a plain archive in one call (native/restore-file.c): reads `length`
   * bytes at `position` of the archive into scratch (with `afterHeader`, position is where the
   * entry's headers start, and its content is found after them), checks them against `expected` (16
   * bytes of XXH3-128; null: not checked), creates `temporary` (O_EXCL, 0600), writes them, gives it
   * owner (uid -1: left), mode and time, and renames it to `destination`. What happened goes to
   * result as `RestoreFileResult` lays it out; nothing is thrown for a failing system call.
   */
  restoreFile(archiveFd: number, position: number, length: number, temporary: NativePath, destination: NativePath, expected: Buffer | null, uid: number, gid: number, mode: number, mtimeNs: bigint, scratch: Buffer, result: Int32Array, afterHeader: boolean): void;
}

/** What restoreFile's result[0] says happened (as native/restore-file.c numbers it); result[1] is its errno (0 when the archive ended early), result[2] and result[3] the errnos of an owner and a time not applied. */
export const RestoreFileResult = { restored: 0, openFailed: 1, readFailed: 2, damaged: 3, writeFailed: 4, modeFailed: 5, renameFailed: 6, notAtOffset: 7 } as const;

/** Where each number of an entry's stat sits in listFolder's stats and openFile's answer (as native/dormouse-native.c's DN_STAT_* lays them out). */
export const FolderStat = { errno: 0, mode: 1, nlink: 2, uid: 3, gid: 4, size: 5, blocks: 6, ino: 7, dev: 8, mtimeSec: 9, mtimeNsec: 10, ctimeSec: 11, ctimeNsec: 12 } as const;

/** How many numbers listFolder gives per entry. */
export const folderStatFields = 13;

/** Where each number sits in openFile's answer: the file's stat as FolderStat lays it out, then its own (DN_OPEN_*). */
export const OpenedFile = { ...FolderStat, fd: 13, xattrBytes: 14, read: 15, afterSize: 16, afterMtimeSec: 17, afterMtimeNsec: 18 } as const;

/** How many numbers openFile gives. */
export const openedFileFields = 19;

const addonFile = 'dormouse_native.node';
const functionNames: (keyof NativeFs)[] = ['listXattrs', 'getXattr', 'setXattr', 'setTimes', 'settleFile', 'settleFolder', 'renameNoReplace', 'mkfifo', 'dataRanges', 'listFolder', 'openFile', 'lowerThreadPriority', 'xxh128', 'xxh128Reset', 'xxh128Update', 'xxh128Digest', 'restoreFile'];

/** Where the addon is: dist/native/ beside the bundles in dist/main/, or from src-main/native/ under tsx; unpacked from asar in the packaged app. */
function candidates(): string[] {
  const places = [join(__dirname, '..', 'native', addonFile), join(__dirname, '..', '..', 'dist', 'native', addonFile)];
  const asar = `${sep}app.asar${sep}`;
  return places.flatMap((place) => (place.includes(asar) ? [place.replace(asar, `${sep}app.asar.unpacked${sep}`), place] : [place]));
}

let loaded: { fs: NativeFs; file: string; reason: null } | { fs: null; reason: string } | undefined;

function load(): { fs: NativeFs; file: string; reason: null } | { fs: null; reason: string } {
  if (process.env.DORMOUSE_NATIVE_FS === 'off') return { fs: null, reason: 'the native addon is turned off (DORMOUSE_NATIVE_FS=off)' };
  if (process.platform === 'win32') return { fs: null, reason: 'the native addon is for Linux and macOS' };
  const file = candidates().find((place) => existsSync(place));
  if (!file) return { fs: null, reason: 'the native addon dist/native/dormouse_native.node was not built (npm run build says why; it needs a C compiler)' };
  const addon = { exports: {} as Record<string, unknown> };
  try {
    process.dlopen(addon, file);
  } catch (error) {
    return { fs: null, reason: `the native addon ${file} does not load: ${(error as Error).message.split('\n')[0]}` };
  }
  const missing = functionNames.filter((name) => typeof addon.exports[name] !== 'function');
  if (missing.length > 0) return { fs: null, reason: `the native addon ${file} is out of date (no ${missing.join(', ')}); run npm run build` };
  return { fs: addon.exports as unknown as NativeFs, file, reason: null };
}

/** The addon's calls, or null when it cannot be loaded here (nativeFsUnavailableReason() says why). */
export function nativeFs(): NativeFs | null {
  loaded ??= load();
  return loaded.fs;
}

/** The addon's file when it is loaded here, for threads that load it themselves (process.dlopen): an archive's output threads hash file contents with it. */
export function nativeFsFile(): string | null {
  loaded ??= load();
  return loaded.fs === null ? null : loaded.file;
}

/** One line saying why nativeFs() is null, or null when the addon is loaded. */
export function nativeFsUnavailableReason(): string | null {
  loaded ??= load();
  return loaded.reason;
}

/** True when error is what a NativeFs call throws for this code (e.g. 'ENOTSUP', 'ENODATA'). */
export function isNativeFsError(error: unknown, code?: string): error is NativeFsError {
  if (!(error instanceof Error) || typeof (error as NativeFsError).syscall !== 'string') return false;
  return code === undefined || (error as NativeFsError).code === code;
}
