import { DormouseError } from '../../shared/errors';
import type { ImportReport } from '../../shared/types';
import type { InspectedArchive } from '../archive-worker/inspect-archive';
import { describeMachine } from '../jobs/snapshot-listing';
import { insertSnapshot } from '../jobs/snapshot-store';
import type { DestinationRecord } from '../store/destination-store';
import { thisMachine, type Machine } from '../store/machine-store';
import type { Db } from '../store/open-store';
import type { DestinationStorage } from './destination-storage';
import { archivesFolderName } from './destination-layout';

/** The archives a destination holds, listed off the event loop: the destination may be a share, or an endpoint, that stopped answering. */
async function archivesIn(destination: DestinationRecord, storage: DestinationStorage, timeoutMs: number): Promise<string[]> {
  const listed = await storage.within(() => storage.listArchives(), timeoutMs, archivesFolderName);
  if (listed.timedOut) {
    throw new DormouseError('DESTINATION_UNAVAILABLE', `destination "${destination.name}" (${destination.path}) did not answer within ${timeoutMs / 1000} s: a network share or an S3 endpoint out of reach, or a drive that hangs; import again once it answers`);
  }
  return listed.value;
}

/** Reads archives in the worker (their manifests and SHA-256s), never in the process that owns the tray. */
export type ArchiveInspector = (archivePaths: string[]) => Promise<InspectedArchive[]>;

/**
 * Rebuilds the catalog from a destination (a new laptop, a lost database): every Dormouse archive
 * there that the catalog does not know is read in the worker (its manifest alone, and its SHA-256
 * from the sidecar) and recorded as a snapshot under its schedule's name and the machine its
 * manifest names, incrementals linked to their bases. Another machine's snapshots are listed apart
 * and can be restored, but never join a schedule here. An archive of an unknown or newer format,
 * or one that is not Dormouse's, is reported and left alone, never guessed at.
 */
export async function importFromDestination(db: Db, destination: DestinationRecord, storage: DestinationStorage, inspect: ArchiveInspector, timeoutMs: number): Promise<ImportReport> {
  const report: ImportReport = { destination: destination.name, imported: [], alreadyKnown: 0, skipped: [] };
  const knownPath = db.prepare('SELECT 1 FROM snapshots WHERE archive_path = ?').pluck();
  const archives = await archivesIn(destination, storage, timeoutMs);
  const unknown = archives.filter((archivePath) => !knownPath.get(archivePath));
  report.alreadyKnown = archives.length - unknown.length;
  if (unknown.length === 0) return report;
  const inspected = await inspect(unknown);

  const knownUuid = db.prepare('SELECT id FROM snapshots WHERE uuid = ?').pluck();
  const scheduleByName = db.prepare('SELECT id FROM schedules WHERE name = ? COLLATE NOCASE').pluck();
  const here = thisMachine(db);
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
      // Whose it is comes from its manifest alone: an archive that does not say stays unknown, never taken for this machine's.
      const machine: Machine | null = snapshot.machine ?? null;
      const mine = machine !== null && machine.id === here.id;
      // Only this machine's snapshots join a schedule here: another laptop's "Home" is never this one's chain.
      const scheduleId = mine ? ((scheduleByName.get(snapshot.scheduleName) as number | undefined) ?? null) : null;
      const snapshotId = insertSnapshot(db, {
        uuid: snapshot.id,
        kind: snapshot.kind,
        // Linked by the id its manifest names, whoever made the base: a restore needs the archive it depends on.
        baseId: snapshot.baseId === null ? null : ((knownUuid.get(snapshot.baseId) as number | undefined) ?? null),
        scheduleId,
        scheduleName: snapshot.scheduleName,
        jobId: null,
        destinationId: destination.id,
        createdAt: archive.createdAtMs,
        archivePath: archive.archivePath,
        files: archive.files,
        bytes: archive.bytes,
        archiveBytes: archive.archiveBytes,
        entries: archive.entries,
        sha256: archive.sha256,
        compression: archive.compression,
        formatVersion: archive.format,
        machine,
      });
      report.imported.push({ snapshotId, archivePath: archive.archivePath, scheduleName: snapshot.scheduleName, machine: describeMachine(machine?.id ?? null, machine?.name ?? null, here) });
    } catch (error) {
      report.skipped.push({ archivePath: archive.archivePath, reason: (error as Error).message });
    }
  }
  return report;
}

/**
 * Links this machine's snapshots imported before their schedule existed (a catalog restored from an
 * older copy) to the schedule of the same name. Other machines' snapshots stay unattached: they are
 * never this schedule's last success, never its base, never pruned by it.
 */
export function adoptOrphanSnapshots(db: Db, scheduleId: number, scheduleName: string): void {
  db.prepare('UPDATE snapshots SET schedule_id = ? WHERE schedule_id IS NULL AND schedule_name = ? COLLATE NOCASE AND machine_id = ?').run(scheduleId, scheduleName, thisMachine(db).id);
}
