import type { Compression } from '../../shared/types';
import type { Db } from './open-store';

/** The fields a person sets on a schedule, already validated and resolved by the engine. */
export interface ScheduleDefinition {
  name: string;
  destinationId: string;
  cron: string;
  enabled: boolean;
  compression: Compression;
  keepLast: number | null;
  keepDaily: number | null;
  keepWeekly: number | null;
  keepMonthly: number | null;
  sources: string[];
  excludes: string[];
}

/** A schedule as the engine keeps it: its definition with its id, its destination's name, and its last success. */
export interface ScheduleRecord extends ScheduleDefinition {
  id: number;
  destinationName: string;
  createdAt: number;
  updatedAt: number;
  lastSuccessAt: number | null;
}

interface ScheduleRow {
  id: number;
  name: string;
  destination_id: string;
  destination_name: string;
  cron: string;
  enabled: number;
  compression: Compression;
  keep_last: number | null;
  keep_daily: number | null;
  keep_weekly: number | null;
  keep_monthly: number | null;
  created_at: number;
  updated_at: number;
  last_success_at: number | null;
}

const selectSchedules = `
  SELECT s.*, d.name AS destination_name,
         (SELECT max(created_at) FROM snapshots WHERE schedule_id = s.id AND deleting_at IS NULL) AS last_success_at
  FROM schedules s JOIN destinations d ON d.id = s.destination_id`;

function loadRecords(db: Db, rows: ScheduleRow[]): ScheduleRecord[] {
  const sources = db.prepare('SELECT path FROM schedule_sources WHERE schedule_id = ? ORDER BY position').pluck();
  const excludes = db.prepare('SELECT pattern FROM schedule_excludes WHERE schedule_id = ? ORDER BY position').pluck();
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    destinationId: row.destination_id,
    destinationName: row.destination_name,
    cron: row.cron,
    enabled: row.enabled === 1,
    compression: row.compression,
    keepLast: row.keep_last,
    keepDaily: row.keep_daily,
    keepWeekly: row.keep_weekly,
    keepMonthly: row.keep_monthly,
    sources: sources.all(row.id) as string[],
    excludes: excludes.all(row.id) as string[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastSuccessAt: row.last_success_at,
  }));
}

/** Every schedule, by name. */
export function listSchedules(db: Db): ScheduleRecord[] {
  return loadRecords(db, db.prepare(`${selectSchedules} ORDER BY s.name COLLATE NOCASE`).all() as ScheduleRow[]);
}

/** Looks a schedule up by the name people use (case-insensitive). */
export function findScheduleByName(db: Db, name: string): ScheduleRecord | undefined {
  return loadRecords(db, db.prepare(`${selectSchedules} WHERE s.name = ? COLLATE NOCASE`).all(name) as ScheduleRow[])[0];
}

/** Looks a schedule up by id. */
export function findScheduleById(db: Db, id: number): ScheduleRecord | undefined {
  return loadRecords(db, db.prepare(`${selectSchedules} WHERE s.id = ?`).all(id) as ScheduleRow[])[0];
}

/** The schedules that write to a destination, so removing it can name them. */
export function schedulesUsingDestination(db: Db, destinationId: string): string[] {
  return db.prepare('SELECT name FROM schedules WHERE destination_id = ? ORDER BY name').pluck().all(destinationId) as string[];
}

function writeLists(db: Db, id: number, definition: ScheduleDefinition): void {
  db.prepare('DELETE FROM schedule_sources WHERE schedule_id = ?').run(id);
  db.prepare('DELETE FROM schedule_excludes WHERE schedule_id = ?').run(id);
  const addSource = db.prepare('INSERT INTO schedule_sources (schedule_id, position, path) VALUES (?, ?, ?)');
  definition.sources.forEach((path, position) => addSource.run(id, position, path));
  const addExclude = db.prepare('INSERT INTO schedule_excludes (schedule_id, position, pattern) VALUES (?, ?, ?)');
  definition.excludes.forEach((pattern, position) => addExclude.run(id, position, pattern));
}

/** Saves a new schedule with its sources and excludes in one transaction; returns its id. */
export function insertSchedule(db: Db, definition: ScheduleDefinition, now: number): number {
  return db.transaction(() => {
    const result = db
      .prepare(
        `INSERT INTO schedules (name, destination_id, cron, enabled, compression, keep_last, keep_daily, keep_weekly, keep_monthly, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(definition.name, definition.destinationId, definition.cron, definition.enabled ? 1 : 0, definition.compression, definition.keepLast, definition.keepDaily, definition.keepWeekly, definition.keepMonthly, now, now);
    const id = Number(result.lastInsertRowid);
    writeLists(db, id, definition);
    return id;
  }).immediate();
}

/** Replaces a schedule's definition in one transaction. */
export function updateSchedule(db: Db, id: number, definition: ScheduleDefinition, now: number): void {
  db.transaction(() => {
    db.prepare(
      `UPDATE schedules SET name = ?, destination_id = ?, cron = ?, enabled = ?, compression = ?, keep_last = ?, keep_daily = ?, keep_weekly = ?, keep_monthly = ?, updated_at = ?
       WHERE id = ?`,
    ).run(definition.name, definition.destinationId, definition.cron, definition.enabled ? 1 : 0, definition.compression, definition.keepLast, definition.keepDaily, definition.keepWeekly, definition.keepMonthly, now, id);
    writeLists(db, id, definition);
  }).immediate();
}

/** Deletes a schedule (its sources, excludes and job history go with it; snapshots stay in the catalog). */
export function deleteSchedule(db: Db, id: number): void {
  db.prepare('DELETE FROM schedules WHERE id = ?').run(id);
}

/** Whether a schedule has a queued or running job, which must finish before the schedule can be removed. */
export function hasActiveJob(db: Db, scheduleId: number): boolean {
  return db.prepare("SELECT 1 FROM jobs WHERE schedule_id = ? AND status IN ('queued', 'running')").get(scheduleId) !== undefined;
}
