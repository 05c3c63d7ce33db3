import type { Db } from './open-store';

/** Where an S3 destination's bucket is and how it is addressed (its keys are in the credential store, never here). */
export interface S3Location {
  endpoint: string;
  region: string;
  bucket: string;
  /** The key prefix everything of this destination goes under, without a trailing slash; '' for the bucket's root. */
  prefix: string;
  pathStyle: boolean;
}

/** A destination's catalog row. */
export interface DestinationRecord {
  id: string;
  name: string;
  /** A folder's path, or `s3://BUCKET[/PREFIX]` for an S3 destination. */
  path: string;
  createdAt: number;
  /** The age recipient (`age1…`) its archives are encrypted to, or null when they are not encrypted. */
  recipient: string | null;
  kind: 'folder' | 's3';
  /** For an S3 destination, where its bucket is; null for a folder. */
  s3: S3Location | null;
}

interface DestinationRow {
  id: string;
  name: string;
  path: string;
  created_at: number;
  recipient: string | null;
  kind: 'folder' | 's3' | null;
  s3_endpoint: string | null;
  s3_region: string | null;
  s3_bucket: string | null;
  s3_prefix: string | null;
  s3_path_style: number | null;
}

function toRecord(row: DestinationRow): DestinationRecord {
  const s3 =
    row.kind === 's3'
      ? { endpoint: row.s3_endpoint ?? '', region: row.s3_region ?? 'us-east-1', bucket: row.s3_bucket ?? '', prefix: row.s3_prefix ?? '', pathStyle: row.s3_path_style === 1 }
      : null;
  return { id: row.id, name: row.name, path: row.path, createdAt: row.created_at, recipient: row.recipient ?? null, kind: row.kind ?? 'folder', s3 };
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

/** Looks a destination up by its folder (or S3 location), to refuse adding the same one twice. */
export function findDestinationByPath(db: Db, path: string): DestinationRecord | undefined {
  const row = db.prepare('SELECT * FROM destinations WHERE path = ?').get(path) as DestinationRow | undefined;
  return row && toRecord(row);
}

/** Records a destination whose marker has been written. */
export function insertDestination(db: Db, record: DestinationRecord): void {
  const s3 = record.s3;
  db.prepare(
    'INSERT INTO destinations (id, name, path, created_at, recipient, kind, s3_endpoint, s3_region, s3_bucket, s3_prefix, s3_path_style) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(record.id, record.name, record.path, record.createdAt, record.recipient, record.kind, s3?.endpoint ?? null, s3?.region ?? null, s3?.bucket ?? null, s3?.prefix ?? null, s3 ? (s3.pathStyle ? 1 : 0) : null);
}

/** Forgets a destination (its folder, marker and archives are left alone). */
export function deleteDestination(db: Db, id: string): void {
  db.prepare('DELETE FROM destinations WHERE id = ?').run(id);
}
