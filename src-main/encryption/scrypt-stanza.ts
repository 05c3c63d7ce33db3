import { randomBytes, scrypt } from 'node:crypto';
import { DormouseError } from '../../shared/errors';
import { decodeAgeBase64, encodeAgeBase64 } from './age-base64';
import type { AgeStanza, FileKeyUnlocker } from './age-header';
import { unwrapFileKey, wrapFileKey } from './age-primitives';

/** The scrypt (passphrase) stanza, which wraps the destination key file's file key under the passphrase. */

/** log2 of scrypt's N when we encrypt: what `age -p` writes. */
export const scryptWorkFactor = 18;

/** The largest log2 N a file may ask of us when we decrypt (age's own limit; 2^22 needs 4 GiB). */
export const maxScryptWorkFactor = 22;

const stanzaType = 'scrypt';
const saltLabel = 'age-encryption.org/v1/scrypt';
const workFactorText = /^[1-9][0-9]*$/;

function wrapKeyOf(passphrase: string, salt: Uint8Array, workFactor: number): Promise<Buffer> {
  const N = 2 ** workFactor;
  return new Promise((resolve, reject) => {
    scrypt(Buffer.from(passphrase, 'utf8'), Buffer.concat([Buffer.from(saltLabel), salt]), 32, { N, r: 8, p: 1, maxmem: 128 * N * 8 + 2 ** 20 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Wraps the file key under a passphrase, with a fresh salt (off the event loop: scrypt takes about a second). */
export async function scryptStanza(passphrase: string, fileKey: Uint8Array, workFactor = scryptWorkFactor): Promise<AgeStanza> {
  const salt = randomBytes(16);
  return { args: [stanzaType, encodeAgeBase64(salt), String(workFactor)], body: wrapFileKey(await wrapKeyOf(passphrase, salt, workFactor), fileKey) };
}

/**
 * Unlocks a passphrase-encrypted age file (as `age -d` with a passphrase does): a wrong passphrase
 * is WRONG_PASSPHRASE; a file made for a key rather than a passphrase, or asking for more than
 * 2^22 work, is refused with the reason.
 */
export function passphraseUnlocker(passphrase: string): FileKeyUnlocker {
  return async (stanzas, source) => {
    const stanza = stanzas[0] as AgeStanza;
    if (stanza.args[0] !== stanzaType) throw new DormouseError('KEY_UNUSABLE', `${source} is encrypted to a key, not with a passphrase`);
    if (stanzas.length !== 1) throw new DormouseError('DAMAGED', `${source} is not a readable age file: a passphrase stanza must be its only stanza`);
    const [, saltText = '', workFactorArg = ''] = stanza.args;
    const salt = decodeAgeBase64(saltText);
    if (stanza.args.length !== 3 || salt === null || salt.length !== 16 || !workFactorText.test(workFactorArg) || stanza.body.length !== 32) {
      throw new DormouseError('DAMAGED', `${source} is not a readable age file: its passphrase stanza is malformed`);
    }
    const workFactor = Number(workFactorArg);
    if (workFactor > maxScryptWorkFactor) {
      throw new DormouseError('DAMAGED', `${source} asks for scrypt work 2^${workFactor}, more than the 2^${maxScryptWorkFactor} age itself accepts; it was not made by Dormouse or age`);
    }
    const fileKey = unwrapFileKey(await wrapKeyOf(passphrase, salt, workFactor), stanza.body);
    if (fileKey === null) throw new DormouseError('WRONG_PASSPHRASE', `the passphrase does not open ${source}`);
    return fileKey;
  };
}
