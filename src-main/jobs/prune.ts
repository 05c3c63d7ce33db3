import { sidecarPath } from '../archive-worker/archive-manifest';
import { DormouseError } from '../../shared/errors';
import { toLocalIso } from '../../shared/time';
import type { PruneReport } from '../../shared/types';
import { removeQuietly } from '../common/files';
import { isDestinationAvailable } from '../destinations/destination-marker';
import { findDestinationById } from '../store/destination-store';
import type { Db } from '../store/open-store';
import type { ScheduleRecord } from '../store/schedule-store';
import { decideRetention } from './retention';

interface SnapshotRow {
  id: number;
  created_at: number;
  base_id: number | null;
  archive_path: string;
  destination_id: string;
}

/**
 * Deletes one snapshot safely: the row is marked first, then the archive (and its sidecar) go,
 * then the row; a crash at any point leaves a marked row that start-up finishes deleting.
 */
function deleteSnapshot(db: Db, snapshot: { id: number; archive_path: string }, now: number): void {
  db.prepare('UPDATE snapshots SET deleting_at = ? WHERE id = ?').run(now, snapshot.id);
  removeQuietly(snapshot.archive_path);
  removeQuietly(sidecarPath(snapshot.archive_path));
  db.transaction(() => {
    // Only snapshots being deleted too can still name it as their base (retention keeps every kept one's base).
    db.prepare('UPDATE snapshots SET base_id = NULL WHERE base_id = ?').run(snapshot.id);
    db.prepare('DELETE FROM snapshots WHERE id = ?').run(snapshot.id);
  })();
}

/** Finishes deletions a crash interrupted (rows marked as being deleted), at the start of any process. */
export function finishInterruptedDeletions(db: Db): number {
  const rows = db.prepare('SELECT id, archive_path FROM snapshots WHERE deleting_at IS NOT NULL').all() as { id: number; archive_path: string }[];
  for (const row of rows) deleteSnapshot(db, row, Date.now());
  return rows.length;
}

/**
 * Applies a schedule's retention rules: decides with `decideRetention` (the newest snapshot and
 * every base a kept snapshot depends on are always kept) and, unless it is a dry run, deletes the
 * rest — only while the destination is connected, so an unplugged drive is never "pruned".
 */
export function pruneSchedule(db: Db, schedule: ScheduleRecord, options: { dryRun: boolean; now: number }): PruneReport {
  const rows = db
    .prepare('SELECT id, created_at, base_id, archive_path, destination_id FROM snapshots WHERE schedule_id = ? AND deleting_at IS NULL')
    .all(schedule.id) as SnapshotRow[];
  const decisions = decideRetention(
    rows.map((row) => ({ id: row.id, createdAt: row.created_at, baseId: row.base_id })),
    { keepLast: schedule.keepLast, keepDaily: schedule.keepDaily, keepWeekly: schedule.keepWeekly, keepMonthly: schedule.keepMonthly },
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  const doomed = decisions.filter((decision) => !decision.keep);
  if (!options.dryRun && doomed.length > 0) {
    const destination = findDestinationById(db, schedule.destinationId);
    if (!destination || !isDestinationAvailable(destination.path, destination.id)) {
      throw new DormouseError('DESTINATION_UNAVAILABLE', `destination "${schedule.destinationName}" is not connected; connect it to prune ${schedule.name}`);
    }
    for (const decision of doomed) deleteSnapshot(db, byId.get(decision.id) as SnapshotRow, options.now);
  }
  return {
    schedule: schedule.name,
    dryRun: options.dryRun,
    kept: decisions.filter((decision) => decision.keep).map((decision) => ({ snapshotId: decision.id, createdAt: toLocalIso((byId.get(decision.id) as SnapshotRow).created_at), reasons: decision.reasons })),
    deleted: doomed.map((decision) => ({ snapshotId: decision.id, createdAt: toLocalIso((byId.get(decision.id) as SnapshotRow).created_at), archivePath: (byId.get(decision.id) as SnapshotRow).archive_path })),
  };
}
