import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { fsPath } from './byte-names';
import { millisecondsOf } from './source-walk';
import { nativeFs, OpenedFile, openedFileFields } from '../native/native-fs';

/** How large a file is read whole by the one call that opens it: most files of a source tree are smaller. */
const wholeReadBytes = 64 * 1024;
let scratch: Buffer | null = null;
/** Where the addon puts each opened file's numbers (read before the next file is opened). */
let opened: Float64Array | null = null;

/** A source file opened for the archive: what fstat said, and its content when it was small enough to be read at once. */
export interface SourceFile {
  /** Still open for the caller to read and close; -1 once closed (read whole, or not a regular file). */
  fd: number;
  isFile: boolean;
  size: number;
  /** Bytes allocated on disk (a sparse file has fewer than its size). */
  allocated: number;
  ino: number;
  mtimeNs: bigint;
  ctimeMs: number;
  /** False only when the file is known to have no extended attributes (so none are read). */
  mayHaveAttributes: boolean;
  /** The whole content, when it was read by the call that opened the file (valid until the next open). */
  content: Buffer | null;
  /** Size and mtime after the content was read, when it was. */
  after: { size: number; mtimeNs: bigint } | null;
}

function nanoseconds(seconds: number, nanos: number): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
}

/**
 * Opens a file to archive it as GNU tar does: read-only, never following a symlink, non-blocking
 * (a file swapped for a FIFO must not hang the backup). With the native addon a small dense file
 * is opened, stat'ed, checked for extended attributes, read and closed in one call; without it, or
 * for a larger or sparse file, it stays open for the caller. Throws what open throws.
 */
export function openSourceFile(path: string): SourceFile {
  const native = nativeFs();
  if (!native) {
    const fd = openSync(fsPath(path), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    let stats;
    try {
      stats = fstatSync(fd, { bigint: true });
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return {
      fd,
      isFile: stats.isFile(),
      size: Number(stats.size),
      allocated: Number(stats.blocks) * 512,
      ino: Number(stats.ino),
      mtimeNs: stats.mtimeNs,
      ctimeMs: millisecondsOf(stats.ctimeNs),
      mayHaveAttributes: true,
      content: null,
      after: null,
    };
  }
  scratch ??= Buffer.allocUnsafe(wholeReadBytes);
  opened ??= new Float64Array(openedFileFields);
  return sourceFileOf(native.openFile(fsPath(path), scratch, opened), 0, scratch);
}

/** The SourceFile the addon's openFile described: the file's numbers from `at` in `fields`, its content (when read) at the start of `content`. */
function sourceFileOf(fields: Float64Array, at: number, content: Buffer): SourceFile {
  // Each field by its fixed place: a lookup by a name that varies was a megamorphic load per field of every file.
  const read = fields[at + OpenedFile.read] as number;
  const fd = fields[at + OpenedFile.fd] as number;
  const whole = read >= 0 && fd < 0;
  return {
    fd,
    isFile: ((fields[at + OpenedFile.mode] as number) & constants.S_IFMT) === constants.S_IFREG,
    size: fields[at + OpenedFile.size] as number,
    allocated: (fields[at + OpenedFile.blocks] as number) * 512,
    ino: fields[at + OpenedFile.ino] as number,
    mtimeNs: nanoseconds(fields[at + OpenedFile.mtimeSec] as number, fields[at + OpenedFile.mtimeNsec] as number),
    ctimeMs: (fields[at + OpenedFile.ctimeSec] as number) * 1e3 + (fields[at + OpenedFile.ctimeNsec] as number) / 1e6,
    mayHaveAttributes: fields[at + OpenedFile.xattrBytes] !== 0,
    content: whole ? content.subarray(0, read) : null,
    after: whole ? { size: fields[at + OpenedFile.afterSize] as number, mtimeNs: nanoseconds(fields[at + OpenedFile.afterMtimeSec] as number, fields[at + OpenedFile.afterMtimeNsec] as number) } : null,
  };
}
