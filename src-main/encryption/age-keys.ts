import { createPrivateKey, createPublicKey, diffieHellman, randomBytes, type KeyObject } from 'node:crypto';
import { bech32 } from '@scure/base';
import { DormouseError } from '../../shared/errors';

/**
 * age X25519 keys: the identity (secret) and the recipient (public) an encrypted destination uses,
 * spelled as age-keygen spells them (`AGE-SECRET-KEY-1…`, `age1…`) so `age` itself reads them.
 */

/** An X25519 identity: the secret scalar and the recipient (public key) computed from it. */
export interface AgeIdentity {
  secretKey: Buffer;
  recipient: Buffer;
}

const identityPrefix = 'AGE-SECRET-KEY-';
const recipientPrefix = 'age';
// DER framing of a raw X25519 private key (PKCS #8, RFC 8410): Node takes JWK only with the public half too.
const pkcs8Prefix = Buffer.from('302e020100300506032b656e04220420', 'hex');

function privateKeyObject(secretKey: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([pkcs8Prefix, secretKey]), format: 'der', type: 'pkcs8' });
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
}

/** The X25519 public key of a 32-byte secret (the recipient of an identity, or an ephemeral share). */
export function x25519PublicKey(secretKey: Uint8Array): Buffer {
  const jwk = createPublicKey(privateKeyObject(secretKey)).export({ format: 'jwk' });
  return Buffer.from(jwk.x as string, 'base64url');
}

/** X25519(secret, public): the shared secret, or null when it is all zeros (a low-order point age must refuse). */
export function x25519SharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Buffer | null {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: privateKeyObject(secretKey), publicKey: publicKeyObject(publicKey) });
  } catch {
    return null;
  }
  return shared.every((byte) => byte === 0) ? null : shared;
}

/** The identity of a 32-byte secret key. */
export function identityFromSecretKey(secretKey: Uint8Array): AgeIdentity {
  if (secretKey.length !== 32) throw new DormouseError('INVALID_INPUT', `an age X25519 secret key is 32 bytes, not ${secretKey.length}`);
  return { secretKey: Buffer.from(secretKey), recipient: x25519PublicKey(secretKey) };
}

/** A new random identity, as `age-keygen` makes. */
export function generateIdentity(): AgeIdentity {
  return identityFromSecretKey(randomBytes(32));
}

/** The identity as age-keygen writes it: `AGE-SECRET-KEY-1…`, uppercase. */
export function encodeIdentity(identity: AgeIdentity): string {
  return bech32.encode(identityPrefix.toLowerCase(), bech32.toWords(identity.secretKey), false).toUpperCase();
}

/** The recipient as age-keygen writes it: `age1…`. */
export function encodeRecipient(recipient: Uint8Array): string {
  return bech32.encode(recipientPrefix, bech32.toWords(recipient), false);
}

function decodeBech32(text: string, prefix: string, what: string): Buffer {
  const problem = `"${text.length > 20 ? `${text.slice(0, 20)}…` : text}" is not an age ${what}`;
  if (!text.startsWith(`${prefix}1`)) throw new DormouseError('INVALID_INPUT', `${problem}: it does not start with ${prefix}1`);
  let bytes: Buffer;
  try {
    const decoded = bech32.decode(text as `${string}1${string}`, false);
    bytes = Buffer.from(bech32.fromWords(decoded.words));
  } catch (error) {
    throw new DormouseError('INVALID_INPUT', `${problem}: ${(error as Error).message}; copy it again exactly as age-keygen wrote it`);
  }
  if (bytes.length !== 32) throw new DormouseError('INVALID_INPUT', `${problem}: it holds ${bytes.length} bytes instead of 32`);
  return bytes;
}

/** Reads an `AGE-SECRET-KEY-1…` line into the identity, refusing anything else with the reason. */
export function parseIdentity(text: string): AgeIdentity {
  return identityFromSecretKey(decodeBech32(text, identityPrefix, 'X25519 identity (AGE-SECRET-KEY-1…)'));
}

/** Reads an `age1…` recipient into its 32-byte public key, refusing anything else with the reason. */
export function parseRecipient(text: string): Buffer {
  return decodeBech32(text, recipientPrefix, 'X25519 recipient (age1…)');
}
