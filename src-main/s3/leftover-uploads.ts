import type { PendingUpload, S3Client } from './s3-client';
import { S3Error } from './s3-errors';
import { withRetries, type RetryPolicy } from './retry-policy';

const sweepPolicy: RetryPolicy = { attempts: 3, firstDelayMs: 500, maxDelayMs: 2_000 };

/**
 * Aborts the multipart uploads a crash (or a network that never came back) left under `prefix`,
 * begun before `initiatedBefore` by the server's clock: only this machine's prefix, and only
 * uploads older than this start, so another laptop's upload in progress, or one this process just
 * began, is never touched, nor one `spare` keeps. Returns the uploads it aborted (one already gone counts as aborted).
 */
export async function abortLeftoverUploads(client: S3Client, prefix: string, initiatedBefore: Date, options: { signal?: AbortSignal; spare?: (upload: PendingUpload) => boolean } = {}): Promise<PendingUpload[]> {
  const leftovers: PendingUpload[] = [];
  let marker: { keyMarker: string; uploadIdMarker: string } | undefined;
  do {
    const page = await withRetries(() => client.listMultipartUploads({ prefix, ...marker, signal: options.signal }), sweepPolicy, options);
    leftovers.push(...page.uploads.filter((upload) => upload.key.startsWith(prefix) && upload.initiated < initiatedBefore));
    marker = page.next ?? undefined;
  } while (marker !== undefined);

  const aborted: PendingUpload[] = [];
  for (const upload of leftovers) {
    // Asked right before each abort: a backup that began meanwhile may own this folder now.
    if (options.spare?.(upload)) continue;
    aborted.push(upload);
    try {
      await withRetries(() => client.abortMultipartUpload(upload.key, upload.uploadId, { signal: options.signal }), sweepPolicy, options);
    } catch (error) {
      if (!(error instanceof S3Error && error.kind === 'no-such-upload')) throw error;
    }
  }
  return aborted;
}
