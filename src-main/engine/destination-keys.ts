import { DormouseError } from '../../shared/errors';
import { backupTimeoutMs } from '../destinations/destination-probe';
import { archiveNameKind } from '../destinations/destination-layout';
import type { DestinationStorage } from '../destinations/destination-storage';
import { storageOf } from '../destinations/storage-of';
import { encodeIdentity, encodeRecipient } from '../encryption/age-keys';
import { changeDestinationPassphrase, createDestinationKey, hasKeyFile, keyFileName, openDestinationKey, recoveryFileName } from '../encryption/destination-key';
import { snapshotDestinationId } from '../jobs/snapshot-store';
import { findDestinationById, type DestinationRecord } from '../store/destination-store';
import type { Db } from '../store/open-store';
import type { PassphraseMemory } from './remembered-passphrases';

/**
 * The engine's side of encrypted destinations: making a new destination's key, reading an existing
 * one's recipient, and opening the key with the passphrase for the requests that read archive
 * contents. The identity is handed to the worker in its request and never stored; scrypt and the
 * file reads run off the event loop, and a destination that stops answering is an error after 30 s.
 */

/** The error for a request that needs the passphrase and was given none. */
export function passphraseNeeded(destination: DestinationRecord | { name: string }, what: string): DormouseError {
  return new DormouseError(
    'PASSPHRASE_NEEDED',
    `destination "${destination.name}" is encrypted: ${what} needs its passphrase; give it with --passphrase-file FILE or the DORMOUSE_PASSPHRASE environment variable (or type it when asked)`,
  );
}

/**
 * Runs key work on a destination (reads, writes, scrypt) off the event loop, giving up after the
 * backup's wait: a share or an endpoint that stopped answering is an error saying so, never a hang.
 */
export async function onDestination<T>(storage: DestinationStorage, work: () => Promise<T>): Promise<T> {
  const answer = await storage.within(work, backupTimeoutMs);
  if (answer.timedOut) throw new DormouseError('DESTINATION_UNAVAILABLE', `${storage.location} did not answer within ${backupTimeoutMs / 1000} s (a network share or an S3 endpoint out of reach, or a drive that hangs); try again once it answers`);
  return answer.value;
}

/** What adding a destination decided about encryption: the recipient to record (null: not encrypted), the identity to import with, and how to undo a new key. */
export interface AddedKey {
  recipient: string | null;
  identity: string | undefined;
  /** Removes the key file and RECOVERY.txt this add made (when the add fails after making them). */
  undo(): Promise<void>;
}

const nothingToUndo = async () => undefined;

/**
 * Encryption for a destination being added. `--encrypt` makes a new key in a folder that is not a
 * destination yet (an unencrypted one cannot be switched in place); a folder that already carries a
 * key is an encrypted destination whose passphrase opens it (its recipient comes from the key).
 */
export function keyForNewDestination(name: string, storage: DestinationStorage, options: { encrypt: boolean; passphrase: string | undefined; hasMarker: boolean; now: Date }): Promise<AddedKey> {
  return onDestination(storage, () => decideKey(name, storage, options));
}

async function decideKey(name: string, storage: DestinationStorage, options: { encrypt: boolean; passphrase: string | undefined; hasMarker: boolean; now: Date }): Promise<AddedKey> {
  const folder = storage.location;
  const keyed = await hasKeyFile(storage);
  if (options.encrypt) {
    if (options.hasMarker && !keyed) {
      throw new DormouseError(
        'CONFLICT',
        `${folder} is already an unencrypted Dormouse destination, and its archives cannot be encrypted in place; add a new encrypted destination in another (empty) folder with --encrypt, and point your schedules at it`,
      );
    }
    if (keyed) {
      throw new DormouseError('CONFLICT', `${folder} already holds an encryption key (${keyFileName}): it is an encrypted destination already; add it without --encrypt, with its passphrase`);
    }
    if (options.passphrase === undefined) throw passphraseNeeded({ name }, 'making its key');
    const made = await createDestinationKey(storage, options.passphrase, options.now);
    const undo = async () => {
      await storage.removeSmall(keyFileName);
      await storage.removeSmall(recoveryFileName);
    };
    return { recipient: made.recipient, identity: encodeIdentity(made.identity), undo };
  }
  if (!keyed) return { recipient: null, identity: undefined, undo: nothingToUndo };
  if (options.passphrase === undefined) throw passphraseNeeded({ name }, 'adding it (its key is needed to read its snapshots)');
  const identity = await openDestinationKey(storage, options.passphrase);
  return { recipient: encodeRecipient(identity.recipient), identity: encodeIdentity(identity), undo: nothingToUndo };
}

