import { DormouseError } from '../../shared/errors';
import type { ImportReport } from '../../shared/types';
import type { InspectedArchive } from '../archive-worker/inspect-archive';
import { answerWithin } from '../common/files';
import { importFromDestination } from '../destinations/catalog-import';
import { archivesFolderName, joinLocation } from '../destinations/destination-layout';
import { readMarkerAsync, removeMarkerAsync, writeMarkerAsync, type MarkerReading } from '../destinations/destination-marker';
import { viewTimeoutMs } from '../destinations/destination-probe';
import { FolderStorage, type DestinationStorage } from '../destinations/destination-storage';
import * as destinations from '../store/destination-store';
import type { DestinationRecord } from '../store/destination-store';
import type { Db } from '../store/open-store';
import { keyForNewDestination, type AddedKey } from './destination-keys';
import { notAnswering, realOrResolved, requireFolder } from './folder-checks';

/** How long writing a new destination's marker (a write, an fsync and a rename) may take on a slow share. */
const markerWriteTimeoutMs = 10_000;

/** What adding a destination needs of the engine: the catalog, its clock, and a worker to read the archives already there. */
export interface AddDestinationContext {
  db: Db;
  now: () => number;
  inspect: (archivePaths: string[], identity?: string) => Promise<InspectedArchive[]>;
  destinationTimeoutMs: number;
}

/** What an add found and did: the destination recorded, and the snapshots imported from it. */
export interface AddedDestination {
  record: DestinationRecord;
  imported: ImportReport;
}

/** Refuses a name another destination has. */
export function refuseNameClash(db: Db, name: string): void {
  if (destinations.findDestinationByName(db, name)) throw new DormouseError('CONFLICT', `a destination named "${name}" already exists; choose another name`);
}

/** Refuses a marker that already belongs to a destination in the catalog. */
export function refuseAdopted(db: Db, reading: MarkerReading, where: string): void {
  const adopted = reading.kind === 'valid' ? destinations.findDestinationById(db, reading.marker.id) : undefined;
  if (adopted) {
    throw new DormouseError('CONFLICT', `${where} carries the marker of destination "${adopted.name}" (at ${adopted.path}); remove that destination first to add it here`);
  }
}

/**
 * The steps after the destination's checks, the same for a folder and an S3 bucket: makes its key
 * when it is to be encrypted, writes its marker when it has none, records it (`beforeInsert` stores
 * what else it needs, such as S3 keys), and imports the snapshots already on it.
 */
export async function recordDestination(
  context: AddDestinationContext,
  storage: DestinationStorage,
  reading: MarkerReading,
  options: { name: string; encrypt: boolean; passphrase: string | undefined; writeMarker: () => Promise<{ id: string }>; removeMarker: () => Promise<void>; record: (id: string, recipient: string | null) => DestinationRecord; beforeInsert?: (record: DestinationRecord) => Promise<void> },
): Promise<AddedDestination> {
  const { db, now } = context;
  const key: AddedKey = await keyForNewDestination(options.name, storage, { encrypt: options.encrypt, passphrase: options.passphrase, hasMarker: reading.kind === 'valid', now: new Date(now()) });
  let record: DestinationRecord;
  try {
    const markerId = reading.kind === 'valid' ? reading.marker.id : (await options.writeMarker()).id;
    record = options.record(markerId, key.recipient);
    try {
      await options.beforeInsert?.(record);
      // Checked again: another process may have added the same name, or this place, while it was read.
      refuseNameClash(db, options.name);
      refuseAdopted(db, reading, storage.location);
      destinations.insertDestination(db, record);
    } catch (error) {
      if (reading.kind === 'missing') await options.removeMarker();
      throw error;
    }
  } catch (error) {
    await key.undo();
    throw error;
  }
  let imported: ImportReport;
  try {
    imported = await importFromDestination(db, record, storage, (paths) => context.inspect(paths, key.identity), context.destinationTimeoutMs);
  } catch (error) {
    // The destination is recorded: archives it could not list now are left for `dormouse import`.
    if (!(error instanceof DormouseError) || error.code !== 'DESTINATION_UNAVAILABLE') throw error;
    imported = { destination: options.name, imported: [], alreadyKnown: 0, skipped: [{ archivePath: joinLocation(storage.location, archivesFolderName), reason: error.message }] };
  }
  return { record, imported };
}

/**
 * Adds a destination folder: checks it answers and is not already one (by real path and by its
 * marker), makes its key when it is to be encrypted, writes its marker, records it, and imports the
 * snapshots already on it (a new laptop, a lost catalog). Every file-system step is off the event loop.
 */
export async function addDestination(context: AddDestinationContext, name: string, path: string, encrypt: boolean, passphrase: string | undefined): Promise<AddedDestination> {
  const { db, now } = context;
  const folder = await requireFolder(path, 'destination folder', 'create it, or connect the drive, and try again');
  refuseNameClash(db, name);
  // Every path is resolved off the event loop, at once: one of the known shares may not be answering.
  const known = destinations.listDestinations(db).filter((existing) => existing.kind === 'folder');
  const [real, ...knownReal] = await Promise.all([folder, ...known.map((existing) => existing.path)].map(realOrResolved));
  const sameFolder = known.find((_, index) => knownReal[index] === real);
  if (sameFolder) {
    const inPlace = encrypt && sameFolder.recipient === null ? '; an unencrypted destination cannot be switched to encrypted in place: add a new encrypted destination in another folder' : '';
    throw new DormouseError('CONFLICT', `${folder} is already the destination "${sameFolder.name}"${inPlace}`);
  }
  const read = await answerWithin(folder, () => readMarkerAsync(folder), viewTimeoutMs);
  if (read.timedOut) throw notAnswering('destination folder', folder);
  const reading = read.value;
  if (reading.kind === 'foreign') {
    throw new DormouseError('INVALID_INPUT', `${folder} holds a destination marker Dormouse cannot read (${reading.reason}); move it aside and try again`);
  }
  refuseAdopted(db, reading, folder);
  return recordDestination(context, new FolderStorage(folder), reading, {
    name,
    encrypt,
    passphrase,
    writeMarker: async () => {
      const written = await answerWithin(folder, () => writeMarkerAsync(folder, name, new Date(now())), markerWriteTimeoutMs);
      if (written.timedOut) throw notAnswering('destination folder', folder);
      return written.value;
    },
    removeMarker: async () => {
      await answerWithin(folder, () => removeMarkerAsync(folder), viewTimeoutMs);
    },
    record: (id, recipient) => ({ id, name, path: folder, createdAt: now(), recipient, kind: 'folder', s3: null }),
  });
}
