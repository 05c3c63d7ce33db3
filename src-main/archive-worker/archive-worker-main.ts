import { statSync, type Stats } from 'node:fs';
import { parentPort as threadPort } from 'node:worker_threads';
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { buildArchive, ArchiveError } from './build-archive';
import { toWorkerSchema, type FromWorker } from './archive-protocol';
import { checkReferences, verifyArchive, type VerifyResult } from './verify-archive';
import { NotInSnapshot, restoreArchive } from './restore-archive';
import { inspectArchive } from './inspect-archive';
import { parseManifest, readManifestJson, topLevelOfManifest } from './archive-reader';
import type { ArchiveManifest } from './archive-manifest';
import { listSnapshotFolder } from './snapshot-browse';
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
async function verifyAll(archives: { id: string | null; archivePath: string; sha256: string | null }[]): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  let done = 0;
  for (const archive of archives) {
    results.push(
      await verifyArchive(archive.archivePath, archive.sha256, {
        progress: (bytes, total) => send({ type: 'progress', progress: { files: done, bytes, totalFiles: archives.length, totalBytes: total, currentPath: archive.archivePath } }),
        cancelled: () => cancelled,
      }),
    );
    done += 1;
  }
  const references = checkReferences(archives);
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

/** An archive's identity as listings compare it: a replaced archive is read again. */
interface ArchiveStamp {
  archivePath: string;
  size: number;
  mtimeMs: number;
}

/** The manifest read last, so clicking through a snapshot's folders parses it once. */
let lastManifest: (ArchiveStamp & { manifest: ArchiveManifest }) | null = null;
/** A manifest read for a top-level listing and not parsed yet: it is parsed right after the answer is sent. */
let unparsed: (ArchiveStamp & { json: Buffer }) | null = null;

function sameArchive<T extends ArchiveStamp>(stamp: T | null, archivePath: string, stats: Stats | undefined): stamp is T {
  return stats !== undefined && stamp !== null && stamp.archivePath === archivePath && stamp.size === stats.size && stamp.mtimeMs === stats.mtimeMs;
}

/** Parses the manifest kept by a top-level listing, so the folder the user clicks next answers at once. */
function parseAhead(): void {
  const pending = unparsed;
  if (!pending) return;
  try {
    lastManifest = { archivePath: pending.archivePath, size: pending.size, mtimeMs: pending.mtimeMs, manifest: parseManifest(pending.archivePath, pending.json) };
    unparsed = null;
  } catch {
    // left unparsed: the next listing parses it again and says what is wrong with it
  }
}

/**
 * Lists one folder of a snapshot, parsing its manifest only when it is not the one read last (or
 * the archive changed since). A top level is answered from the sources' own entries before the
 * rest of the manifest is parsed.
 */
function listFolder(archivePath: string, snapshotId: number, path: string | undefined): SnapshotListing {
  let stats: Stats | undefined;
  try {
    stats = statSync(archivePath);
  } catch {
    stats = undefined; // reading the manifest says why it cannot be opened
  }
  const cached = lastManifest;
  if (sameArchive(cached, archivePath, stats)) return listSnapshotFolder(snapshotId, cached.manifest.entries, path, cached.manifest.snapshot.sources);
  lastManifest = null;
  const kept = unparsed;
  const json = sameArchive(kept, archivePath, stats) ? kept.json : readManifestJson(archivePath);
  unparsed = null;
  if (path === undefined && stats) {
    const top = topLevelOfManifest(json);
    if (top) {
      unparsed = { archivePath, size: stats.size, mtimeMs: stats.mtimeMs, json };
      setImmediate(parseAhead);
      return listSnapshotFolder(snapshotId, top.entries, undefined, top.sources);
    }
  }
  const manifest = parseManifest(archivePath, json);
  if (stats) lastManifest = { archivePath, size: stats.size, mtimeMs: stats.mtimeMs, manifest };
  return listSnapshotFolder(snapshotId, manifest.entries, path, manifest.snapshot.sources);
}

/** Sends the last message, then ends the process once it is on its way. */
function finish(message: FromWorker): void {
  process.exitCode = message.type === 'done' ? 0 : 1;
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
      send({ type: 'listed', listing: listFolder(message.archivePath, message.snapshotId, message.path) });
    } catch (error) {
      const code = error instanceof DormouseError && (error.code === 'NOT_FOUND' || error.code === 'INVALID_INPUT') ? error.code : 'INTERNAL';
      send({ type: 'error', code, message: (error as Error).message });
    }
    return;
  }
  if (started) return;
  started = true;
  if (message.type === 'restore') {
    restoreArchive(message.request, {
      progress: (files, bytes, totalFiles, totalBytes, currentPath) => send({ type: 'progress', progress: { files, bytes, totalFiles, totalBytes, currentPath } }),
      cancelled: () => cancelled,
    }).then(
      (result) => finish({ type: 'restored', result }),
      (error: unknown) => finish({ type: 'error', code: cancelled ? 'CANCELLED' : error instanceof NotInSnapshot ? 'NOT_FOUND' : 'WRITE_FAILED', message: (error as Error).message }),
    );
    return;
  }
  if (message.type === 'inspect') {
    finish({ type: 'inspected', archives: message.archivePaths.map((path) => inspectArchive(path)) });
    return;
  }
  if (message.type === 'verify') {
    verifyAll(message.archives).then(
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
