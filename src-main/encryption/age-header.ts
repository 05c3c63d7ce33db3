import { timingSafeEqual } from 'node:crypto';
import { DormouseError } from '../../shared/errors';
import { decodeAgeBase64, encodeAgeBase64 } from './age-base64';
import { deriveKey, hmacSha256 } from './age-primitives';

/**
 * The textual header of an age v1 file: the version line, the recipient stanzas that each wrap the
 * file key, and the HMAC that binds them to that key. Written for our files, and parsed strictly from
 * whatever a destination holds.
 */

/** One recipient stanza: its arguments (the first names its type) and its decoded body. */
export interface AgeStanza {
  args: string[];
  body: Buffer;
}

/** A parsed header: its stanzas, its MAC, the bytes the MAC covers, and its length in the file. */
export interface AgeHeader {
  stanzas: AgeStanza[];
  mac: Buffer;
  macInput: Buffer;
  length: number;
}

const versionLine = 'age-encryption.org/v1';
const columns = 64;
const argument = /^[\x21-\x7e]+$/;
const base64Line = /^[A-Za-z0-9+/]*$/;

function headerMac(fileKey: Uint8Array, macInput: Uint8Array): Buffer {
  return hmacSha256(deriveKey(fileKey, Buffer.alloc(0), 'header'), macInput);
}

function formatStanza(stanza: AgeStanza): string {
  const body = encodeAgeBase64(stanza.body);
  const lines: string[] = [];
  for (let at = 0; at <= body.length; at += columns) lines.push(body.slice(at, at + columns));
  return `-> ${stanza.args.join(' ')}\n${lines.join('\n')}\n`;
}

/** The header bytes for these stanzas, ending with the MAC made with the file key. */
export function formatHeader(stanzas: readonly AgeStanza[], fileKey: Uint8Array): Buffer {
  const macInput = Buffer.from(`${versionLine}\n${stanzas.map(formatStanza).join('')}---`, 'latin1');
  return Buffer.concat([macInput, Buffer.from(` ${encodeAgeBase64(headerMac(fileKey, macInput))}\n`, 'latin1')]);
}

/** Whether the header's MAC was made with this file key (so no stanza or byte of it was changed). */
export function headerMacMatches(header: AgeHeader, fileKey: Uint8Array): boolean {
  return timingSafeEqual(headerMac(fileKey, header.macInput), header.mac);
}

function malformed(source: string, reason: string): DormouseError {
  return new DormouseError('DAMAGED', `${source} is not a readable age file: ${reason}`);
}

/**
 * Parses the header at the start of `bytes`; returns null when the bytes end before the header does
 * (read more and call again). `source` names the file in errors (a malformed header is DAMAGED).
 */
export function parseHeader(bytes: Buffer, source: string): AgeHeader | null {
  let position = 0;
  const nextLine = (): string | null => {
    const end = bytes.indexOf(0x0a, position);
    if (end < 0) return null;
    const line = bytes.toString('latin1', position, end);
    position = end + 1;
    return line;
  };

  const version = nextLine();
  if (version === null) {
    const expected = Buffer.from(`${versionLine}\n`);
    if (bytes.length >= expected.length || !expected.subarray(0, bytes.length).equals(bytes)) throw malformed(source, `it does not start with "${versionLine}"`);
    return null;
  }
  if (version !== versionLine) {
    throw malformed(source, version.startsWith('age-encryption.org/') ? `its format "${version}" is not age v1` : 'it does not start with "age-encryption.org/v1"');
  }

  const stanzas: AgeStanza[] = [];
  for (;;) {
    const lineStart = position;
    const line = nextLine();
    if (line === null) return null;
    if (line.startsWith('---')) {
      if (stanzas.length === 0) throw malformed(source, 'its header has no recipient stanza');
      const encodedMac = line.startsWith('--- ') ? line.slice(4) : '';
      const mac = encodedMac.length === 43 ? decodeAgeBase64(encodedMac) : null;
      if (mac === null) throw malformed(source, 'its header MAC line is malformed');
      return { stanzas, mac, macInput: bytes.subarray(0, lineStart + 3), length: position };
    }
    if (!line.startsWith('-> ')) throw malformed(source, 'its header has a line that is neither a stanza nor the MAC');
    const args = line.slice(3).split(' ');
    if (!args.every((arg) => argument.test(arg))) throw malformed(source, 'a stanza has an empty or non-printable argument');
    let encodedBody = '';
    for (;;) {
      const bodyLine = nextLine();
      if (bodyLine === null) return null;
      if (bodyLine.length > columns || !base64Line.test(bodyLine)) throw malformed(source, 'a stanza body line is not base64 of at most 64 columns');
      encodedBody += bodyLine;
      if (bodyLine.length < columns) break;
    }
    const body = decodeAgeBase64(encodedBody);
    if (body === null) throw malformed(source, 'a stanza body is not canonical base64');
    stanzas.push({ args, body });
  }
}

/** How a reader gets the file key out of a header's stanzas: with an identity or a passphrase. `source` names the file in errors. */
export type FileKeyUnlocker = (stanzas: readonly AgeStanza[], source: string) => Promise<Buffer>;
