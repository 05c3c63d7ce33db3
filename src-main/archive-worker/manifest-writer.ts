import { closeSync, constants, openSync, readSync } from 'node:fs';
import { gzip } from 'node:zlib';
import type { ManifestEntry, ManifestHeader, ManifestIndex } from './archive-manifest';
import { writeAllAt } from '../common/files';

/** A manifest line: an entry this archive stores, or a path gone since the base snapshot. */
export type ManifestLine = ManifestEntry | { path: string; deleted: true };

/** One member being compressed: its lines (the buffer they were gathered in), their count and first path, and the compressed bytes once ready. */
interface Slot {
  text: Buffer;
  done: boolean;
  data: Buffer | null;
  error: Error | null;
  first: string;
  count: number;
  settled: Promise<void>;
}

/** Lines per gzip member: small enough that a listing or a one-file restore inflates little, large enough to compress well. */
const linesPerMember = 4096;
/** Members being compressed at once on Node's thread pool, off the thread that walks and reads files. */
const membersInFlight = 4;
/**
 * gzip's fastest level: a manifest is mostly hex digests, which no level compresses, so level 6 made
 * members only 7% smaller for twice the CPU (4 s of a million-file backup's, on cores the hashing
 * threads need).
 */
const manifestGzipLevel = 1;

/** Room for one member's lines at first (4,096 lines of about 300 bytes); it grows for longer ones. */
const memberBufferBytes = 2 * 1024 * 1024;

/**
 * The line an entry is written as: `mtimeMs` is left out (it follows from `mtimeNs`). It is
 * hidden for the moment of the JSON (which leaves out what is undefined) rather than copied away:
 * a copy of every entry without it was a tenth of the manifest's cost.
 */
function lineOf(line: ManifestLine): string {
  if ('deleted' in line) return JSON.stringify(line);
  const milliseconds = line.mtimeMs;
  (line as { mtimeMs: number | undefined }).mtimeMs = undefined;
  try {
    return JSON.stringify(line);
  } finally {
    line.mtimeMs = milliseconds;
  }
}

/**
 * Writes a format 3 manifest while the archive is written, to a file of its own beside it (the
 * archive's `.partial` siblings are removed with it), then copies it into the archive: the
 * manifest of a million entries is never in memory, and its gzip members are compressed on the
 * thread pool while the walk goes on.
 */
export class ManifestWriter {
  private readonly fd: number;
  /** The lines of the member being gathered, as UTF-8 each ending in a newline: a line's string dies as soon as it is written here instead of living until its member is sealed. */
  private text: Buffer = Buffer.allocUnsafe(memberBufferBytes);
  private filled = 0;
  private batchLines = 0;
  private batchFirst = '';
  private position = 0;
  private readonly slots: Slot[] = [];
  /** Buffers of members already compressed, to gather the next members' lines in (a few for the whole manifest, not one per member). */
  private readonly spare: Buffer[] = [];
  readonly members: ManifestIndex['members'] = [];
  lines = 0;

  constructor(
    readonly path: string,
    header: ManifestHeader,
  ) {
    this.fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o600);
    this.append(JSON.stringify(header));
    this.seal(false);
  }

  /**
   * Appends one line; lines must come in the order of path-order.ts. A promise only when a member
   * was sealed and the caller must wait for room (most lines are added without one).
   */
  add(line: ManifestLine): Promise<void> | undefined {
    if (this.batchLines === 0) this.batchFirst = line.path;
    this.append(lineOf(line));
    this.batchLines += 1;
    this.lines += 1;
    if (this.batchLines < linesPerMember) return undefined;
    this.seal(true);
    return this.drain(membersInFlight);
  }

  /** Adds one line's UTF-8 and its newline to the member being gathered. */
  private append(line: string): void {
    const room = this.filled + 3 * line.length + 1;
    if (room > this.text.length) {
      const larger = Buffer.allocUnsafe(Math.max(room, 2 * this.text.length));
      this.text.copy(larger, 0, 0, this.filled);
      this.text = larger;
    }
    this.filled += this.text.write(line, this.filled, 'utf8');
    this.text[this.filled] = 0x0a;
    this.filled += 1;
  }

  /** Compresses the lines gathered so far as one member, on the thread pool. */
  private seal(indexed: boolean): void {
    const text = this.text.subarray(0, this.filled);
    const slot: Slot = { text: this.text, done: false, data: null, error: null, first: indexed ? this.batchFirst : '', count: indexed ? this.batchLines : 0, settled: Promise.resolve() };
    slot.settled = new Promise((resolve) => {
      gzip(text, { level: manifestGzipLevel }, (error, data) => {
        slot.done = true;
        slot.error = error;
        slot.data = data;
        resolve();
      });
    });
    this.slots.push(slot);
    // The member's bytes are the compressor's until it is done: the next lines go to a buffer of their own.
    this.text = this.spare.pop() ?? Buffer.allocUnsafe(memberBufferBytes);
    this.filled = 0;
    this.batchLines = 0;
  }

  /** Writes finished members in order, waiting until at most `limit` are still being compressed. */
  private async drain(limit: number): Promise<void> {
    for (;;) {
      while (this.slots[0]?.done) {
        const slot = this.slots.shift() as Slot;
        // Compressed: its lines' buffer is free for another member's.
        this.spare.push(slot.text);
        if (slot.error || !slot.data) throw slot.error ?? new Error('the manifest could not be compressed');
        writeAllAt(this.fd, slot.data, this.position);
        if (slot.count > 0) this.members.push([this.position, slot.data.length, slot.count, slot.first]);
        this.position += slot.data.length;
      }
      if (this.slots.length <= limit) return;
      await (this.slots[0] as Slot).settled;
    }
  }

  /** Writes the last lines; the manifest's length in bytes. */
  async finish(): Promise<number> {
    if (this.batchLines > 0) this.seal(true);
    await this.drain(0);
    return this.position;
  }

  /** Reads the written manifest back in pieces of at most `size` bytes, to copy it into the archive. */
  *chunks(size: number): Generator<Buffer, void, void> {
    const buffer = Buffer.allocUnsafe(size);
    for (let at = 0; at < this.position; ) {
      const read = readSync(this.fd, buffer, 0, Math.min(size, this.position - at), at);
      if (read === 0) throw new Error('the manifest file ended early');
      yield buffer.subarray(0, read);
      at += read;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
