import { isCatchUpCause, type CatchUpCause } from '../../shared/coverage';
import { DormouseError } from '../../shared/errors';
import { toLocalIso, toLocalIsoOrNull } from '../../shared/time';
import type { JobStatus, JobTrigger, JobView } from '../../shared/types';
import type { Db } from '../store/open-store';
import { insertSnapshot, type NewSnapshot } from './snapshot-store';

/** The process that runs a job: recovery checks it before calling a job interrupted. */
export interface JobOwner {
  pid: number;
  hostname: string;
  /** The owner process's mark (see processMark), null where the system gives none. */
  mark: string | null;
}

/** Whether two owners are the same process: same machine and pid, and the same mark when both have one. */
export function sameOwner(a: JobOwner | null, b: JobOwner): boolean {
  return a !== null && a.pid === b.pid && a.hostname === b.hostname && (a.mark === null || b.mark === null || a.mark === b.mark);
}

interface JobRow {
  id: number;
  schedule_id: number;
  trigger: JobTrigger;
  status: JobStatus;
  queued_at: number;
  started_at: number | null;
  finished_at: number | null;
  files: number;
  bytes: number;
  archive_path: string | null;
  sha256: string | null;
  warnings: string;
  error_code: string | null;
  error_message: string | null;
  cancel_requested_at: number | null;
  waiting_reason: string | null;
  owner_pid: number | null;
  owner_hostname: string | null;
  owner_mark: string | null;
  trigger_cause: string | null;
}

/** A job row with the fields the engine needs beyond its public view. */
export interface JobRecord {
  view: JobView;
  archivePath: string | null;
  cancelRequested: boolean;
  /** Why a queued job has not started ("waiting for AC power"), or null. */
  waitingReason: string | null;
  owner: JobOwner | null;
  /** What woke a catch-up job (wake, unlock, start-up, drive connected…); null for other triggers and older catch-ups. */
  cause: CatchUpCause | null;
}

