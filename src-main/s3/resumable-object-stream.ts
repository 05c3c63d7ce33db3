import { Readable } from 'node:stream';
import { withRetries, type RetryListener, type RetryPolicy } from './retry-policy';
import type { S3Client } from './s3-client';
import { S3Error } from './s3-errors';

/** How a resumable read is tried again. */
export interface ResumableReadOptions {
  /** Tries per stop: how often a read that stopped without a byte more is tried again (see withRetries). */
  retry: RetryPolicy;
  onRetry?: RetryListener;
  /** Bytes buffered ahead of the reader (1 MiB by default). */
  highWaterMark?: number;
}

/** How one GET ended: the object read to its end, or cut after it brought bytes (resumed at once, with a fresh count of tries). */
type TryEnd = 'ended' | 'cut-after-bytes';

/**
 * A whole object read once from start to end, as one stream that survives lost connections: a GET
 * cut midway is resumed where it stopped with a ranged GET (`Range: bytes=N-`, `If-Match` the first
 * answer's ETag), so a 50 GB archive read over flaky Wi-Fi never starts over. A stop is tried again
 * as the retry policy says; a try that brings bytes before it is cut starts a fresh count, so only a
 * read that stops at the same byte on every try fails (with withRetries' "N tries in all"). An object
 * replaced or deleted meanwhile (another ETag or size, or If-Match refused) fails with kind
 * "object-changed": the stream never holds bytes of two versions.
 */
export function resumableObjectStream(client: S3Client, key: string, options: ResumableReadOptions): Readable {
  const stop = new AbortController();
  let wanted: (() => void) | null = null;
  const wake = (): void => {
    const waiting = wanted;
    wanted = null;
    waiting?.();
  };
  const out = new Readable({
    highWaterMark: options.highWaterMark ?? 1024 * 1024,
    read: wake,
    destroy(error, done) {
      stop.abort();
      wake();
      done(error);
    },
  });
  let offset = 0;
  let first: { etag: string; size: number } | null = null;

  const changed = (how: string): S3Error => {
    const asked = `GetObject s3://${client.settings.bucket}/${key} at ${client.settings.endpoint}`;
    return new S3Error('object-changed', `${asked}: the object changed while it was being read: after ${offset} of its ${first?.size ?? 0} bytes had come, ${how}; nothing of the two versions was mixed; read it again, and check that nothing else writes to this bucket`, null, null, { request: asked });
  };

  const tryOnce = async (): Promise<TryEnd> => {
    if (first !== null && offset === first.size) return 'ended';
    const from = offset;
    let opened: Awaited<ReturnType<S3Client['getObjectStream']>>;
    try {
      opened = await client.getObjectStream(key, first === null ? { signal: stop.signal } : { signal: stop.signal, from, ifMatch: first.etag });
    } catch (error) {
      if (first !== null && error instanceof S3Error && error.kind === 'object-changed') throw changed(`it is no longer the one whose ETag was ${first.etag}`);
      if (first !== null && error instanceof S3Error && error.kind === 'no-such-key') throw changed('it was deleted');
      throw error;
    }
    const { body, objectSize, etag } = opened;
    if (first === null) first = { etag, size: objectSize };
    else if (etag !== first.etag || objectSize !== first.size) {
      body.destroy();
      throw changed(`its ETag and size are ${etag} and ${objectSize}, no longer ${first.etag} and ${first.size}`);
    }
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (stop.signal.aborted) break;
        offset += chunk.length;
        if (!out.push(chunk)) await new Promise<void>((resolve) => (wanted = resolve));
      }
    } catch (error) {
      if (offset > from && options.retry.attempts > 1 && error instanceof S3Error && error.retryable && !stop.signal.aborted) return 'cut-after-bytes';
      throw error;
    }
    if (stop.signal.aborted) {
      body.destroy();
      throw new S3Error('cancelled', `GetObject s3://${client.settings.bucket}/${key} was cancelled`);
    }
    return 'ended';
  };

  const run = async (): Promise<void> => {
    while ((await withRetries(tryOnce, options.retry, { signal: stop.signal, onRetry: options.onRetry })) !== 'ended');
    out.push(null);
  };
  run().catch((error: unknown) => {
    if (!stop.signal.aborted) out.destroy(error as Error);
  });
  return out;
}
