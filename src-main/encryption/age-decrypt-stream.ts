import { Transform, type TransformCallback } from 'node:stream';
import { DormouseError } from '../../shared/errors';
import { headerMacMatches, parseHeader, type FileKeyUnlocker } from './age-header';
import { tagSize } from './age-primitives';
import { decryptChunk, derivePayloadKey, payloadNonceSize, plaintextChunkSize, sealedChunkSize } from './age-stream';
import { DamagedRangeError } from './damaged-range-error';

/**
 * Decrypts a whole age file as a stream (what `age -d` does): ciphertext in, plaintext out, each
 * chunk authenticated before it is passed on. A damaged chunk ends the stream with a
 * DamagedRangeError; a file that ends without a valid last chunk is refused.
 */

const maxHeaderSize = 1024 * 1024;

/** A Transform from the bytes of an age file to its plaintext; `source` names the file in errors. */
export function createDecryptStream(unlock: FileKeyUnlocker, source: string): Transform {
  let pending: Buffer = Buffer.alloc(0);
  let payloadKey: Buffer | null = null;
  let index = 0;

  const openChunk = (sealed: Buffer, last: boolean): Buffer => {
    const plaintext = decryptChunk(payloadKey as Buffer, index, sealed, last);
    const start = index * plaintextChunkSize;
    if (plaintext === null) {
      const why = last ? 'does not authenticate as the last chunk (altered, or the file was cut short)' : 'does not authenticate (altered on the destination)';
      throw new DamagedRangeError(source, index, start, start + Math.max(0, sealed.length - tagSize), why);
    }
    index += 1;
    return plaintext;
  };

  const startPayload = async (): Promise<boolean> => {
    const header = parseHeader(pending, source);
    if (header === null) {
      if (pending.length > maxHeaderSize) throw new DormouseError('DAMAGED', `${source} is not a readable age file: its header is longer than ${maxHeaderSize} bytes`);
      return false;
    }
    if (pending.length < header.length + payloadNonceSize) return false;
    const fileKey = await unlock(header.stanzas, source);
    if (!headerMacMatches(header, fileKey)) throw new DormouseError('DAMAGED', `${source} is damaged: its header does not match its MAC (it was altered after it was written)`);
    payloadKey = derivePayloadKey(fileKey, pending.subarray(header.length, header.length + payloadNonceSize));
    pending = pending.subarray(header.length + payloadNonceSize);
    return true;
  };

  const work = async (stream: Transform, piece: Buffer | null): Promise<void> => {
    if (piece !== null) pending = pending.length === 0 ? piece : Buffer.concat([pending, piece]);
    if (payloadKey === null && !(await startPayload())) {
      if (piece === null) throw new DormouseError('DAMAGED', `${source} is not a readable age file: it ends inside its header`);
      return;
    }
    // A chunk is known not to be the last only once a byte beyond it has arrived.
    let at = 0;
    while (pending.length - at > sealedChunkSize) {
      stream.push(openChunk(pending.subarray(at, at + sealedChunkSize), false));
      at += sealedChunkSize;
    }
    pending = pending.subarray(at);
    if (piece === null) {
      if (pending.length < tagSize || (index > 0 && pending.length === tagSize)) {
        throw new DormouseError('DAMAGED', `${source} is damaged: it ends without its last chunk (truncated)`);
      }
      stream.push(openChunk(pending, true));
    }
  };

  return new Transform({
    transform(piece: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      work(this, piece).then(() => done(), done);
    },
    flush(done: TransformCallback) {
      work(this, null).then(() => done(), done);
    },
  });
}
