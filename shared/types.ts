/** A destination as every front end shows it. */
/**
 * Whether a destination can take a backup now: its marker is there and matches; it is missing
 * (a drive unplugged, an empty mount point, another folder); or it did not answer in time (a
 * share out of reach, a drive that hangs), which asks something else of the user.
 */
export type DestinationState = 'available' | 'missing' | 'not-answering';

export interface DestinationView {
  id: string;
  name: string;
  path: string;
  available: boolean;
  state: DestinationState;
  freeBytes: number | null;
  /** Whether its archives are encrypted (age, to the recipient in the catalog). */
  encrypted: boolean;
  /** A folder (a drive, a share) or an S3-compatible bucket (`path` is then `s3://BUCKET[/PREFIX]`, `freeBytes` null). */
  kind: 'folder' | 's3';
}

/** A destination just added, with the snapshots found in it (a folder that already held Dormouse archives). */
export interface DestinationAdded extends DestinationView {
  imported: ImportReport;
  /** What the user should know about the destination just added (an S3 destination added without encryption). */
  warnings: string[];
}

/** Which encrypted destinations' passphrases the app remembers in the OS keychain, and whether it can here. */
export interface RememberedPassphrases {
  /** Whether the window may offer "Remember on this computer": only the app, with a keychain that protects something. */
  canRemember: boolean;
  /** Why not, in words (no keychain in the CLI or the daemon, a Linux desktop without a keyring…); null when it can. */
  reason: string | null;
  /** The names of the destinations whose passphrase is remembered. */
  destinations: string[];
}

/** Where the keys of an S3 destination added now are kept: sealed by the system keychain (the app, with one), or in a 0600 file. */
export interface S3KeyStorage {
  /** True when they are sealed by the OS keychain. */
  keychain: boolean;
  /** Where, in words for the add form ("sealed by the system keychain…", "in /…/s3-credentials.json, readable only by…"). */
  where: string;
}

/** A recovery kit just saved: where, and the files in it. */
export interface RecoveryKitSaved {
  destination: string;
  /** The kit's own folder, inside the folder the person chose. */
  folder: string;
  files: string[];
}

export type Compression = 'none' | 'gzip';

/** A schedule as `dormouse schedule list` prints it and the settings window shows it. */
export interface ScheduleView {
  id: number;
  name: string;
  cron: string;
  description: string;
  enabled: boolean;
  sources: string[];
  excludes: string[];
  destination: string;
  compression: Compression;
  keepLast: number | null;
  keepDaily: number | null;
  keepWeekly: number | null;
  keepMonthly: number | null;
  lastSuccessAt: string | null;
  nextRunAt: string | null;
  overdue: boolean;
}

/** The next runs of a cron expression, for the schedule editor's preview and `dormouse cron`. */
export interface CronPreview {
  expression: string;
  description: string;
  next: string[];
}

