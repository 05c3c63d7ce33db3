import { randomBytes } from 'node:crypto';
import { formatHeader } from './age-header';
import { parseRecipient } from './age-keys';
import { derivePayloadKey, encryptChunk, payloadNonceSize, plaintextChunkSize } from './age-stream';
import { x25519Stanza } from './x25519-stanza';

/**
 * Writing an age file to X25519 recipients from plaintext that arrives in pieces of any size, as the
 * archive worker produces it. Split in two so the sealing can run elsewhere: ChunkFramer (cheap, on
 * the thread that reads files) cuts the plaintext into numbered chunks, and encryptChunk (pure, from
 * age-stream) seals each one, on a worker thread if the caller likes, given the payload key once.
 */

/** The start of a new age file: its header, its payload nonce (the bytes before chunk 0), and the key the chunks are sealed with. */
export interface AgeFileStart {
  header: Buffer;
  payloadNonce: Buffer;
  payloadKey: Buffer;
}

/** A chunk of plaintext ready to seal: its index in the STREAM and whether it is the last. */
export interface PlaintextChunk {
  index: number;
  plaintext: Buffer;
  last: boolean;
}

/** Begins an age file for these recipients (`age1…` strings or 32-byte public keys): a fresh file key, header and payload key. */
export function startAgeFile(recipients: readonly (string | Uint8Array)[]): AgeFileStart {
  const fileKey = randomBytes(16);
  const stanzas = recipients.map((recipient) => x25519Stanza(typeof recipient === 'string' ? parseRecipient(recipient) : recipient, fileKey));
  const payloadNonce = randomBytes(payloadNonceSize);
  return { header: formatHeader(stanzas, fileKey), payloadNonce, payloadKey: derivePayloadKey(fileKey, payloadNonce) };
}

/**
 * Cuts plaintext of any sizes into STREAM chunks. It copies what it is given (the caller may reuse
 * its buffers) and holds back a full chunk until more plaintext arrives, so that `finish` can mark
 * the true last chunk: a payload of exactly n × 64 KiB ends with a full last chunk, an empty one with
 * a single empty chunk. Each chunk's plaintext is backed by an ArrayBuffer of its own, so it can be
 * transferred to a worker thread (postMessage's transfer list) without a copy.
 */
export class ChunkFramer {
  private current = Buffer.allocUnsafe(plaintextChunkSize);
  private filled = 0;
  private nextIndex = 0;
  private finished = false;

  /** Takes more plaintext; returns the chunks it completed (never the last one). */
  push(plaintext: Uint8Array): PlaintextChunk[] {
    if (this.finished) throw new Error('ChunkFramer.push after finish');
    const chunks: PlaintextChunk[] = [];
    let at = 0;
    while (at < plaintext.length) {
      if (this.filled === plaintextChunkSize) {
        chunks.push({ index: this.nextIndex++, plaintext: this.current, last: false });
        this.current = Buffer.allocUnsafe(plaintextChunkSize);
        this.filled = 0;
      }
      const copied = Math.min(plaintextChunkSize - this.filled, plaintext.length - at);
      this.current.set(plaintext.subarray(at, at + copied), this.filled);
      this.filled += copied;
      at += copied;
    }
    return chunks;
  }

  /** Ends the plaintext: returns the last chunk. */
  finish(): PlaintextChunk {
    if (this.finished) throw new Error('ChunkFramer.finish called twice');
    this.finished = true;
    return { index: this.nextIndex++, plaintext: this.current.subarray(0, this.filled), last: true };
  }
}

/**
 * An age encryptor that seals in the calling thread: ciphertext comes out in order (the header and
 * payload nonce first), and `ciphertextBytes` says how much has come out so far.
 */
export class AgeEncryptor {
  private readonly framer = new ChunkFramer();
  private readonly start: AgeFileStart;
  private startWritten = false;
  private emitted = 0;

  constructor(recipients: readonly (string | Uint8Array)[]) {
    this.start = startAgeFile(recipients);
  }

  /** Ciphertext bytes returned so far by push and finish. */
  get ciphertextBytes(): number {
    return this.emitted;
  }

  /** Encrypts more plaintext; returns the ciphertext now ready (possibly none). */
  push(plaintext: Uint8Array): Buffer[] {
    return this.emit(this.framer.push(plaintext));
  }

  /** Ends the file: returns the rest of the ciphertext, ending with the last chunk. */
  finish(): Buffer[] {
    return this.emit([this.framer.finish()]);
  }

  private emit(chunks: PlaintextChunk[]): Buffer[] {
    const out: Buffer[] = [];
    if (!this.startWritten) {
      this.startWritten = true;
      out.push(this.start.header, this.start.payloadNonce);
    }
    for (const chunk of chunks) out.push(encryptChunk(this.start.payloadKey, chunk.index, chunk.plaintext, chunk.last));
    for (const piece of out) this.emitted += piece.length;
    return out;
  }
}
