import { recentCache } from '../common/recent-cache';
import { closeSync, createReadStream, existsSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { readInto } from '../common/files';
import type { Readable } from 'node:stream';
import { DormouseError } from '../../shared/errors';
import { archiveNameKind } from '../destinations/destination-layout';
import { createDecryptStream } from '../encryption/age-decrypt-stream';
import { openAgeFileSync, type AgeFileReader } from '../encryption/age-file-reader';
import { parseIdentity, type AgeIdentity } from '../encryption/age-keys';
import { plaintextChunkSize } from '../encryption/age-stream';
import { fileKeyForIdentity, identityUnlocker } from '../encryption/x25519-stanza';
import { openManifestCopy } from './manifest-copy';
import { isS3Path } from '../s3/s3-location';
import type { S3Settings } from '../s3/s3-settings';
import { openS3Object, readSmallS3Object, s3ObjectSize, s3ObjectStream, s3SettingsFor, type RandomAccess } from './s3-archive-object';

/**
 * An archive's plaintext bytes, read at any offset: the file itself, or an age-encrypted file read
 * chunk by chunk (only the 64 KiB chunks that hold the bytes asked for are read and decrypted), or
 * the local copy of an encrypted archive's manifest (manifest-copy.ts). Every reader of archive
 * contents (trailer, manifest, restore, verify, inspect) goes through it.
 */

/** What opens archives: the destination's identity for encrypted ones, and local manifest copies by archive path (a backup, which has no identity). */
export interface ArchiveKeys {
  identity: AgeIdentity | null;
  manifestCopies?: Readonly<Record<string, string>>;
  /** The buckets (and keys) archives at `s3://` paths are read from. */
  s3?: readonly S3Settings[];
}

/** No identity: plain archives only. */
export const noKeys: ArchiveKeys = { identity: null };

/** The keys of a worker request that may carry the destination's identity (`AGE-SECRET-KEY-1…`). */
export function keysOf(identity: string | undefined, s3: readonly S3Settings[] = []): ArchiveKeys {
  return { identity: identity === undefined ? null : parseIdentity(identity), s3 };
}

/** An archive open for reading its plaintext. */
export interface ArchiveFile {
  readonly path: string;
  /** Whether the plaintext is gzip members (else a plain tar). */
  readonly gzip: boolean;
  readonly encrypted: boolean;
  /** Plaintext bytes. */
  readonly size: number;
  /** The first plaintext byte that can be read: 0, except in a manifest copy, which holds only the end. */
  readonly readableFrom: number;
  /** The descriptor of a local archive whose plaintext is the file itself (a plain tar, not gzip, not encrypted): a restore's file thread reads small files from it in C (restoreFile). */
  readonly plainFd?: number;
  /** Reads plaintext into `buffer` from `position`; fewer bytes only at the end. A damaged encrypted chunk is a DamagedRangeError. */
  readInto(buffer: Buffer, position: number): number;
  /** `length` plaintext bytes from `position` (fewer at the end). */
  read(position: number, length: number): Buffer;
  close(): void;
}

/** Decrypted chunks kept, so headers and contents read one after another decrypt each chunk once. */
const cachedChunks = 4;

function withRead(file: Omit<ArchiveFile, 'read'>): ArchiveFile {
  return {
    ...file,
    read(position, length) {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, file.size - position)));
      return buffer.subarray(0, file.readInto(buffer, position));
    },
  };
}

function plainFile(path: string, fd: number, gzip: boolean): ArchiveFile {
  return withRead({ path, gzip, encrypted: false, size: fstatSync(fd).size, readableFrom: 0, ...(gzip ? {} : { plainFd: fd }), readInto: (buffer, position) => readInto(fd, buffer, position), close: () => closeSync(fd) });
}

function plainObject(path: string, object: RandomAccess, gzip: boolean): ArchiveFile {
  return withRead({ path, gzip, encrypted: false, size: object.size, readableFrom: 0, readInto: (buffer, position) => object.readAt(buffer, 0, buffer.length, position), close: () => undefined });
}

function ageFile(path: string, fd: number, gzip: boolean, identity: AgeIdentity, object?: RandomAccess): ArchiveFile {
  const readAt = object ? (_fd: number, buffer: Buffer, offset: number, length: number, position: number) => object.readAt(buffer, offset, length, position) : undefined;
  const reader: AgeFileReader = openAgeFileSync(fd, (stanzas, source) => fileKeyForIdentity(stanzas, identity, source), path, readAt, object?.size);
  const chunk = recentCache(cachedChunks, (index): Buffer => reader.readChunk(index));
  return withRead({
    path,
    gzip,
    encrypted: true,
    size: reader.plaintextSize,
    readableFrom: 0,
    readInto(buffer, position) {
      const end = Math.min(reader.plaintextSize, position + buffer.length);
      let at = position;
      while (at < end) {
        const index = Math.floor(at / plaintextChunkSize);
        const plaintext = chunk(index);
        const from = at - index * plaintextChunkSize;
        const copied = plaintext.copy(buffer, at - position, from, Math.min(plaintext.length, from + end - at));
        if (copied === 0) break;
        at += copied;
      }
      return Math.max(0, at - position);
    },
    close: () => {
      if (fd >= 0) closeSync(fd);
    },
  });
}

