import type { MessagePort } from 'node:worker_threads';
import { attemptsFromEnvironment, defaultRetryPolicy, withRetries } from '../s3/retry-policy';
import { S3Client } from '../s3/s3-client';
import { S3Error } from '../s3/s3-errors';
import type { S3Settings } from '../s3/s3-settings';

/**
 * The shared memory of a synchronous S3 reader: the archive worker's main thread, whose archive
 * readers are synchronous (ArchiveFile.readInto), writes a request here and waits with Atomics.wait;
 * the read thread does the ranged GET (retried like an upload's parts) and answers here.
 */

/** Control words. */
export const readRequest = 0;
export const readAnswer = 1;
export const readOperation = 2;
export const readStatus = 3;
export const readKeyLength = 4;
export const readBodyLength = 5;
/** Operations and statuses. */
export const operationHead = 1;
export const operationGet = 2;
export const statusOk = 0;
export const statusMissing = 1;
export const statusFailed = 2;

/** The reader's memory: control words, numbers (range start, range end, object size), the key, the body, the error. */
export interface ReadChannel {
  control: SharedArrayBuffer;
  numbers: SharedArrayBuffer;
  key: SharedArrayBuffer;
  body: SharedArrayBuffer;
  info: SharedArrayBuffer;
}

/** A channel whose answers hold at most `bodyBytes`. */
export function createReadChannel(bodyBytes: number): ReadChannel {
  return { control: new SharedArrayBuffer(4 * 8), numbers: new SharedArrayBuffer(8 * 4), key: new SharedArrayBuffer(4096), body: new SharedArrayBuffer(bodyBytes), info: new SharedArrayBuffer(4096) };
}

/** What the archive worker hands a read thread. */
export interface ReadThreadData {
  role: 'read';
  channel: ReadChannel;
  settings: S3Settings;
}

interface AsyncAtomics {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> };
}

/** Serves the channel's requests one at a time, for as long as the thread lives. */
export function runReadThread(data: ReadThreadData, port: MessagePort): void {
  const control = new Int32Array(data.channel.control);
  const numbers = new Float64Array(data.channel.numbers);
  const keyBytes = Buffer.from(data.channel.key);
  const body = Buffer.from(data.channel.body);
  const info = Buffer.from(data.channel.info);
  const client = new S3Client(data.settings, { timeoutMs: 30_000 });
  // As patient as an upload's parts, and tuned by the same DORMOUSE_S3_ATTEMPTS.
  const retry = { ...defaultRetryPolicy, attempts: attemptsFromEnvironment() };
  void port;

  const answer = async (): Promise<void> => {
    const key = keyBytes.toString('utf8', 0, Atomics.load(control, readKeyLength));
    try {
      if (Atomics.load(control, readOperation) === operationHead) {
        const head = await withRetries(() => client.headObject(key), retry);
        if (head === null) Atomics.store(control, readStatus, statusMissing);
        else {
          numbers[2] = head.size;
          Atomics.store(control, readStatus, statusOk);
        }
        return;
      }
      const range = { start: numbers[0] as number, end: numbers[1] as number };
      // A ranged read cut short fails as a lost connection (getObject checks the bytes against the range), and is tried again.
      const got = await withRetries(() => client.getObject(key, { range }), retry);
      got.body.copy(body, 0);
      Atomics.store(control, readBodyLength, got.body.length);
      numbers[2] = got.objectSize;
      Atomics.store(control, readStatus, statusOk);
    } catch (error) {
      const missing = error instanceof S3Error && error.kind === 'no-such-key';
      info.fill(0);
      info.write(((error as Error).message ?? String(error)).slice(0, 4000), 0, 'utf8');
      Atomics.store(control, readStatus, missing ? statusMissing : statusFailed);
    }
  };

  // A pending Atomics.waitAsync does not keep a thread alive: this does, until the worker ends it.
  setInterval(() => undefined, 60_000);
  const loop = async (): Promise<void> => {
    let served = 0;
    for (;;) {
      const requested = Atomics.load(control, readRequest);
      if (requested === served) {
        const waiting = (Atomics as unknown as AsyncAtomics).waitAsync(control, readRequest, served, 60_000);
        if (waiting.async) await waiting.value;
        continue;
      }
      await answer();
      served = requested;
      Atomics.store(control, readAnswer, served);
      Atomics.notify(control, readAnswer);
    }
  };
  void loop();
}
