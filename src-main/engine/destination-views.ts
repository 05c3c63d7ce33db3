import { DormouseError, notFound } from '../../shared/errors';
import type { DestinationUsage, DestinationView, PruneReport } from '../../shared/types';
import type { DestinationCheck } from '../destinations/destination-probe';
import { destinationUsage } from '../destinations/destination-usage';
import { pruneSchedule } from '../jobs/prune';
import { credentialStoreFor } from '../s3/credential-store';
import * as destinations from '../store/destination-store';
import type { DestinationRecord } from '../store/destination-store';
import type { Db } from '../store/open-store';
import * as schedules from '../store/schedule-store';
import type { PassphraseMemory } from './remembered-passphrases';

/** Said when an S3 destination is added with --no-encrypt: whoever runs the bucket can read its archives. */
export const unencryptedS3Warning = 'its archives are not encrypted: whoever can read the bucket (the provider, anyone with its keys) can read every file backed up; add an encrypted destination (the default) unless the bucket is your own';

/** Checks a destination: its marker, off the event loop. */
export type CheckDestination = (record: DestinationRecord) => Promise<DestinationCheck>;

/** A destination as the lists show it, as `check` found it. */
export function destinationView(record: DestinationRecord, check: DestinationCheck): DestinationView {
  return { id: record.id, name: record.name, path: record.path, available: check.state === 'available', state: check.state, freeBytes: check.freeBytes, encrypted: record.recipient !== null, kind: record.kind };
}

/** The destination of that name, or a not-found error listing the destinations there are. */
export function requireDestination(db: Db, name: string): DestinationRecord {
  const record = destinations.findDestinationByName(db, name);
  if (record) return record;
  const known = destinations.listDestinations(db).map((destination) => destination.name);
  throw notFound('destination', name, known, 'add one with `dormouse destination add --name NAME --path PATH`');
}

/** Where each destination's space goes: catalog queries, the retention's dry run, and the free space the check read. */
export async function usageOfDestinations(db: Db, views: DestinationView[], now: number, check: CheckDestination): Promise<DestinationUsage[]> {
  const reports: { destinationId: string; report: PruneReport }[] = [];
  for (const schedule of schedules.listSchedules(db)) reports.push({ destinationId: schedule.destinationId, report: await pruneSchedule(db, schedule, { dryRun: true, now, check }) });
  return destinations.listDestinations(db).map((record) =>
    destinationUsage(
      db,
      record,
      views.find((view) => view.id === record.id),
      reports.filter((entry) => entry.destinationId === record.id).map((entry) => entry.report),
      now,
    ),
  );
}

/** Forgets a destination no schedule uses, with its remembered passphrase and its S3 keys; its archives stay where they are. */
export async function removeDestination(db: Db, name: string, memory: PassphraseMemory): Promise<{ id: string; name: string; path: string }> {
  const record = requireDestination(db, name);
  const users = schedules.schedulesUsingDestination(db, record.id);
  if (users.length > 0) {
    throw new DormouseError('CONFLICT', `destination "${record.name}" is used by ${users.length === 1 ? 'schedule' : 'schedules'} ${users.join(', ')}; remove ${users.length === 1 ? 'it' : 'them'} or point ${users.length === 1 ? 'it' : 'them'} at another destination first`);
  }
  destinations.deleteDestination(db, record.id);
  await memory.forget(record);
  if (record.kind === 's3') await credentialStoreFor(db.name).remove(record.id);
  return { id: record.id, name: record.name, path: record.path };
}
