import type { AgeFileStart } from '../encryption/age-encryptor';

/**
 * The archive output's threads for an encrypted archive, as source text they include. The sealer
 * seals the plaintext slots as age's STREAM (age-stream.ts: 64 KiB chunks, ChaCha20-Poly1305 with the
 * payload key, nonce = 11-byte big-endian chunk index and a last-chunk flag), holding a full chunk
 * back until more arrives so the true last one gets the flag, and puts the ciphertext into a ring of
 * its own; the writer writes that ring to the file while the hasher computes its SHA-256. Sealing,
 * hashing and writing each have a thread, so a drive's write latency (direct I/O waits for the
 * device) never stalls the sealing, and the archive's SHA-256 is the encrypted file's.
 */

/** Cipher ring control words: slots published by the sealer, slots hashed, whether the sealer is done, slots written, then each slot's length. */
const cipherProduced = 0;
const cipherHashed = 1;
const cipherFinished = 2;
const cipherWritten = 3;
const cipherLengths = 4;
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
 * The sealer: `encrypt(view)` for each plaintext slot, `finishSealing()` at the end. Each slot's
 * ciphertext goes into the next cipher slot once both the hasher and the writer have passed it.
 * Expects `w`, `ctrl`, `createCipheriv` and the word number `failedWord`.
 */
export const sealerSource = (failedWord: number) => `
const e = w.encryption;
const cctrl = new Int32Array(e.control);
const cbytes = Buffer.from(e.data);
const sealing = { key: Buffer.from(e.payloadKey), pending: Buffer.alloc(${chunk}), filled: 0, index: 0, published: 0 };
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
/** Puts ciphertext in the next cipher slot, once the hasher and the writer have both passed it, and hands it to them. */
const publishSealed = (pieces) => {
  if (pieces.length === 0) return;
  for (;;) {
    if (Atomics.load(ctrl, ${failedWord}) === 1) throw new Error('the thread hashing or writing the archive failed');
    const hashedCount = Atomics.load(cctrl, ${cipherHashed});
    const writtenCount = Atomics.load(cctrl, ${cipherWritten});
    if (sealing.published - Math.min(hashedCount, writtenCount) < ${cipherSlots}) break;
    if (hashedCount <= writtenCount) Atomics.wait(cctrl, ${cipherHashed}, hashedCount, 100);
    else Atomics.wait(cctrl, ${cipherWritten}, writtenCount, 100);
  }
  const slot = sealing.published % ${cipherSlots};
  const base = slot * e.slotBytes;
  let end = base;
  for (const piece of pieces) end += piece.copy(cbytes, end);
  Atomics.store(cctrl, ${cipherLengths} + slot, end - base);
  sealing.published += 1;
  Atomics.store(cctrl, ${cipherProduced}, sealing.published);
  Atomics.notify(cctrl, ${cipherProduced});
};
const header = () => (sealing.published === 0 ? [Buffer.from(e.start)] : []);
/** Takes a slot's plaintext: seals every chunk it completes, except a full one not yet known not to be the last. */
const encrypt = (view) => {
  const out = header();
  let at = 0;
  while (at < view.length) {
    if (sealing.filled === ${chunk}) {
      out.push(...seal(sealing.pending, false));
      sealing.filled = 0;
    }
    if (sealing.filled === 0 && view.length - at > ${chunk}) {
      // A whole chunk with more after it in this slot, so not the last: sealed where it lies, no copy.
      out.push(...seal(view.subarray(at, at + ${chunk}), false));
      at += ${chunk};
      continue;
    }
    const copied = view.copy(sealing.pending, sealing.filled, at, Math.min(view.length, at + ${chunk} - sealing.filled));
    sealing.filled += copied;
    at += copied;
  }
  publishSealed(out);
};
/** Seals the last chunk (empty when there was no plaintext at all) and tells the hasher and the writer the ciphertext is complete. */
const finishSealing = () => {
  publishSealed([...header(), ...seal(sealing.pending.subarray(0, sealing.filled), true)]);
  Atomics.store(cctrl, ${cipherFinished}, 1);
  Atomics.notify(cctrl, ${cipherProduced});
};
`;

/**
 * The writer of an encrypted archive: `writeCiphertext()` writes every cipher slot in order at the
 * end of the file until the sealer is done. Where the output has a direct-I/O descriptor, ciphertext
 * is gathered in an aligned 1 MiB stage and written with O_DIRECT a stage at a time (the rest at the
 * end through the page cache), as plain archives are; with an upload ring (`up`, `pushUpload`:
 * upload-ring.ts) the ciphertext goes there instead. Expects `w`, `ctrl`, `writeSync`, `up` and the
 * word numbers.
 */
export const cipherWriterSource = (fdWord: number, directFdWord: number, failedWord: number) => `
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
/** Writes the cipher slots in order as the sealer publishes them, then what is left in the stage. */
const writeCiphertext = () => {
  const complete = followCiphertext(${cipherWritten}, (view, index) => {
    if (index === 0) openStage();
    writeOut(view);
  });
  if (complete && stage.memory !== null) writeAt(stage.memory.subarray(stage.base, stage.base + stage.filled), stage.at);
};
${cipherFollowerSource(failedWord)}`;

/**
 * How the hasher and the writer each take the cipher slots: `followCiphertext(tailWord, take)` gives
 * `take(view, index)` every slot in order as the sealer publishes it, marks it passed in `tailWord`,
 * and returns true once the sealer is done and every slot is taken (false when a thread failed).
 */
const cipherFollowerSource = (failedWord: number) => `
const followCiphertext = (tailWord, take) => {
  const e = w.encryption;
  const cctrl = new Int32Array(e.control);
  const cbytes = Buffer.from(e.data);
  let done = 0;
  for (;;) {
    if (Atomics.load(ctrl, ${failedWord}) === 1) return false;
    const ready = Atomics.load(cctrl, ${cipherProduced});
    if (done === ready) {
      if (Atomics.load(cctrl, ${cipherFinished}) === 1 && Atomics.load(cctrl, ${cipherProduced}) === done) return true;
      Atomics.wait(cctrl, ${cipherProduced}, ready, 100);
      continue;
    }
    const slot = done % ${cipherSlots};
    const base = slot * e.slotBytes;
    take(cbytes.subarray(base, base + Atomics.load(cctrl, ${cipherLengths} + slot)), done);
    done += 1;
    Atomics.store(cctrl, tailWord, done);
    Atomics.notify(cctrl, tailWord);
  }
};
`;

/**
 * The hasher's loop for an encrypted archive: the SHA-256 of every cipher slot in order, until the
 * sealer is done; then the digest goes where the plain hasher puts it (`report(hex)`).
 * Expects `w`, `ctrl`, `createHash` and the word number `failedWord`.
 */
export const hasherSealingSource = (failedWord: number) => `
const hashCiphertext = (report) => {
  const digest = createHash('sha256');
  if (followCiphertext(${cipherHashed}, (view) => digest.update(view))) report(digest.digest('hex'));
};
${cipherFollowerSource(failedWord)}`;
