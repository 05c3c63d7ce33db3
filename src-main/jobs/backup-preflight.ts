import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { JobView } from '../../shared/types';
import type { ArchiveRequest } from '../archive-worker/archive-protocol';
import { answerWithin } from '../common/files';
import type { DestinationCheck } from '../destinations/destination-probe';
import { uploadLimitOf, uploadShape, type S3Access } from '../destinations/s3-access';
import { storageOf } from '../destinations/storage-of';
import { archiveNameKind, archivePathFor } from '../destinations/destination-layout';
import { isS3Path } from '../s3/s3-location';
import { S3Error } from '../s3/s3-errors';
import { manifestCopyFile } from '../store/data-dir';
import { findDestinationById, type DestinationRecord } from '../store/destination-store';
import { thisMachine, type Machine } from '../store/machine-store';
import type { Db } from '../store/open-store';
import type { ScheduleRecord } from '../store/schedule-store';
import { readSettings } from '../store/settings-store';
import { chooseBase, removeStalePartials } from './backup-plan';
import * as jobs from './job-store';
import { removeStaleManifestPartials } from './manifest-partials';
import { chainOf } from './snapshot-store';

/** What a backup's checks need of the job runner: the catalog, the time, and how to check a destination and end a job. */
export interface PreflightContext {
  db(): Db;
  now(): number;
  /** How long a backup waits for its destination (and sources) to answer. */
  destinationTimeoutMs(): number;
  checkDestination(destination: DestinationRecord, timeoutMs: number): Promise<DestinationCheck>;
  end(jobId: number, outcome: jobs.JobOutcome): JobView;
}

/** A backup ready for its worker: where its archive goes, on what base. */
export interface PreparedBackup {
  destination: DestinationRecord;
  machine: Machine;
  base: Awaited<ReturnType<typeof chooseBase>>;
  kind: 'full' | 'incremental';
  createdAt: number;
  snapshotUuid: string;
  archivePath: string;
}

/** A backup's checks: the job's end when it cannot run (or was cancelled meanwhile), else the backup ready for its worker. */
export type Preflight = { ended: JobView } | PreparedBackup;

/**
 * Everything a backup checks before its worker starts, reading the destination off the event loop
 * (a share that stopped answering must not freeze the process that owns the tray): the job's end
 * when it cannot run (or was cancelled meanwhile), otherwise where its archive goes and on what base.
 */
