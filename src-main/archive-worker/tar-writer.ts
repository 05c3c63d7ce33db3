import { createHash, type Hash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { constants as zlibConstants, gzipSync } from 'node:zlib';
import { Header, Pax } from 'tar';
import { blockSize, type ArchiveManifest } from './archive-manifest';
import { ParallelSha256 } from './parallel-hash';

type TarType = 'File' | 'Directory' | 'SymbolicLink';

/** The header fields Dormouse writes for one entry. */
export interface HeaderFields {
  path: string;
  type: TarType;
  size: number;
  mode: number;
  mtime: Date;
  uid: number;
  gid: number;
  linkpath?: string;
}

/**
 * Small writes keep the bytes in the CPU cache between reading, hashing and writing them (measured
 * faster than 1–4 MiB buffers); gzip members are larger so that compression does not suffer.
 */
const plainBufferBytes = 128 * 1024;
const gzipMemberBytes = 1024 * 1024;
const gzipLevel = 6;

/**
 * Writes a tar stream to a file descriptor with headers encoded by the `tar` package, keeping
 * track of each entry's offset, hashing every byte as it is written (no second read) and, for
 * gzip, compressing in independent members whose offsets are recorded so readers can seek.
 */
export class TarWriter {
  private buffer: Buffer;
  private filled = 0;
  private tarBytes = 0;
  private fileBytes = 0;
  /** Uncompressed archives are hashed on a second thread straight from the output slots; gzip output inline. */
  private readonly parallelHash: ParallelSha256 | null;
  private readonly inlineHash: Hash | null;
  private readonly members: { compressedOffset: number; tarOffset: number }[] = [];

  constructor(
    private readonly fd: number,
    private readonly gzip: boolean,
  ) {
    this.parallelHash = gzip ? null : new ParallelSha256(plainBufferBytes);
    this.inlineHash = gzip ? createHash('sha256') : null;
    this.buffer = this.parallelHash ? this.parallelHash.acquire() : Buffer.allocUnsafe(gzipMemberBytes);
  }

  /** Offset in the uncompressed tar stream where the next byte goes. */
  get tarOffset(): number {
    return this.tarBytes + this.filled;
  }

  /** Bytes written to the file so far. */
  get writtenBytes(): number {
    return this.fileBytes;
  }

  /** The gzip members written so far (empty for an uncompressed archive). */
  get gzipMembers(): ArchiveManifest['gzipMembers'] {
    return this.gzip ? [...this.members] : undefined;
  }

  /** Writes an entry's header (preceded by a PAX header for long or non-ASCII names); returns its offset. */
  writeHeader(fields: HeaderFields): number {
    const offset = this.tarOffset;
    const header = new Header({ ...fields, uname: '', gname: '' });
    const block = Buffer.alloc(blockSize);
    if (header.encode(block, 0)) {
      const pax = new Pax({ path: fields.path, linkpath: fields.linkpath, mtime: fields.mtime, size: fields.size, uid: fields.uid, gid: fields.gid });
      this.write(pax.encode());
      header.encode(block, 0);
    }
    this.write(block);
    return offset;
  }

  /** A slice of the output buffer to read file content into directly, saving a copy. */
  reserve(maxBytes: number): Buffer {
    if (this.filled === this.buffer.length) this.flush();
    return this.buffer.subarray(this.filled, this.filled + Math.min(maxBytes, this.buffer.length - this.filled));
  }

  /** Marks bytes read into a reserved slice as written. */
  commit(bytes: number): void {
    this.filled += bytes;
  }

  /** Appends bytes to the stream. */
  write(data: Buffer): void {
    let done = 0;
    while (done < data.length) {
      const slice = this.reserve(data.length - done);
      data.copy(slice, 0, done, done + slice.length);
      this.commit(slice.length);
      done += slice.length;
    }
  }

  /** Pads the stream with zeros to the next block boundary after an entry's content. */
  padToBlock(): void {
    const remainder = this.tarOffset % blockSize;
    if (remainder !== 0) this.write(Buffer.alloc(blockSize - remainder));
  }

  /** Writes what is buffered: as one gzip member when compressing. */
  flush(options: { stored?: boolean } = {}): void {
    if (this.filled === 0) return;
    const raw = this.buffer.subarray(0, this.filled);
    let out = raw;
    if (this.gzip) {
      this.members.push({ compressedOffset: this.fileBytes, tarOffset: this.tarBytes });
      out = gzipSync(raw, { level: options.stored ? zlibConstants.Z_NO_COMPRESSION : gzipLevel });
    }
    let written = 0;
    while (written < out.length) written += writeSync(this.fd, out, written, out.length - written);
    this.fileBytes += out.length;
    this.tarBytes += this.filled;
    if (this.parallelHash) {
      this.parallelHash.submit(this.filled);
      this.buffer = this.parallelHash.acquire();
    } else {
      this.inlineHash?.update(out);
    }
    this.filled = 0;
  }

  /** The SHA-256 of every byte written to the file, once the last flush is done. */
  async digest(): Promise<string> {
    if (this.parallelHash) return this.parallelHash.digest();
    return (this.inlineHash as Hash).digest('hex');
  }

  /** Releases the hashing thread of an archive that will not be finished. */
  async abandon(): Promise<void> {
    await this.parallelHash?.abandon();
  }
}
