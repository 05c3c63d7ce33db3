import { mkdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DormouseError } from '../../shared/errors';
import type { RecoveryKitSaved } from '../../shared/types';
import { answerWithin, isSameOrInside } from '../common/files';
import { writeFileAtomically } from '../common/write-file-atomically';
import { backupTimeoutMs } from '../destinations/destination-probe';
import { keyFileName, recoveryFileName } from '../encryption/destination-key';
import { recoveryKitText } from '../encryption/recovery-text';
import type { DestinationRecord } from '../store/destination-store';
import type { DestinationStorage } from '../destinations/destination-storage';
import { onDestination } from './destination-keys';

/**
 * A recovery kit: an encrypted destination's key file (still locked with the passphrase) and the
 * instructions to restore without Dormouse, saved somewhere other than the drive, so a damaged or
 * lost key file on the drive does not take the backups with it.
 */

/** The kit's key file: the drive's `.dormouse-key.age`, under a name a file manager does not hide. */
export const kitKeyFileName = 'dormouse-key.age';

/** The folder a kit goes in, inside the folder the person chose. */
export function kitFolderName(destination: string): string {
  return `Dormouse recovery kit - ${destination}`;
}

/** Far larger than any key file Dormouse writes (about 330 bytes). */
const maxKeyFileSize = 64 * 1024;

/** The start of every age file locked with a passphrase, as Dormouse writes its key files. */
const agePassphraseFileStart = 'age-encryption.org/v1\n-> scrypt ';

/**
 * Reads the destination's key file for a kit, refusing one that is missing or is not a
 * passphrase-locked age file; with the real path of a folder destination (a kit must not go on it).
 */
async function readKeyFile(storage: DestinationStorage): Promise<{ key: Buffer; realPath: string | null }> {
  const keyPath = storage.describe(keyFileName);
  let read: Awaited<ReturnType<DestinationStorage['readSmall']>>;
  try {
    read = await storage.readSmall(keyFileName, maxKeyFileSize);
  } catch (error) {
    throw new DormouseError('KEY_UNUSABLE', `cannot read ${keyPath} (${(error as Error).message}); check the destination and its permissions`);
  }
  if (read === 'missing') {
    throw new DormouseError('KEY_UNUSABLE', `${keyPath} is missing, so there is no key to put in a recovery kit; put back a copy of it (or check that this is the right destination)`);
  }
  const key = read === 'too-large' ? Buffer.alloc(0) : read;
  if (!key.subarray(0, agePassphraseFileStart.length).equals(Buffer.from(agePassphraseFileStart))) {
    throw new DormouseError('KEY_UNUSABLE', `${keyPath} is not a Dormouse key file (an age file locked with a passphrase); put back the destination's own ${keyFileName} before saving a recovery kit`);
  }
  return { key, realPath: storage.kind === 'folder' ? await realpath(storage.location) : null };
}

/** Words for a folder the kit cannot be written to. */
function unwritable(to: string, error: unknown): DormouseError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'it is read-only' : code === 'ENOSPC' ? 'it is full' : (error as Error).message;
  return new DormouseError('WRITE_FAILED', `cannot write the recovery kit into ${to} (${why}); choose a folder you can write to`);
}

/**
 * Saves an encrypted destination's recovery kit into a new folder inside `to`: its key file and a
 * RECOVERY.txt, each 0600 and written atomically (an existing kit there is replaced with the current
 * key). Refused for an unencrypted destination, a missing or foreign key file, a folder on the
 * destination itself, and a folder that cannot be written to, each in words.
 */
export async function saveRecoveryKit(destination: DestinationRecord, storage: DestinationStorage, to: string, now: Date = new Date()): Promise<RecoveryKitSaved> {
  if (destination.recipient === null) {
    throw new DormouseError('INVALID_INPUT', `destination "${destination.name}" is not encrypted: it has no key, and tar alone restores its archives; there is no recovery kit to save`);
  }
  const recipient = destination.recipient;
  const { key, realPath } = await onDestination(storage, () => readKeyFile(storage));
  const answer = await answerWithin(
    to,
    async () => {
      let target: string;
      try {
        if (!(await stat(to)).isDirectory()) throw new DormouseError('INVALID_INPUT', `${to} is not a folder; choose a folder to save the recovery kit in`);
        target = await realpath(to);
      } catch (error) {
        if (error instanceof DormouseError) throw error;
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new DormouseError('NOT_FOUND', `${to} does not exist; choose an existing folder to save the recovery kit in`);
        throw unwritable(to, error);
      }
      if (realPath !== null && isSameOrInside(target, realPath)) {
        throw new DormouseError('CONFLICT', `${to} is on the destination "${destination.name}" itself: a recovery kit kept on the drive is lost with it; choose a folder somewhere else (another drive, a USB stick, a cloud storage folder)`);
      }
      const folder = join(to, kitFolderName(destination.name));
      try {
        // Not recursive: its parent exists, and a recursive mkdir on a read-only file system says ENOENT.
        await mkdir(folder, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw error;
        });
        await writeFileAtomically(join(folder, kitKeyFileName), key);
        await writeFileAtomically(join(folder, recoveryFileName), recoveryKitText({ destination: destination.name, path: destination.path, recipient, keyFileName: kitKeyFileName, savedAt: now }));
      } catch (error) {
        throw unwritable(to, error);
      }
      return { destination: destination.name, folder, files: [kitKeyFileName, recoveryFileName] };
    },
    backupTimeoutMs,
  );
  if (answer.timedOut) throw new DormouseError('DESTINATION_UNAVAILABLE', `${to} did not answer within ${backupTimeoutMs / 1000} s; choose a folder that answers`);
  return answer.value;
}
