import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ImportReport } from '../../shared/types';
import { archiveFormatVersion } from '../archive-worker/archive-manifest';
import { readManifest } from '../archive-worker/archive-reader';
import { sidecarPath } from '../jobs/prune';
import type { DestinationRecord } from '../store/destination-store';
import type { Db } from '../store/open-store';

/** The folder inside a destination that holds one sub-folder of archives per schedule. */
export const archivesFolderName = 'Dormouse';

function archivesIn(destination: DestinationRecord): string[] {
  const root = join(destination.path, archivesFolderName);
  if (!existsSync(root)) return [];
  const found: string[] = [];
  for (const schedule of readdirSync(root, { withFileTypes: true })) {
    if (!schedule.isDirectory()) continue;
    for (const file of readdirSync(join(root, schedule.name))) {
      if (/\.tar(\.gz)?$/.test(file)) found.push(join(root, schedule.name, file));
    }
  }
  return found.sort();
}

/** The archive's SHA-256: from its sidecar when that is well-formed, else by reading the archive once. */
function archiveSha256(archivePath: string): string {
  const sidecar = sidecarPath(archivePath);
  if (existsSync(sidecar)) {
    const match = /^([0-9a-f]{64}) {2}(.+)\n?$/.exec(readFileSync(sidecar, 'utf8'));
    if (match && match[2] === basename(archivePath)) return match[1] as string;
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
 * Rebuilds the catalog from a destination (a new laptop, a lost database): every Dormouse archive
 * there that the catalog does not know is read (its manifest alone) and recorded as a snapshot
 * under its schedule's name, incrementals linked to their bases. An archive of an unknown or newer format, or one that is not
 * Dormouse's, is reported and left alone, never guessed at.
 */
export function importFromDestination(db: Db, destination: DestinationRecord): ImportReport {
  const report: ImportReport = { destination: destination.name, imported: [], alreadyKnown: 0, skipped: [] };
  const knownPath = db.prepare('SELECT 1 FROM snapshots WHERE archive_path = ?').pluck();
  const knownUuid = db.prepare('SELECT id FROM snapshots WHERE uuid = ?').pluck();
  const scheduleByName = db.prepare('SELECT id FROM schedules WHERE name = ? COLLATE NOCASE').pluck();
  const insert = db.prepare(
    `INSERT INTO snapshots (uuid, schedule_id, schedule_name, job_id, destination_id, created_at, archive_path, files, bytes, archive_bytes, entries, sha256, compression, kind, base_id, format_version)
     VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // Read every manifest first, then record them oldest first, so an incremental's base is known when it is recorded.
  const found: { archivePath: string; manifest: ReturnType<typeof readManifest>; createdAt: number }[] = [];
  for (const archivePath of archivesIn(destination)) {
    if (knownPath.get(archivePath)) {
      report.alreadyKnown += 1;
      continue;
    }
    try {
      const manifest = readManifest(archivePath);
      if (manifest.format > archiveFormatVersion) throw new Error(`archive format ${manifest.format} is newer than this Dormouse reads`);
      const createdAt = Date.parse(manifest.snapshot.createdAt);
      if (Number.isNaN(createdAt)) throw new Error('its manifest has no valid creation time');
      found.push({ archivePath, manifest, createdAt });
    } catch (error) {
      report.skipped.push({ archivePath, reason: (error as Error).message });
    }
  }
  found.sort((a, b) => a.createdAt - b.createdAt);
  for (const { archivePath, manifest, createdAt } of found) {
    if (knownUuid.get(manifest.snapshot.id)) {
      report.alreadyKnown += 1;
      continue;
    }
    try {
      const files = manifest.entries.filter((entry) => entry.type === 'file');
      const scheduleId = (scheduleByName.get(manifest.snapshot.scheduleName) as number | undefined) ?? null;
      const baseId = manifest.snapshot.baseId === null ? null : ((knownUuid.get(manifest.snapshot.baseId) as number | undefined) ?? null);
      const result = insert.run(
        manifest.snapshot.id,
        scheduleId,
        manifest.snapshot.scheduleName,
        destination.id,
        createdAt,
        archivePath,
        files.length,
        files.reduce((sum, entry) => sum + entry.size, 0),
        statSync(archivePath).size,
        manifest.entries.length,
        archiveSha256(archivePath),
        manifest.snapshot.compression,
        manifest.snapshot.kind,
        baseId,
        manifest.format,
      );
      report.imported.push({ snapshotId: Number(result.lastInsertRowid), archivePath, scheduleName: manifest.snapshot.scheduleName });
    } catch (error) {
      report.skipped.push({ archivePath, reason: (error as Error).message });
    }
  }
  return report;
}

/** Links snapshots imported before their schedule existed to the schedule of the same name. */
export function adoptOrphanSnapshots(db: Db, scheduleId: number, scheduleName: string): void {
  db.prepare('UPDATE snapshots SET schedule_id = ? WHERE schedule_id IS NULL AND schedule_name = ? COLLATE NOCASE').run(scheduleId, scheduleName);
}
