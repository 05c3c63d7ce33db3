import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { createDecryptStream } from './age-decrypt-stream';
import { formatHeader, type FileKeyUnlocker } from './age-header';
import { derivePayloadKey, encryptChunk, payloadNonceSize, plaintextChunkSize } from './age-stream';
import { scryptStanza, scryptWorkFactor } from './scrypt-stanza';

/** Whole small age files in memory, such as the destination's key file: encrypted with a passphrase, decrypted with any unlocker. */

/** The bytes of an age file holding `plaintext`, encrypted with a passphrase as `age -p` does (scrypt, log2 N = 18 unless told). */
export async function encryptWithPassphrase(plaintext: Uint8Array, passphrase: string, workFactor = scryptWorkFactor): Promise<Buffer> {
  const fileKey = randomBytes(16);
  const header = formatHeader([await scryptStanza(passphrase, fileKey, workFactor)], fileKey);
  const payloadNonce = randomBytes(payloadNonceSize);
  const payloadKey = derivePayloadKey(fileKey, payloadNonce);
  const pieces = [header, payloadNonce];
  const chunkCount = Math.max(1, Math.ceil(plaintext.length / plaintextChunkSize));
  for (let index = 0; index < chunkCount; index++) {
    const chunk = plaintext.subarray(index * plaintextChunkSize, (index + 1) * plaintextChunkSize);
    pieces.push(encryptChunk(payloadKey, index, chunk, index === chunkCount - 1));
  }
  return Buffer.concat(pieces);
}

/** The plaintext of a whole age file held in memory; `source` names it in errors. */
export async function decryptAgeBytes(bytes: Uint8Array, unlock: FileKeyUnlocker, source: string): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of Readable.from([Buffer.from(bytes)]).pipe(createDecryptStream(unlock, source))) pieces.push(piece as Buffer);
  return Buffer.concat(pieces);
}
