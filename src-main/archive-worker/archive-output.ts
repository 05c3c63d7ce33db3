import { createHash } from 'node:crypto';
import { closeSync, constants, fsyncSync, ftruncateSync, openSync, statfsSync, writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { writeAllAt } from '../common/files';
import { Fifo } from '../common/fifo';
import type { AgeFileStart } from '../encryption/age-encryptor';
import { payloadSizeOf } from '../encryption/age-stream';
import { nativeFsFile } from '../native/native-fs';
import { sealingData } from './sealing-threads';
import type { UploadRing } from './upload-ring';
import { digestLength, writtenHashKind, type ContentHashKind } from './content-hash';
import { baseWord, digestBytes, digested, directFdWord, failed, fdWord, finished, flushed, hashed, infoBytes, lengthsStart, outputThreadRoles, produced, tapCapacity, tapDigestBytes, tapped, tapsDone, tapsPublished, threadSource, written } from './output-threads';

/** Something that hands out slices of its buffer to fill and is told how much was filled. */
export interface ReservingSink {
  reserve(maxBytes: number): Buffer;
  commit(bytes: number): void;
}

/** Copies bytes into a sink slice by slice: the one way bytes that are already in memory enter an archive. */
export function copyInto(sink: ReservingSink, data: Buffer): void {
  let done = 0;
  while (done < data.length) {
    const slice = sink.reserve(data.length - done);
    data.copy(slice, 0, done, done + slice.length);
    sink.commit(slice.length);
    done += slice.length;
  }
}

/** What writing an archive file came to: its SHA-256 (of the file as written: the ciphertext of an encrypted one), its plaintext length and the file's. */
export interface ArchiveOutputResult {
  sha256: string;
  bytes: number;
  fileBytes: number;
}

/** How the archive file is written: direct I/O when the destination's file system takes it (the default), or through the page cache. */
export interface ArchiveOutputOptions {
  directIo?: boolean;
  /** Encrypt the file with age: the start of the file (startAgeFile), sealed on a thread of its own. */
  encryption?: AgeFileStart;
  slotBytes?: number;
  slots?: number;
  /** Hand the file's bytes to an S3 upload thread through this ring instead of writing a file (s3-archive-sink.ts). */
  upload?: UploadRing;
  /**
   * Start the threads only once the archive turns out to hold more than one buffer or any file's
   * content (an incremental: most hold only their manifest). One that never does is hashed and
   * written by the caller's thread at `finish`, sparing three threads' start. Plain local archives
   * only: an encrypted or uploaded one always starts them.
   */
  lazy?: boolean;
}

/**
 * The archive file being written: a ring of shared buffers that the builder fills (reading file
 * content straight into them), while one thread hashes them and another writes them. Where the
 * file system allows it, full buffers are written with O_DIRECT: a backup then neither waits for
 * the page cache to be written back at the final fsync nor evicts the user's own cached files.
 * Elsewhere (network shares, tmpfs, macOS, Windows) the same threads write through the page cache.
 */
export class ArchiveOutput {
  private readonly tapControl = new Int32Array(new SharedArrayBuffer(8));
  private readonly tapRanges = new Float64Array(new SharedArrayBuffer(tapCapacity * 16));
  private readonly tapDigests = Buffer.from(new SharedArrayBuffer(tapCapacity * tapDigestBytes));
  /** The hash each file's content gets on the tapping thread (what the manifest records). */
  readonly tapHash: ContentHashKind = writtenHashKind();
  /** What to do with each tap's digest, oldest first, from `tapsCollected` on. */
  private readonly tapWaiting = new Fifo<(digest: string) => void>();
  private tapsCollected = 0;
  private fd = -1;
  private directFd = -1;
  private base = 0;
  private readonly data: SharedArrayBuffer;
  private readonly control: Int32Array;
  private readonly info: Buffer;
  private readonly bytes: Buffer;
  private readonly slotBytes: number;
  private readonly slots: number;
  private readonly workerData: object;
  private threads: Worker[] = [];
  private slot: Buffer | null = null;
  private filled = 0;
  private submitted = 0;
  private submittedBytes = 0;
  private closed = false;
  /** Copies of the bytes committed since `record` was called, and where they start. */
  private recording: { start: number; pieces: Buffer[] } | null = null;

  /** Starts the hashing and writing threads (unless lazy); they wait for `open`, so they can boot while the sources are walked. */
  constructor(private readonly options: ArchiveOutputOptions = {}) {
    this.slotBytes = options.slotBytes ?? 1024 * 1024;
    this.slots = options.slots ?? 8;
    this.data = new SharedArrayBuffer(this.slots * this.slotBytes + 4096);
    this.bytes = Buffer.from(this.data);
    const info = new SharedArrayBuffer(infoBytes);
    this.info = Buffer.from(info);
    const control = new SharedArrayBuffer(4 * (lengthsStart + this.slots));
    this.control = new Int32Array(control);
    const encryption = options.encryption ? sealingData(options.encryption, this.slotBytes) : null;
    const tapsWith = { tapHash: this.tapHash, nativeAddon: this.tapHash === 'xxh128' ? nativeFsFile() : null };
    this.workerData = { data: this.data, control, info, slots: this.slots, slotBytes: this.slotBytes, tapControl: this.tapControl.buffer, tapRanges: this.tapRanges.buffer, tapDigests: this.tapDigests.buffer, ...tapsWith, encryption, upload: options.upload ?? null };
    if (options.lazy !== true || encryption !== null || options.upload) this.startThreads();
  }

  /** Starts the hashing, tapping and writing threads (and sealing, when encrypted), once. */
  private startThreads(): void {
    if (this.threads.length > 0) return;
    const encrypted = this.options.encryption !== undefined;
    this.threads = outputThreadRoles(encrypted).map((role) => new Worker(threadSource(role, encrypted), { eval: true, workerData: this.workerData }));
  }

  /** Creates the archive file (mode 0600), and a direct-I/O descriptor to it where the file system takes one; with an upload ring, no file (`path` is null). */
  open(path: string | null): void {
    this.fd = path === null ? -1 : openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
    const direct = this.options.directIo === false || path === null ? null : openDirect(path, this.bytes);
    this.directFd = direct?.fd ?? -1;
    this.base = direct?.base ?? 0;
    Atomics.store(this.control, fdWord, this.fd);
    Atomics.store(this.control, directFdWord, this.directFd);
    Atomics.store(this.control, baseWord, this.base);
    this.slot = this.acquire();
  }

  /** Whether full buffers go to the file with direct I/O. */
  get direct(): boolean {
    return this.directFd >= 0;
  }

  /** Bytes handed to the output so far: the offset in the file where the next byte goes. */
  get position(): number {
    return this.submittedBytes + this.filled;
  }

  /** A slice of the current buffer to read content into directly, saving a copy. */
  reserve(maxBytes: number): Buffer {
    if (this.slot === null) throw new Error('the archive file is not open');
    if (this.filled === this.slotBytes) this.next();
    return (this.slot as Buffer).subarray(this.filled, this.filled + Math.min(maxBytes, this.slotBytes - this.filled));
  }

  /** Marks bytes read into a reserved slice as written. */
  commit(bytes: number): void {
    if (this.recording && this.slot) this.recording.pieces.push(Buffer.from(this.slot.subarray(this.filled, this.filled + bytes)));
    this.filled += bytes;
  }

  /** Keeps a copy of every byte written from now on (an archive's manifest, index and trailer, for its local copy). */
  record(): void {
    this.recording = { start: this.position, pieces: [] };
  }

  /** The bytes kept since `record`, and the position of the first. */
  get recorded(): { start: number; pieces: Buffer[] } | null {
    return this.recording;
  }

  /** Appends bytes. */
  write(data: Buffer): void {
    copyInto(this, data);
  }

  /**
   * Asks the tapping thread for the content hash (`tapHash`) of the stream bytes [start, end) as
   * well (a file's content: hashing it there keeps it off the thread that reads the files). Taps come in stream
   * order, each before any of its bytes is committed; `done` gets the digest once the hasher has
   * passed the range, at the latest in `settleTaps`.
   */
  tap(start: number, end: number, done: (digest: string) => void): void {
    this.startThreads();
    while (Atomics.load(this.tapControl, tapsPublished) - this.tapsCollected >= tapCapacity) this.collectTaps(true);
    const published = Atomics.load(this.tapControl, tapsPublished);
    const ring = published % tapCapacity;
    this.tapRanges[2 * ring] = start;
    this.tapRanges[2 * ring + 1] = end;
    this.tapWaiting.push(done);
    Atomics.store(this.tapControl, tapsPublished, published + 1);
    // Collected often, without waiting: entries whose digests are known leave the builder's queue young, before the garbage collector has to move them.
    if ((published & 63) === 63 || this.tapWaiting.length > tapCapacity / 2) this.collectTaps(false);
  }

  /** Hands the digests of every tap the hasher has finished to their callbacks; waits for one more when asked. */
  private collectTaps(wait: boolean): void {
    let done = Atomics.load(this.tapControl, tapsDone);
    while (wait && done === this.tapsCollected) {
      this.throwIfFailed();
      Atomics.wait(this.tapControl, tapsDone, done, 100);
      done = Atomics.load(this.tapControl, tapsDone);
    }
    while (this.tapsCollected < done) {
      const ring = this.tapsCollected % tapCapacity;
      const callback = this.tapWaiting.shift();
      callback?.(this.tapDigests.toString('hex', ring * tapDigestBytes, ring * tapDigestBytes + digestLength[this.tapHash]));
      this.tapsCollected += 1;
    }
  }

  /** Hands over the buffer filled so far and waits until every tap's digest is known: before the manifest that records them is written. */
  settleTaps(): void {
    if (this.tapWaiting.length === 0) return;
    if (this.filled > 0) this.next();
    while (this.tapWaiting.length > 0) this.collectTaps(true);
  }

  /** Hands over the last buffer, waits until every byte is hashed and written, then fsyncs and closes the file. */
  finish(): ArchiveOutputResult {
    if (this.threads.length === 0) return this.finishHere();
    const bytes = this.position;
    if (this.filled > 0) this.submit();
    Atomics.store(this.control, finished, 1);
    Atomics.notify(this.control, produced);
    for (;;) {
      this.throwIfFailed();
      if (Atomics.load(this.control, digested) === 0) Atomics.wait(this.control, digested, 0, 100);
      else if (Atomics.load(this.control, flushed) === 0) Atomics.wait(this.control, flushed, 0, 100);
      else break;
    }
    const sha256 = this.info.toString('latin1', 0, digestBytes);
    const start = this.options.encryption;
    const fileBytes = start ? start.header.length + payloadSizeOf(bytes) : bytes;
    if (this.fd >= 0) {
      // The alignment probe may have written past the end of a very small archive.
      ftruncateSync(this.fd, fileBytes);
      fsyncSync(this.fd);
    }
    this.close();
    return { sha256, bytes, fileBytes };
  }

  /** `finish` for an archive whose threads never started: all of it is in the first buffer. */
  private finishHere(): ArchiveOutputResult {
    const content = (this.slot ?? Buffer.alloc(0)).subarray(0, this.filled);
    const sha256 = createHash('sha256').update(content).digest('hex');
    if (this.fd >= 0) {
      writeAllAt(this.fd, content, 0);
      ftruncateSync(this.fd, content.length);
      fsyncSync(this.fd);
    }
    this.close();
    return { sha256, bytes: content.length, fileBytes: content.length };
  }

  /** Stops the threads and closes the file of an archive that will not be finished. */
  async abandon(): Promise<void> {
    Atomics.store(this.control, finished, 1);
    Atomics.notify(this.control, produced);
    await Promise.all(this.threads.map((thread) => thread.terminate()));
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd >= 0) closeSync(this.fd);
    if (this.directFd >= 0) closeSync(this.directFd);
  }

  private next(): void {
    this.submit();
    this.slot = this.acquire();
  }

  private submit(): void {
    this.startThreads();
    Atomics.store(this.control, lengthsStart + (this.submitted % this.slots), this.filled);
    this.submitted += 1;
    this.submittedBytes += this.filled;
    this.filled = 0;
    Atomics.store(this.control, produced, this.submitted);
    Atomics.notify(this.control, produced);
  }

  /** The next free buffer, waiting while the threads are a whole ring behind. */
  private acquire(): Buffer {
    // An encrypted archive's hasher reads the sealer's ciphertext, not these slots; `written` counts the slots the sealer took.
    const followers = this.options.encryption ? [tapped, written] : [hashed, tapped, written];
    for (;;) {
      this.throwIfFailed();
      const counts = followers.map((word) => Atomics.load(this.control, word));
      const slowest = Math.min(...counts);
      if (this.submitted - slowest < this.slots) break;
      Atomics.wait(this.control, followers[counts.indexOf(slowest)] as number, slowest, 100);
    }
    const start = this.base + (this.submitted % this.slots) * this.slotBytes;
    return this.bytes.subarray(start, start + this.slotBytes);
  }

  /** Rethrows the writer thread's error (ENOSPC, EIO…) with its code, so the builder reports it as it would its own. */
  private throwIfFailed(): void {
    // 2 while a failing thread is still writing its error.
    if (Atomics.load(this.control, failed) !== 1) return;
    const text = this.info.toString('utf8', digestBytes).replace(/\0+$/, '');
    let reported: { code: string | null; message: string };
    try {
      reported = JSON.parse(text) as typeof reported;
    } catch {
      reported = { code: null, message: `the archive could not be written (${text.slice(0, 200)})` };
    }
    throw Object.assign(new Error(reported.message), reported.code ? { code: reported.code } : {});
  }
}

/**
 * Local disk file systems (statfs magic numbers: ext2/3/4, XFS, Btrfs, F2FS, FAT, exFAT), where
 * direct I/O streams to the drive. Elsewhere it is left alone: on a network share every direct write
 * would be a synchronous round trip, and tmpfs has no drive to stream to.
 */
const directFileSystems = new Set([0xef53, 0x58465342, 0x9123683e, 0xf2f52010, 0x4d44, 0x2011bab0]);

/**
 * Opens the file a second time with O_DIRECT and finds where in the shared buffer memory is aligned
 * as the device needs (JavaScript cannot see addresses, so it tries offsets until a write is
 * accepted). Null where the platform or file system does not do direct I/O.
 */
function openDirect(path: string, memory: Buffer): { fd: number; base: number } | null {
  const flag = (constants as Record<string, number | undefined>).O_DIRECT;
  if (!flag || !directFileSystems.has(statfsSync(path).type)) return null;
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | flag);
  } catch {
    return null;
  }
  for (let base = 0; base < 4096; base += 16) {
    try {
      writeSync(fd, memory, base, 4096, 0);
      return { fd, base };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EINVAL') break;
    }
  }
  closeSync(fd);
  return null;
}