export async function prepareBackup(context: PreflightContext, schedule: ScheduleRecord, jobId: number): Promise<Preflight> {
  const db = context.db();
  const destinationTimeoutMs = context.destinationTimeoutMs();
  const destination = findDestinationById(db, schedule.destinationId);
  const check: DestinationCheck = destination ? await context.checkDestination(destination, destinationTimeoutMs) : { state: 'missing', freeBytes: null };
  const state = check.state;
  /** The job as it ended, when a cancel ended it while this waited. */
  const endedMeanwhile = () => {
    const current = (jobs.findJob(db, jobId) as jobs.JobRecord).view;
    return current.status === 'queued' ? null : { ended: current };
  };
  const cancelled = endedMeanwhile();
  if (cancelled) return cancelled;
  if (!destination || state !== 'available') {
    const why =
      check.reason ??
      (state === 'not-answering'
        ? `${destination?.path} did not answer within ${destinationTimeoutMs / 1000} s: a network share out of reach, or a drive that hangs`
        : `no matching marker in ${destination?.path ?? 'its folder'}`);
    const todo = check.reason === undefined ? '; connect the drive or share and try again' : '';
    return {
      ended: context.end(jobId, {
        status: 'skipped',
        error: { code: 'DESTINATION_UNAVAILABLE', message: `destination "${schedule.destinationName}" is not available (${why})${todo}` },
      }),
    };
  }
  // Sources are checked off the event loop too: one may be on a share that stopped answering.
  const checks = await Promise.all(
    schedule.sources.map(async (source) => ({ source, check: await answerWithin(source, () => stat(source).then((stats) => stats.isDirectory(), () => false), destinationTimeoutMs) })),
  );
  const stopped = endedMeanwhile();
  if (stopped) return stopped;
  const silent = checks.filter(({ check }) => check.timedOut).map(({ source }) => source);
  const missing = checks.filter(({ check }) => !check.timedOut && !check.value).map(({ source }) => source);
  if (silent.length > 0 || missing.length > 0) {
    const problems = [
      ...(missing.length > 0 ? [`${missing.length === 1 ? 'source folder' : 'source folders'} missing: ${missing.join(', ')}`] : []),
      ...(silent.length > 0 ? [`${silent.length === 1 ? 'source folder' : 'source folders'} did not answer within ${destinationTimeoutMs / 1000} s: ${silent.join(', ')} (a network share out of reach?)`] : []),
    ];
    return {
      ended: context.end(jobId, {
        status: 'failed',
        error: { code: 'SOURCE_MISSING', message: `${problems.join('; ')}; reconnect or restore ${missing.length + silent.length === 1 ? 'it' : 'them'}, or edit the schedule` },
      }),
    };
  }
  const snapshotUuid = randomUUID();
  const createdAt = context.now();
  const machine = thisMachine(db);
  const storage = destination.kind === 's3' ? storageOf(db, destination) : null;
  const base = await chooseBase(db, schedule.id, machine, readSettings(db), createdAt, destinationTimeoutMs, destination.recipient === null ? null : destination.path, storage);
  const kind: 'full' | 'incremental' = base ? 'incremental' : 'full';
  const archivePath = archivePathFor(destination.path, machine, schedule, { createdAt, snapshotUuid, compression: schedule.compression, kind, encrypted: destination.recipient !== null });
  if (storage) {
    // Uploads a killed worker left in this schedule's folder (only this schedule's one job writes there).
    try {
      await storage.within(() => storage.removeLeftovers(dirname(archivePath)), destinationTimeoutMs);
    } catch (error) {
      // An endpoint out of reach: left for the next backup, and the upload reports it if it stays so. Keys that may not do it are said.
      if (error instanceof S3Error && (error.kind === 'access-denied' || error.kind === 'credentials')) {
        jobs.addWarning(db, jobId, `unfinished uploads an earlier backup left (which the service keeps, and may charge for) could not be aborted: ${error.message}`);
      }
    }
  } else await removeStalePartials(dirname(archivePath), destinationTimeoutMs);
  removeStaleManifestPartials(db);
  return endedMeanwhile() ?? { destination, machine, base, kind, createdAt, snapshotUuid, archivePath };
}

/** What a backup's worker is asked to do: its sources, its archive, its base's chain, and how it is encrypted and uploaded. */
export function archiveRequestFor(db: Db, schedule: ScheduleRecord, prepared: PreparedBackup, s3: S3Access | null, expected: ArchiveRequest['expected'] | null): ArchiveRequest {
  const { destination, machine, base, kind, createdAt, snapshotUuid, archivePath } = prepared;
  return {
    sources: schedule.sources,
    excludes: schedule.excludes,
    archivePath,
    compression: schedule.compression,
    snapshot: { id: snapshotUuid, scheduleName: schedule.name, createdAt: new Date(createdAt).toISOString(), kind, baseId: base?.uuid ?? null, machine },
    ...(expected ? { expected } : {}),
    ...(base ? { base: baseOf(db, base) } : {}),
    // Encrypted to the recipient in the catalog: a backup never needs the passphrase.
    ...(destination.recipient === null ? {} : { encryption: { recipient: destination.recipient, manifestCopy: manifestCopyFile(db.name, snapshotUuid) } }),
    ...(s3 ? { s3: { ...s3, manifestCopy: manifestCopyFile(db.name, snapshotUuid), ...uploadShape(), bytesPerSecond: uploadLimitOf(readSettings(db)) } } : {}),
  };
}

/** What the worker reads of an incremental's base: its chain's archives, and the local copies of their manifests where they are encrypted. */
function baseOf(db: Db, base: { id: number; uuid: string; archivePath: string }): NonNullable<ArchiveRequest['base']> {
  const chain = chainOf(db, base.id);
  const manifestCopies = Object.fromEntries(chain.filter((link) => archiveNameKind(link.archivePath).encrypted || isS3Path(link.archivePath)).map((link) => [link.archivePath, manifestCopyFile(db.name, link.uuid)]));
  return { id: base.uuid, archivePath: base.archivePath, archives: Object.fromEntries(chain.map((link) => [link.uuid, link.archivePath])), manifestCopies };
}
