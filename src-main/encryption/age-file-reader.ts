import { fstatSync, readSync } from 'node:fs';
import { DormouseError } from '../../shared/errors';
import { headerMacMatches, parseHeader, type AgeHeader, type FileKeyUnlocker } from './age-header';
import { decryptChunk, derivePayloadKey, payloadNonceSize, plaintextChunkSize, plaintextSizeOf, sealedChunkSize } from './age-stream';
import { DamagedRangeError } from './damaged-range-error';

/**
 * Random access into an age file on disk: the header is read and authenticated once, then any
 * plaintext range is served by reading and opening only the chunks that cover it (chunk i starts at
 * header + 16 + i × 65,552). A chunk that fails authentication is a DamagedRangeError naming its range.
 */

/** Reads into `buffer` from the file at `position`; returns the bytes read (fs.readSync's shape, so a test can count reads). */
export type ReadAt = (fd: number, buffer: Buffer, offset: number, length: number, position: number) => number;

/** An open age file, ready to decrypt ranges of its plaintext. */
export interface AgeFileReader {
  /** Bytes of the header; the payload nonce follows, then chunk 0. */
  readonly headerLength: number;
  /** Bytes of plaintext the file holds (from its size; the last chunk confirms it when read). */
  readonly plaintextSize: number;
  /** Chunks in the file (at least one). */
  readonly chunkCount: number;
  /** The plaintext of one chunk, authenticated; DamagedRangeError when it is not. */
  readChunk(index: number): Buffer;
  /** Plaintext bytes [start, end), from only the chunks that hold them. */
  read(start: number, end: number): Buffer;
}

/** The largest header we read: ours are under 300 bytes; this leaves room for many recipients, not for a hostile file. */
const maxHeaderSize = 1024 * 1024;

function readFully(readAt: ReadAt, fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const read = readAt(fd, buffer, done, length - done, position + done);
    if (read === 0) break;
    done += read;
  }
  return buffer.subarray(0, done);
}

function readHeader(readAt: ReadAt, fd: number, source: string): AgeHeader {
  for (let size = 4096; ; size *= 4) {
    const bytes = readFully(readAt, fd, 0, Math.min(size, maxHeaderSize));
    const header = parseHeader(bytes, source);
    if (header !== null) return header;
    if (bytes.length < Math.min(size, maxHeaderSize)) throw new DormouseError('DAMAGED', `${source} is not a readable age file: it ends inside its header`);
    if (size >= maxHeaderSize) throw new DormouseError('DAMAGED', `${source} is not a readable age file: its header is longer than ${maxHeaderSize} bytes`);
  }
}

/**
 * Opens the age file at `fd`: reads its header, gets the file key with `unlock`, and checks the
 * header's MAC. `source` names the file in errors; `readAt` defaults to fs.readSync.
 */
export async function openAgeFile(fd: number, unlock: FileKeyUnlocker, source: string, readAt: ReadAt = readSync): Promise<AgeFileReader> {
  const header = readHeader(readAt, fd, source);
  return payloadReader(fd, header, await unlock(header.stanzas, source), source, readAt);
}

/** How a synchronous reader gets the file key out of a header's stanzas (an X25519 identity needs no I/O). */
export type FileKeyOf = (stanzas: AgeHeader['stanzas'], source: string) => Buffer;

/** openAgeFile for callers that cannot wait (the archive worker's readers): the file key comes from `fileKeyOf` at once. */
export function openAgeFileSync(fd: number, fileKeyOf: FileKeyOf, source: string, readAt: ReadAt = readSync, size?: number): AgeFileReader {
  const header = readHeader(readAt, fd, source);
  return payloadReader(fd, header, fileKeyOf(header.stanzas, source), source, readAt, size);
}

function payloadReader(fd: number, header: AgeHeader, fileKey: Buffer, source: string, readAt: ReadAt, size?: number): AgeFileReader {
  if (!headerMacMatches(header, fileKey)) throw new DormouseError('DAMAGED', `${source} is damaged: its header does not match its MAC (it was altered after it was written)`);
  const fileSize = size ?? fstatSync(fd).size;
  const plaintextSize = plaintextSizeOf(fileSize - header.length);
  if (plaintextSize === null) throw new DormouseError('DAMAGED', `${source} is damaged: at ${fileSize} bytes it is not a whole age file (truncated?)`);
  const payloadNonce = readFully(readAt, fd, header.length, payloadNonceSize);
  const payloadKey = derivePayloadKey(fileKey, payloadNonce);
  const chunkCount = Math.max(1, Math.ceil(plaintextSize / plaintextChunkSize));
  const chunkStart = header.length + payloadNonceSize;

  const readChunk = (index: number): Buffer => {
    if (!Number.isInteger(index) || index < 0 || index >= chunkCount) throw new RangeError(`chunk ${index} is outside 0–${chunkCount - 1}`);
    const last = index === chunkCount - 1;
    const start = index * plaintextChunkSize;
    const end = last ? plaintextSize : start + plaintextChunkSize;
    const sealed = readFully(readAt, fd, chunkStart + index * sealedChunkSize, end - start + sealedChunkSize - plaintextChunkSize);
    const plaintext = decryptChunk(payloadKey, index, sealed, last);
    if (plaintext === null) {
      const why = last ? 'does not authenticate as the last chunk (altered, or the file was cut short)' : 'does not authenticate (altered on the destination)';
      throw new DamagedRangeError(source, index, start, end, why);
    }
    return plaintext;
  };

  return {
    headerLength: header.length,
    plaintextSize,
    chunkCount,
    readChunk,
    read(start, end) {
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > plaintextSize) {
        throw new RangeError(`bytes ${start}–${end} are outside the ${plaintextSize} bytes of ${source}`);
      }
      if (start === end) return Buffer.alloc(0);
      const pieces: Buffer[] = [];
      for (let index = Math.floor(start / plaintextChunkSize); index * plaintextChunkSize < end; index++) {
        const chunk = readChunk(index);
        const chunkOffset = index * plaintextChunkSize;
        pieces.push(chunk.subarray(Math.max(0, start - chunkOffset), Math.min(chunk.length, end - chunkOffset)));
      }
      return Buffer.concat(pieces, end - start);
    },
  };
}
