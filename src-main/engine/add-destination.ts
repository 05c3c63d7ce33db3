import { join } from 'node:path';
import { DormouseError } from '../../shared/errors';
import type { ImportReport } from '../../shared/types';
import type { InspectedArchive } from '../archive-worker/inspect-archive';
import { answerWithin } from '../common/files';
import { importFromDestination } from '../destinations/catalog-import';
import { archivesFolderName } from '../destinations/destination-layout';
import { readMarkerAsync, removeMarkerAsync, writeMarkerAsync } from '../destinations/destination-marker';
import { viewTimeoutMs } from '../destinations/destination-probe';
import * as destinations from '../store/destination-store';
import type { DestinationRecord } from '../store/destination-store';
import type { Db } from '../store/open-store';
import { keyForNewDestination } from './destination-keys';
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

/**
 * Adds a destination folder: checks it answers and is not already one (by real path and by its
 * marker), makes its key when it is to be encrypted, writes its marker, records it, and imports the
 * snapshots already on it (a new laptop, a lost catalog). Every file-system step is off the event loop.
 */
export async function addDestination(context: AddDestinationContext, name: string, path: string, encrypt: boolean, passphrase: string | undefined): Promise<{ record: DestinationRecord; imported: ImportReport }> {
const { db, now } = context;
  const folder = await requireFolder(path, 'destination folder', 'create it, or connect the drive, and try again');
  const nameClash = () => {
    if (destinations.findDestinationByName(db, name)) throw new DormouseError('CONFLICT', `a destination named "${name}" already exists; choose another name`);
  };
  nameClash();
  // Every path is resolved off the event loop, at once: one of the known shares may not be answering.
  const known = destinations.listDestinations(db);
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
  const adoptedClash = () => {
    const adopted = reading.kind === 'valid' ? destinations.findDestinationById(db, reading.marker.id) : undefined;
    if (adopted) {
      throw new DormouseError('CONFLICT', `${folder} carries the marker of destination "${adopted.name}" (at ${adopted.path}); remove that destination first to add it here`);
    }
  };
  adoptedClash();
  const key = await keyForNewDestination(name, folder, { encrypt, passphrase, hasMarker: reading.kind === 'valid', now: new Date(now()) });
  let marker = reading.kind === 'valid' ? reading.marker : null;
  let record: DestinationRecord;
  try {
    if (marker === null) {
      const written = await answerWithin(folder, () => writeMarkerAsync(folder, name, new Date(now())), markerWriteTimeoutMs);
      if (written.timedOut) throw notAnswering('destination folder', folder);
      marker = written.value;
    }
    record = { id: marker.id, name, path: folder, createdAt: now(), recipient: key.recipient };
    try {
      // Checked again: another process may have added the same name, or this folder, while it was read.
      nameClash();
      adoptedClash();
      destinations.insertDestination(db, record);
    } catch (error) {
      if (reading.kind === 'missing') await answerWithin(folder, () => removeMarkerAsync(folder), viewTimeoutMs);
      throw error;
    }
  } catch (error) {
    await key.undo();
    throw error;
  }
  let imported: ImportReport;
  try {
    imported = await importFromDestination(db, record, (paths) => context.inspect(paths, key.identity), context.destinationTimeoutMs);
  } catch (error) {
    // The destination is recorded: archives it could not list now are left for `dormouse import`.
    if (!(error instanceof DormouseError) || error.code !== 'DESTINATION_UNAVAILABLE') throw error;
    imported = { destination: name, imported: [], alreadyKnown: 0, skipped: [{ archivePath: join(folder, archivesFolderName), reason: error.message }] };
  }
  return { record, imported };
}