function copiedEnd(path: string, copyPath: string, gzip: boolean, encrypted: boolean): ArchiveFile {
  const copy = openManifestCopy(copyPath);
  return withRead({
    path,
    gzip,
    encrypted,
    size: copy.size,
    readableFrom: copy.start,
    readInto(buffer, position) {
      if (position < copy.start) throw new DormouseError('INVALID_INPUT', `${path}: its local manifest copy holds only the manifest; the passphrase is needed to read the rest`);
      return readInto(copy.fd, buffer.subarray(0, Math.max(0, Math.min(buffer.length, copy.size - position))), copy.dataAt + position - copy.start);
    },
    close: () => closeSync(copy.fd),
  });
}

function passphraseNeeded(path: string): DormouseError {
  return new DormouseError('PASSPHRASE_NEEDED', `${path} is encrypted; give its destination's passphrase (--passphrase-file FILE or DORMOUSE_PASSPHRASE) to read it`);
}

/** Opens an archive's plaintext; a missing file is NOT_FOUND, an encrypted one without its identity (or a local copy) PASSPHRASE_NEEDED. */
export function openArchiveFile(path: string, keys: ArchiveKeys): ArchiveFile {
  const { gzip, encrypted } = archiveNameKind(path);
  const copy = keys.manifestCopies?.[path];
  // A backup reads its base's manifest from the local copy: with no passphrase for an encrypted archive, and never from a bucket.
  if ((encrypted || isS3Path(path)) && keys.identity === null && copy !== undefined && existsSync(copy)) return copiedEnd(path, copy, gzip, encrypted);
  if (isS3Path(path)) {
    if (encrypted && keys.identity === null) throw passphraseNeeded(path);
    const object = openS3Object(path, s3SettingsFor(path, keys.s3));
    return encrypted ? ageFile(path, -1, gzip, keys.identity as AgeIdentity, object) : plainObject(path, object, gzip);
  }
  if (encrypted && keys.identity === null) {
    if (!existsSync(path)) throw new DormouseError('NOT_FOUND', `cannot open the archive ${path} (it is missing); is its destination connected?`);
    throw passphraseNeeded(path);
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new DormouseError('NOT_FOUND', `cannot open the archive ${path} (${(error as Error).message}); is its destination connected?`);
  }
  try {
    return encrypted ? ageFile(path, fd, gzip, keys.identity as AgeIdentity) : plainFile(path, fd, gzip);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** The plaintext of an archive's raw bytes as a stream: the bytes themselves, or decrypted as `age -d` does (a damaged chunk ends it with an error). */
export function plaintextOf(raw: Readable, path: string, keys: ArchiveKeys): Readable {
  if (!archiveNameKind(path).encrypted) return raw;
  if (keys.identity === null) throw passphraseNeeded(path);
  const decrypt = createDecryptStream(identityUnlocker(keys.identity), path);
  raw.on('error', (error) => decrypt.destroy(error));
  return raw.pipe(decrypt);
}

/** The plaintext of an archive file as a stream. */
export function plaintextStream(path: string, keys: ArchiveKeys): Readable {
  return plaintextOf(rawArchiveStream(path, keys), path, keys);
}

/** An archive's bytes as they are on the destination (ciphertext when encrypted), read once from start to end. */
export function rawArchiveStream(path: string, keys: ArchiveKeys): Readable {
  return isS3Path(path) ? s3ObjectStream(path, s3SettingsFor(path, keys.s3)) : createReadStream(path, { highWaterMark: 1024 * 1024 });
}

/** An archive's size on the destination; throws when it cannot be read. */
export function archiveSize(path: string, keys: ArchiveKeys): number {
  if (!isS3Path(path)) return statSync(path).size;
  const size = s3ObjectSize(path, s3SettingsFor(path, keys.s3));
  if (size === null) throw new DormouseError('NOT_FOUND', `${path} is not in the bucket`);
  return size;
}

/** Whether an archive is on its destination. */
export function archiveExists(path: string, keys: ArchiveKeys): boolean {
  if (!isS3Path(path)) return existsSync(path);
  return s3ObjectSize(path, s3SettingsFor(path, keys.s3)) !== null;
}

/** The text of an archive's `.sha256` sidecar, or null when there is none (or it is far too long to be one). */
export function readSidecar(path: string, keys: ArchiveKeys): string | null {
  const sidecar = `${path}.sha256`;
  if (isS3Path(path)) return readSmallS3Object(sidecar, s3SettingsFor(path, keys.s3), 4096)?.toString('utf8') ?? null;
  return existsSync(sidecar) ? readFileSync(sidecar, 'utf8') : null;
}
