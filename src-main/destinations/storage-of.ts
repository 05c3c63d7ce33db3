import type { DestinationRecord } from '../store/destination-store';
import type { Db } from '../store/open-store';
import { FolderStorage, type DestinationStorage } from './destination-storage';
import { storedCredentials } from './s3-access';
import { S3Storage } from './s3-storage';

/** The storage of a destination in the catalog: its folder, or its S3 prefix with the keys stored for it (an error saying what to do when they cannot be had). */
export function storageOf(db: Db, record: DestinationRecord): DestinationStorage {
  if (record.kind === 'folder' || record.s3 === null) return new FolderStorage(record.path);
  return new S3Storage(record.s3, storedCredentials(db, record));
}
