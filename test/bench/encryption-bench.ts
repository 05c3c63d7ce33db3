// Encryption micro-bench (not in npm test, not in npm run bench): MB/s of Dormouse's age encryptor on
// a 256 MiB file, sealing in the reading thread and on a worker thread, beside `age -e -r` and
// `tar -cf` of the same file. Run: node --import tsx test/bench/encryption-bench.ts
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync, writeSync, writevSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { AgeEncryptor, ChunkFramer, startAgeFile, type PlaintextChunk } from '../../src-main/encryption/age-encryptor';
import { encodeRecipient, generateIdentity } from '../../src-main/encryption/age-keys';

const sizeMiB = Number(process.env.BENCH_MIB ?? 256);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const folder = mkdtempSync(join(tmpdir(), 'dormouse-encryption-bench-'));
const input = join(folder, 'plain.bin');
const output = join(folder, 'out.age');
const recipient = encodeRecipient(generateIdentity().recipient);
const readSize = 1024 * 1024;

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}

function eachPiece(work: (piece: Buffer) => void): void {
  const fd = openSync(input, 'r');
  const buffer = Buffer.allocUnsafe(readSize);
  for (let read; (read = readSync(fd, buffer, 0, readSize, null)) > 0; ) work(buffer.subarray(0, read));
  closeSync(fd);
}

function inThread(): void {
  const out = openSync(output, 'w');
  const encryptor = new AgeEncryptor([recipient]);
  eachPiece((piece) => writevSync(out, encryptor.push(piece)));
  writevSync(out, encryptor.finish());
  closeSync(out);
}

// The worker seals chunks and writes them in order; the main thread only reads and frames.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { writevSync } = require('node:fs');
require('tsx/cjs/api').register();
const { encryptChunk } = require(workerData.stream);
parentPort.on('message', (batch) => {
  if (batch === 'end') { parentPort.postMessage('done'); return; }
  writevSync(workerData.fd, batch.map((chunk) => encryptChunk(workerData.payloadKey, chunk.index, chunk.plaintext, chunk.last)));
});
`;

async function onWorker(): Promise<void> {
  const start = startAgeFile([recipient]);
  const fd = openSync(output, 'w');
  writeSync(fd, Buffer.concat([start.header, start.payloadNonce]));
  const worker = new Worker(workerSource, { eval: true, workerData: { fd, payloadKey: start.payloadKey, stream: require.resolve('../../src-main/encryption/age-stream') } });
  const framer = new ChunkFramer();
  const send = (chunks: PlaintextChunk[]) => {
    if (chunks.length > 0) worker.postMessage(chunks, chunks.map((chunk) => chunk.plaintext.buffer as ArrayBuffer));
  };
  eachPiece((piece) => send(framer.push(piece)));
  send([framer.finish()]);
  const done = new Promise((resolve) => worker.once('message', resolve));
  worker.postMessage('end');
  await done;
  await worker.terminate();
  closeSync(fd);
}

function timed(work: () => void): number {
  const start = performance.now();
  work();
  return performance.now() - start;
}

async function main(): Promise<void> {
  writeFileSync(input, randomBytes(sizeMiB * 1024 * 1024));
  const results: Record<string, number[]> = { 'tar -cf (no encryption)': [], 'Dormouse, sealing in the reading thread': [], 'Dormouse, sealing on a worker thread': [], 'age -e -r': [] };
  for (let round = 0; round < rounds; round++) {
    results['tar -cf (no encryption)']?.push(timed(() => spawnSync('tar', ['-cf', output, '-C', folder, 'plain.bin'])));
    results['Dormouse, sealing in the reading thread']?.push(timed(inThread));
    const start = performance.now();
    await onWorker();
    results['Dormouse, sealing on a worker thread']?.push(performance.now() - start);
    results['age -e -r']?.push(timed(() => spawnSync('age', ['-e', '-r', recipient, '-o', output, input])));
  }
  console.log(`${sizeMiB} MiB of random data, median of ${rounds} rounds (output ${statSync(output).size} bytes):`);
  for (const [name, times] of Object.entries(results)) {
    const ms = median(times);
    console.log(`  ${name.padEnd(42)} ${(ms / 1000).toFixed(2)} s  ${((sizeMiB * 1.048576) / (ms / 1000)).toFixed(0)} MB/s`);
  }
  rmSync(folder, { recursive: true, force: true });
}

void main();
