import { parentPort } from 'node:worker_threads';
import { MultipartUpload } from '../s3/multipart-upload';
import { defaultRetryPolicy } from '../s3/retry-policy';
import { S3Client } from '../s3/s3-client';
import { S3Error } from '../s3/s3-errors';
import type { S3Settings } from '../s3/s3-settings';
import { ringClosed, ringLengths, ringPublished, ringState, ringTaken, uploadCompleted, uploadFailed, type UploadRing } from './upload-ring';

/** Atomics.waitAsync (Node 16+; not in this TypeScript lib). */
interface AsyncAtomics {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> };
}

/** What the archive worker hands its upload thread. */
export interface UploadThreadData {
  role: 'upload';
  ring: UploadRing;
  settings: S3Settings;
  key: string;
  partSize: number;
  maxInFlight: number;
  timeoutMs: number;
  attempts: number;
  /** The upload speed limit: bytes are taken from the ring no faster than this on average (null: no limit). */
  bytesPerSecond: number | null;
}

/** What the upload thread tells the archive worker. */
export type FromUploadThread = { type: 'completed'; etag: string; bytes: number; parts: number } | { type: 'failed'; message: string; kind: string } | { type: 'aborted' };

/**
 * The S3 upload thread of an archive worker: takes the archive's bytes from the ring in order into
 * one multipart upload (parts retried on their own; at most `maxInFlight` in flight), completes it
 * once the writer closed the ring (the object appears only then, whole), and aborts it when told to
 * or when it fails. Its end is in the ring's state word too, for a writer that waits synchronously.
 */
export function runUploadThread(data: UploadThreadData): void {
  const port = parentPort;
  if (!port) return;
  const control = new Int32Array(data.ring.control);
  const bytes = Buffer.from(data.ring.data);
  const stop = new AbortController();
  let upload: MultipartUpload | null = null;
  let ended = false;

  const fail = (error: unknown) => {
    if (ended) return;
    ended = true;
    const message = error instanceof Error ? error.message : String(error);
    Buffer.from(data.ring.info).write(message.slice(0, 4000), 0, 'utf8');
    Atomics.store(control, ringState, uploadFailed);
    Atomics.notify(control, ringTaken);
    port.postMessage({ type: 'failed', message, kind: error instanceof S3Error ? error.kind : 'internal' } satisfies FromUploadThread);
  };

  port.on('message', (message: { type: string }) => {
    if (message.type !== 'abort') return;
    stop.abort();
    void (async () => {
      await upload?.abort('stopped');
      fail(new S3Error('cancelled', `the upload of ${data.key} was stopped`));
      port.postMessage({ type: 'aborted' } satisfies FromUploadThread);
    })();
  });

  // A pending Atomics.waitAsync does not keep a thread alive: this does, while the upload goes on.
  const keepAlive = setInterval(() => undefined, 60_000);
  const run = async () => {
    const client = new S3Client(data.settings, { timeoutMs: data.timeoutMs });
    const retry = { ...defaultRetryPolicy, attempts: data.attempts };
    upload = await MultipartUpload.start(client, data.key, { partSize: data.partSize, maxInFlight: data.maxInFlight, signal: stop.signal, retry });
    let taken = 0;
    let fed = 0;
    const started = Date.now();
    for (;;) {
      const published = Atomics.load(control, ringPublished);
      if (taken < published) {
        const slot = taken % data.ring.slots;
        const start = slot * data.ring.slotBytes;
        const length = Atomics.load(control, ringLengths + slot);
        // The speed limit: each slot waits until the bytes before it are due at that rate.
        if (data.bytesPerSecond !== null) {
          const due = started + (fed / data.bytesPerSecond) * 1000 - Date.now();
          if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
        }
        fed += length;
        // write() copies the bytes before it resolves: the slot can be reused at once.
        await upload.write(bytes.subarray(start, start + length));
        taken += 1;
        Atomics.store(control, ringTaken, taken);
        Atomics.notify(control, ringTaken);
        continue;
      }
      if (Atomics.load(control, ringClosed) === 1 && Atomics.load(control, ringPublished) === taken) break;
      const waiting = (Atomics as unknown as AsyncAtomics).waitAsync(control, ringPublished, published, 1000);
      if (waiting.async) await waiting.value;
    }
    const result = await upload.complete();
    ended = true;
    Atomics.store(control, ringState, uploadCompleted);
    Atomics.notify(control, ringTaken);
    port.postMessage({ type: 'completed', etag: result.etag, bytes: result.bytes, parts: result.parts } satisfies FromUploadThread);
  };
  run()
    .catch(fail)
    .finally(() => clearInterval(keepAlive));
}
