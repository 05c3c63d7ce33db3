import { dirname } from 'node:path';
import { sidecarPath } from '../archive-worker/archive-manifest';
import { DormouseError } from '../../shared/errors';
import { toLocalIso } from '../../shared/time';
import type { PruneReport } from '../../shared/types';
import { answerWithin, removeQuietlyAsync, removeQuietlyInTurn } from '../common/files';
import { manifestCopyFile } from '../store/data-dir';
import type { DestinationCheck } from '../destinations/destination-probe';
import { findDestinationById, type DestinationRecord } from '../store/destination-store';
import type { Db } from '../store/open-store';
import type { ScheduleRecord } from '../store/schedule-store';
import { thisMachine } from '../store/machine-store';
import { isS3Path } from '../s3/s3-location';
import { storageOf } from '../destinations/storage-of';
import { decideRetention, type RetentionDecision } from './retention';
import { liveReaders, readerReason, type SnapshotReader } from './snapshot-readers';

interface SnapshotRow {
  id: number;
  created_at: number;
  base_id: number | null;
  archive_path: string;
  destination_id: string;
}

/** How long deleting one archive may take before the rest is left to a later start (a destination that stopped answering). */
const deleteTimeoutMs = 10_000;

/** Removes a snapshot's archive and sidecar from its destination (its folder, or its S3 objects); false when the destination did not answer in time or refused. */
async function removeArchive(db: Db, snapshot: { id: number; archive_path: string }): Promise<boolean> {
  if (!isS3Path(snapshot.archive_path)) {
    const removed = await answerWithin(dirname(snapshot.archive_path), () => removeQuietlyInTurn([snapshot.archive_path, sidecarPath(snapshot.archive_path)]), deleteTimeoutMs);
    return !removed.timedOut;
  }
  const destinationId = db.prepare('SELECT destination_id FROM snapshots WHERE id = ?').pluck().get(snapshot.id) as string | null | undefined;
  const destination = destinationId ? findDestinationById(db, destinationId) : undefined;
  if (!destination) return false;
  try {
    const storage = storageOf(db, destination);
    const removed = await storage.within(() => storage.removeArchive(snapshot.archive_path), deleteTimeoutMs);
    return !removed.timedOut;
  } catch {
    return false;
  }
}

/**
 * Deletes one snapshot safely: the row is marked first, then the archive (and its sidecar, and the
 * local manifest copy of an encrypted one) go, then the row; a crash at any point leaves a marked
 * row that start-up finishes deleting. The files
 * are deleted off the event loop; when the destination does not answer in time, the marked row is
 * left for a later start (it is hidden everywhere meanwhile) and false is returned.
 */
async function deleteSnapshot(db: Db, snapshot: { id: number; archive_path: string }, now: number): Promise<boolean> {
  db.prepare('UPDATE snapshots SET deleting_at = ? WHERE id = ?').run(now, snapshot.id);
  return finishDeleting(db, snapshot);
}

/**
 * Marks a snapshot for deletion unless a restore began reading it since retention
 * decided (checked in the same transaction as holdSnapshots checks the mark), then deletes it as
 * deleteSnapshot does. 'held' when it was left for a later prune.
 */
async function deleteUnlessRead(db: Db, snapshot: { id: number; archive_path: string }, now: number): Promise<'deleted' | 'held' | 'not-answering'> {
  const marked = db
    .transaction(() => {
      if (liveReaders(db).has(snapshot.id)) return false;
      db.prepare('UPDATE snapshots SET deleting_at = ? WHERE id = ?').run(now, snapshot.id);
      return true;
    })
    .immediate();
  if (!marked) return 'held';
  return (await finishDeleting(db, snapshot)) ? 'deleted' : 'not-answering';
}

/** Removes a marked snapshot's files, then its row; false when the destination did not answer in time. */
async function finishDeleting(db: Db, snapshot: { id: number; archive_path: string }): Promise<boolean> {
  if (!(await removeArchive(db, snapshot))) return false;
  // An encrypted archive's local manifest copy goes with it (a plain archive has none: nothing to remove).
  const uuid = db.prepare('SELECT uuid FROM snapshots WHERE id = ?').pluck().get(snapshot.id) as string | undefined;
  if (uuid !== undefined) await removeQuietlyAsync(manifestCopyFile(db.name, uuid));
  db.transaction(() => {
    // Only snapshots being deleted too can still name it as their base (retention keeps every kept one's base).
    db.prepare('UPDATE snapshots SET base_id = NULL WHERE base_id = ?').run(snapshot.id);
    db.prepare('DELETE FROM snapshots WHERE id = ?').run(snapshot.id);
  })();
  return true;
}

/**
 * Finishes deletions a crash (or a destination that stopped answering) interrupted: rows marked as
 * being deleted, at the start of any process. Null when there is nothing to finish.
 */
export function finishInterruptedDeletions(db: Db): Promise<number> | null {
  const rows = db.prepare('SELECT id, archive_path FROM snapshots WHERE deleting_at IS NOT NULL').all() as { id: number; archive_path: string }[];
  if (rows.length === 0) return null;
  return (async () => {
    let finished = 0;
    for (const row of rows) if (await deleteSnapshot(db, row, Date.now())) finished += 1;
    return finished;
  })();
}

