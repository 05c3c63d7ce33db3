import { DormouseError } from '../../shared/errors';
import type { z } from 'zod';
import type { s3DestinationSchema } from '../../shared/schemas';
import { markerFileName, readMarkerFrom, writeMarkerTo } from '../destinations/destination-marker';
import { S3Storage } from '../destinations/s3-storage';
import { credentialStoreFor } from '../s3/credential-store';
import { awsEndpoint, checkEndpoint, defaultRegion, locationPath, parseS3Url } from '../s3/s3-location';
import * as destinations from '../store/destination-store';
import type { S3Location } from '../store/destination-store';
import { recordDestination, refuseAdopted, refuseNameClash, type AddDestinationContext, type AddedDestination } from './add-destination';

/** How long the checks of a new S3 destination (the bucket, its marker) wait for the endpoint. */
const s3CheckTimeoutMs = 20_000;

/** An S3 destination as the contract gives it. */
export type S3DestinationInput = z.output<typeof s3DestinationSchema>;

/** The location an S3 destination's input names: its bucket and prefix, endpoint (AWS's for the region by default), region and addressing. */
export function s3LocationOf(input: S3DestinationInput): S3Location {
  const { bucket, prefix } = parseS3Url(input.url);
  const region = input.region ?? defaultRegion;
  return { bucket, prefix, region, endpoint: checkEndpoint(input.endpoint ?? awsEndpoint(region)), pathStyle: input.pathStyle };
}

/**
 * Adds an S3 bucket prefix as a destination: checks the bucket answers to the keys (a clear error for
 * wrong keys, a missing bucket, a clock the server refuses), that the prefix is not another
 * destination here, makes its key (encrypted by default; a prefix that already is a destination keeps its own) and writes its marker as objects under the
 * prefix, stores the keys in the data folder's credential store (never the catalog), records it and
 * imports the snapshots already there.
 */
export async function addS3Destination(context: AddDestinationContext, name: string, input: S3DestinationInput, encrypt: boolean | undefined, passphrase: string | undefined): Promise<AddedDestination> {
  const { db, now } = context;
  const location = s3LocationOf(input);
  const path = locationPath(location);
  refuseNameClash(db, name);
  const same = destinations.listDestinations(db).find((existing) => existing.kind === 's3' && existing.path === path && existing.s3?.endpoint === location.endpoint);
  if (same) throw new DormouseError('CONFLICT', `${path} at ${location.endpoint} is already the destination "${same.name}"`);
  const storage = new S3Storage(location, input.credentials);
  const checked = await storage.within(async () => {
    await storage.client.headBucket();
    return readMarkerFrom(storage);
  }, s3CheckTimeoutMs);
  if (checked.timedOut) throw new DormouseError('DESTINATION_UNAVAILABLE', `${location.endpoint} did not answer within ${s3CheckTimeoutMs / 1000} s; check the network and --endpoint, and try again`);
  const reading = checked.value;
  if (reading.kind === 'foreign') {
    throw new DormouseError('INVALID_INPUT', `${storage.describe(markerFileName)} is not a destination marker Dormouse can read (${reading.reason}); remove that object, or choose another prefix`);
  }
  refuseAdopted(db, reading, path);
  const credentials = credentialStoreFor(db.name);
  return recordDestination(context, storage, reading, {
    name,
    // Encrypted by default; a prefix that already is a destination keeps what it is (its key, or none).
    encrypt: encrypt ?? reading.kind !== 'valid',
    passphrase,
    writeMarker: () => writeMarkerTo(storage, name, new Date(now())),
    removeMarker: () => storage.removeSmall(markerFileName).catch(() => undefined),
    record: (id, recipient) => ({ id, name, path, createdAt: now(), recipient, kind: 's3', s3: location }),
    beforeInsert: (record) => credentials.set(record.id, input.credentials),
  });
}