/** What removing a destination did, so a person knows their archives were left alone. */
export interface DestinationRemoved {
  id: string;
  name: string;
  path: string;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'skipped' | 'interrupted';
export type JobTrigger = 'manual' | 'scheduled' | 'catch-up' | 'retry';

/** A backup run as `dormouse run`, `dormouse jobs` and the history screen show it. */
export interface JobView {
  id: number;
  scheduleId: number;
  trigger: JobTrigger;
  status: JobStatus;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  files: number;
  bytes: number;
  archivePath: string | null;
  sha256: string | null;
  warnings: string[];
  error: { code: string; message: string } | null;
}

/** A finished archive in the catalog, as `dormouse snapshots` prints it. */
export interface SnapshotView {
  id: number;
  scheduleId: number | null;
  /** The schedule's name as the archive records it (also for snapshots imported before their schedule exists). */
  scheduleName: string;
  jobId: number | null;
  createdAt: string;
  archivePath: string;
  files: number;
  bytes: number;
  sha256: string;
  compression: Compression;
  /** A full snapshot holds every file; an incremental only what changed since `baseId`, the snapshot before it. */
  kind: 'full' | 'incremental';
  baseId: number | null;
  /** The machine that made it: another laptop's snapshots on a shared destination are never pruned nor built on here. */
  machine: SnapshotMachine;
}

/**
 * The machine a snapshot belongs to: its stable id, its name as `--machine` takes it (hostname and
 * the id's first 8 characters, also its folder on the destination), and whether it is this machine.
 * An archive made before machines were told apart, imported, has id null and name "unknown".
 */
export interface SnapshotMachine {
  id: string | null;
  name: string;
  current: boolean;
}

/** A running job's progress, sent to front ends at most every 250 ms. */
export interface JobProgress {
  jobId: number;
  scheduleId: number;
  files: number;
  bytes: number;
  totalFiles: number;
  totalBytes: number;
  currentPath: string;
}

/** What rebuilding the catalog from a destination found. */
export interface ImportReport {
  destination: string;
  imported: { snapshotId: number; archivePath: string; scheduleName: string; machine: SnapshotMachine }[];
  alreadyKnown: number;
  skipped: { archivePath: string; reason: string }[];
}

/** What pruning a schedule kept (and why) and deleted, or would delete on a dry run. */
export interface PruneReport {
  schedule: string;
  dryRun: boolean;
  kept: { snapshotId: number; createdAt: string; reasons: string[] }[];
  deleted: { snapshotId: number; createdAt: string; archivePath: string }[];
}

/** How far a restore or a verification in a worker has come, sent at most every 250 ms. */
export interface TaskProgress {
  task: 'restore' | 'verify';
  files: number;
  bytes: number;
  totalFiles: number;
  totalBytes: number;
  currentPath: string;
}

/** What `dormouse verify` found, per snapshot. */
export interface VerifyReport {
  ok: boolean;
  /**
   * `damaged`: the files whose content no longer matches what was backed up, in this snapshot's
   * archive or one it depends on. `contentsChecked`: whether every file was read and checked; false
   * when an archive of its chain is encrypted and no passphrase was at hand, so only the SHA-256 of
   * its encrypted file was checked.
   */
  snapshots: { snapshotId: number; archivePath: string; ok: boolean; problems: string[]; damaged: string[]; contentsChecked: boolean }[];
}

/** What `dormouse restore` did. */
export interface RestoreReport {
  snapshotId: number;
  target: string;
  files: number;
  bytes: number;
  /** Existing files left as they were (restore again with overwrite to replace them). */
  conflicts: string[];
  /** Existing files and symlinks left as they were because they already hold what the snapshot has (the same bytes, or the same link target): nothing to restore. */
  unchanged: number;
  /** Entries refused because they would land outside the target, or not restored for another reason (said in each line). */
  refused: string[];
  /** Files whose bytes did not match the hash recorded at backup time (XXH3-128, or SHA-256 in older archives): none of them is left under its name. */
  damaged: string[];
  /** What could not be applied to restored entries ("<path>: <what>"), such as ownership when not restoring as root. */
  unapplied: string[];
}

/** One entry of a snapshot listing. */
export interface SnapshotEntryView {
  name: string;
  path: string;
  /** A second name of a file (a hardlink) lists as a file; `fifo` is a named pipe. */
  type: 'file' | 'directory' | 'symlink' | 'fifo';
  size: number;
  mtime: string;
  mode: number;
  linkTarget: string | null;
}

/** A folder of a snapshot, listed from its manifest: `dormouse ls`. */
export interface SnapshotListing {
  snapshotId: number;
  path: string;
  entries: SnapshotEntryView[];
}

/** Who runs the scheduler for this catalog, what is running, and every schedule: `dormouse status`. */
export interface StatusView {
  /** This machine: its id and its name, which is also its folder on every destination (`Dormouse/<name>/`, as a per-laptop S3 bucket policy names it). */
  machine: { id: string; name: string };
  scheduler: { held: boolean; pid: number | null; hostname: string | null; heartbeatAt: string | null };
  /** Queued and running jobs; a queued one says why it waits. */
  running: (JobView & { waitingReason: string | null })[];
  schedules: ScheduleView[];
}

/**
 * Where a destination's space goes, for the destinations screen: what Dormouse's archives take, the
 * free space, the archive bytes written on each of the last 30 local days (oldest first), their
 * average per day over `rateDays` (the days the destination has had archives, at most 30), when the
 * drive is full at that rate (null: not at this rate, or the free space is unknown), and what
 * retention would delete now (`prune --dry-run`).
 */
export interface DestinationUsage {
  destination: string;
  state: DestinationState;
  archiveBytes: number;
  snapshots: number;
  freeBytes: number | null;
  days: { day: string; bytes: number }[];
  bytesPerDay: number;
  rateDays: number;
  fullAt: string | null;
  wouldPrune: { schedule: string; snapshotId: number; createdAt: string; archivePath: string }[];
}
