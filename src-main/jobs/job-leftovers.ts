import { dirname } from 'node:path';
import { answerWithin, removeQuietlyInTurn } from '../common/files';
import { storageOf } from '../destinations/storage-of';
import { isS3Path } from '../s3/s3-location';
import type { DestinationRecord } from '../store/destination-store';
import type { Db } from '../store/open-store';

/**
 * Removes what a backup that did not succeed left: its partial files (off the event loop, at most
 * `timeoutMs`); on S3 also the multipart upload a killed or cancelled worker could not abort itself,
 * and the objects of a backup cancelled after it published them (`leftovers` then names the archive).
 * Only this schedule's one job writes in its folder, so whatever upload is pending there is its own.
 */
export async function removeJobLeftovers(db: Db, destination: DestinationRecord, archivePath: string, failed: boolean, leftovers: string[], timeoutMs: number): Promise<void> {
  const local = leftovers.filter((path) => !isS3Path(path));
  await answerWithin(local[0] === undefined ? dirname(archivePath) : dirname(local[0]), () => removeQuietlyInTurn(local), timeoutMs);
  if (!failed || destination.kind !== 's3') return;
  try {
    const storage = storageOf(db, destination);
    await storage.within(async () => {
      await storage.removeLeftovers(dirname(archivePath));
      if (leftovers.includes(archivePath)) await storage.removeArchive(archivePath);
    }, timeoutMs);
  } catch {
    // An endpoint out of reach: the next backup of this schedule aborts what is left.
  }
}
