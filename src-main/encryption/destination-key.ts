import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DormouseError } from '../../shared/errors';
import { decryptAgeBytes, encryptWithPassphrase } from './age-passphrase-file';
import { encodeRecipient, generateIdentity, type AgeIdentity } from './age-keys';
import { formatKeyFile, parseKeyFile } from './key-file-text';
import { checkNewPassphrase } from './passphrase-rules';
import { recoveryText } from './recovery-text';
import { passphraseUnlocker } from './scrypt-stanza';
import { writeFileAtomically } from '../common/write-file-atomically';

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

/** A new destination key: the identity and its recipient (`age1…`), the one thing the catalog keeps. */
export interface DestinationKey {
  identity: AgeIdentity;
  recipient: string;
}

/**
 * Makes the destination's key: a new identity, written encrypted with the passphrase to
 * `.dormouse-key.age` (0600, atomically), and RECOVERY.txt. Refuses a folder that already has a key
 * (its archives would become unreadable) and a passphrase shorter than 12 characters.
 */
export async function createDestinationKey(destinationPath: string, passphrase: string, now: Date = new Date()): Promise<DestinationKey> {
  checkNewPassphrase(passphrase);
  const keyPath = join(destinationPath, keyFileName);
  if (await exists(keyPath)) {
    throw new DormouseError('CONFLICT', `${keyPath} already exists: this folder already has an encryption key, and replacing it would make its archives unreadable; add it with its passphrase, or choose another folder`);
  }
  const identity = generateIdentity();
  await writeFileAtomically(keyPath, await encryptWithPassphrase(Buffer.from(formatKeyFile(identity, now)), passphrase));
  await writeFileAtomically(join(destinationPath, recoveryFileName), recoveryText(keyFileName, now));
  return { identity, recipient: encodeRecipient(identity.recipient) };
}

/**
 * Opens the destination's key with the passphrase. A wrong passphrase is WRONG_PASSPHRASE; a key file
 * that is missing, not an age passphrase file, or (given `expectedRecipient`, the catalog's) another
 * destination's key is KEY_UNUSABLE, each saying what to do.
 */
export async function openDestinationKey(destinationPath: string, passphrase: string, expectedRecipient?: string): Promise<AgeIdentity> {
  const keyPath = join(destinationPath, keyFileName);
  const bytes = await readKeyFile(keyPath);
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
export async function changeDestinationPassphrase(destinationPath: string, oldPassphrase: string, newPassphrase: string, now: Date = new Date()): Promise<void> {
  checkNewPassphrase(newPassphrase);
  const identity = await openDestinationKey(destinationPath, oldPassphrase);
  await writeFileAtomically(join(destinationPath, keyFileName), await encryptWithPassphrase(Buffer.from(formatKeyFile(identity, now)), newPassphrase));
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

async function readKeyFile(keyPath: string): Promise<Buffer> {
  let size: number;
  try {
    size = (await stat(keyPath)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DormouseError('KEY_UNUSABLE', `${keyPath} is missing: without it the encrypted archives cannot be opened; put back a copy of it (or check that this is the right drive)`);
    }
    throw new DormouseError('KEY_UNUSABLE', `cannot read ${keyPath} (${(error as Error).message}); check the drive and its permissions`);
  }
  if (size > maxKeyFileSize) {
    throw new DormouseError('KEY_UNUSABLE', `${keyPath} is ${size} bytes, not a Dormouse key file; put back the destination's own ${keyFileName}`);
  }
  return readFile(keyPath);
}
