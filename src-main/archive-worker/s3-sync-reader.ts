import { Worker } from 'node:worker_threads';
import { DormouseError } from '../../shared/errors';
import type { S3Settings } from '../s3/s3-settings';
import { createReadChannel, operationGet, operationHead, readAnswer, readBodyLength, readKeyLength, readOperation, readRequest, readStatus, statusMissing, statusOk, type ReadChannel, type ReadThreadData } from './s3-read-thread';
import { workerThreadScript } from './worker-thread-script';

/** The most bytes one ranged read returns. */
export const syncReadBytes = 1024 * 1024;

/**
 * Synchronous reads of objects in one bucket, for the archive worker's readers (which read archives
 * with synchronous calls, as from a file): each call hands the request to a read thread and waits
 * with Atomics.wait until it answers. This blocks the archive worker (a process of its own, or a
 * thread of the owner while browsing), never the owner's event loop.
 */
export class S3SyncReader {
  private readonly channel: ReadChannel = createReadChannel(syncReadBytes);
  private readonly control = new Int32Array(this.channel.control);
  private readonly numbers = new Float64Array(this.channel.numbers);
  private readonly thread: Worker;
  private sequence = 0;

  constructor(readonly settings: S3Settings) {
    const data: ReadThreadData = { role: 'read', channel: this.channel, settings };
    this.thread = new Worker(workerThreadScript(), { workerData: data });
    // An idle reader never keeps the worker alive.
    this.thread.unref();
  }

  /** An object's size, or null when there is no such object. */
  size(key: string): number | null {
    this.call(operationHead, key, 0, 0);
    return Atomics.load(this.control, readStatus) === statusMissing ? null : (this.numbers[2] as number);
  }

  /** Reads `length` bytes (at most syncReadBytes) of an object from `start` into `target`; returns the object's whole size. */
  read(key: string, start: number, length: number, target: Buffer): number {
    if (length > syncReadBytes) throw new DormouseError('INTERNAL', `a ranged read of ${length} bytes is more than ${syncReadBytes}`);
    this.call(operationGet, key, start, start + length - 1);
    const got = Atomics.load(this.control, readBodyLength);
    Buffer.from(this.channel.body).copy(target, 0, 0, got);
    return this.numbers[2] as number;
  }

  /** Ends the read thread. */
  close(): void {
    void this.thread.terminate();
  }

  private call(operation: number, key: string, start: number, end: number): void {
    const keyBytes = Buffer.from(key, 'utf8');
    keyBytes.copy(Buffer.from(this.channel.key));
    Atomics.store(this.control, readKeyLength, keyBytes.length);
    Atomics.store(this.control, readOperation, operation);
    this.numbers[0] = start;
    this.numbers[1] = end;
    this.sequence += 1;
    Atomics.store(this.control, readRequest, this.sequence);
    Atomics.notify(this.control, readRequest);
    while (Atomics.load(this.control, readAnswer) !== this.sequence) Atomics.wait(this.control, readAnswer, this.sequence - 1, 1000);
    const status = Atomics.load(this.control, readStatus);
    if (status === statusOk || (status === statusMissing && operation === operationHead)) return;
    const message = Buffer.from(this.channel.info).toString('utf8').replace(/\0+$/, '');
    if (status === statusMissing) throw new DormouseError('NOT_FOUND', `cannot open the archive s3://${this.settings.bucket}/${key} (it is not in the bucket); was it deleted?`);
    throw new DormouseError('DESTINATION_UNAVAILABLE', message);
  }
}

const readers = new Map<string, S3SyncReader>();

/** The worker's one reader for a bucket (and keys), made on first use. */
export function syncReaderFor(settings: S3Settings): S3SyncReader {
  const id = `${settings.endpoint}\n${settings.bucket}\n${settings.credentials.accessKeyId}`;
  let reader = readers.get(id);
  if (!reader) {
    reader = new S3SyncReader(settings);
    readers.set(id, reader);
  }
  return reader;
}
