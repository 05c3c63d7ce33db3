import type { S3Client, UploadedPart } from './s3-client';
import { S3Error } from './s3-errors';
import { defaultRetryPolicy, withRetries, type RetryPolicy } from './retry-policy';

/** S3's smallest part (every part but the last) and its most parts per upload. */
export const minimumPartSize = 5 * 1024 * 1024;
const maximumParts = 10_000;

/** What an upload reports as it goes, for logs and tests. */
export type UploadEvent =
  | { type: 'started'; key: string; uploadId: string }
  | { type: 'part-started'; partNumber: number; attempt: number; bytes: number }
  | { type: 'part-uploaded'; partNumber: number; attempt: number; bytes: number }
  | { type: 'part-failed'; partNumber: number; attempt: number; error: S3Error; retryInMs: number }
  | { type: 'completed'; key: string; parts: number; bytes: number }
  | { type: 'aborted'; key: string; reason: string }
  | { type: 'abort-failed'; key: string; error: unknown };

/** How an upload is cut into parts and how it copes with failures. */
export interface MultipartUploadOptions {
  /** Bytes per part (the last may be shorter); at least 5 MiB. Default 8 MiB. */
  partSize?: number;
  /** Parts uploading at the same time; memory held is about (maxInFlight + 1) × partSize. Default 4. */
  maxInFlight?: number;
  /** How each part (and the start, the completion and the abort) is tried again. */
  retry?: RetryPolicy;
  contentType?: string;
  /** Aborting it cancels the upload: requests in flight stop and the upload is aborted on the server. */
  signal?: AbortSignal;
  onEvent?: (event: UploadEvent) => void;
}

/** What a completed upload made. */
export interface UploadResult {
  key: string;
  etag: string;
  bytes: number;
  parts: number;
}

/** Counters of an upload's work, to see what was retried. */
export interface UploadStats {
  /** How many times each part was sent, by part number (1 when it went through the first time). */
  attemptsByPart: Map<number, number>;
  /** The most parts that were uploading at once. */
  mostInFlight: number;
}

const abortPolicy: RetryPolicy = { attempts: 3, firstDelayMs: 200, maxDelayMs: 2_000 };

/**
 * One object uploaded with S3 multipart upload from bytes written in order, as the archive worker
 * produces them: no local copy. Parts of `partSize` go up as they fill, at most `maxInFlight` at a
 * time (write waits for a free slot: the producer is held back, not buffered without bound). A part
 * that fails on the network or the server is sent again after a growing wait, on its own (the parts
 * before it stay uploaded); any other failure, the last try's failure or cancellation aborts the
 * upload on the server. The object appears only when complete() succeeds.
 *
 * Call write() and complete() one at a time, each awaited.
 */
