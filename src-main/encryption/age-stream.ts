import { DormouseError } from '../../shared/errors';
import { deriveKey, open, seal, tagSize } from './age-primitives';

/**
 * age's STREAM payload: 64 KiB plaintext chunks, each sealed with ChaCha20-Poly1305 under the payload
 * key and a nonce of its index and a last-chunk flag. Pure functions, so a caller can seal chunks on a
 * worker thread and compute where any plaintext byte lies in the file.
 */

/** Plaintext bytes in every chunk but the last. */
export const plaintextChunkSize = 64 * 1024;

/** Bytes a full chunk takes in the file: its plaintext and its tag (65,552). */
export const sealedChunkSize = plaintextChunkSize + tagSize;

/** The random nonce between the header and the first chunk, from which the payload key is derived. */
export const payloadNonceSize = 16;

/** The key every chunk is sealed with: HKDF-SHA-256 of the file key, salted with the payload nonce. */
export function derivePayloadKey(fileKey: Uint8Array, payloadNonce: Uint8Array): Buffer {
  return deriveKey(fileKey, payloadNonce, 'payload');
}

function chunkNonce(index: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(index, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/**
 * Seals chunk number `index`. Every chunk but the last holds exactly 64 KiB; the last holds 1 to
 * 64 KiB, or nothing when the whole payload is empty.
 */
export function encryptChunk(payloadKey: Uint8Array, index: number, plaintext: Uint8Array, last: boolean): Buffer {
  if (plaintext.length > plaintextChunkSize || (!last && plaintext.length !== plaintextChunkSize) || (last && plaintext.length === 0 && index > 0)) {
    throw new DormouseError('INTERNAL', `chunk ${index} of ${plaintext.length} bytes (last: ${last}) breaks age's STREAM framing`);
  }
  return seal(payloadKey, chunkNonce(index, last), plaintext);
}

/** Opens chunk number `index`, or returns null when it does not authenticate (damaged, moved, or not the last when said to be). */
export function decryptChunk(payloadKey: Uint8Array, index: number, sealed: Uint8Array, last: boolean): Buffer | null {
  const plaintext = open(payloadKey, chunkNonce(index, last), sealed);
  if (plaintext === null) return null;
  if (!last && plaintext.length !== plaintextChunkSize) return null;
  if (last && plaintext.length === 0 && index > 0) return null;
  return plaintext;
}

/** How many payload bytes (nonce and sealed chunks) a plaintext of this size takes. */
export function payloadSizeOf(plaintextSize: number): number {
  const chunks = Math.max(1, Math.ceil(plaintextSize / plaintextChunkSize));
  return payloadNonceSize + plaintextSize + chunks * tagSize;
}

/** The plaintext size of a payload of this many bytes, or null when no valid payload has that size (a truncated file). */
export function plaintextSizeOf(payloadSize: number): number | null {
  const sealedBytes = payloadSize - payloadNonceSize;
  if (sealedBytes < tagSize) return null;
  const fullChunks = Math.floor(sealedBytes / sealedChunkSize);
  const rest = sealedBytes - fullChunks * sealedChunkSize;
  if (rest === 0) return fullChunks * plaintextChunkSize;
  if (rest <= tagSize) return fullChunks === 0 && rest === tagSize ? 0 : null;
  return fullChunks * plaintextChunkSize + rest - tagSize;
}
