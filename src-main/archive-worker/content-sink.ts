import { createHash, type Hash } from 'node:crypto';
import { ftruncateSync } from 'node:fs';
import { writeAllAt } from '../common/files';

/**
 * Where a restored file's content goes as it is read from the archive, in order: every byte is
 * hashed (the manifest's SHA-256 is of the content as stored), and a sparse file's stored form
 * (GNU sparse 1.0: a text map, padded to a block, then the data segments) is written back at its
 * offsets, leaving the holes as holes.
 */
export class ContentSink {
  private readonly hash: Hash = createHash('sha256');
  /** Sparse only: the map's text until it is complete, then the segments still to write. */
  private mapText: Buffer | null;
  private mapBytes = 0;
  private segments: { offset: number; length: number }[] = [];
  private position = 0;

  constructor(
    private readonly fd: number,
    private readonly sparseSize: number | null,
  ) {
    this.mapText = sparseSize === null ? null : Buffer.alloc(0);
  }

  /** Takes the next bytes of the stored content. */
  push(chunk: Buffer): void {
    this.hash.update(chunk);
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

  /** Ends the content: a sparse file gets its full size (its trailing hole). Returns the SHA-256 of what was read. */
  finish(): string {
    if (this.sparseSize !== null) {
      if (this.mapText !== null || this.segments.some((segment) => segment.length > 0)) throw new Error('the sparse file ends before its data does');
      ftruncateSync(this.fd, this.sparseSize);
    }
    return this.hash.digest('hex');
  }
}

/**
 * Whether an error while copying a file came from writing it (a full or failing target disk),
 * not from reading the archive: the restore then stops with the reason, rather than calling the
 * file damaged in the backup.
 */
export function isWriteError(error: unknown): boolean {
  const syscall = (error as NodeJS.ErrnoException | null)?.syscall;
  return syscall === 'write' || syscall === 'ftruncate';
}
