import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';

/** The size of ChaCha20-Poly1305's authentication tag, which follows every sealed message in age. */
export const tagSize = 16;

const zeroNonce = Buffer.alloc(12);

/** HKDF-SHA-256 with age's fixed 32-byte output: how age derives every key from another. */
export function deriveKey(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
}

/** HMAC-SHA-256, which authenticates an age header. */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Buffer {
  return createHmac('sha256', key).update(message).digest();
}

/** ChaCha20-Poly1305 encryption: the ciphertext followed by its 16-byte tag. */
export function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: tagSize });
  const body = cipher.update(plaintext);
  cipher.final();
  return Buffer.concat([body, cipher.getAuthTag()], plaintext.length + tagSize);
}

/** ChaCha20-Poly1305 decryption, or null when the tag does not authenticate the ciphertext under this key and nonce. */
export function open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer | null {
  if (sealed.length < tagSize) return null;
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: tagSize });
  decipher.setAuthTag(sealed.subarray(sealed.length - tagSize));
  const plaintext = decipher.update(sealed.subarray(0, sealed.length - tagSize));
  try {
    decipher.final();
  } catch {
    return null;
  }
  return plaintext;
}

/** Wraps a 16-byte file key under a stanza's wrap key, as every native age stanza does (zero nonce). */
export function wrapFileKey(wrapKey: Uint8Array, fileKey: Uint8Array): Buffer {
  return seal(wrapKey, zeroNonce, fileKey);
}

/** Unwraps a stanza body into the file key, or null when this wrap key is not the one it was made with. */
export function unwrapFileKey(wrapKey: Uint8Array, body: Uint8Array): Buffer | null {
  return open(wrapKey, zeroNonce, body);
}
