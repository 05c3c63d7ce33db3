import { DormouseError } from '../../shared/errors';
import { decryptAgeBytes, encryptWithPassphrase } from './age-passphrase-file';
import { encodeRecipient, generateIdentity, type AgeIdentity } from './age-keys';
import { formatKeyFile, parseKeyFile } from './key-file-text';
import { checkNewPassphrase } from './passphrase-rules';
import { recoveryText } from './recovery-text';
import { passphraseUnlocker } from './scrypt-stanza';

/**
 * An encrypted destination's key: an age X25519 identity whose secret key lives on the destination
 * itself, in `.dormouse-key.age`, encrypted with the passphrase (so a new laptop needs only the drive
 * and the passphrase), with RECOVERY.txt beside it. Backups need only the public recipient.
 */

/** The key file's name in the destination folder. */
export const keyFileName = '.dormouse-key.age';

/** The recovery instructions' name in the destination folder. */
export const recoveryFileName = 'RECOVERY.txt';

/** Far larger than any key file we write (about 330 bytes): anything bigger is not ours, and is not read into memory. */
const maxKeyFileSize = 64 * 1024;

/** Where the key file and RECOVERY.txt live: a destination's top (a folder, or an S3 prefix), by file name. */
export interface KeyPlace {
  /** Where a file is, for messages. */
  describe(name: string): string;
  /** A file's bytes; 'missing' when it is not there, 'too-large' past maxBytes. */
  readSmall(name: string, maxBytes: number): Promise<Buffer | 'missing' | 'too-large'>;
  /** Writes a file whole or not at all. */
  writeSmall(name: string, data: Buffer | string): Promise<void>;
}

/** A new destination key: the identity and its recipient (`age1…`), the one thing the catalog keeps. */
export interface DestinationKey {
  identity: AgeIdentity;
  recipient: string;
}

/**
 * Makes the destination's key: a new identity, written encrypted with the passphrase to
 * `.dormouse-key.age` (0600 and atomically in a folder; one PUT on S3), and RECOVERY.txt. Refuses a
 * destination that already has a key (its archives would become unreadable) and a passphrase
 * shorter than 12 characters.
 */
export async function createDestinationKey(place: KeyPlace, passphrase: string, now: Date = new Date()): Promise<DestinationKey> {
  checkNewPassphrase(passphrase);
  if ((await place.readSmall(keyFileName, maxKeyFileSize)) !== 'missing') {
    throw new DormouseError('CONFLICT', `${place.describe(keyFileName)} already exists: this destination already has an encryption key, and replacing it would make its archives unreadable; add it with its passphrase, or choose another place`);
  }
  const identity = generateIdentity();
  await place.writeSmall(keyFileName, await encryptWithPassphrase(Buffer.from(formatKeyFile(identity, now)), passphrase));
  await place.writeSmall(recoveryFileName, recoveryText(keyFileName, now));
  return { identity, recipient: encodeRecipient(identity.recipient) };
}

/**
 * Opens the destination's key with the passphrase. A wrong passphrase is WRONG_PASSPHRASE; a key file
 * that is missing, not an age passphrase file, or (given `expectedRecipient`, the catalog's) another
 * destination's key is KEY_UNUSABLE, each saying what to do.
 */
export async function openDestinationKey(place: KeyPlace, passphrase: string, expectedRecipient?: string): Promise<AgeIdentity> {
  const keyPath = place.describe(keyFileName);
  const bytes = await readKeyFile(place);
  let plaintext: Buffer;
  try {
    plaintext = await decryptAgeBytes(bytes, passphraseUnlocker(passphrase), keyPath);
  } catch (error) {
    if (error instanceof DormouseError && error.code === 'WRONG_PASSPHRASE') {
      throw new DormouseError('WRONG_PASSPHRASE', `the passphrase does not open this destination's key (${keyPath}); check it and try again`);
    }
    const reason = error instanceof DormouseError ? error.message : (error as Error).message;
    throw new DormouseError('KEY_UNUSABLE', `${reason}; this is not the key Dormouse wrote: put back the destination's own ${keyFileName} from a copy`);
  }
  const identity = parseKeyFile(plaintext.toString('utf8'), keyPath);
  const recipient = encodeRecipient(identity.recipient);
  if (expectedRecipient !== undefined && recipient !== expectedRecipient) {
    throw new DormouseError('KEY_UNUSABLE', `${keyPath} holds the key ${recipient}, but this destination's archives are encrypted to ${expectedRecipient}: it is another destination's key file; put back this destination's own ${keyFileName}`);
  }
  return identity;
}

/**
 * Changes the passphrase: opens the key with the old one and rewrites only the key file (atomically,
 * 0600) with the new one; the identity, and so every archive, stays as it is.
 */
export async function changeDestinationPassphrase(place: KeyPlace, oldPassphrase: string, newPassphrase: string, now: Date = new Date()): Promise<void> {
  checkNewPassphrase(newPassphrase);
  const identity = await openDestinationKey(place, oldPassphrase);
  await place.writeSmall(keyFileName, await encryptWithPassphrase(Buffer.from(formatKeyFile(identity, now)), newPassphrase));
}

/** Whether a destination carries a key file. */
export async function hasKeyFile(place: KeyPlace): Promise<boolean> {
  return (await place.readSmall(keyFileName, maxKeyFileSize)) !== 'missing';
}

async function readKeyFile(place: KeyPlace): Promise<Buffer> {
  const keyPath = place.describe(keyFileName);
  let read: Buffer | 'missing' | 'too-large';
  try {
    read = await place.readSmall(keyFileName, maxKeyFileSize);
  } catch (error) {
    if (error instanceof DormouseError && error.code !== 'INTERNAL') throw error;
    throw new DormouseError('KEY_UNUSABLE', `cannot read ${keyPath} (${(error as Error).message}); check the drive and its permissions`);
  }
  if (read === 'missing') {
    throw new DormouseError('KEY_UNUSABLE', `${keyPath} is missing: without it the encrypted archives cannot be opened; put back a copy of it (or check that this is the right drive)`);
  }
  if (read === 'too-large') throw new DormouseError('KEY_UNUSABLE', `${keyPath} is larger than any Dormouse key file; put back the destination's own ${keyFileName}`);
  return read;
}
