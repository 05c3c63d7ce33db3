import type { z } from 'zod';
import {
  coverageSchema,
  cronPreviewSchema,
  destinationAddSchema,
  destinationPassphraseSchema,
  passphraseRememberSchema,
  recoveryKitSchema,
  emptySchema,
  jobCancelSchema,
  jobGetSchema,
  jobListSchema,
  jobRunSchema,
  nameOnlySchema,
  scheduleEditSchema,
  scheduleEnabledSchema,
  scheduleFieldsSchema,
  settingsChangeSchema,
  pruneSchema,
  importSchema,
  snapshotIdOnlySchema,
  snapshotListSchema,
  snapshotLsSchema,
  snapshotRestoreSchema,
  snapshotVerifySchema,
} from './schemas';
import type { CoverageView } from './coverage';
import type { Settings } from './settings';
import type { TaskProgress, CronPreview, DestinationUsage, DestinationAdded, DestinationRemoved, DestinationView, ImportReport, JobProgress, JobView, PruneReport, RecoveryKitSaved, RememberedPassphrases, RestoreReport, S3KeyStorage, ScheduleView, SnapshotListing, SnapshotView, StatusView, VerifyReport } from './types';

/**
 * The one map of operations every front end speaks: the CLI, the Electron IPC and the web host.
 * Each channel names the schema its request is validated against before it reaches the engine.
 */
export const requestSchemas = {
  'destinations:list': emptySchema,
  'destinations:add': destinationAddSchema,
  'destinations:remove': nameOnlySchema,
  'destinations:passphrase': destinationPassphraseSchema,
  'destinations:recovery-kit': recoveryKitSchema,
  'destinations:s3-key-storage': emptySchema,
  'passphrases:status': emptySchema,
  'passphrases:remember': passphraseRememberSchema,
  'passphrases:forget': nameOnlySchema,
  'schedules:list': emptySchema,
  'schedules:add': scheduleFieldsSchema,
  'schedules:edit': scheduleEditSchema,
  'schedules:remove': nameOnlySchema,
  'schedules:set-enabled': scheduleEnabledSchema,
  'cron:preview': cronPreviewSchema,
  'jobs:run': jobRunSchema,
  'jobs:list': jobListSchema,
  'jobs:cancel': jobCancelSchema,
  'snapshots:list': snapshotListSchema,
  'status:get': emptySchema,
  'jobs:start': jobRunSchema,
  'jobs:get': jobGetSchema,
  'folders:pick': emptySchema,
  'snapshots:verify': snapshotVerifySchema,
  'snapshots:ls': snapshotLsSchema,
  'snapshots:restore': snapshotRestoreSchema,
  'snapshots:prune': pruneSchema,
  'snapshots:suggest-target': snapshotIdOnlySchema,
  'snapshots:import': importSchema,
  'settings:get': emptySchema,
  'settings:set': settingsChangeSchema,
  'coverage:get': coverageSchema,
  'destinations:usage': emptySchema,
  'folders:suggest': emptySchema,
} as const;

