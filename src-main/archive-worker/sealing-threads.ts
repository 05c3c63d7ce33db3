import type { AgeFileStart } from '../encryption/age-encryptor';

/**
 * The archive output's threads for an encrypted archive, as source text they include. The writer
 * seals the plaintext slots as age's STREAM (age-stream.ts: 64 KiB chunks, ChaCha20-Poly1305 with the
 * payload key, nonce = 11-byte big-endian chunk index and a last-chunk flag), holding a full chunk
 * back until more arrives so the true last one gets the flag; it puts the ciphertext into a ring of
 * its own, writes it, and the hasher computes the SHA-256 of that ring meanwhile: sealing, hashing
 * and writing overlap, and the archive's SHA-256 is the encrypted file's.
 */

/** Cipher ring control words: slots published by the writer, slots hashed, whether the writer is done, then each slot's length. */
const cipherProduced = 0;
const cipherHashed = 1;
const cipherFinished = 2;
const cipherLengths = 3;
const cipherSlots = 4;
const chunk = 64 * 1024;
const sealedChunk = chunk + 16;

/** What the threads are given for an encrypted archive (in workerData.encryption). */
export interface SealingData {
  start: Buffer;
  payloadKey: Buffer;
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
  slotBytes: number;
}

/** The shared memory for sealing an archive whose plaintext comes in slots of `slotBytes`. */
export function sealingData(start: AgeFileStart, slotBytes: number): SealingData {
  // One slot of plaintext completes at most its own chunks and the one held back; the header comes once.
  const cipherSlotBytes = 4096 + (Math.ceil(slotBytes / chunk) + 2) * sealedChunk;
  return {
    start: Buffer.concat([start.header, start.payloadNonce]),
    payloadKey: start.payloadKey,
    control: new SharedArrayBuffer(4 * (cipherLengths + cipherSlots)),
    data: new SharedArrayBuffer(cipherSlots * cipherSlotBytes),
    slotBytes: cipherSlotBytes,
  };
}

/** Bytes of ciphertext the writer gathers for one direct write: a multiple of any device's block size. */
const stageBytes = 1024 * 1024;

/**
 * The writer's sealing: `encrypt(view)` for each plaintext slot, `finishSealing()` at the end.
 * Where the output has a direct-I/O descriptor, ciphertext is gathered in an aligned 1 MiB stage
 * and written with O_DIRECT a stage at a time (the rest at the end through the page cache), as
 * plain archives are; with an upload ring (`up`, `pushUpload`: upload-ring.ts) the ciphertext goes
 * there instead. Expects `w`, `ctrl`, `writeSync`, `createCipheriv`, `up` and the word numbers.
 */
