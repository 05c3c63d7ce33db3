import { ftruncateSync } from 'node:fs';
import { writeAllAt } from '../common/files';
import { displayName } from './byte-names';
import { contentHasher, hashContent, type ContentHashKind, type ContentHasher } from './content-hash';

/**
 * Where a restored file's content goes as it is read from the archive, in order: every byte is
 * hashed with the hash its entry records (of the content as stored; content-hash.ts), and a sparse
 * file's stored form (GNU sparse 1.0: a text map, padded to a block, then the data segments) is
 * written back at its offsets, leaving the holes as holes.
 */
export class ContentSink {
  /** The content's hash as it is read; made only for content that comes in more than one piece. */
  private hash: ContentHasher | null = null;
  /** The digest of content that came whole in one piece, hashed in one call. */
  private digest: string | null = null;
  /** Sparse only: the map's text until it is complete, then the segments still to write. */
  private mapText: Buffer | null;
  private mapBytes = 0;
  private segments: { offset: number; length: number }[] = [];
  private position = 0;

  /**
   * `kind`: the hash the entry records (null: none, an archive of format 1, and nothing is hashed).
   * `length`: how many bytes the stored content has, when known: content that then comes whole in
   * one piece is hashed in one call.
   */
  constructor(
    private readonly fd: number,
    private readonly sparseSize: number | null,
    private readonly kind: ContentHashKind | null,
    private readonly length: number | null = null,
  ) {
    this.mapText = sparseSize === null ? null : Buffer.alloc(0);
  }

  /** Takes the next bytes of the stored content (hashed now: the caller may reuse the buffer). */
  push(chunk: Buffer): void {
    if (this.kind === null) {
      // Nothing recorded to check it against.
    } else if (this.hash === null && this.digest === null && chunk.length === this.length) this.digest = hashContent(this.kind, chunk);
    else {
      if (this.digest !== null) throw new Error('more content than its length');
      this.hash ??= contentHasher(this.kind);
      this.hash.update(chunk);
    }
    if (this.sparseSize === null) {
      writeAllAt(this.fd, chunk, this.position);
      this.position += chunk.length;
      return;
    }
    let data = chunk;
    if (this.mapText !== null) {
      const take = this.takeMap(data);
      data = data.subarray(take);
    }
    while (data.length > 0) {
      const segment = this.segments[0];
      if (!segment) throw new Error('the sparse file holds more data than its map says');
      const take = Math.min(segment.length, data.length);
      writeAllAt(this.fd, data.subarray(0, take), segment.offset);
      segment.offset += take;
      segment.length -= take;
      data = data.subarray(take);
      if (segment.length === 0) this.segments.shift();
    }
  }

  /** Consumes map bytes from the start of `data`; returns how many it took. */
  private takeMap(data: Buffer): number {
    const text = this.mapText as Buffer;
    if (this.mapBytes > 0) {
      // The map is complete; only its padding to the block remains.
      const take = Math.min(this.mapBytes - text.length, data.length);
      this.mapText = Buffer.concat([text, data.subarray(0, take)]);
      if (this.mapText.length === this.mapBytes) this.mapText = null;
      return take;
    }
    const joined = Buffer.concat([text, data]);
    const lines = joined.toString('latin1').split('\n');
    const count = Number(lines[0]);
    if (lines.length < 2 || !Number.isSafeInteger(count) || count < 0) {
      if (joined.length > 64 * 1024) throw new Error('the sparse map is damaged');
      this.mapText = joined;
      return data.length;
    }
    if (lines.length < 2 + 2 * count) {
      this.mapText = joined;
      return data.length;
    }
    const numbers = lines.slice(1, 1 + 2 * count).map(Number);
    if (numbers.some((value) => !Number.isSafeInteger(value) || value < 0)) throw new Error('the sparse map is damaged');
    for (let i = 0; i < count; i += 1) this.segments.push({ offset: numbers[2 * i] as number, length: numbers[2 * i + 1] as number });
    const mapLength = lines.slice(0, 1 + 2 * count).join('\n').length + 1;
    this.mapBytes = Math.ceil(mapLength / 512) * 512;
    const consumedBefore = text.length;
    const takeHere = Math.min(this.mapBytes - consumedBefore, data.length);
    this.mapText = Buffer.concat([text, data.subarray(0, takeHere)]);
    if (this.mapText.length === this.mapBytes) this.mapText = null;
    return takeHere;
  }

  /** Ends the content: a sparse file gets its full size (its trailing hole). Returns the hex digest of what was read (null when there was nothing to check it against). */
  finish(): string | null {
    if (this.sparseSize !== null) {
      if (this.mapText !== null || this.segments.some((segment) => segment.length > 0)) throw new Error('the sparse file ends before its data does');
      ftruncateSync(this.fd, this.sparseSize);
    }
    if (this.kind === null) return null;
    if (this.digest !== null) return this.digest;
    return (this.hash ?? contentHasher(this.kind)).digest();
  }
}

/**
 * Whether an error while copying a file came from writing it (a full or failing target disk),
 * not from reading the archive: the restore then stops with the reason, rather than calling the
 * file damaged in the backup.
 */
/** A file of a restore that could not be written: the restore stops, naming the file (never calling it damaged, never blaming the archive), with the error's code (ENOSPC…) so it can say what that means. */
export class WriteFailure extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** The WriteFailure for `destination` (the file being restored, not its temporary twin), or the error itself when it is one already. */
export function cannotWrite(destination: string, error: unknown): WriteFailure {
  if (error instanceof WriteFailure) return error;
  const { code } = error as NodeJS.ErrnoException;
  const why = (code !== undefined && writeErrorWords[code]) || (error as Error).message;
  return new WriteFailure(`cannot write ${displayName(destination)} (${why})`, code);
}

/** The write errors a person meets, in words (others keep the system's message). */
const writeErrorWords: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  EIO: 'the drive reported an input/output error; is it failing or was it unplugged?',
};

/** Whether an error comes from writing to the restore's target (the restore stops), not from reading the archive. */
export function isWriteError(error: unknown): boolean {
  if (error instanceof WriteFailure) return true;
  const syscall = (error as NodeJS.ErrnoException | null)?.syscall;
  return syscall === 'write' || syscall === 'ftruncate';
}