/** What each channel answers. */
export interface ResponseMap {
  'destinations:list': DestinationView[];
  'destinations:add': DestinationAdded;
  'destinations:remove': DestinationRemoved;
  'destinations:passphrase': DestinationView;
  /** Copies an encrypted destination's key file and recovery instructions into a new folder inside `to` (files 0600, written atomically). */
  'destinations:recovery-kit': RecoveryKitSaved;
  /** Where the keys of an S3 destination added now would be kept: sealed by the OS keychain (the app, with one), or in a 0600 file. */
  'destinations:s3-key-storage': S3KeyStorage;
  /** Which passphrases the app remembers in the OS keychain, and whether it can (never in the CLI or the daemon). */
  'passphrases:status': RememberedPassphrases;
  /** Remembers a destination's passphrase in the OS keychain once it opened the key; used whenever a request comes without one. */
  'passphrases:remember': RememberedPassphrases;
  /** Forgets a destination's remembered passphrase. */
  'passphrases:forget': RememberedPassphrases;
  'schedules:list': ScheduleView[];
  'schedules:add': ScheduleView;
  'schedules:edit': ScheduleView;
  'schedules:remove': ScheduleView;
  'schedules:set-enabled': ScheduleView;
  'cron:preview': CronPreview;
  /** Runs a backup now and answers when it has ended. */
  'jobs:run': JobView;
  'jobs:list': JobView[];
  'jobs:cancel': JobView;
  'snapshots:list': SnapshotView[];
  'status:get': StatusView;
  /** Queues a backup now (Back Up Now) and answers at once with the queued job. */
  'jobs:start': JobView;
  'jobs:get': JobView;
  /** The native folder picker, where there is one (the app); the web host answers supported: false. */
  'folders:pick': { supported: boolean; path: string | null };
  /** Re-reads archives in a worker process: SHA-256 and every manifest entry. */
  'snapshots:verify': VerifyReport;
  /** A folder of a snapshot, from its manifest alone. */
  'snapshots:ls': SnapshotListing;
  /** Restores a snapshot, or chosen paths of it, in a worker process. */
  'snapshots:restore': RestoreReport;
  /** Applies retention to one schedule or all; a dry run says what would go and why the rest stays. */
  'snapshots:prune': PruneReport[];
  /** Where the window restores by default: a new "Restored <date>" folder in the home folder. */
  'snapshots:suggest-target': { target: string };
  /** Re-scans a destination for archives the catalog does not know. */
  'snapshots:import': ImportReport;
  'settings:get': Settings;
  'settings:set': Settings;
  /** A schedule's expected runs over the last days and what became of each: on time, caught up, skipped, failed or missed. */
  'coverage:get': CoverageView;
  /** Where each destination's space goes: archives, free space, bytes per day, when it fills, what retention would delete. */
  'destinations:usage': DestinationUsage[];
  /** The home folder and its common folders that exist (Documents, Pictures…): what the first-run setup offers to back up. */
  'folders:suggest': { home: string; folders: string[] };
}

/** Events from the engine to every window: the same contract, the other direction. */
export interface EventMap {
  'job-started': JobView;
  'job-progress': JobProgress;
  'job-finished': JobView;
  'task-progress': TaskProgress;
  'schedules-changed': Record<string, never>;
  /** The tray or a notification asks the window to show a screen (a job's detail, the restore screen). */
  navigate: { screen: 'overview' | 'restore' | 'job' | 'setup'; jobId?: number };
}

export type DormouseEvent = { [K in keyof EventMap]: { type: K; payload: EventMap[K] } }[keyof EventMap];

/** The IPC channel events travel on. */
export const eventChannel = 'dormouse:event';

export type Channel = keyof typeof requestSchemas;
export type RequestOf<C extends Channel> = z.input<(typeof requestSchemas)[C]>;
export type ValidRequestOf<C extends Channel> = z.output<(typeof requestSchemas)[C]>;
export type ResponseOf<C extends Channel> = ResponseMap[C];

/** Tells whether a string names a channel of the contract, for transports that receive raw names. */
export function isChannel(name: string): name is Channel {
  return Object.prototype.hasOwnProperty.call(requestSchemas, name);
}

/** How an answer crosses IPC or HTTP: errors keep their code, which thrown errors lose in transit. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

/** The API the preload exposes to the renderer as `window.dormouse`. */
export interface DormouseBridge {
  invoke<C extends Channel>(channel: C, request: RequestOf<C>): Promise<Envelope<ResponseOf<C>>>;
  /** Listens to engine events; returns how to stop listening. */
  onEvent(listener: (event: DormouseEvent) => void): () => void;
}

/** The IPC channel name a contract channel travels on. */
export function ipcChannel(channel: Channel): string {
  return `dormouse:${channel}`;
}
