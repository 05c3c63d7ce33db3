import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { AgeEncryptor } from '../../src-main/encryption/age-encryptor';

/** Helpers shared by the encryption tests: Debian's age, and our encryptor fed in uneven pieces. */

/** Skip reason when Debian's age is missing. */
export const noAge = spawnSync('age', ['--version'], { encoding: 'utf8' }).status === 0 ? false : 'age is not installed (apt-get install -y age); .ci/run installs it';

/** The sizes the spec's chunk boundaries make interesting, and a few MiB. */
export const interestingSizes = [0, 1, 65535, 65536, 65537, 3 * 1024 * 1024 + 12345];

/** Random plaintext of a size. */
export function plaintextOf(size: number): Buffer {
  return randomBytes(size);
}

/** Encrypts with our AgeEncryptor, fed in pieces of 1, 1000, 70000 bytes and the rest, as an archive writer would. */
export function encryptInPieces(plaintext: Buffer, recipient: string): { ciphertext: Buffer; reported: number } {
  const encryptor = new AgeEncryptor([recipient]);
  const out: Buffer[] = [];
  let at = 0;
  for (const size of [1, 1000, 70000]) {
    out.push(...encryptor.push(plaintext.subarray(at, Math.min(plaintext.length, at + size))));
    at = Math.min(plaintext.length, at + size);
  }
  out.push(...encryptor.push(plaintext.subarray(at)), ...encryptor.finish());
  return { ciphertext: Buffer.concat(out), reported: encryptor.ciphertextBytes };
}

/** Runs `work` with the file open for reading. */
export async function withOpenFile<T>(path: string, work: (fd: number) => Promise<T>): Promise<T> {
  const fd = openSync(path, 'r');
  try {
    return await work(fd);
  } finally {
    closeSync(fd);
  }
}
