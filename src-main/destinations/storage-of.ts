import { DormouseError } from '../../shared/errors';
import { credentialStoreFor } from '../s3/credential-store';
import type { DestinationRecord } from '../store/destination-store';
import type { Db } from '../store/open-store';
import { FolderStorage, type DestinationStorage } from './destination-storage';
import { S3Storage } from './s3-storage';

/** The storage of a destination in the catalog: its folder, or its S3 prefix with the keys stored for it. */
export function storageOf(db: Db, record: DestinationRecord): DestinationStorage {
  if (record.kind === 'folder' || record.s3 === null) return new FolderStorage(record.path);
  const credentials = credentialStoreFor(db.name).get(record.id);
  if (!credentials) {
    throw new DormouseError('DESTINATION_UNAVAILABLE', `no S3 keys are stored for destination "${record.name}" (${record.path}); remove it and add it again with its keys (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --profile)`);
  }
  return new S3Storage(record.s3, credentials);
}
