import { blockSize } from './archive-manifest';
import { decodeHeader, isPaxBlock } from './entry-header';
import { parsePaxRecords } from './pax-records';

/** One entry as it is in the tar stream, with where its first header block starts. */
export interface ScannedEntry {
  offset: number;
  path: string;
  type: string;
  size: number;
  mode: number;
  mtimeMs: number;
  mtimeNs: bigint;
  uid: number;
  gid: number;
  linkpath: string;
  /** The PAX records that came before its header (extended attributes, ACLs, sparse map records…); empty when none. */
  records: ReadonlyMap<string, Buffer>;
}

export interface ScanEvents {
  /** An entry's header has been read; its content follows through `content`. */
  entry(entry: ScannedEntry): void;
  /** Content bytes of the current entry (only the entry's own bytes, never padding). */
  content?(chunk: Buffer): void;
  /** The current entry's content is complete. */
  entryEnd?(): void;
}

type State = 'header' | 'pax' | 'content' | 'padding' | 'end';

/**
 * Reads a tar stream pushed to it in chunks of any size, reporting each entry with the offset of
 * its first header block (the PAX header when there is one) and its content. Dormouse's own
 * reader for verify and restore, so that offsets are known and nothing is trusted blindly.
 */
export class TarScanner {
  private state: State = 'header';
  private pending: Buffer = Buffer.alloc(0);
  private position = 0;
  private remaining = 0;
  private pax: Map<string, Buffer> | null = null;
  private entryOffset = -1;
  private zeroBlocks = 0;
  private paxChunks: Buffer[] = [];

  constructor(private readonly events: ScanEvents) {}

  /** How many bytes of the tar stream have been consumed. */
  get consumed(): number {
    return this.position;
  }

  /** Whether the end-of-archive blocks have been seen. */
  get ended(): boolean {
    return this.state === 'end';
  }

  /** Whether the stream stopped in the middle of an entry (a truncated archive). */
  get midEntry(): boolean {
    return this.state === 'content' || this.state === 'padding' || this.state === 'pax' || this.pending.length > 0;
  }

  push(chunk: Buffer): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (data.length > 0 && this.state !== 'end') {
      if (this.state === 'content' || this.state === 'pax') {
        const take = Math.min(this.remaining, data.length);
        if (this.state === 'content') this.events.content?.(data.subarray(0, take));
        else this.paxChunks.push(data.subarray(0, take));
        data = data.subarray(take);
        this.position += take;
        this.remaining -= take;
        if (this.remaining === 0) this.finishBody();
        continue;
      }
      if (this.state === 'padding') {
        const take = Math.min(this.remaining, data.length);
        data = data.subarray(take);
        this.position += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'header';
        continue;
      }
      if (data.length < blockSize) {
        this.pending = Buffer.from(data);
        return;
      }
      const block = data.subarray(0, blockSize);
      data = data.subarray(blockSize);
      this.readHeader(block);
    }
  }

  private readHeader(block: Buffer): void {
    const offset = this.position;
    this.position += blockSize;
    if (block.every((byte) => byte === 0)) {
      this.zeroBlocks += 1;
      if (this.zeroBlocks === 2) this.state = 'end';
      return;
    }
    this.zeroBlocks = 0;
    if (this.entryOffset < 0) this.entryOffset = offset;
    if (isPaxBlock(block)) {
      const size = decodeHeader(block, null, offset).size;
      this.state = 'pax';
      this.remaining = size;
      this.paxChunks = [];
      if (size === 0) this.finishBody();
      return;
    }
    const header = decodeHeader(block, this.pax, offset);
    const entry: ScannedEntry = {
      offset: this.entryOffset,
      path: header.path,
      type: header.type,
      size: header.size,
      mode: header.mode,
      mtimeMs: Number(header.mtimeNs / 1_000_000n),
      mtimeNs: header.mtimeNs,
      uid: header.uid,
      gid: header.gid,
      linkpath: header.linkpath,
      records: header.records,
    };
    this.pax = null;
    this.entryOffset = -1;
    this.events.entry(entry);
    this.remaining = entry.size;
    this.state = 'content';
    if (entry.size === 0) this.finishBody();
  }

  private finishBody(): void {
    if (this.state === 'pax') {
      this.pax = parsePaxRecords(Buffer.concat(this.paxChunks));
    } else {
      this.events.entryEnd?.();
    }
    // Content starts on a block boundary, so the padding is what completes the current block.
    const padding = (blockSize - (this.position % blockSize)) % blockSize;
    this.state = padding > 0 ? 'padding' : 'header';
    this.remaining = padding;
  }
}
