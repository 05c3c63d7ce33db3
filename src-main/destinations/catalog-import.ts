import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DormouseError } from '../../shared/errors';
import type { ImportReport } from '../../shared/types';
import { answerWithin } from '../common/files';
import type { InspectedArchive } from '../archive-worker/inspect-archive';
import type { DestinationRecord } from '../store/destination-store';
import type { Db } from '../store/open-store';

/** The folder inside a destination that holds one sub-folder of archives per schedule. */
export const archivesFolderName = 'Dormouse';

async function listArchives(root: string): Promise<string[]> {
  let schedules;
  try {
    schedules = await readdir(root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found: string[] = [];
  for (const schedule of schedules) {
    if (!schedule.isDirectory()) continue;
    for (const file of await readdir(join(root, schedule.name))) {
      if (/\.tar(\.gz)?$/.test(file)) found.push(join(root, schedule.name, file));
    }
  }
  return found.sort();
}

/** The archives a destination holds, listed off the event loop: the destination may be a share that stopped answering. */
async function archivesIn(destination: DestinationRecord, timeoutMs: number): Promise<string[]> {
  const root = join(destination.path, archivesFolderName);
  const listed = await answerWithin(root, () => listArchives(root), timeoutMs);
  if (listed.timedOut) {
    throw new DormouseError('DESTINATION_UNAVAILABLE', `destination "${destination.name}" (${destination.path}) did not answer within ${timeoutMs / 1000} s: a network share out of reach, or a drive that hangs; import again once it answers`);
  }
  return listed.value;
}

/** Reads archives in the worker (their manifests and SHA-256s), never in the process that owns the tray. */
export type ArchiveInspector = (archivePaths: string[]) => Promise<InspectedArchive[]>;

/**
 * Rebuilds the catalog from a destination (a new laptop, a lost database): every Dormouse archive
 * there that the catalog does not know is read in the worker (its manifest alone, and its SHA-256
 * from the sidecar) and recorded as a snapshot under its schedule's name, incrementals linked to
 * their bases. An archive of an unknown or newer format, or one that is not Dormouse's, is
 * reported and left alone, never guessed at.
 */
export async function importFromDestination(db: Db, destination: DestinationRecord, inspect: ArchiveInspector, timeoutMs: number): Promise<ImportReport> {
  const report: ImportReport = { destination: destination.name, imported: [], alreadyKnown: 0, skipped: [] };
  const knownPath = db.prepare('SELECT 1 FROM snapshots WHERE archive_path = ?').pluck();
  const archives = await archivesIn(destination, timeoutMs);
  const unknown = archives.filter((archivePath) => !knownPath.get(archivePath));
  report.alreadyKnown = archives.length - unknown.length;
  if (unknown.length === 0) return report;
  const inspected = await inspect(unknown);

  const knownUuid = db.prepare('SELECT id FROM snapshots WHERE uuid = ?').pluck();
  const scheduleByName = db.prepare('SELECT id FROM schedules WHERE name = ? COLLATE NOCASE').pluck();
  const insert = db.prepare(
    `INSERT INTO snapshots (uuid, schedule_id, schedule_name, job_id, destination_id, created_at, archive_path, files, bytes, archive_bytes, entries, sha256, compression, kind, base_id, format_version)
     VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // Recorded oldest first, so an incremental's base is known when it is recorded.
  const found: (Extract<InspectedArchive, { ok: true }> & { createdAtMs: number })[] = [];
  for (const archive of inspected) {
    if (archive.ok) found.push({ ...archive, createdAtMs: Date.parse(archive.snapshot.createdAt) });
    else report.skipped.push({ archivePath: archive.archivePath, reason: archive.reason });
  }
  found.sort((a, b) => a.createdAtMs - b.createdAtMs);
  for (const archive of found) {
    // Another process may have recorded it while the worker was reading.
    if (knownPath.get(archive.archivePath) || knownUuid.get(archive.snapshot.id)) {
      report.alreadyKnown += 1;
      continue;
    }
    try {
      const { snapshot } = archive;
      const scheduleId = (scheduleByName.get(snapshot.scheduleName) as number | undefined) ?? null;
      const baseId = snapshot.baseId === null ? null : ((knownUuid.get(snapshot.baseId) as number | undefined) ?? null);
      const result = insert.run(
        snapshot.id,
        scheduleId,
        snapshot.scheduleName,
        destination.id,
        archive.createdAtMs,
        archive.archivePath,
        archive.files,
        archive.bytes,
        archive.archiveBytes,
        archive.entries,
        archive.sha256,
        archive.compression,
        snapshot.kind,
        baseId,
        archive.format,
      );
      report.imported.push({ snapshotId: Number(result.lastInsertRowid), archivePath: archive.archivePath, scheduleName: snapshot.scheduleName });
    } catch (error) {
      report.skipped.push({ archivePath: archive.archivePath, reason: (error as Error).message });
    }
  }
  return report;
}

/** Links snapshots imported before their schedule existed to the schedule of the same name. */
export function adoptOrphanSnapshots(db: Db, scheduleId: number, scheduleName: string): void {
  db.prepare('UPDATE snapshots SET schedule_id = ? WHERE schedule_id IS NULL AND schedule_name = ? COLLATE NOCASE').run(scheduleId, scheduleName);
}
