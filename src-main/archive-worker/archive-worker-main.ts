import { statSync, type Stats } from 'node:fs';
import { parentPort as threadPort } from 'node:worker_threads';
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { buildArchive } from './build-archive';
import { ArchiveError } from './archive-plan';
import { readingErrorCodes, toWorkerSchema, type FromWorker, type WorkerErrorCode } from './archive-protocol';
import { archiveSize, keysOf, type ArchiveKeys } from './archive-file';
import { isS3Path } from '../s3/s3-location';
import type { S3Settings } from '../s3/s3-settings';
import { checkReferences, verifyArchive, type VerifyResult } from './verify-archive';
import { NotInSnapshot, restoreArchive, type RestoreHost } from './restore-archive';
import { inspectArchive } from './inspect-archive';
import { preparePortableHash } from './content-hash';
import { listViewFolder } from './snapshot-browse';
import { SnapshotView } from './snapshot-view';
import { keepHeapTrimmed } from './heap-trim';
import { DormouseError } from '../../shared/errors';
import type { SnapshotListing } from '../../shared/types';

/**
 * The archive worker. The same module runs as Electron's utilityProcess (messages on
 * process.parentPort), as a forked Node child (process.send), and, for browsing snapshots, as a
 * worker thread of the owner (worker_threads' parentPort), so it never blocks the owner's event loop.
 */
interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

// zod/mini keeps its messages apart; the worker's errors name what was wrong in English.
z.config(en());

keepHeapTrimmed();

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(message: FromWorker, sent?: () => void): void {
  if (threadPort) {
    // A thread's messages all reach its owner before its exit does.
    threadPort.postMessage(message);
    sent?.();
  } else if (parentPort) {
    parentPort.postMessage(message);
    sent?.();
  } else {
    process.send?.(message, undefined, undefined, () => sent?.());
  }
}

function onMessage(listener: (message: unknown) => void): void {
  if (threadPort) threadPort.on('message', listener);
  else if (parentPort) parentPort.on('message', (event) => listener(event.data));
  else process.on('message', listener);
}

let cancelled = false;

/** Verifies archives one after another, reporting bytes read across all of them. */
async function verifyAll(archives: { id: string | null; archivePath: string; sha256: string | null }[], keys: ArchiveKeys): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  let done = 0;
  for (const archive of archives) {
    results.push(
      await verifyArchive(archive.archivePath, archive.sha256, {
        progress: (bytes, total) => send({ type: 'progress', progress: { files: done, bytes, totalFiles: archives.length, totalBytes: total, currentPath: archive.archivePath } }),
        cancelled: () => cancelled,
      }, keys),
    );
    done += 1;
  }
  const references = checkReferences(archives, keys);
  for (const result of results) {
    const problems = references.get(result.archivePath) ?? [];
    if (problems.length > 0) {
      result.problems.push(...problems);
      result.ok = false;
    }
  }
  return results;
}
let started = false;

/** The snapshot view opened last and the archive it was opened from, so clicking through a snapshot's folders opens its chain once. */
let lastView: { archivePath: string; identity: string | undefined; size: number; mtimeMs: number; view: SnapshotView } | null = null;

/** Lists one folder of a snapshot, reopening its chain only when it is not the one read last (or the archive changed since). */
function listFolder(archivePath: string, archives: Record<string, string>, snapshotId: number, path: string | undefined, identity: string | undefined, s3: S3Settings[]): SnapshotListing {
  let stats: Pick<Stats, 'size' | 'mtimeMs'> | undefined;
  try {
    // An object in S3 is never rewritten in place: its size is enough to tell it is the same.
    stats = isS3Path(archivePath) ? { size: archiveSize(archivePath, keysOf(undefined, s3)), mtimeMs: 0 } : statSync(archivePath);
  } catch {
    stats = undefined; // opening the manifest says why it cannot be read
  }
  const kept = lastView;
  if (!kept || !stats || kept.archivePath !== archivePath || kept.identity !== identity || kept.size !== stats.size || kept.mtimeMs !== stats.mtimeMs) {
    kept?.view.close();
    lastView = null;
    const view = SnapshotView.open(archivePath, archives, { keys: keysOf(identity, s3) });
    if (stats) lastView = { archivePath, identity, size: stats.size, mtimeMs: stats.mtimeMs, view };
    try {
      return listViewFolder(view, snapshotId, path);
    } finally {
      if (!stats) view.close();
    }
  }
  return listViewFolder(kept.view, snapshotId, path);
}

