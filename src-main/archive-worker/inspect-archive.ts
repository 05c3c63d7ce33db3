import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { archiveFormatVersion } from './archive-manifest';
import { archiveSize, readSidecar, type ArchiveKeys } from './archive-file';
import { isS3Path } from '../s3/s3-location';
import { openS3Object, s3SettingsFor } from './s3-archive-object';
import { openManifest } from './manifest-reader';

/** What the catalog records of an archive found on a destination, or why it was left alone. */
export type InspectedArchive =
  | {
      archivePath: string;
      ok: true;
      snapshot: { id: string; scheduleName: string; createdAt: string; kind: 'full' | 'incremental'; baseId: string | null; machine?: { id: string; name: string } };
      compression: 'none' | 'gzip';
      format: number;
      files: number;
      bytes: number;
      entries: number;
      archiveBytes: number;
      sha256: string;
    }
  | { archivePath: string; ok: false; reason: string };

/** The archive's SHA-256: from its `<archive>.sha256` sidecar when that is well-formed, else by reading the archive once. */
function archiveSha256(archivePath: string, keys: ArchiveKeys): string {
  const sidecar = readSidecar(archivePath, keys);
  if (sidecar !== null) {
    const match = /^([0-9a-f]{64}) {2}(.+)\n?$/.exec(sidecar);
    if (match && match[2] === basename(archivePath)) return match[1] as string;
  }
  if (isS3Path(archivePath)) {
    const object = openS3Object(archivePath, s3SettingsFor(archivePath, keys.s3));
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    for (let at = 0; at < object.size; ) {
      const read = object.readAt(buffer, 0, buffer.length, at);
      if (read === 0) break;
      hash.update(buffer.subarray(0, read));
      at += read;
    }
    return hash.digest('hex');
  }
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  const fd = openSync(archivePath, 'r');
  try {
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      hash.update(buffer.subarray(0, read));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * Reads what rebuilding the catalog needs from one archive: its manifest (not its body) and its
 * SHA-256. It runs in the worker because a manifest can be megabytes and an archive without its
 * sidecar has to be read whole, neither of which the process that owns the tray may do. An
 * encrypted archive is read with the identity in `keys`; its SHA-256 is of the encrypted file.
 */
export function inspectArchive(archivePath: string, keys: ArchiveKeys): InspectedArchive {
  let manifest: ReturnType<typeof openManifest> | null = null;
  try {
    manifest = openManifest(archivePath, keys);
    const { header, totals } = manifest;
    if (header.format > archiveFormatVersion) throw new Error(`archive format ${header.format} is newer than this Dormouse reads`);
    if (Number.isNaN(Date.parse(header.snapshot.createdAt))) throw new Error('its manifest has no valid creation time');
    const { id, scheduleName, createdAt, kind, baseId } = header.snapshot;
    return {
      archivePath,
      ok: true,
      snapshot: { id, scheduleName, createdAt, kind, baseId, ...(header.snapshot.machine ? { machine: header.snapshot.machine } : {}) },
      compression: header.snapshot.compression,
      format: header.format,
      // Every name of a file counts as a file, as the backup job counts them; its bytes count once.
      files: totals.treeFiles,
      bytes: totals.treeBytes,
      entries: totals.treeEntries,
      archiveBytes: archiveSize(archivePath, keys),
      sha256: archiveSha256(archivePath, keys),
    };
  } catch (error) {
    return { archivePath, ok: false, reason: (error as Error).message };
  } finally {
    manifest?.close();
  }
}