function toRecord(row: JobRow): JobRecord {
  return {
    view: {
      id: row.id,
      scheduleId: row.schedule_id,
      trigger: row.trigger,
      status: row.status,
      queuedAt: toLocalIso(row.queued_at),
      startedAt: toLocalIsoOrNull(row.started_at),
      finishedAt: toLocalIsoOrNull(row.finished_at),
      files: row.files,
      bytes: row.bytes,
      archivePath: row.status === 'succeeded' ? row.archive_path : null,
      sha256: row.sha256,
      warnings: JSON.parse(row.warnings) as string[],
      error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
    },
    archivePath: row.archive_path,
    cancelRequested: row.cancel_requested_at !== null,
    waitingReason: row.waiting_reason,
    owner: row.owner_pid === null || row.owner_hostname === null ? null : { pid: row.owner_pid, hostname: row.owner_hostname, mark: row.owner_mark },
    cause: isCatchUpCause(row.trigger_cause) ? row.trigger_cause : null,
  };
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/**
 * Records a queued job. The database allows one active (queued or running) job per schedule, so
 * two processes asking at once cannot both start: the second gets ALREADY_RUNNING naming the first.
 * A catch-up job records what woke it (`cause`), for the coverage picture.
 */
export function insertQueuedJob(db: Db, scheduleId: number, trigger: JobTrigger, owner: JobOwner, now: number, cause: CatchUpCause | null = null): JobRecord {
  try {
    const result = db
      .prepare("INSERT INTO jobs (schedule_id, trigger, status, queued_at, owner_pid, owner_hostname, owner_mark, trigger_cause) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?)")
      .run(scheduleId, trigger, now, owner.pid, owner.hostname, owner.mark, trigger === 'catch-up' ? cause : null);
    return findJob(db, Number(result.lastInsertRowid)) as JobRecord;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const active = activeJobForSchedule(db, scheduleId);
    const who = active?.owner ? ` by process ${active.owner.pid} on ${active.owner.hostname}` : '';
    throw new DormouseError('ALREADY_RUNNING', `a backup of this schedule is already ${active?.view.status ?? 'running'} (job ${active?.view.id ?? '?'}${who}); wait for it or cancel it with \`dormouse cancel ${active?.view.id ?? 'JOB_ID'}\``);
  }
}

/** The queued or running job of a schedule, if any. */
export function activeJobForSchedule(db: Db, scheduleId: number): JobRecord | undefined {
  const row = db.prepare("SELECT * FROM jobs WHERE schedule_id = ? AND status IN ('queued', 'running')").get(scheduleId) as JobRow | undefined;
  return row && toRecord(row);
}

/** One job by id. */
export function findJob(db: Db, id: number): JobRecord | undefined {
  const row = db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
  return row && toRecord(row);
}

/** Marks a queued job running and records where its archive will be written. */
export function markJobRunning(db: Db, id: number, archivePath: string, now: number): void {
  db.prepare("UPDATE jobs SET status = 'running', started_at = ?, archive_path = ? WHERE id = ? AND status = 'queued'").run(now, archivePath, id);
}

/** What a finished job records. */
export interface JobOutcome {
  status: Exclude<JobStatus, 'queued' | 'running'>;
  files?: number;
  bytes?: number;
  sha256?: string | null;
  warnings?: string[];
  error?: { code: string; message: string } | null;
}

/** Ends a job once: a job already finished is left as it is. Returns whether this call ended it. */
export function finishJob(db: Db, id: number, outcome: JobOutcome, now: number): boolean {
  const result = db
    .prepare(
      `UPDATE jobs SET status = ?, finished_at = ?, files = coalesce(?, files), bytes = coalesce(?, bytes), sha256 = ?,
         warnings = coalesce(?, warnings), error_code = ?, error_message = ?,
         archive_path = CASE WHEN ? = 'succeeded' THEN archive_path ELSE NULL END
       WHERE id = ? AND status IN ('queued', 'running')`,
    )
    .run(
      outcome.status,
      now,
      outcome.files ?? null,
      outcome.bytes ?? null,
      outcome.sha256 ?? null,
      outcome.warnings ? JSON.stringify(outcome.warnings) : null,
      outcome.error?.code ?? null,
      outcome.error?.message ?? null,
      outcome.status,
      id,
    );
  return result.changes === 1;
}

/** Adds a warning to a job while it runs; the worker's own warnings are added when it ends. */
export function addWarning(db: Db, id: number, warning: string): void {
  db.prepare("UPDATE jobs SET warnings = json_insert(warnings, '$[#]', ?) WHERE id = ? AND status IN ('queued', 'running')").run(warning, id);
}

/** Adds a warning to a job that has ended (a retention problem found after the backup itself succeeded). */
export function addWarningToFinished(db: Db, id: number, warning: string): void {
  db.prepare("UPDATE jobs SET warnings = json_insert(warnings, '$[#]', ?) WHERE id = ?").run(warning, id);
}

/** Records why a queued job is waiting, or clears it (null). */
export function setWaitingReason(db: Db, id: number, reason: string | null): void {
  db.prepare("UPDATE jobs SET waiting_reason = ? WHERE id = ? AND status = 'queued'").run(reason, id);
}

/** Asks the process that owns a job to cancel it; that process sees the request within a second. */
export function requestCancel(db: Db, id: number, now: number): void {
  db.prepare("UPDATE jobs SET cancel_requested_at = coalesce(cancel_requested_at, ?) WHERE id = ? AND status IN ('queued', 'running')").run(now, id);
}

/** Whether someone asked to cancel a job. */
export function isCancelRequested(db: Db, id: number): boolean {
  return db.prepare('SELECT cancel_requested_at IS NOT NULL FROM jobs WHERE id = ?').pluck().get(id) === 1;
}

/** The filters of the history screen: one schedule, one status, and the page before a job id. */
export interface JobListOptions {
  scheduleId?: number;
  status?: JobStatus;
  beforeId?: number;
  limit: number;
}

/**
 * The SQL of one history page, apart from running it, so a test can ask SQLite how it plans it:
 * keyset paging on the id, newest first, which the indexes serve in order (no sort of every match).
 */
export function jobListQuery(options: JobListOptions): { sql: string; values: (number | string)[] } {
  const where: string[] = [];
  const values: (number | string)[] = [];
  if (options.scheduleId !== undefined) {
    where.push('schedule_id = ?');
    values.push(options.scheduleId);
  }
  if (options.status !== undefined) {
    where.push('status = ?');
    values.push(options.status);
  }
  if (options.beforeId !== undefined) {
    where.push('id < ?');
    values.push(options.beforeId);
  }
  const sql = `SELECT * FROM jobs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
  return { sql, values: [...values, options.limit] };
}

/** Jobs newest first, a page at a time: the history stays fast with 100,000 jobs. */
export function listJobs(db: Db, options: JobListOptions): JobView[] {
  const { sql, values } = jobListQuery(options);
  return (db.prepare(sql).all(...values) as JobRow[]).map((row) => toRecord(row).view);
}

/** Each schedule's most recent finished job, for the tray's attention state. */
export function lastFinishedJobs(db: Db): Map<number, JobView> {
  const rows = db
    .prepare(
      `SELECT j.* FROM jobs j JOIN (SELECT schedule_id, max(id) AS id FROM jobs WHERE status NOT IN ('queued', 'running') GROUP BY schedule_id) last ON last.id = j.id`,
    )
    .all() as JobRow[];
  return new Map(rows.map((row) => [row.schedule_id, toRecord(row).view]));
}

/**
 * Since when a schedule's backups have been skipped for want of its destination: the first such
 * skip after its last success, or null. Survives restarts, unlike a timer would.
 */
export function destinationMissingSince(db: Db, scheduleId: number): number | null {
  const value = db
    .prepare(
      `SELECT min(queued_at) FROM jobs WHERE schedule_id = ? AND status = 'skipped' AND error_code = 'DESTINATION_UNAVAILABLE'
         AND id > coalesce((SELECT max(id) FROM jobs WHERE schedule_id = ? AND status = 'succeeded'), 0)`,
    )
    .pluck()
    .get(scheduleId, scheduleId) as number | null;
  return value ?? null;
}

/** A finished job as the coverage picture reads it: when it started, how it ended, and what started it. */
export interface FinishedJobRow {
  id: number;
  trigger: JobTrigger;
  cause: CatchUpCause | null;
  status: Exclude<JobStatus, 'queued' | 'running'>;
  /** When it started, or (a job skipped or failed before it started) when it was queued. */
  at: number;
}

/**
 * A schedule's finished jobs that started (or, never started, were queued) at or after `since`,
 * oldest first: one indexed pass over the schedule's jobs.
 */
export function finishedJobsSince(db: Db, scheduleId: number, since: number): FinishedJobRow[] {
  const rows = db
    .prepare(
      `SELECT id, trigger, trigger_cause, status, coalesce(started_at, queued_at) AS at FROM jobs
       WHERE schedule_id = ? AND status NOT IN ('queued', 'running') AND coalesce(started_at, queued_at) >= ?
       ORDER BY at, id`,
    )
    .all(scheduleId, since) as { id: number; trigger: JobTrigger; trigger_cause: string | null; status: FinishedJobRow['status']; at: number }[];
  return rows.map((row) => ({ id: row.id, trigger: row.trigger, cause: isCatchUpCause(row.trigger_cause) ? row.trigger_cause : null, status: row.status, at: row.at }));
}

/** Queued or running jobs, for recovery and status. */
export function activeJobs(db: Db): JobRecord[] {
  return (db.prepare("SELECT * FROM jobs WHERE status IN ('queued', 'running') ORDER BY id").all() as JobRow[]).map(toRecord);
}

/** Records a snapshot and ends its job as succeeded, in one transaction. */
export function recordSuccess(db: Db, jobId: number, snapshot: NewSnapshot, written: { files: number; bytes: number }, warnings: string[], now: number): void {
  db.transaction(() => {
    insertSnapshot(db, snapshot);
    const noted = JSON.parse(db.prepare('SELECT warnings FROM jobs WHERE id = ?').pluck().get(jobId) as string) as string[];
    finishJob(db, jobId, { status: 'succeeded', files: written.files, bytes: written.bytes, sha256: snapshot.sha256, warnings: [...noted, ...warnings], error: null }, now);
  }).immediate();
}

// Snapshot queries live in snapshot-store; the engine reaches them through here.
export { allSnapshotArchives, archivesByUuid, chainOf, findSnapshot, latestSnapshot, recordVerification, type ChainLink, type NewSnapshot } from './snapshot-store';
