import { blockSize, type ManifestEntry } from './archive-manifest';
import { archiveExists, openArchiveFile, type ArchiveFile, type ArchiveKeys } from './archive-file';
import { displayName } from './byte-names';
import { DamagedRangeError } from '../encryption/damaged-range-error';
import { ContentSink } from './content-sink';
import { decodeHeader, isPaxBlock, paddedSize, type StoredHeader } from './entry-header';
import { parsePaxRecords } from './pax-records';

/** How much is read at once where an entry starts: its headers and, for most files, all of its content, and the entries after it. */
const firstReadBytes = 128 * 1024;

/** The full size of a sparse file from its GNU sparse 1.0 records, or null when the entry is not sparse. */
export function sparseSize(records: ReadonlyMap<string, Buffer>): number | null {
  const size = records.get('GNU.sparse.realsize');
  if (records.get('GNU.sparse.major')?.toString() !== '1' || size === undefined) return null;
  const value = Number(size.toString('latin1'));
  if (!Number.isSafeInteger(value) || value < 0) throw new Error('a damaged sparse file record');
  return value;
}

/** An entry found at its recorded offset: its header, where its content starts, and the start of that content as read with the header. */
export interface LocatedEntry {
  header: StoredHeader;
  contentAt: number;
  /** The first bytes of the stored content (all of it for a small file), read with the header. */
  head: Buffer;
}

/**
 * The uncompressed archives a restore reads by seeking to each entry's recorded offset: each is
 * opened once, when first needed, and read with one buffer reused from file to file.
 */
export class SeekableArchives {
  private readonly open = new Map<string, ArchiveFile | string>();
  private readonly first = Buffer.allocUnsafe(firstReadBytes);
  private readonly chunk = Buffer.allocUnsafe(1024 * 1024);

  constructor(private readonly keys: ArchiveKeys) {}

  /** The archive at `path`, or why it cannot be read (missing, unreadable), said once per archive. */
  archive(path: string): ArchiveFile | string {
    let found = this.open.get(path);
    if (found !== undefined) return found;
    if (!archiveExists(path, this.keys)) found = `the archive ${path} that holds it is missing; connect its destination`;
    else {
      try {
        found = openArchiveFile(path, this.keys);
      } catch (error) {
        found = (error as Error).message;
      }
    }
    this.open.set(path, found);
    return found;
  }

  /** The archive bytes in `first`: which archive, from where, how many. Entries follow each other, so one read serves many small files. */
  private window: { archive: ArchiveFile | null; start: number; length: number } = { archive: null, start: 0, length: 0 };

  /** The archive's bytes from `position` on as far as the window holds them, read anew when it does not hold a block there. */
  private bytesAt(archive: ArchiveFile, position: number): Buffer {
    const { window } = this;
    if (window.archive !== archive || position < window.start || position + blockSize > window.start + window.length) {
      window.archive = null;
      try {
        window.length = archive.readInto(this.first, position);
      } catch (error) {
        if (!(error instanceof DamagedRangeError)) throw error;
        // A damaged encrypted chunk further on is a later entry's: here only this entry's header is read.
        window.length = archive.readInto(this.first.subarray(0, blockSize), position);
      }
      window.archive = archive;
      window.start = position;
    }
    return this.first.subarray(position - window.start, window.length);
  }

  /** Reads the header an entry's recorded offset points at (with its PAX records) and checks it is that entry's. */
  locate(archive: ArchiveFile, entry: ManifestEntry, storedAs = entry.path): LocatedEntry {
    const bytes = this.bytesAt(archive, entry.offset);
    const read = bytes.length;
    if (read < blockSize) throw new Error(`the archive ends before ${displayName(entry.path)}; verify it`);
    let at = 0;
    let block: Buffer = bytes.subarray(0, blockSize);
    let records: Map<string, Buffer> | null = null;
    if (isPaxBlock(block)) {
      const size = decodeHeader(block, null, entry.offset).size;
      const content = blockSize + size <= read ? bytes.subarray(blockSize, blockSize + size) : archive.read(entry.offset + blockSize, size);
      records = parsePaxRecords(content);
      at = blockSize + paddedSize(size);
      block = at + blockSize <= read ? bytes.subarray(at, at + blockSize) : archive.read(entry.offset + at, blockSize);
      if (block.length < blockSize) throw new Error(`the archive ends inside ${displayName(entry.path)}; verify it`);
    }
    const header = decodeHeader(block, records, entry.offset + at);
    if (header.path.replace(/\/+$/, '') !== storedAs) throw new Error(`the archive does not hold ${displayName(storedAs)} at byte ${entry.offset}; verify it`);
    const start = at + blockSize;
    const head = bytes.subarray(Math.min(start, read), Math.min(read, start + storedLength(entry, header)));
    return { header, contentAt: entry.offset + start, head };
  }

  /**
   * Copies a located file's stored content into `sink`: what came with the header, then the rest
   * a MiB at a time. Yields the bytes copied so far after each MiB, for progress and a cancel inside a large file.
   */
  *copy(archive: ArchiveFile, entry: ManifestEntry, located: LocatedEntry, sink: ContentSink): Generator<number, void, void> {
    const length = storedLength(entry, located.header);
    if (located.head.length > 0) sink.push(located.head);
    let remaining = length - located.head.length;
    let at = located.contentAt + located.head.length;
    while (remaining > 0) {
      yield length - remaining;
      const slice = this.chunk.subarray(0, Math.min(this.chunk.length, remaining));
      const read = archive.readInto(slice, at);
      if (read === 0) throw new Error(`the archive ends inside ${displayName(entry.path)}; verify it`);
      sink.push(slice.subarray(0, read));
      remaining -= read;
      at += read;
    }
  }

  close(): void {
    for (const archive of this.open.values()) if (typeof archive !== 'string') archive.close();
    this.open.clear();
    this.window = { archive: null, start: 0, length: 0 };
  }
}

/** The stored content's length: a sparse file stores its map and data, not its full size. */
function storedLength(entry: ManifestEntry, header: StoredHeader): number {
  return entry.sparse === true ? header.size : entry.size;
}
