import { Writable } from 'node:stream';
import type { MultipartUpload, UploadResult } from './multipart-upload';

/** A Writable over a multipart upload, and the upload's result once the stream has finished. */
export interface UploadWritable {
  stream: Writable;
  /** Resolves when the stream finished and the upload completed; rejects when it failed or was destroyed. */
  result: Promise<UploadResult>;
}

/**
 * Lets a producer pipe into a multipart upload: each write waits for the upload to take the bytes
 * (backpressure through the part slots), end() completes the upload, and destroying the stream
 * (a failed pipeline, a cancelled backup) aborts it.
 */
export function uploadWritable(upload: MultipartUpload): UploadWritable {
  let settle: { resolve: (result: UploadResult) => void; reject: (error: Error) => void } | undefined;
  const result = new Promise<UploadResult>((resolve, reject) => {
    settle = { resolve, reject };
  });
  result.catch(() => undefined);
  let completed = false;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      upload.write(chunk).then(() => callback(), callback);
    },
    final(callback) {
      upload.complete().then(
        (done) => {
          completed = true;
          settle?.resolve(done);
          callback();
        },
        callback,
      );
    },
    destroy(error, callback) {
      if (completed) return callback(error);
      const failure = error ?? new Error(`the upload of ${upload.key} was stopped before it completed`);
      upload.abort().then(
        () => {
          settle?.reject(failure);
          callback(error);
        },
        () => {
          settle?.reject(failure);
          callback(error);
        },
      );
    },
  });
  return { stream, result };
}