/**
 * Keeps every snapshot that a snapshot outside the decision depends on: one of another machine, or
 * of unknown origin, that an older Dormouse built as an incremental on this machine's archive.
 */
function keepWhatOthersNeed(db: Db, decisions: RetentionDecision[]): RetentionDecision[] {
  const decided = new Set(decisions.map((decision) => decision.id));
  const needed = new Map<number, number>();
  const dependents = db.prepare('SELECT id, base_id FROM snapshots WHERE base_id IS NOT NULL AND deleting_at IS NULL').all() as { id: number; base_id: number }[];
  const baseOf = new Map(dependents.map((row) => [row.id, row.base_id]));
  for (const row of dependents) {
    if (decided.has(row.id)) continue;
    // Every base down its chain is needed, as long as the outside snapshot is kept.
    for (let base: number | undefined = row.base_id, hops = 0; base !== undefined && hops < 10_000; base = baseOf.get(base), hops += 1) {
      if (decided.has(base) && !needed.has(base)) needed.set(base, row.id);
    }
  }
  return decisions.map((decision) => {
    const dependent = needed.get(decision.id);
    return dependent === undefined ? decision : { id: decision.id, keep: true, reasons: [...decision.reasons, `the base of snapshot ${dependent} (another machine's, or of unknown origin)`] };
  });
}

/** Keeps every snapshot a running restore reads (holdSnapshots): a later prune deletes it, once the restore has ended. */
function keepWhatIsRead(readers: ReadonlyMap<number, SnapshotReader>, decisions: RetentionDecision[]): RetentionDecision[] {
  return decisions.map((decision) => {
    const reader = readers.get(decision.id);
    return decision.keep || reader === undefined ? decision : { id: decision.id, keep: true, reasons: [...decision.reasons, readerReason(reader)] };
  });
}

/**
 * Applies a schedule's retention rules: decides with `decideRetention` (the newest snapshot and
 * every base a kept snapshot depends on are always kept) and, unless it is a dry run, deletes the
 * rest — only while the destination is connected, so an unplugged drive is never "pruned".
 */
export async function pruneSchedule(db: Db, schedule: ScheduleRecord, options: { dryRun: boolean; now: number; check: (destination: DestinationRecord) => Promise<DestinationCheck> }): Promise<PruneReport> {
  // Only this machine's snapshots: another laptop's archives on the same destination are its own to prune.
  const rows = db
    .prepare('SELECT id, created_at, base_id, archive_path, destination_id FROM snapshots WHERE schedule_id = ? AND machine_id = ? AND deleting_at IS NULL')
    .all(schedule.id, thisMachine(db).id) as SnapshotRow[];
  const decisions = keepWhatIsRead(
    liveReaders(db),
    keepWhatOthersNeed(
      db,
      decideRetention(
        rows.map((row) => ({ id: row.id, createdAt: row.created_at, baseId: row.base_id })),
        { keepLast: schedule.keepLast, keepDaily: schedule.keepDaily, keepWeekly: schedule.keepWeekly, keepMonthly: schedule.keepMonthly },
      ),
    ),
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  const doomed = decisions.filter((decision) => !decision.keep);
  /** Snapshots a restore began reading between the decision and their deletion: kept after all. */
  const heldSince = new Set<number>();
  if (!options.dryRun && doomed.length > 0) {
    const destination = findDestinationById(db, schedule.destinationId);
    const state = destination ? (await options.check(destination)).state : 'missing';
    if (state !== 'available') {
      throw new DormouseError('DESTINATION_UNAVAILABLE', `destination "${schedule.destinationName}" is ${state === 'not-answering' ? 'not answering' : 'not connected'}; connect it to prune ${schedule.name}`);
    }
    for (const [index, decision] of doomed.entries()) {
      const outcome = await deleteUnlessRead(db, byId.get(decision.id) as SnapshotRow, options.now);
      if (outcome === 'held') heldSince.add(decision.id);
      if (outcome !== 'not-answering') continue;
      // The destination stopped answering midway: that snapshot is finished by a later start, the rest by a later prune.
      throw new DormouseError(
        'DESTINATION_UNAVAILABLE',
        `destination "${schedule.destinationName}" stopped answering while old snapshots of ${schedule.name} were deleted; ${index + 1} of ${doomed.length} are gone or going, the rest wait for the next prune`,
      );
    }
  }
  return {
    schedule: schedule.name,
    dryRun: options.dryRun,
    kept: decisions
      .filter((decision) => decision.keep || heldSince.has(decision.id))
      .map((decision) => ({ snapshotId: decision.id, createdAt: toLocalIso((byId.get(decision.id) as SnapshotRow).created_at), reasons: decision.keep ? decision.reasons : ['being read by a restore that began meanwhile; deleted by a later prune'] })),
    deleted: doomed.filter((decision) => !heldSince.has(decision.id)).map((decision) => ({ snapshotId: decision.id, createdAt: toLocalIso((byId.get(decision.id) as SnapshotRow).created_at), archivePath: (byId.get(decision.id) as SnapshotRow).archive_path })),
  };
}
