import { DormouseError } from '../../shared/errors';

/** Errors of an archive that is out of reach (its drive unplugged or failing, its share or bucket gone), not of what it holds. */
const outOfReachCodes = new Set(['EIO', 'ENXIO', 'ENODEV', 'ESTALE', 'ENOTCONN', 'EHOSTDOWN', 'EHOSTUNREACH', 'ETIMEDOUT', 'DESTINATION_UNAVAILABLE']);

/** Whether reading an archive failed because it is out of reach (the same read may work once it is back), rather than for what it holds. */
export function isOutOfReach(error: unknown): boolean {
  const code = error instanceof DormouseError ? error.code : (error as NodeJS.ErrnoException | null)?.code;
  return code !== undefined && outOfReachCodes.has(code);
}

/** Files in a row whose archive was out of reach before a restore stops. */
export const outOfReachLimit = 8;

/**
 * Counts the files in a row a restore could not read because their archive was out of reach, and
 * stops it at `outOfReachLimit`: a drive unplugged or a bucket lost in the middle of a restore
 * would otherwise have every remaining file tried (each S3 read retried, each listed), hours of
 * waiting for a list of a million lines that blames nothing real. A file read whole starts the
 * count again.
 */
export class ReadStreak {
  private count = 0;

  /** A file read whole. */
  read(): void {
    this.count = 0;
  }

  /** A file whose archive was out of reach; throws, to stop the restore, once that has happened `outOfReachLimit` times in a row. */
  outOfReach(error: Error): void {
    this.count += 1;
    if (this.count < outOfReachLimit) return;
    throw new Error(
      `the archive could not be read for ${outOfReachLimit} files in a row (the last time: ${error.message}); if its drive was unplugged or its share or bucket is out of reach, restore again once it is back (what is restored already is found as in the snapshot and left as it is)`,
    );
  }
}
