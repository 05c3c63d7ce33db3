import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { DormouseError } from '../../shared/errors';
import { catalogError } from './catalog-errors';
import { latestSchemaVersion, migrations, type Migration } from './migrations';
import { makeFolders } from '../common/make-folders';

export type Db = Database.Database;

const busyTimeoutMs = 5000;

/** The better-sqlite3 addon every connection opened here loads; null: the package's own build (for Node). */
let nativeBinding: string | null = null;

/**
 * Makes every catalog connection of this process load the given better-sqlite3 addon: the tray app
 * runs under Electron, whose ABI differs from Node's, so it loads a copy built for Electron while
 * the CLI, the daemon and the tests keep the package's own build. Null goes back to that build.
 */
export function useSqliteBinding(file: string | null): void {
  nativeBinding = file;
}

function connect(file: string, options: Database.Options = {}): Db {
  return new Database(file, nativeBinding === null ? options : { ...options, nativeBinding });
}

function sqliteCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

function unreadable(file: string, error: unknown): DormouseError {
  const reason = error instanceof Error ? error.message : String(error);
  return new DormouseError(
    'DATABASE_UNREADABLE',
    `the catalog ${file} cannot be read (${reason}); move it aside and start again, or pass --data-dir to use another folder`,
  );
}

function recordedVersion(db: Db): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!table) return 0;
  const row = db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as { version: number | null };
  return row.version ?? 0;
}

function refuseIfNewer(file: string, version: number): void {
  if (version > latestSchemaVersion) {
    throw new DormouseError(
      'SCHEMA_TOO_NEW',
      `the catalog ${file} is at schema version ${version}, newer than this Dormouse knows (${latestSchemaVersion}); update Dormouse to open it (the file was left untouched)`,
    );
  }
}

/**
 * Reads an existing catalog's schema version through a read-only connection, before anything
 * (WAL mode, migrations) could change the file: a newer catalog is refused byte-for-byte untouched.
 */
function checkExistingCatalog(file: string): void {
  let db: Db | undefined;
  try {
    db = connect(file, { readonly: true, fileMustExist: true });
    refuseIfNewer(file, recordedVersion(db));
  } catch (error) {
    if (error instanceof DormouseError) throw error;
    throw classify(file, error);
  } finally {
    db?.close();
  }
}

/** A damaged catalog, one on a full disk and one Dormouse may not write are different problems with different fixes. */
function classify(file: string, error: unknown): DormouseError {
  const code = sqliteCode(error) ?? '';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return unreadable(file, error);
  return catalogError(error, file) ?? unreadable(file, error);
}

/** Applies one migration and its version row in one BEGIN IMMEDIATE transaction, unless another process already did. */
function applyMigration(db: Db, file: string, migration: Migration, now: number): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    const current = recordedVersion(db);
    refuseIfNewer(file, current);
    if (current < migration.version) {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, migrated_at) VALUES (?, ?)').run(migration.version, now);
    }
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/** Brings a catalog up to the newest schema, keeping every row it had. */
export function migrate(db: Db, file: string, upTo: number = latestSchemaVersion, now: number = Date.now()): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, migrated_at INTEGER NOT NULL)');
  for (const migration of migrations) {
    if (migration.version <= upTo && migration.version > recordedVersion(db)) applyMigration(db, file, migration, now);
  }
}

/** Sets what every Dormouse connection needs: WAL, foreign keys on, and a busy timeout for concurrent processes. */
export function configureConnection(db: Db): void {
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
}

function createDataFolder(folder: string): void {
  try {
    makeFolders(folder, 0o700);
  } catch (error) {
    throw new DormouseError('DATABASE_UNREADABLE', `cannot create the data folder ${folder} (${(error as Error).message}); pass --data-dir with a folder you can write to`);
  }
}

/**
 * Opens (creating if needed) the catalog database: refuses a newer schema untouched, reports a
 * damaged file clearly, configures the connection and migrates it to the newest schema.
 */
export function openDatabase(file: string, options: { upTo?: number } = {}): Db {
  if (existsSync(file)) checkExistingCatalog(file);
  else createDataFolder(dirname(file));
  let db: Db | undefined;
  try {
    db = connect(file);
    configureConnection(db);
    migrate(db, file, options.upTo);
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof DormouseError) throw error;
    if (sqliteCode(error)?.startsWith('SQLITE_')) throw classify(file, error);
    throw error;
  }
}
