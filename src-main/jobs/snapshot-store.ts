import type { Compression } from '../../shared/types';
import type { Machine } from '../store/machine-store';
import type { Db } from '../store/open-store';

/** A finished archive to record in the catalog: one a backup here made, or one imported from a destination. */
export interface NewSnapshot {
  uuid: string;
  kind: 'full' | 'incremental';
  baseId: number | null;
  /** Null for an imported snapshot of a schedule this laptop does not have, or of another machine. */
  scheduleId: number | null;
  scheduleName: string;
  /** Null for an imported snapshot. */
  jobId: number | null;
  destinationId: string;
  createdAt: number;
  archivePath: string;
  files: number;
  bytes: number;
  archiveBytes: number;
  entries: number;
  sha256: string;
  compression: Compression;
  formatVersion: number;
  /** The machine that made it; null when its archive predates machines being told apart. */
  machine: Machine | null;
}

/** Inserts a snapshot row; returns its id. Callers run it in their own transaction. */
export function insertSnapshot(db: Db, snapshot: NewSnapshot): number {
  const result = db
    .prepare(
      `INSERT INTO snapshots (uuid, schedule_id, schedule_name, job_id, destination_id, created_at, archive_path, files, bytes, archive_bytes, entries, sha256, compression, kind, base_id, format_version, machine_id, machine_name)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      snapshot.uuid,
      snapshot.scheduleId,
      snapshot.scheduleName,
      snapshot.jobId,
      snapshot.destinationId,
      snapshot.createdAt,
      snapshot.archivePath,
      snapshot.files,
      snapshot.bytes,
      snapshot.archiveBytes,
      snapshot.entries,
      snapshot.sha256,
      snapshot.compression,
      snapshot.kind,
      snapshot.baseId,
      snapshot.formatVersion,
      snapshot.machine?.id ?? null,
      snapshot.machine?.name ?? null,
    );
  return Number(result.lastInsertRowid);
}

/** A snapshot's archive and the SHA-256 recorded when it was written. */
export function findSnapshot(db: Db, id: number): { id: number; archivePath: string; sha256: string; createdAt: number } | undefined {
  const row = db.prepare('SELECT id, archive_path, sha256, created_at FROM snapshots WHERE id = ? AND deleting_at IS NULL').get(id) as
    | { id: number; archive_path: string; sha256: string; created_at: number }
    | undefined;
  return row && { id: row.id, archivePath: row.archive_path, sha256: row.sha256, createdAt: row.created_at };
}

/** A snapshot as the choice between a full and an incremental backup needs it. */
export interface ChainLink {
  id: number;
  uuid: string;
  kind: 'full' | 'incremental';
  archivePath: string;
  createdAt: number;
  baseId: number | null;
  verifyOk: boolean | null;
  /** The machine that made it, null when unknown. */
  machineId: string | null;
  /** The whole tree it protects: files, their bytes, and entries (what the next backup of the schedule expects to meet). */
  tree: { files: number; bytes: number; entries: number };
}

interface ChainRow {
  id: number;
  uuid: string;
  kind: 'full' | 'incremental';
  archive_path: string;
  created_at: number;
  base_id: number | null;
  verify_ok: number | null;
  machine_id: string | null;
  files: number;
  bytes: number;
  entries: number;
}

function toLink(row: ChainRow): ChainLink {
  return {
    id: row.id,
    uuid: row.uuid,
    kind: row.kind,
    archivePath: row.archive_path,
    createdAt: row.created_at,
    baseId: row.base_id,
    verifyOk: row.verify_ok === null ? null : row.verify_ok === 1,
    machineId: row.machine_id,
    tree: { files: row.files, bytes: row.bytes, entries: row.entries },
  };
}

/** A schedule's newest snapshot made by one machine, or undefined: another machine's is never a base. */
export function latestSnapshot(db: Db, scheduleId: number, machineId: string): ChainLink | undefined {
  const row = db
    .prepare('SELECT * FROM snapshots WHERE schedule_id = ? AND machine_id = ? AND deleting_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1')
    .get(scheduleId, machineId) as ChainRow | undefined;
  return row && toLink(row);
}

/** A snapshot and every snapshot it depends on, newest first, down to its full backup (shorter when a link is missing). */
export function chainOf(db: Db, snapshotId: number): ChainLink[] {
  const select = db.prepare('SELECT * FROM snapshots WHERE id = ? AND deleting_at IS NULL');
  const chain: ChainLink[] = [];
  let next: number | null = snapshotId;
  while (next !== null && chain.length < 10_000) {
    const row = select.get(next) as ChainRow | undefined;
    if (!row) break;
    chain.push(toLink(row));
    next = row.base_id;
  }
  return chain;
}

/** Snapshots by their own ids, for finding the archives an incremental's entries live in. */
export function archivesByUuid(db: Db, uuids: readonly string[]): Map<string, string> {
  const select = db.prepare('SELECT archive_path FROM snapshots WHERE uuid = ? AND deleting_at IS NULL').pluck();
  const found = new Map<string, string>();
  for (const uuid of uuids) {
    const path = select.get(uuid) as string | undefined;
    if (path) found.set(uuid, path);
  }
  return found;
}

/** Records what verifying a snapshot found, so a damaged chain is never built on. */
export function recordVerification(db: Db, id: number, ok: boolean, now: number): void {
  db.prepare('UPDATE snapshots SET verified_at = ?, verify_ok = ? WHERE id = ?').run(now, ok ? 1 : 0, id);
}

/** Every snapshot's archive, oldest first, for `verify --all`. */
export function allSnapshotArchives(db: Db): { id: number; archivePath: string; sha256: string }[] {
  return (db.prepare('SELECT id, archive_path, sha256 FROM snapshots WHERE deleting_at IS NULL ORDER BY id').all() as { id: number; archive_path: string; sha256: string }[]).map((row) => ({
    id: row.id,
    archivePath: row.archive_path,
    sha256: row.sha256,
  }));
}

/** The destination a snapshot's archive is on, or null when the catalog does not know it (removed, or an old row). */
export function snapshotDestinationId(db: Db, id: number): string | null {
  return (db.prepare('SELECT destination_id FROM snapshots WHERE id = ?').pluck().get(id) as string | null | undefined) ?? null;
}