/** The code a reading error is reported with: its own when the owner can act on it, else INTERNAL. */
function readingCode(error: unknown): WorkerErrorCode {
  const code = error instanceof DormouseError ? (error.code as WorkerErrorCode) : 'INTERNAL';
  return readingErrorCodes.has(code) ? code : 'INTERNAL';
}

/** Sends the last message, then ends the process once it is on its way: exit code 1 after an error, 0 after any answer (a backup's, a restore's, a verify's…). */
function finish(message: FromWorker): void {
  process.exitCode = message.type === 'error' ? 1 : 0;
  send(message, () => setTimeout(() => process.exit(), 20));
}

onMessage((raw) => {
  const parsed = toWorkerSchema.safeParse(raw);
  if (!parsed.success) {
    finish({ type: 'error', code: 'INVALID_INPUT', message: `the archive worker got a malformed message: ${parsed.error.issues[0]?.message ?? 'unknown'}` });
    return;
  }
  const message = parsed.data;
  if (message.type === 'cancel') {
    cancelled = true;
    return;
  }
  if (message.type === 'list') {
    // Browsing asks one folder after another of the same worker, so it answers without ending.
    try {
      send({ type: 'listed', listing: listFolder(message.archivePath, message.archives, message.snapshotId, message.path, message.identity, message.s3) });
    } catch (error) {
      send({ type: 'error', code: readingCode(error), message: (error as Error).message });
    }
    return;
  }
  if (started) return;
  started = true;
  // Restores and verifies check each file's content hash; without the native addon, XXH3-128 comes from WebAssembly, loaded first.
  if (message.type === 'restore') {
    const { request } = message;
    const host: RestoreHost = {
      progress: (files, bytes, totalFiles, totalBytes, currentPath) => send({ type: 'progress', progress: { files, bytes, totalFiles, totalBytes, currentPath } }),
      cancelled: () => cancelled,
    };
    preparePortableHash().then(() => restoreArchive(request, host)).then(
      (result) => finish({ type: 'restored', result }),
      (error: unknown) => {
        const reading = readingCode(error);
        const code = cancelled ? 'CANCELLED' : error instanceof NotInSnapshot ? 'NOT_FOUND' : reading === 'INTERNAL' || reading === 'INVALID_INPUT' ? 'WRITE_FAILED' : reading;
        finish({ type: 'error', code, message: (error as Error).message });
      },
    );
    return;
  }
  if (message.type === 'inspect') {
    const keys = keysOf(message.identity, message.s3);
    finish({ type: 'inspected', archives: message.archivePaths.map((path) => inspectArchive(path, keys)) });
    return;
  }
  if (message.type === 'verify') {
    const keys = keysOf(message.identity, message.s3);
    const { archives } = message;
    preparePortableHash().then(() => verifyAll(archives, keys)).then(
      (results) => finish({ type: 'verified', results }),
      (error: unknown) => finish({ type: 'error', code: cancelled ? 'CANCELLED' : 'INTERNAL', message: (error as Error).message }),
    );
    return;
  }
  buildArchive(message.request, {
    progress: (progress) => send({ type: 'progress', progress }),
    cancelled: () => cancelled,
  }).then(
    (result) => finish({ type: 'done', result }),
    (error: unknown) => {
      if (error instanceof ArchiveError) finish({ type: 'error', code: error.code, message: error.message });
      else finish({ type: 'error', code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) });
    },
  );
});

// The owning process decides when a backup stops: a Ctrl-C in its terminal reaches this process too,
// and is left to the owner, which sends `cancel`. If the owner is gone, the backup stops and cleans up.
process.on('SIGINT', () => undefined);
process.on('disconnect', () => {
  cancelled = true;
  if (!started) process.exit(1);
});
