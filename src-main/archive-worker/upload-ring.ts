/**
 * The shared memory between the archive output's writing thread and the S3 upload thread: a ring of
 * slots the writer fills with the archive's bytes as it would write them to a file (ciphertext for
 * an encrypted archive), and the upload thread takes in order into its multipart upload. The writer
 * waits while the ring is full (the upload's parts in flight are the only other buffer), so memory
 * stays bounded whatever the archive's size.
 */

/** Control words: slots published, slots taken, whether the writer is done, the upload's state (0 going, 1 completed, 2 failed), then each slot's length. */
export const ringPublished = 0;
export const ringTaken = 1;
export const ringClosed = 2;
export const ringState = 3;
export const ringLengths = 4;

/** The upload's states in the `ringState` word (0 while it goes on). */
export const uploadCompleted = 1;
export const uploadFailed = 2;

/** The ring's memory, handed to both threads. `info` holds the upload's error message (UTF-8) once it failed. */
export interface UploadRing {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
  info: SharedArrayBuffer;
  slots: number;
  slotBytes: number;
}

/** A ring of `slots` slots of `slotBytes` each (8 × 1 MiB by default). */
export function createUploadRing(slots = 8, slotBytes = 1024 * 1024): UploadRing {
  return { control: new SharedArrayBuffer(4 * (ringLengths + slots)), data: new SharedArrayBuffer(slots * slotBytes), info: new SharedArrayBuffer(4096), slots, slotBytes };
}

/**
 * The writer's side, as source text the output's writing thread includes (it expects `w.upload`):
 * `pushUpload(bytes)` copies bytes into the ring, waiting for free slots, and throws the upload's own
 * error once it failed; `closeUpload()` says every byte is in.
 */
export const ringWriterSource = `
const up = w.upload ? { ctrl: new Int32Array(w.upload.control), bytes: Buffer.from(w.upload.data), info: Buffer.from(w.upload.info), slots: w.upload.slots, slotBytes: w.upload.slotBytes } : null;
const uploadError = () => Object.assign(new Error(up.info.toString('utf8').replace(/\\0+$/, '') || 'the upload failed'), { code: 'S3_UPLOAD' });
const pushUpload = (data) => {
  let done = 0;
  while (done < data.length) {
    const published = Atomics.load(up.ctrl, ${ringPublished});
    for (;;) {
      if (Atomics.load(up.ctrl, ${ringState}) === ${uploadFailed}) throw uploadError();
      const taken = Atomics.load(up.ctrl, ${ringTaken});
      if (published - taken < up.slots) break;
      Atomics.wait(up.ctrl, ${ringTaken}, taken, 100);
    }
    const slot = published % up.slots;
    const length = Math.min(up.slotBytes, data.length - done);
    data.copy(up.bytes, slot * up.slotBytes, done, done + length);
    Atomics.store(up.ctrl, ${ringLengths} + slot, length);
    Atomics.store(up.ctrl, ${ringPublished}, published + 1);
    Atomics.notify(up.ctrl, ${ringPublished});
    done += length;
  }
};
const closeUpload = () => {
  if (!up) return;
  Atomics.store(up.ctrl, ${ringClosed}, 1);
  Atomics.notify(up.ctrl, ${ringPublished});
};
`;
