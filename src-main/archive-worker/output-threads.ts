import { cipherWriterSource, hasherSealingSource, sealerSource } from './sealing-threads';
import { ringWriterSource } from './upload-ring';

/*
 * The helper threads of an archive being written (archive-output.ts): the layout of the memory
 * they share with the thread that fills the buffers, and their source.
 */

/** Control word: buffers handed over by the filling thread. */
export const produced = 0;
/** Control word: buffers the hasher has passed. */
export const hashed = 1;
/** Control word: buffers the writer has passed. */
export const written = 2;
/** Control word: 1 once the last buffer is handed over. */
export const finished = 3;
/** Control word: 1 once a helper failed (its error is in the info bytes). */
export const failed = 4;
/** Control word: 1 once the archive's digest is in the info bytes. */
export const digested = 5;
/** Control word: the archive file's descriptor, set once it is opened. */
export const fdWord = 6;
/** Control word: its direct-I/O descriptor, or -1. */
export const directFdWord = 7;
/** Control word: where in the shared memory the aligned buffers start. */
export const baseWord = 8;
/** Control word: buffers the tapper (each file's own content hash) has passed. */
export const tapped = 9;
/** Control word: 1 once the writer has written (or handed to the upload) every byte of the file. */
export const flushed = 10;
/** Control words from here: each buffer's filled length. */
export const lengthsStart = 11;
/** Info bytes: the hex digest first, the failed helper's error as JSON after it. */
export const digestBytes = 64;
/** How many info bytes there are. */
export const infoBytes = 1024;
/** Content taps (ranges of the stream whose own hash the tapper computes: each file's content) in a ring of this many. */
export const tapCapacity = 16384;
/** Bytes each tap's digest has in the shared ring: room for the longest kind (SHA-256's 32; XXH3-128 uses the first 16). */
export const tapDigestBytes = 32;
/** Tap control word: taps handed to the tapper. */
export const tapsPublished = 0;
/** Tap control word: taps whose digest is ready. */
export const tapsDone = 1;

/** A helper thread's job: hash the archive, hash each file's content (tap), seal an encrypted archive's slots, or write the file. */
export type OutputThreadRole = 'hash' | 'tap' | 'seal' | 'write';

/** The helper threads an archive needs: a sealer too when it is encrypted. */
export function outputThreadRoles(encrypted: boolean): OutputThreadRole[] {
  return encrypted ? ['hash', 'tap', 'seal', 'write'] : ['hash', 'tap', 'write'];
}

/**
 * The helper threads. The hasher computes the SHA-256 of every slot in order; the tapper computes
 * the hash of each file's content within them (the content taps: XXH3-128 with the native addon,
 * which the workerData names, else SHA-256; content-hash.ts); the writer writes every slot at
 * its place in the file (full slots through the direct-I/O descriptor when there is one). A slot is
 * free again once all of them have passed it, so reading, hashing and writing overlap and the two
 * hashes share the machine's cores. For an encrypted archive the sealer takes the slots in the
 * writer's place and seals them into a ring of ciphertext, which the writer writes and the hasher
 * hashes instead (sealing-threads.ts); sealed chunks are gathered into aligned stages for O_DIRECT.
 */
