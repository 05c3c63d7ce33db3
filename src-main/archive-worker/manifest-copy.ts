import { closeSync, fsyncSync, openSync, readSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { DormouseError } from '../../shared/errors';
import { removeQuietly, writeAllAt } from '../common/files';
import { makeFolders } from '../common/make-folders';

/**
 * A local copy of the end of an encrypted archive's plaintext: its manifest, index and trailer
 * entries, from the byte where the manifest starts. Kept in the data folder (mode 0600), it lets the
 * next incremental read its base's file list without the passphrase; the destination holds only
 * ciphertext. The file is one JSON line saying where the copied bytes start, then those bytes.
 */

/** The copy's first line: what it is and the plaintext offset of its first copied byte. */
interface CopyHeader {
  dormouse: 'manifest-copy';
  start: number;
  size: number;
}

/** The copied end of an archive, opened: its bytes sit at plaintext offsets [start, size). */
export interface ManifestCopy {
  start: number;
  size: number;
  fd: number;
  /** Where the copied bytes start in the copy file. */
  dataAt: number;
}

/** Writes the copy of plaintext bytes [start, start + bytes.length) of an archive of `size` plaintext bytes. */
export function writeManifestCopy(path: string, start: number, size: number, pieces: readonly Buffer[]): void {
  makeFolders(dirname(path), 0o700);
  const partial = `${path}.partial`;
  const header: CopyHeader = { dormouse: 'manifest-copy', start, size };
  try {
    const fd = openSync(partial, 'w', 0o600);
    try {
      writeAllAt(fd, `${JSON.stringify(header)}\n`, null);
      for (const piece of pieces) writeAllAt(fd, piece, null);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, path);
  } catch (error) {
    removeQuietly(partial);
    throw error;
  }
}

/** Opens a copy, checking its first line; the caller closes `fd`. */
export function openManifestCopy(path: string): ManifestCopy {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(256);
    const read = readSync(fd, head, 0, head.length, 0);
    const newline = head.subarray(0, read).indexOf(0x0a);
    let header: Partial<CopyHeader> = {};
    try {
      header = JSON.parse(head.toString('utf8', 0, Math.max(0, newline))) as Partial<CopyHeader>;
    } catch {
      // reported below
    }
    const start = header.start as number;
    const size = header.size as number;
    if (newline < 0 || header.dormouse !== 'manifest-copy' || !Number.isSafeInteger(start) || !Number.isSafeInteger(size) || start < 0 || start > size) {
      throw new DormouseError('INVALID_INPUT', `${path} is not a manifest copy Dormouse wrote; delete it (the next backup is then a full one)`);
    }
    return { start, size, fd, dataAt: newline + 1 };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}
