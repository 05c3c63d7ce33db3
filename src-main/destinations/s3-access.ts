import { DormouseError } from '../../shared/errors';
import type { Settings } from '../../shared/settings';
import { credentialStoreFor } from '../s3/credential-store';
import { attemptsFromEnvironment } from '../s3/retry-policy';
import type { S3Credentials, S3Settings } from '../s3/s3-settings';
import { listDestinations, type DestinationRecord } from '../store/destination-store';
import type { Db } from '../store/open-store';

/** What a worker needs to reach an S3 destination's bucket. */
export type S3Access = S3Settings;

/**
 * The keys stored for an S3 destination, or a DESTINATION_UNAVAILABLE error naming it and saying what
 * to do: none stored, or stored where this process cannot open them (sealed by the app's keychain,
 * asked for from the CLI; a locked keychain).
 */
export function storedCredentials(db: Db, destination: DestinationRecord): S3Credentials {
  let credentials: S3Credentials | null;
  try {
    credentials = credentialStoreFor(db.name).get(destination.id);
  } catch (error) {
    if (!(error instanceof DormouseError)) throw error;
    throw new DormouseError('DESTINATION_UNAVAILABLE', `destination "${destination.name}" (${destination.path}): ${error.message}`);
  }
  if (!credentials) {
    throw new DormouseError('DESTINATION_UNAVAILABLE', `no S3 keys are stored for destination "${destination.name}" (${destination.path}); remove it and add it again with its keys (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --profile, or in the window's form)`);
  }
  return credentials;
}

/** An S3 destination's bucket and stored keys for a worker request; null for a folder. */
export function s3AccessOf(db: Db, destination: DestinationRecord): S3Access | null {
  if (destination.kind !== 's3' || destination.s3 === null) return null;
  const credentials = storedCredentials(db, destination);
  const { endpoint, region, bucket, pathStyle } = destination.s3;
  return { endpoint, region, bucket, pathStyle, credentials };
}

/**
 * Every S3 destination's bucket and keys, for a worker that reads the archives at `archivePaths`.
 * A destination holding one of those archives whose keys cannot be had here is an error saying why
 * (such as keys sealed in the app's keychain, asked for from the CLI); the others' are left out.
 */
export function s3Accesses(db: Db, archivePaths: readonly string[]): S3Access[] {
  return listDestinations(db).flatMap((destination) => {
    const needed = destination.kind === 's3' && archivePaths.some((path) => path.startsWith(`${destination.path}/`));
    try {
      const access = s3AccessOf(db, destination);
      return access ? [access] : [];
    } catch (error) {
      if (needed) throw error;
      return [];
    }
  });
}

/** The upload speed limit setting in bytes a second, or null for none. */
export function uploadLimitOf(settings: Settings): number | null {
  return settings.uploadLimitKbPerSecond === null ? null : settings.uploadLimitKbPerSecond * 1000;
}

/** How an archive upload is cut and how patient it is. */
export interface UploadShape {
  partSize: number;
  maxInFlight: number;
  /** A request silent this long fails and is tried again. */
  timeoutMs: number;
  /** Tries per part in all: ten over about two minutes of waiting by default (a laptop waking on a network still coming back). */
  attempts: number;
}

function whole(text: string | undefined, min: number, max: number): number | null {
  const value = Number(text);
  return text !== undefined && Number.isInteger(value) && value >= min && value <= max ? value : null;
}

/**
 * How uploads are cut: 8 MiB parts, 2 in flight (about 24 MiB of memory at most; a sleep or a cut
 * costs at most the two parts in flight, sent again after the wake), 60 s of silence
 * before a part is tried again, 10 tries. For unusual networks and archives: DORMOUSE_S3_PART_MIB
 * (5–5120: raise past 80 GB archives, S3 allows 10,000 parts), DORMOUSE_S3_TIMEOUT_SECONDS and
 * DORMOUSE_S3_ATTEMPTS.
 */
export function uploadShape(env: NodeJS.ProcessEnv = process.env): UploadShape {
  return {
    partSize: (whole(env.DORMOUSE_S3_PART_MIB, 5, 5120) ?? 8) * 1024 * 1024,
    maxInFlight: 2,
    timeoutMs: (whole(env.DORMOUSE_S3_TIMEOUT_SECONDS, 1, 3600) ?? 60) * 1000,
    attempts: attemptsFromEnvironment(env),
  };
}