export const threadSource = (role: OutputThreadRole, encrypted: boolean): string => `
const { workerData: w } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { createCipheriv, createHash } = require('node:crypto');
const ctrl = new Int32Array(w.control);
const bytes = Buffer.from(w.data);
const info = Buffer.from(w.info);
const tail = ${role === 'hash' ? hashed : role === 'tap' ? tapped : written};
const hash = ${role === 'hash' && !encrypted ? "createHash('sha256')" : 'null'};
${role === 'write' ? ringWriterSource : ''}
${role === 'write' && encrypted ? cipherWriterSource(fdWord, directFdWord, failed) : ''}
${role === 'seal' ? sealerSource(failed) : ''}
${role === 'hash' && encrypted ? hasherSealingSource(failed) : ''}
const taps = new Int32Array(w.tapControl);
const tapRanges = new Float64Array(w.tapRanges);
const tapDigests = Buffer.from(w.tapDigests);
let tapNext = 0;
let tapHash = null;
/** The native addon, which computes XXH3-128 (content-hash.ts), when files are hashed with it. */
const tapNative = ${role === 'tap' ? "w.tapHash === 'xxh128' ? (() => { const addon = { exports: {} }; process.dlopen(addon, w.nativeAddon); return addon.exports; })() : null" : 'null'};
/** SHA-256 of bytes in one call: no Hash object per file, whose handles made a tenth of this thread's time collecting garbage. */
const hashOnce = typeof require('node:crypto').hash === 'function' ? require('node:crypto').hash : null;
/** A file's content hash in one call, its digest written at tapDigests[at]; false where it must be streamed. */
const tapOnce = (bytes, at) => {
  if (tapNative !== null) tapNative.xxh128(bytes, tapDigests, at);
  else if (hashOnce !== null) hashOnce('sha256', bytes, 'buffer').copy(tapDigests, at);
  else return false;
  return true;
};
const tapState = tapNative === null ? null : Buffer.alloc(tapNative.xxh128StateBytes);
/** A file's content hash fed piece by piece, for content that spans views. */
const startTapHash = () => {
  if (tapNative === null) {
    const hash = createHash('sha256');
    return { update: (bytes) => hash.update(bytes), digestInto: (at) => hash.digest().copy(tapDigests, at) };
  }
  tapNative.xxh128Reset(tapState);
  return { update: (bytes) => tapNative.xxh128Update(tapState, bytes), digestInto: (at) => tapNative.xxh128Digest(tapState, tapDigests, at) };
};
/** Feeds the stream bytes [at, at + view.length) to the content taps they belong to; publishes the finished ones once per view. */
const feedTaps = (view, at) => {
  const end = at + view.length;
  const before = tapNext;
  const published = Atomics.load(taps, ${tapsPublished});
  while (tapNext < published) {
    const ring = tapNext % ${tapCapacity};
    const start = tapRanges[2 * ring];
    const stop = tapRanges[2 * ring + 1];
    if (start >= end) break;
    // A file's content wholly in this view, as most are, is hashed in one call.
    if (tapHash === null && start >= at && stop <= end && tapOnce(view.subarray(start - at, stop - at), ring * ${tapDigestBytes})) {
      tapNext += 1;
      continue;
    }
    const from = Math.max(start, at);
    const to = Math.min(stop, end);
    if (to > from) (tapHash ??= startTapHash()).update(view.subarray(from - at, to - at));
    if (stop > end) break;
    (tapHash ?? startTapHash()).digestInto(ring * ${tapDigestBytes});
    tapHash = null;
    tapNext += 1;
  }
  if (tapNext === before) return;
  Atomics.store(taps, ${tapsDone}, tapNext);
  Atomics.notify(taps, ${tapsDone});
};
let position = 0;
let directAllowed = true;
/** Records the first failure's error for the filling thread (a thread that fails because another did leaves it alone). */
const fail = (error) => {
  if (Atomics.compareExchange(ctrl, ${failed}, 0, 2) === 0) {
    info.write(JSON.stringify({ code: (error && error.code) || null, message: String((error && error.message) || error) }), ${digestBytes});
  }
  Atomics.store(ctrl, ${failed}, 1);
  for (const word of [${hashed}, ${tapped}, ${written}, ${digested}, ${flushed}]) Atomics.notify(ctrl, word);
};
const reportDigest = (hex) => {
  info.write(hex, 0);
  Atomics.store(ctrl, ${digested}, 1);
  Atomics.notify(ctrl, ${digested});
};
/** Whether this thread takes the plaintext slots (an encrypted archive's hasher and writer take the ciphertext instead). */
const takesSlots = ${!(encrypted && (role === 'hash' || role === 'write'))};
try {
${role === 'hash' && encrypted ? 'hashCiphertext(reportDigest);' : ''}
${role === 'write' && encrypted ? 'writeCiphertext();' : ''}
for (;takesSlots;) {
  const ready = Atomics.load(ctrl, ${produced});
  const done = Atomics.load(ctrl, tail);
  if (done === ready) {
    // Finished, and nothing submitted since ready was read: the last slot may land between the two loads.
    if (Atomics.load(ctrl, ${finished}) === 1 && Atomics.load(ctrl, ${produced}) === done) break;
    Atomics.wait(ctrl, ${produced}, ready, 1000);
    continue;
  }
  const slot = done % w.slots;
  const length = Atomics.load(ctrl, ${lengthsStart} + slot);
  const base = Atomics.load(ctrl, ${baseWord});
  const view = bytes.subarray(base + slot * w.slotBytes, base + slot * w.slotBytes + length);
  if (${role === 'hash'}) {
    hash.update(view);
  } else if (${role === 'tap'}) {
    feedTaps(view, position);
    position += length;
  } else if (${role === 'seal'}) {
    encrypt(view);
  } else if (up) {
    pushUpload(view);
    position += length;
  } else {
    const plainFd = Atomics.load(ctrl, ${fdWord});
    let offset = 0;
    if (directAllowed && length === w.slotBytes && Atomics.load(ctrl, ${directFdWord}) >= 0) {
      try {
        offset = writeSync(Atomics.load(ctrl, ${directFdWord}), view, 0, length, position);
      } catch (error) {
        // A file system that took the probe but refuses a later direct write: the page cache it is.
        if (error.code !== 'EINVAL') throw error;
        directAllowed = false;
      }
    }
    while (offset < length) offset += writeSync(plainFd, view, offset, length - offset, position + offset);
    position += length;
  }
  Atomics.store(ctrl, tail, done + 1);
  Atomics.notify(ctrl, tail);
}
${role === 'seal' ? 'finishSealing();' : ''}
${role === 'write' ? `if (Atomics.load(ctrl, ${failed}) === 0) closeUpload();` : ''}
if (hash) reportDigest(hash.digest('hex'));
${role === 'write' ? `if (Atomics.load(ctrl, ${failed}) === 0) {
  Atomics.store(ctrl, ${flushed}, 1);
  Atomics.notify(ctrl, ${flushed});
}` : ''}
} catch (error) {
  fail(error);
}
`;