export class MultipartUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly stats: UploadStats = { attemptsByPart: new Map(), mostInFlight: 0 };
  private readonly client: S3Client;
  private readonly partSize: number;
  private readonly maxInFlight: number;
  private readonly retry: RetryPolicy;
  private readonly onEvent: (event: UploadEvent) => void;
  private readonly stop = new AbortController();
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly parts: UploadedPart[] = [];
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private bytes = 0;
  private nextPartNumber = 1;
  private failure: Error | null = null;
  private aborting: Promise<void> | null = null;
  private result: UploadResult | null = null;

  private constructor(client: S3Client, key: string, uploadId: string, options: Required<Pick<MultipartUploadOptions, 'partSize' | 'maxInFlight' | 'retry' | 'onEvent'>>) {
    this.client = client;
    this.key = key;
    this.uploadId = uploadId;
    this.partSize = options.partSize;
    this.maxInFlight = options.maxInFlight;
    this.retry = options.retry;
    this.onEvent = options.onEvent;
  }

  /** Begins the upload on the server (CreateMultipartUpload, retried like a part). */
  static async start(client: S3Client, key: string, options: MultipartUploadOptions = {}): Promise<MultipartUpload> {
    const partSize = options.partSize ?? 8 * 1024 * 1024;
    const maxInFlight = options.maxInFlight ?? 4;
    if (!Number.isInteger(partSize) || partSize < minimumPartSize) throw new S3Error('invalid-request', `the part size must be at least ${minimumPartSize} bytes (5 MiB), not ${partSize}`);
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new S3Error('invalid-request', `the parts in flight must be a whole number of at least 1, not ${maxInFlight}`);
    const retry = options.retry ?? defaultRetryPolicy;
    const onEvent = options.onEvent ?? (() => undefined);
    const uploadId = await withRetries(() => client.createMultipartUpload(key, { contentType: options.contentType, signal: options.signal }), retry, { signal: options.signal });
    const upload = new MultipartUpload(client, key, uploadId, { partSize, maxInFlight, retry, onEvent });
    onEvent({ type: 'started', key, uploadId });
    if (options.signal) {
      const signal = options.signal;
      if (signal.aborted) await upload.abort();
      else signal.addEventListener('abort', () => void upload.abort().catch(() => undefined), { once: true });
    }
    return upload;
  }

  /**
   * Takes the next bytes of the object; resolves once they are accepted (a part slot was free when
   * one filled up). The bytes are copied: the caller may reuse its buffer (a ring) at once.
   */
  async write(chunk: Buffer): Promise<void> {
    await this.throwIfStopped();
    if (chunk.length === 0) return;
    this.pending.push(Buffer.from(chunk));
    this.pendingBytes += chunk.length;
    this.bytes += chunk.length;
    while (this.pendingBytes >= this.partSize) await this.launch(this.takePart(this.partSize));
  }

  /** Uploads what is left, waits for every part and completes the upload: the object is visible from now on. */
  async complete(): Promise<UploadResult> {
    if (this.result) return this.result;
    await this.throwIfStopped();
    if (this.pendingBytes > 0 || this.nextPartNumber === 1) await this.launch(this.takePart(this.pendingBytes));
    await Promise.all(this.inFlight.values());
    await this.throwIfStopped();
    let etag: string;
    try {
      etag = await withRetries((attempt) => this.completeOnce(attempt), this.retry, { signal: this.stop.signal });
    } catch (error) {
      this.fail(error as Error);
      await this.throwIfStopped();
      throw error;
    }
    this.result = { key: this.key, etag, bytes: this.bytes, parts: this.parts.length };
    this.onEvent({ type: 'completed', key: this.key, parts: this.parts.length, bytes: this.bytes });
    return this.result;
  }

  /** Cancels the upload: parts in flight stop, and the upload is aborted on the server (nothing appears under the key). */
  async abort(reason = 'cancelled'): Promise<void> {
    if (this.result) return;
    this.fail(new S3Error('cancelled', `the upload of ${this.key} was ${reason}`), reason);
    await this.aborting;
  }

  /** The next `size` bytes written, from the front of what is pending (one copy at most). */
  private takePart(size: number): Buffer {
    const pieces: Buffer[] = [];
    let taken = 0;
    while (taken < size) {
      const head = this.pending[0] as Buffer;
      const wanted = size - taken;
      if (head.length <= wanted) {
        pieces.push(head);
        this.pending.shift();
        taken += head.length;
      } else {
        pieces.push(head.subarray(0, wanted));
        this.pending[0] = head.subarray(wanted);
        taken = size;
      }
    }
    this.pendingBytes -= size;
    return pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces, size);
  }

  private async launch(body: Buffer): Promise<void> {
    while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight.values());
    await this.throwIfStopped();
    const partNumber = this.nextPartNumber++;
    if (partNumber > maximumParts) {
      this.fail(new S3Error('invalid-request', `the upload of ${this.key} needs more than ${maximumParts} parts; use a larger part size`));
      await this.throwIfStopped();
    }
    const running = this.sendPart(partNumber, body).finally(() => this.inFlight.delete(partNumber));
    this.inFlight.set(partNumber, running);
    this.stats.mostInFlight = Math.max(this.stats.mostInFlight, this.inFlight.size);
  }

  private async sendPart(partNumber: number, body: Buffer): Promise<void> {
    try {
      const etag = await withRetries(
        (attempt) => {
          this.stats.attemptsByPart.set(partNumber, attempt);
          this.onEvent({ type: 'part-started', partNumber, attempt, bytes: body.length });
          return this.client.uploadPart(this.key, this.uploadId, partNumber, body, { signal: this.stop.signal });
        },
        this.retry,
        { signal: this.stop.signal, onRetry: (error, attempt, retryInMs) => this.onEvent({ type: 'part-failed', partNumber, attempt, error, retryInMs }) },
      );
      this.parts.push({ partNumber, etag });
      this.onEvent({ type: 'part-uploaded', partNumber, attempt: this.stats.attemptsByPart.get(partNumber) ?? 1, bytes: body.length });
    } catch (error) {
      this.fail(error as Error);
    }
  }

  private async completeOnce(attempt: number): Promise<string> {
    try {
      return await this.client.completeMultipartUpload(this.key, this.uploadId, this.parts, { signal: this.stop.signal });
    } catch (error) {
      // A retry after a completion whose answer was lost finds the upload gone: the object tells.
      if (attempt > 1 && error instanceof S3Error && error.kind === 'no-such-upload') {
        const object = await this.client.headObject(this.key, { signal: this.stop.signal });
        if (object && object.size === this.bytes) return object.etag;
      }
      throw error;
    }
  }

  /** The first failure stops everything: parts in flight are cancelled, then the upload is aborted on the server. */
  private fail(error: Error, reason = error.message): void {
    if (this.failure) return;
    this.failure = error;
    this.stop.abort();
    this.aborting = (async () => {
      await Promise.allSettled(this.inFlight.values());
      try {
        await withRetries(() => this.client.abortMultipartUpload(this.key, this.uploadId), abortPolicy);
        this.onEvent({ type: 'aborted', key: this.key, reason });
      } catch (abortError) {
        if (abortError instanceof S3Error && abortError.kind === 'no-such-upload') this.onEvent({ type: 'aborted', key: this.key, reason });
        else this.onEvent({ type: 'abort-failed', key: this.key, error: abortError });
      }
    })();
  }

  private async throwIfStopped(): Promise<void> {
    if (!this.failure) return;
    await this.aborting;
    throw this.failure;
  }
}
