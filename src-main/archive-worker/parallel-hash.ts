import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

const head = 0;
const tail = 1;
const finished = 2;
const lengthsStart = 3;

/** The hashing thread: waits for filled slots, hashes them in order, posts the digest at the end. */
const hasherSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { data, control, slots, slotBytes } = workerData;
const ctrl = new Int32Array(control);
const bytes = Buffer.from(data);
const hash = createHash('sha256');
for (;;) {
  const produced = Atomics.load(ctrl, ${head});
  const consumed = Atomics.load(ctrl, ${tail});
  if (consumed === produced) {
    if (Atomics.load(ctrl, ${finished}) === 1) break;
    Atomics.wait(ctrl, ${head}, produced, 1000);
    continue;
  }
  const slot = consumed % slots;
  hash.update(bytes.subarray(slot * slotBytes, slot * slotBytes + Atomics.load(ctrl, ${lengthsStart} + slot)));
  Atomics.store(ctrl, ${tail}, consumed + 1);
  Atomics.notify(ctrl, ${tail});
}
parentPort.postMessage(hash.digest('hex'));
`;

/**
 * SHA-256 of a stream of buffers, computed on a second thread while the archive is written, so
 * hashing does not add to the backup's time. The writer fills a slot of a shared ring, hands it
 * over, and takes the next free slot; it waits only when the hasher is a whole ring behind.
 */
export class ParallelSha256 {
  private readonly data: SharedArrayBuffer;
  private readonly control: Int32Array;
  private readonly thread: Worker;
  private readonly slotViews: Buffer[];
  private produced = 0;

  constructor(
    readonly slotBytes: number,
    private readonly slots = 8,
  ) {
    this.data = new SharedArrayBuffer(slotBytes * slots);
    const control = new SharedArrayBuffer(4 * (lengthsStart + slots));
    this.control = new Int32Array(control);
    this.slotViews = Array.from({ length: slots }, (_, slot) => Buffer.from(this.data, slot * slotBytes, slotBytes));
    this.thread = new Worker(hasherSource, { eval: true, workerData: { data: this.data, control, slots, slotBytes } });
  }

  /** The slot to fill next, waiting while every slot is still being hashed. */
  acquire(): Buffer {
    while (this.produced - Atomics.load(this.control, tail) >= this.slots) {
      Atomics.wait(this.control, tail, Atomics.load(this.control, tail), 100);
    }
    return this.slotViews[this.produced % this.slots] as Buffer;
  }

  /** Hands the acquired slot, filled with `length` bytes, to the hashing thread. */
  submit(length: number): void {
    const slot = this.produced % this.slots;
    Atomics.store(this.control, lengthsStart + slot, length);
    this.produced += 1;
    Atomics.store(this.control, head, this.produced);
    Atomics.notify(this.control, head);
  }

  /** Waits for every submitted slot to be hashed and returns the hex digest. */
  async digest(): Promise<string> {
    const result = once(this.thread, 'message');
    Atomics.store(this.control, finished, 1);
    Atomics.notify(this.control, head);
    const [digest] = (await result) as [string];
    await this.thread.terminate();
    return digest;
  }

  /** Stops the hashing thread when the archive is abandoned. */
  async abandon(): Promise<void> {
    await this.thread.terminate();
  }
}