/**
 * The identity (`AGE-SECRET-KEY-1…`) of an encrypted destination, opened with the passphrase or, when
 * none is given, the one the app remembers (`memory`); undefined for an unencrypted destination. A
 * remembered passphrase that no longer opens the key (changed elsewhere) is forgotten, and the
 * request refused with WRONG_PASSPHRASE saying so, so the window asks for the current one.
 */
export async function identityOf(db: Db, destination: DestinationRecord, passphrase: string | undefined, what: string, memory?: PassphraseMemory): Promise<string | undefined> {
  if (destination.recipient === null) return undefined;
  const recipient = destination.recipient;
  const storage = storageOf(db, destination);
  const open = async (given: string) => encodeIdentity(await onDestination(storage, () => openDestinationKey(storage, given, recipient)));
  if (passphrase !== undefined) return open(passphrase);
  const remembered = await memory?.recall(destination);
  if (remembered === undefined) throw passphraseNeeded(destination, what);
  try {
    return await open(remembered);
  } catch (error) {
    if (!(error instanceof DormouseError) || error.code !== 'WRONG_PASSPHRASE') throw error;
    await memory?.forget(destination);
    throw new DormouseError(
      'WRONG_PASSPHRASE',
      `the passphrase remembered for "${destination.name}" no longer opens its key (was it changed with \`dormouse destination passphrase\`?), so it is forgotten; type the current one`,
    );
  }
}

/** Codes that, for a request whose passphrase is optional, mean only "without the key". */
const withoutKey: ReadonlySet<string> = new Set(['PASSPHRASE_NEEDED', 'WRONG_PASSPHRASE', 'KEY_UNUSABLE']);

/**
 * The identity a snapshot's archives need: none when its archive is not encrypted; else its
 * destination's, opened with the passphrase or the remembered one (`optional`: without either, or
 * when they do not open the key, no identity, as verify without a passphrase checks only the SHA-256).
 */
export async function identityForSnapshot(db: Db, snapshot: { id: number; archivePath: string }, passphrase: string | undefined, what: string, optional = false, memory?: PassphraseMemory): Promise<string | undefined> {
  if (!archiveNameKind(snapshot.archivePath).encrypted) return undefined;
  const destinationId = snapshotDestinationId(db, snapshot.id);
  const destination = destinationId === null ? undefined : findDestinationById(db, destinationId);
  if (!destination || destination.recipient === null) {
    throw new DormouseError('KEY_UNUSABLE', `snapshot ${snapshot.id} is encrypted, and its destination is not an encrypted destination in this catalog; add that destination again (with its passphrase)`);
  }
  if (!optional || passphrase !== undefined) return identityOf(db, destination, passphrase, what, memory);
  try {
    return await identityOf(db, destination, undefined, what, memory);
  } catch (error) {
    if (error instanceof DormouseError && withoutKey.has(error.code)) return undefined;
    throw error;
  }
}

/** Changes an encrypted destination's passphrase, rewriting only its key file. */
export async function changePassphrase(db: Db, destination: DestinationRecord, passphrase: string, newPassphrase: string): Promise<void> {
  if (destination.recipient === null) {
    throw new DormouseError('INVALID_INPUT', `destination "${destination.name}" is not encrypted, so it has no passphrase; an unencrypted destination cannot be switched to encrypted in place: add a new one with \`dormouse destination add --encrypt\``);
  }
  const recipient = destination.recipient;
  const storage = storageOf(db, destination);
  await onDestination(storage, async () => {
    await openDestinationKey(storage, passphrase, recipient);
    await changeDestinationPassphrase(storage, passphrase, newPassphrase);
  });
}

/** Remembers an encrypted destination's passphrase in the app's keychain, once it opened the key: a wrong one is never remembered. */
export async function rememberPassphrase(db: Db, memory: PassphraseMemory, destination: DestinationRecord, passphrase: string): Promise<void> {
  if (destination.recipient === null) throw new DormouseError('INVALID_INPUT', `destination "${destination.name}" is not encrypted: it has no passphrase to remember`);
  const keychain = await memory.view([]);
  if (!keychain.canRemember) throw new DormouseError('KEYCHAIN_UNAVAILABLE', `cannot remember the passphrase: ${keychain.reason ?? 'no keychain'}`);
  await identityOf(db, destination, passphrase, 'remembering its passphrase');
  await memory.remember(destination, passphrase);
}
