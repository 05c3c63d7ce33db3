import { toLocalIso } from '../../shared/time';
import type { DestinationUsage, DestinationView, PruneReport } from '../../shared/types';
import type { DestinationRecord } from '../store/destination-store';
import type { Db } from '../store/open-store';

/** How many days the chart and the rate look back. */
export const usageWindowDays = 30;

const dayMs = 24 * 3_600_000;

/** The latest instant a Date holds, less a day so every time zone can still show it. */
const latestInstant = 8.64e15 - dayMs;

/** Local midnight of the day an instant falls on. */
function startOfLocalDay(ms: number): number {
  const date = new Date(ms);
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** "2026-12-06": the local day as the chart's axis and its text alternative name it. */
function localDay(ms: number): string {
  return toLocalIso(ms).slice(0, 10);
}

/**
 * When a drive with `freeBytes` free is full if archives keep arriving at `bytesPerDay`; null when
 * they do not arrive at all or the free space is unknown (not at this rate, or nothing to say).
 */
export function fullAt(freeBytes: number | null, bytesPerDay: number, now: number): number | null {
  if (freeBytes === null || bytesPerDay <= 0) return null;
  return Math.min(now + (freeBytes / bytesPerDay) * dayMs, latestInstant);
}

/**
 * Where a destination's space goes, from the catalog alone (one query over its snapshots) and the
 * free space its last check found: what Dormouse's archives take there, the archive bytes written
 * each of the last 30 local days, their daily average, and when the drive would be full at that
 * rate. The rate is over the days the destination has had archives, at most 30, so a destination
 * added last week is not diluted by days it did not exist. `wouldPrune` is the retention's dry run
 * for the schedules that write there.
 */
export function destinationUsage(db: Db, destination: DestinationRecord, view: DestinationView | undefined, prunes: readonly PruneReport[], now: number): DestinationUsage {
  const rows = db.prepare('SELECT created_at AS createdAt, archive_bytes AS archiveBytes FROM snapshots WHERE destination_id = ? AND deleting_at IS NULL').all(destination.id) as { createdAt: number; archiveBytes: number }[];
  const today = startOfLocalDay(now);
  const firstDay = new Date(today);
  firstDay.setDate(firstDay.getDate() - (usageWindowDays - 1));
  const days: { day: string; bytes: number }[] = [];
  const index = new Map<string, number>();
  for (let day = new Date(firstDay); day.getTime() <= today; day.setDate(day.getDate() + 1)) {
    index.set(localDay(day.getTime()), days.length);
    days.push({ day: localDay(day.getTime()), bytes: 0 });
  }
  let archiveBytes = 0;
  let oldest: number | null = null;
  for (const row of rows) {
    archiveBytes += row.archiveBytes;
    oldest = oldest === null ? row.createdAt : Math.min(oldest, row.createdAt);
    const slot = index.get(localDay(row.createdAt));
    if (slot !== undefined && row.createdAt <= now) (days[slot] as { bytes: number }).bytes += row.archiveBytes;
  }
  const recent = days.reduce((sum, day) => sum + day.bytes, 0);
  const spanDays = oldest === null ? usageWindowDays : Math.min(usageWindowDays, Math.max(1, (now - oldest) / dayMs));
  const bytesPerDay = recent / spanDays;
  const freeBytes = view?.freeBytes ?? null;
  const full = fullAt(freeBytes, bytesPerDay, now);
  return {
    destination: destination.name,
    state: view?.state ?? 'missing',
    archiveBytes,
    snapshots: rows.length,
    freeBytes,
    days,
    bytesPerDay,
    rateDays: spanDays,
    fullAt: full === null ? null : toLocalIso(full),
    wouldPrune: prunes.flatMap((report) => report.deleted.map((deleted) => ({ schedule: report.schedule, ...deleted }))),
  };
}
