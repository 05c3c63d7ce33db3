/**
 * The schema, as an append-only list: a released migration is never edited, only followed by a new one.
 * Times are stored as INTEGER milliseconds since the epoch (UTC) in every *_at column.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'destinations, schedules, settings, scheduler lock',
    sql: `
      CREATE TABLE destinations (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        path TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE schedules (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        destination_id TEXT NOT NULL REFERENCES destinations(id) ON DELETE RESTRICT,
        cron TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        compression TEXT NOT NULL DEFAULT 'none' CHECK (compression IN ('none', 'gzip')),
        keep_last INTEGER CHECK (keep_last IS NULL OR keep_last >= 1),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE schedule_sources (
        schedule_id INTEGER NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        path TEXT NOT NULL,
        PRIMARY KEY (schedule_id, position)
      );
      CREATE TABLE schedule_excludes (
        schedule_id INTEGER NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        pattern TEXT NOT NULL,
        PRIMARY KEY (schedule_id, position)
      );
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE scheduler_lock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        pid INTEGER NOT NULL,
        hostname TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'jobs and snapshots',
    sql: `
      CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        schedule_id INTEGER NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
        trigger TEXT NOT NULL CHECK (trigger IN ('manual', 'scheduled', 'catch-up', 'retry')),
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped', 'interrupted')),
        queued_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        files INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        archive_path TEXT,
        sha256 TEXT,
        warnings TEXT NOT NULL DEFAULT '[]',
        error_code TEXT,
        error_message TEXT,
        waiting_reason TEXT,
        cancel_requested_at INTEGER,
        owner_pid INTEGER,
        owner_hostname TEXT,
        CHECK ((status IN ('queued', 'running')) = (finished_at IS NULL))
      );
      CREATE UNIQUE INDEX jobs_one_active_per_schedule ON jobs(schedule_id) WHERE status IN ('queued', 'running');
      CREATE INDEX jobs_by_schedule ON jobs(schedule_id, id);
      CREATE INDEX jobs_by_status ON jobs(status, id);
      CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE,
        schedule_id INTEGER REFERENCES schedules(id) ON DELETE SET NULL,
        schedule_name TEXT NOT NULL,
        job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
        destination_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        archive_path TEXT NOT NULL UNIQUE,
        files INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        archive_bytes INTEGER NOT NULL,
        entries INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        compression TEXT NOT NULL CHECK (compression IN ('none', 'gzip')),
        kind TEXT NOT NULL DEFAULT 'full' CHECK (kind IN ('full', 'incremental')),
        base_id INTEGER REFERENCES snapshots(id),
        format_version INTEGER NOT NULL
      );
      CREATE INDEX snapshots_by_schedule ON snapshots(schedule_id, created_at);
    `,
  },
  {
    version: 3,
    name: 'retention by day, week and month; snapshots being deleted',
    sql: `
      ALTER TABLE schedules ADD COLUMN keep_daily INTEGER CHECK (keep_daily IS NULL OR keep_daily >= 1);
      ALTER TABLE schedules ADD COLUMN keep_weekly INTEGER CHECK (keep_weekly IS NULL OR keep_weekly >= 1);
      ALTER TABLE schedules ADD COLUMN keep_monthly INTEGER CHECK (keep_monthly IS NULL OR keep_monthly >= 1);
      ALTER TABLE snapshots ADD COLUMN deleting_at INTEGER;
    `,
  },
  {
    version: 4,
    name: 'verification results on snapshots',
    sql: `
      ALTER TABLE snapshots ADD COLUMN verified_at INTEGER;
      ALTER TABLE snapshots ADD COLUMN verify_ok INTEGER CHECK (verify_ok IS NULL OR verify_ok IN (0, 1));
      CREATE INDEX snapshots_by_base ON snapshots(base_id);
    `,
  },
  {
    version: 5,
    name: "a job owner's process mark, so a reused pid is not taken for the owner",
    sql: `
      ALTER TABLE jobs ADD COLUMN owner_mark TEXT;
    `,
  },
  {
    version: 6,
    name: 'this machine, and the machine each snapshot belongs to',
    // The id is made here, once: it is what tells this laptop's archives from another's on a shared
    // destination. Snapshots a job of this catalog made are this machine's; imported ones (no job)
    // may be another laptop's, so their machine stays unknown and nothing deletes or builds on them.
    sql: `
      CREATE TABLE this_machine (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        machine_id TEXT NOT NULL CHECK (length(machine_id) >= 8),
        created_at INTEGER NOT NULL
      );
      INSERT INTO this_machine (id, machine_id, created_at) VALUES (1, lower(hex(randomblob(16))), CAST(strftime('%s', 'now') AS INTEGER) * 1000);
      ALTER TABLE snapshots ADD COLUMN machine_id TEXT;
      ALTER TABLE snapshots ADD COLUMN machine_name TEXT;
      UPDATE snapshots SET machine_id = (SELECT machine_id FROM this_machine) WHERE job_id IS NOT NULL;
      CREATE INDEX snapshots_by_machine ON snapshots(machine_id, schedule_id, created_at);
    `,
  },
  {
    version: 7,
    name: 'what woke a catch-up job: start-up, wake, unlock, drive connected, pause ended',
    // Free text checked by the code, not by a CHECK constraint: a new cause needs no table rebuild.
    // Older catch-up jobs keep NULL: their cause was not recorded.
    sql: `
      ALTER TABLE jobs ADD COLUMN trigger_cause TEXT;
    `,
  },
  {
    version: 8,
    name: "an encrypted destination's recipient (its public key)",
    // Only the public key: backups encrypt to it unattended. The secret key stays on the destination,
    // encrypted with the passphrase (.dormouse-key.age). NULL: archives there are not encrypted.
    sql: `
      ALTER TABLE destinations ADD COLUMN recipient TEXT CHECK (recipient IS NULL OR recipient LIKE 'age1%');
    `,
  },
  {
    version: 9,
    name: 'S3-compatible object storage as a destination kind',
    // Where the bucket is and how to address it; the keys that sign requests are never here (they
    // live in the data folder's credential store). A folder destination keeps kind 'folder' and NULLs.
    sql: `
      ALTER TABLE destinations ADD COLUMN kind TEXT NOT NULL DEFAULT 'folder' CHECK (kind IN ('folder', 's3'));
      ALTER TABLE destinations ADD COLUMN s3_endpoint TEXT;
      ALTER TABLE destinations ADD COLUMN s3_region TEXT;
      ALTER TABLE destinations ADD COLUMN s3_bucket TEXT;
      ALTER TABLE destinations ADD COLUMN s3_prefix TEXT;
      ALTER TABLE destinations ADD COLUMN s3_path_style INTEGER CHECK (s3_path_style IS NULL OR s3_path_style IN (0, 1));
    `,
  },
  {
    version: 10,
    name: 'snapshots a restore is reading, which retention leaves alone until it ends',
    // A row per snapshot a running restore reads (its whole chain), with the reading process (pid and mark, as a job's owner); task leaves room for other readers.
    sql: `
      CREATE TABLE snapshot_readers (
        id INTEGER PRIMARY KEY,
        snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
        task TEXT NOT NULL CHECK (task IN ('restore', 'verify')),
        pid INTEGER NOT NULL,
        mark TEXT,
        started_at INTEGER NOT NULL
      );
      CREATE INDEX snapshot_readers_by_snapshot ON snapshot_readers (snapshot_id);
    `,
  },
];

/** The newest schema version this code knows. */
export const latestSchemaVersion = migrations.reduce((max, migration) => Math.max(max, migration.version), 0);
