import { constants as zlibConstants, gzipSync } from 'node:zlib';
import { Header, Pax } from 'tar';
import { blockSize, type ArchiveManifest } from './archive-manifest';
import { copyInto, type ArchiveOutput } from './archive-output';
import { encodeUstarHeader, type HeaderFields } from './ustar-header';

export type { HeaderFields };

const gzipMemberBytes = 1024 * 1024;
const zeroBlock = Buffer.alloc(blockSize);
const gzipLevel = 6;

/**
 * Writes a tar stream into an archive output with headers as the `tar` package encodes them (plain
 * ones in place by ustar-header.ts, the rest by the package itself), keeping track of each entry's offset. Uncompressed, file content is read straight into the output's
 * buffers; with gzip, the stream is compressed in independent members whose offsets are recorded
 * so readers can seek.
 */
export class TarWriter {
  private readonly memberBuffer: Buffer | null;
  private memberFilled = 0;
  private memberTarOffset = 0;
  private readonly members: { compressedOffset: number; tarOffset: number }[] = [];

  constructor(
    private readonly output: ArchiveOutput,
    private readonly gzip: boolean,
  ) {
    this.memberBuffer = gzip ? Buffer.allocUnsafe(gzipMemberBytes) : null;
  }

  /** Offset in the uncompressed tar stream where the next byte goes. */
  get tarOffset(): number {
    return this.memberBuffer ? this.memberTarOffset + this.memberFilled : this.output.position;
  }

  /** Bytes handed to the file so far. */
  get writtenBytes(): number {
    return this.output.position;
  }

  /** The gzip members written so far (empty for an uncompressed archive). */
  get gzipMembers(): ArchiveManifest['gzipMembers'] {
    return this.gzip ? [...this.members] : undefined;
  }

  /** Writes an entry's header (preceded by a PAX header for long or non-ASCII names); returns its offset. */
  writeHeader(fields: HeaderFields): number {
    const offset = this.tarOffset;
    // Headers start on a block boundary and buffers are whole blocks, so the block is encoded in place.
    const slot = this.reserve(blockSize);
    if (slot.length === blockSize) {
      slot.fill(0);
      if (encodeUstarHeader(slot, fields)) {
        this.commit(blockSize);
        return offset;
      }
    }
    const mtime = new Date(fields.mtimeSeconds * 1000);
    const header = new Header({ ...fields, mtime, uname: '', gname: '' });
    const block = Buffer.alloc(blockSize);
    if (header.encode(block, 0)) {
      const pax = new Pax({ path: fields.path, linkpath: fields.linkpath, mtime, size: fields.size, uid: fields.uid, gid: fields.gid });
      this.write(pax.encode());
      header.encode(block, 0);
    }
    this.write(block);
    return offset;
  }

  /** A slice of buffer to read file content into directly, saving a copy. */
  reserve(maxBytes: number): Buffer {
    if (!this.memberBuffer) return this.output.reserve(maxBytes);
    if (this.memberFilled === this.memberBuffer.length) this.flush();
    return this.memberBuffer.subarray(this.memberFilled, this.memberFilled + Math.min(maxBytes, this.memberBuffer.length - this.memberFilled));
  }

  /** Marks bytes read into a reserved slice as written. */
  commit(bytes: number): void {
    if (this.memberBuffer) this.memberFilled += bytes;
    else this.output.commit(bytes);
  }

  /** Appends bytes to the stream. */
  write(data: Buffer): void {
    copyInto(this, data);
  }

  /** Pads the stream with zeros to the next block boundary after an entry's content. */
  padToBlock(): void {
    const remainder = this.tarOffset % blockSize;
    if (remainder !== 0) this.write(zeroBlock.subarray(remainder));
  }

  /** Ends the current gzip member (stored rather than compressed for the last one, so the trailer sits at a fixed distance from the end). */
  flush(options: { stored?: boolean } = {}): void {
    if (!this.memberBuffer || this.memberFilled === 0) return;
    this.members.push({ compressedOffset: this.output.position, tarOffset: this.memberTarOffset });
    this.output.write(gzipSync(this.memberBuffer.subarray(0, this.memberFilled), { level: options.stored ? zlibConstants.Z_NO_COMPRESSION : gzipLevel }));
    this.memberTarOffset += this.memberFilled;
    this.memberFilled = 0;
  }
}