export const writerSealingSource = (fdWord: number, directFdWord: number, failedWord: number) => `
const e = w.encryption;
const cctrl = new Int32Array(e.control);
const cbytes = Buffer.from(e.data);
const sealing = { key: Buffer.from(e.payloadKey), pending: Buffer.alloc(${chunk}), filled: 0, index: 0, at: 0, published: 0 };
/** Seals one STREAM chunk. */
const seal = (plaintext, last) => {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(sealing.index, 5, 6);
  nonce[11] = last ? 1 : 0;
  sealing.index += 1;
  const cipher = createCipheriv('chacha20-poly1305', sealing.key, nonce, { authTagLength: 16 });
  const body = cipher.update(plaintext);
  cipher.final();
  return [body, cipher.getAuthTag()];
};
const stage = { memory: null, base: 0, filled: 0, at: 0 };
/** Finds where the stage's memory is aligned for the direct descriptor (the probe writes where the file will start anyway). */
const openStage = () => {
  const direct = Atomics.load(ctrl, ${directFdWord});
  if (direct < 0) return;
  const memory = Buffer.allocUnsafeSlow(${stageBytes} + 4096);
  for (let base = 0; base < 4096; base += 16) {
    try {
      writeSync(direct, memory, base, 4096, 0);
      Object.assign(stage, { memory, base });
      return;
    } catch (error) {
      if (error.code !== 'EINVAL') return;
    }
  }
};
/** Writes bytes at a place in the file through the page cache. */
const writeAt = (data, position) => {
  if (up) {
    pushUpload(data);
    return;
  }
  let offset = 0;
  while (offset < data.length) offset += writeSync(Atomics.load(ctrl, ${fdWord}), data, offset, data.length - offset, position + offset);
};
/** Writes ciphertext at the end of the file: through the stage and O_DIRECT when it can, else through the page cache. */
const writeOut = (data) => {
  if (stage.memory === null) {
    writeAt(data, stage.at);
    stage.at += data.length;
    return;
  }
  let done = 0;
  while (done < data.length) {
    const copied = data.copy(stage.memory, stage.base + stage.filled, done, done + Math.min(data.length - done, ${stageBytes} - stage.filled));
    stage.filled += copied;
    done += copied;
    if (stage.filled < ${stageBytes}) continue;
    const full = stage.memory.subarray(stage.base, stage.base + ${stageBytes});
    try {
      if (writeSync(Atomics.load(ctrl, ${directFdWord}), full, 0, ${stageBytes}, stage.at) !== ${stageBytes}) throw Object.assign(new Error('short direct write'), { code: 'EINVAL' });
    } catch (error) {
      // A file system that took the probe but refuses a later direct write: the page cache it is.
      if (error.code !== 'EINVAL') throw error;
      writeAt(full, stage.at);
      stage.at += ${stageBytes};
      stage.filled = 0;
      const rest = data.subarray(done);
      stage.memory = null;
      writeOut(rest);
      return;
    }
    stage.at += ${stageBytes};
    stage.filled = 0;
  }
};
/** Puts ciphertext in the next cipher slot (once the hasher has passed it), hands it to the hasher, and writes it at the end of the file. */
const writeSealed = (pieces) => {
  if (pieces.length === 0) return;
  while (sealing.published - Atomics.load(cctrl, ${cipherHashed}) >= ${cipherSlots}) {
    if (Atomics.load(ctrl, ${failedWord}) === 1) throw new Error('the hashing thread failed');
    Atomics.wait(cctrl, ${cipherHashed}, Atomics.load(cctrl, ${cipherHashed}), 100);
  }
  const slot = sealing.published % ${cipherSlots};
  const base = slot * e.slotBytes;
  let end = base;
  for (const piece of pieces) end += piece.copy(cbytes, end);
  Atomics.store(cctrl, ${cipherLengths} + slot, end - base);
  sealing.published += 1;
  Atomics.store(cctrl, ${cipherProduced}, sealing.published);
  Atomics.notify(cctrl, ${cipherProduced});
  if (sealing.at === 0) openStage();
  writeOut(cbytes.subarray(base, end));
  sealing.at += end - base;
};
const header = () => (sealing.at === 0 ? [Buffer.from(e.start)] : []);
/** Takes a slot's plaintext: seals every chunk it completes, except a full one not yet known not to be the last. */
const encrypt = (view) => {
  const out = header();
  let at = 0;
  while (at < view.length) {
    if (sealing.filled === ${chunk}) {
      out.push(...seal(sealing.pending, false));
      sealing.filled = 0;
    }
    const copied = view.copy(sealing.pending, sealing.filled, at, Math.min(view.length, at + ${chunk} - sealing.filled));
    sealing.filled += copied;
    at += copied;
  }
  writeSealed(out);
};
/** Seals the last chunk (empty when there was no plaintext at all) and tells the hasher the ciphertext is complete. */
const finishSealing = () => {
  writeSealed([...header(), ...seal(sealing.pending.subarray(0, sealing.filled), true)]);
  if (stage.memory !== null) writeAt(stage.memory.subarray(stage.base, stage.base + stage.filled), stage.at);
  Atomics.store(cctrl, ${cipherFinished}, 1);
  Atomics.notify(cctrl, ${cipherProduced});
};
`;

/**
 * The hasher's loop for an encrypted archive: the SHA-256 of every cipher slot in order, until the
 * writer is done; then the digest goes where the plain hasher puts it (`report(hex)`).
 * Expects `w`, `ctrl`, `createHash` and the word number `failedWord`.
 */
export const hasherSealingSource = (failedWord: number) => `
const hashCiphertext = (report) => {
  const e = w.encryption;
  const cctrl = new Int32Array(e.control);
  const cbytes = Buffer.from(e.data);
  const digest = createHash('sha256');
  let done = 0;
  for (;;) {
    if (Atomics.load(ctrl, ${failedWord}) === 1) return;
    const ready = Atomics.load(cctrl, ${cipherProduced});
    if (done === ready) {
      if (Atomics.load(cctrl, ${cipherFinished}) === 1 && Atomics.load(cctrl, ${cipherProduced}) === done) break;
      Atomics.wait(cctrl, ${cipherProduced}, ready, 100);
      continue;
    }
    const slot = done % ${cipherSlots};
    const base = slot * e.slotBytes;
    digest.update(cbytes.subarray(base, base + Atomics.load(cctrl, ${cipherLengths} + slot)));
    done += 1;
    Atomics.store(cctrl, ${cipherHashed}, done);
    Atomics.notify(cctrl, ${cipherHashed});
  }
  report(digest.digest('hex'));
};
`;
