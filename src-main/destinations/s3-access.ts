import { DormouseError } from '../../shared/errors';
import { credentialStoreFor } from '../s3/credential-store';
import type { S3Settings } from '../s3/s3-settings';
import { listDestinations, type DestinationRecord } from '../store/destination-store';
import type { Db } from '../store/open-store';

/** What a worker needs to reach an S3 destination's bucket. */
export type S3Access = S3Settings;

/** An S3 destination's bucket and stored keys for a worker request; null for a folder. */
export function s3AccessOf(db: Db, destination: DestinationRecord): S3Access | null {
  if (destination.kind !== 's3' || destination.s3 === null) return null;
  const credentials = credentialStoreFor(db.name).get(destination.id);
  if (!credentials) {
    throw new DormouseError('DESTINATION_UNAVAILABLE', `no S3 keys are stored for destination "${destination.name}" (${destination.path}); remove it and add it again with its keys`);
  }
  const { endpoint, region, bucket, pathStyle } = destination.s3;
  return { endpoint, region, bucket, pathStyle, credentials };
}

/** Every S3 destination's bucket and keys, for a worker that reads archives at `s3://` paths (those without stored keys are left out). */
export function s3Accesses(db: Db): S3Access[] {
  return listDestinations(db).flatMap((destination) => {
    try {
      const access = s3AccessOf(db, destination);
      return access ? [access] : [];
    } catch {
      return [];
    }
  });
}

/**
 * How uploads are cut: 8 MiB parts, 4 in flight (about 40 MiB of memory at most). The part size can
 * be raised for archives past 80 GB (S3 allows 10,000 parts) with DORMOUSE_S3_PART_MIB.
 */
export function uploadShape(env: NodeJS.ProcessEnv = process.env): { partSize: number; maxInFlight: number } {
  const mib = Number(env.DORMOUSE_S3_PART_MIB);
  return { partSize: (Number.isInteger(mib) && mib >= 5 && mib <= 5120 ? mib : 8) * 1024 * 1024, maxInFlight: 4 };
}
