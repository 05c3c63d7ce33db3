import type { Db } from './open-store';

/** A destination's catalog row. */
export interface DestinationRecord {
  id: string;
  name: string;
  path: string;
  createdAt: number;
  /** The age recipient (`age1…`) its archives are encrypted to, or null when they are not encrypted. */
  recipient: string | null;
}

interface DestinationRow {
  id: string;
  name: string;
  path: string;
  created_at: number;
  recipient: string | null;
}

function toRecord(row: DestinationRow): DestinationRecord {
  return { id: row.id, name: row.name, path: row.path, createdAt: row.created_at, recipient: row.recipient ?? null };
}

/** Every destination, by name, for lists and for "known: …" hints in errors. */
export function listDestinations(db: Db): DestinationRecord[] {
  return (db.prepare('SELECT * FROM destinations ORDER BY name COLLATE NOCASE').all() as DestinationRow[]).map(toRecord);
}

/** Looks a destination up by the name people use (case-insensitive). */
export function findDestinationByName(db: Db, name: string): DestinationRecord | undefined {
  const row = db.prepare('SELECT * FROM destinations WHERE name = ? COLLATE NOCASE').get(name) as DestinationRow | undefined;
  return row && toRecord(row);
}

/** Looks a destination up by the id its marker file carries. */
export function findDestinationById(db: Db, id: string): DestinationRecord | undefined {
  const row = db.prepare('SELECT * FROM destinations WHERE id = ?').get(id) as DestinationRow | undefined;
  return row && toRecord(row);
}

/** Looks a destination up by its folder, to refuse adding the same folder twice. */
export function findDestinationByPath(db: Db, path: string): DestinationRecord | undefined {
  const row = db.prepare('SELECT * FROM destinations WHERE path = ?').get(path) as DestinationRow | undefined;
  return row && toRecord(row);
}

/** Records a destination whose marker has been written. */
export function insertDestination(db: Db, record: DestinationRecord): void {
  db.prepare('INSERT INTO destinations (id, name, path, created_at, recipient) VALUES (?, ?, ?, ?, ?)').run(record.id, record.name, record.path, record.createdAt, record.recipient);
}

/** Forgets a destination (its folder, marker and archives are left alone). */
export function deleteDestination(db: Db, id: string): void {
  db.prepare('DELETE FROM destinations WHERE id = ?').run(id);
}
