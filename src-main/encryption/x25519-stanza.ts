import { randomBytes } from 'node:crypto';
import { DormouseError } from '../../shared/errors';
import { decodeAgeBase64, encodeAgeBase64 } from './age-base64';
import type { AgeStanza, FileKeyUnlocker } from './age-header';
import { encodeRecipient, x25519PublicKey, x25519SharedSecret, type AgeIdentity } from './age-keys';
import { deriveKey, unwrapFileKey, wrapFileKey } from './age-primitives';

/** The X25519 recipient stanza: how an archive's file key is wrapped for the destination's public key. */

const stanzaType = 'X25519';
const info = 'age-encryption.org/v1/X25519';

/** Wraps the file key for a recipient (a 32-byte X25519 public key) with a fresh ephemeral share. */
export function x25519Stanza(recipient: Uint8Array, fileKey: Uint8Array): AgeStanza {
  const ephemeralSecret = randomBytes(32);
  const share = x25519PublicKey(ephemeralSecret);
  const shared = x25519SharedSecret(ephemeralSecret, recipient);
  if (shared === null) throw new DormouseError('INVALID_INPUT', `${encodeRecipient(recipient)} is not a usable X25519 recipient (a low-order point)`);
  const wrapKey = deriveKey(shared, Buffer.concat([share, recipient]), info);
  return { args: [stanzaType, encodeAgeBase64(share)], body: wrapFileKey(wrapKey, fileKey) };
}

/** The file key from one X25519 stanza, or null when the stanza was made for another recipient. */
function unwrap(stanza: AgeStanza, identity: AgeIdentity, source: string): Buffer | null {
  const share = stanza.args.length === 2 ? decodeAgeBase64(stanza.args[1] as string) : null;
  if (share === null || share.length !== 32 || stanza.body.length !== 32) {
    throw new DormouseError('DAMAGED', `${source} is not a readable age file: an X25519 stanza is malformed`);
  }
  const shared = x25519SharedSecret(identity.secretKey, share);
  if (shared === null) throw new DormouseError('DAMAGED', `${source} is not a readable age file: an X25519 stanza has a low-order share`);
  return unwrapFileKey(deriveKey(shared, Buffer.concat([share, identity.recipient]), info), stanza.body);
}

/** The file key of a header's stanzas for this identity, at once (no I/O); refuses, with the reason, files made for another key or a passphrase. */
export function fileKeyForIdentity(stanzas: readonly AgeStanza[], identity: AgeIdentity, source: string): Buffer {
  if (stanzas.some((stanza) => stanza.args[0] === 'scrypt')) {
    throw new DormouseError('KEY_UNUSABLE', `${source} is encrypted with a passphrase, not to the key ${encodeRecipient(identity.recipient)}`);
  }
  for (const stanza of stanzas) {
    if (stanza.args[0] !== stanzaType) continue;
    const fileKey = unwrap(stanza, identity, source);
    if (fileKey !== null) return fileKey;
  }
  throw new DormouseError('KEY_UNUSABLE', `${source} was not encrypted to the key ${encodeRecipient(identity.recipient)}; it belongs to another destination or key`);
}

/** Unlocks files encrypted to this identity (as `age -d -i key.txt` does); refuses, with the reason, files made for another key. */
export function identityUnlocker(identity: AgeIdentity): FileKeyUnlocker {
  return async (stanzas, source) => fileKeyForIdentity(stanzas, identity, source);
}
