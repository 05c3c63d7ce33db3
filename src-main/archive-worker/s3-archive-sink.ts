import { Worker } from 'node:worker_threads';
import { defaultRetryPolicy, withRetries, type RetryPolicy } from '../s3/retry-policy';
import { S3Client } from '../s3/s3-client';
import { keyOfPath } from '../s3/s3-location';
import { basename } from 'node:path';
import type { S3Settings } from '../s3/s3-settings';
import type { ArchiveRequest } from './archive-protocol';
import { sidecarPath } from './archive-manifest';
import type { FromUploadThread, UploadThreadData } from './s3-upload-thread';
import { createUploadRing, type UploadRing } from './upload-ring';
import { workerThreadScript } from './worker-thread-script';

/** How an archive goes to S3: the bucket and keys, and how it is cut into parts. */
export interface S3Target {
  settings: S3Settings;
  partSize: number;
  maxInFlight: number;
  timeoutMs: number;
  attempts: number;
  /** The upload speed limit (an average), or null. */
  bytesPerSecond: number | null;
}

/**
 * An archive on its way to S3 as one multipart upload: the archive output fills `ring` (instead of
 * a file) and an upload thread sends it. `completed` settles once the upload completed (the object
 * is then published, whole) or failed; `abort()` cancels it, aborting the upload on the server.
 */
export class S3ArchiveSink {
  readonly ring: UploadRing = createUploadRing();
  readonly key: string;
  readonly completed: Promise<{ etag: string; bytes: number; parts: number }>;
  private readonly thread: Worker;
  private readonly client: S3Client;
  private aborted: Promise<void> | null = null;
  private ended = false;

  constructor(
    readonly archivePath: string,
    private readonly target: S3Target,
  ) {
    this.key = keyOfPath(archivePath);
    this.client = new S3Client(target.settings, { timeoutMs: 60_000 });
    const data: UploadThreadData = { role: 'upload', ring: this.ring, settings: target.settings, key: this.key, partSize: target.partSize, maxInFlight: target.maxInFlight, timeoutMs: target.timeoutMs, attempts: target.attempts, bytesPerSecond: target.bytesPerSecond };
    this.thread = new Worker(workerThreadScript(), { workerData: data });
    this.completed = new Promise((resolve, reject) => {
      this.thread.on('message', (message: FromUploadThread) => {
        if (message.type === 'completed') resolve(message);
        else if (message.type === 'failed') reject(new Error(message.message));
      });
      this.thread.on('error', (error) => reject(error));
      this.thread.on('exit', () => reject(new Error(`the upload of ${archivePath} stopped before it completed`)));
    });
    this.completed.catch(() => undefined);
  }

  /** Writes a small object beside the archive (its `.sha256`), tried again as a part is. */
  async putBeside(archivePath: string, body: string): Promise<void> {
    await withRetries(() => this.client.putObject(keyOfPath(archivePath), Buffer.from(body)), this.retry);
  }

  /** Deletes an object this backup published (the archive, when its sidecar could not be written), tried again as a part is. */
  async remove(archivePath: string): Promise<void> {
    await withRetries(() => this.client.deleteObject(keyOfPath(archivePath)), this.retry);
  }

  private get retry(): RetryPolicy {
    return { ...defaultRetryPolicy, attempts: this.target.attempts };
  }

  /** Stops the upload thread once the upload completed. */
  async close(): Promise<void> {
    this.ended = true;
    await this.thread.terminate();
  }

  /** Cancels the upload: aborted on the server (nothing appears under the key), then the thread ends; waits at most 15 s. */
  abort(): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.aborted ??= (async () => {
      const done = new Promise<void>((resolve) => {
        this.thread.on('message', (message: FromUploadThread) => {
          if (message.type === 'aborted') resolve();
        });
        this.thread.on('exit', () => resolve());
        setTimeout(resolve, 15_000).unref();
      });
      this.thread.postMessage({ type: 'abort' });
      await done;
      this.ended = true;
      await this.thread.terminate();
    })();
    return this.aborted;
  }
}

/**
 * Publishes an archive uploaded to S3: waits for its upload to complete (CompleteMultipartUpload
 * makes the object appear, whole), then writes its `.sha256` object; an archive whose sidecar
 * cannot be written is deleted again, so a failed backup leaves nothing visible.
 */
export async function publishUpload(sink: S3ArchiveSink, archivePath: string, sha256: string): Promise<void> {
  await sink.completed;
  try {
    await sink.putBeside(sidecarPath(archivePath), `${sha256}  ${basename(archivePath)}\n`);
  } catch (error) {
    await sink.remove(archivePath).catch(() => undefined);
    throw error;
  } finally {
    await sink.close();
  }
}

/** Where an archive goes in S3, from the worker request. */
export function s3TargetOf(s3: NonNullable<ArchiveRequest['s3']>): S3Target {
  return {
    settings: { endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, pathStyle: s3.pathStyle, credentials: s3.credentials },
    partSize: s3.partSize,
    maxInFlight: s3.maxInFlight,
    timeoutMs: s3.timeoutMs,
    attempts: s3.attempts,
    bytesPerSecond: s3.bytesPerSecond,
  };
}
