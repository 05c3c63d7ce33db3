import { recentCache } from '../common/recent-cache';
import type { Readable } from 'node:stream';
import { DormouseError } from '../../shared/errors';
import { resumableObjectStream } from '../s3/resumable-object-stream';
import { attemptsFromEnvironment, defaultRetryPolicy } from '../s3/retry-policy';
import { S3Client } from '../s3/s3-client';
import { bucketOfPath, keyOfPath } from '../s3/s3-location';
import type { S3Settings } from '../s3/s3-settings';
import { syncReadBytes, syncReaderFor } from './s3-sync-reader';

/** Bytes of an object read at any offset, synchronously, as from a file. */
export interface RandomAccess {
  readonly size: number;
  /** Reads into buffer[offset, offset + length) from `position`; fewer bytes only at the end. */
  readAt(buffer: Buffer, offset: number, length: number, position: number): number;
}

/** Blocks of an archive object kept, so headers and contents read one after another fetch each block once. */
const cachedBlocks = 8;

/** The S3 keys the worker was given that reach the bucket of an `s3://BUCKET/KEY` path. */
export function s3SettingsFor(path: string, known: readonly S3Settings[] | undefined): S3Settings {
  const bucket = bucketOfPath(path);
  const settings = known?.find((candidate) => candidate.bucket === bucket);
  if (!settings) throw new DormouseError('DESTINATION_UNAVAILABLE', `no S3 keys reach ${path}; add its destination again with its keys`);
  return settings;
}

/**
 * An archive object in S3 read by range: only the 1 MiB blocks that hold the bytes asked for are
 * fetched (one ranged GET each, a few kept), so reading a snapshot's trailer, manifest and one
 * file's content costs those blocks, never the whole archive.
 */
export function openS3Object(path: string, settings: S3Settings): RandomAccess {
  const reader = syncReaderFor(settings);
  const key = keyOfPath(path);
  const size = reader.size(key);
  if (size === null) throw new DormouseError('NOT_FOUND', `cannot open the archive ${path} (it is not in the bucket); was it deleted, or is this the right bucket?`);
  const block = recentCache(cachedBlocks, (index): Buffer => {
    const start = index * syncReadBytes;
    const bytes = Buffer.allocUnsafe(Math.min(syncReadBytes, size - start));
    reader.read(key, start, bytes.length, bytes);
    return bytes;
  });
  return {
    size,
    readAt(buffer, offset, length, position) {
      const end = Math.min(size, position + length);
      let at = position;
      while (at < end) {
        const index = Math.floor(at / syncReadBytes);
        const from = at - index * syncReadBytes;
        const copied = block(index).copy(buffer, offset + at - position, from, from + Math.min(end - at, syncReadBytes - from));
        if (copied === 0) break;
        at += copied;
      }
      return Math.max(0, at - position);
    },
  };
}

/** An archive object's size, or null when it is not there. */
export function s3ObjectSize(path: string, settings: S3Settings): number | null {
  return syncReaderFor(settings).size(keyOfPath(path));
}

/** A small object (a `.sha256`) whole, or null when it is not there or larger than `maxBytes`. */
export function readSmallS3Object(path: string, settings: S3Settings, maxBytes: number): Buffer | null {
  const size = s3ObjectSize(path, settings);
  if (size === null || size > maxBytes) return null;
  const bytes = Buffer.alloc(size);
  if (size > 0) syncReaderFor(settings).read(keyOfPath(path), 0, size, bytes);
  return bytes;
}

/**
 * An archive object streamed once from start to end: verify's SHA-256, a gzip archive's restore. A
 * connection cut midway is resumed where it stopped (resumable-object-stream.ts), tried as often as
 * the ranged reads are (DORMOUSE_S3_ATTEMPTS).
 */
export function s3ObjectStream(path: string, settings: S3Settings): Readable {
  const client = new S3Client(settings, { timeoutMs: 60_000 });
  return resumableObjectStream(client, keyOfPath(path), { retry: { ...defaultRetryPolicy, attempts: attemptsFromEnvironment() } });
}
