/**
 * File names are bytes. Dormouse keeps them in JavaScript strings everywhere (manifest, listing,
 * paths), so a name that is not valid UTF-8 is held with each byte that is not part of a valid
 * UTF-8 sequence as the lone surrogate U+DC80–U+DCFF (the "surrogateescape" of Python). No valid
 * UTF-8 name decodes to a lone surrogate, so the mapping is exact both ways; JSON keeps lone
 * surrogates as `\udcXX` escapes.
 */

import { displayName, escapeBase, hasEscapedBytes, isEscapedByte } from '../../shared/display-name';

export { displayName, hasEscapedBytes };

/** The length of the valid UTF-8 sequence starting at `at`, or 0 when the byte there does not start one. */
function sequenceLength(bytes: Uint8Array, at: number): number {
  const first = bytes[at] as number;
  if (first < 0x80) return 1;
  const length = first >= 0xc2 && first <= 0xdf ? 2 : first >= 0xe0 && first <= 0xef ? 3 : first >= 0xf0 && first <= 0xf4 ? 4 : 0;
  if (length === 0 || at + length > bytes.length) return 0;
  for (let i = 1; i < length; i += 1) if (((bytes[at + i] as number) & 0xc0) !== 0x80) return 0;
  const second = bytes[at + 1] as number;
  // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not valid UTF-8.
  if (first === 0xe0 && second < 0xa0) return 0;
  if (first === 0xed && second >= 0xa0) return 0;
  if (first === 0xf0 && second < 0x90) return 0;
  if (first === 0xf4 && second >= 0x90) return 0;
  return length;
}

/** A name's bytes as Dormouse's string form: UTF-8 decoded, bytes outside valid sequences escaped. */
export function decodeName(bytes: Uint8Array): string {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const plain = buffer.toString('utf8');
  if (!plain.includes('\uFFFD')) return plain;
  let out = '';
  let start = 0;
  let at = 0;
  while (at < buffer.length) {
    const length = sequenceLength(buffer, at);
    if (length > 0) {
      at += length;
      continue;
    }
    out += buffer.toString('utf8', start, at) + String.fromCharCode(escapeBase + (buffer[at] as number));
    at += 1;
    start = at;
  }
  return out + buffer.toString('utf8', start, at);
}

/** The bytes a name in Dormouse's string form stands for. */
export function encodeName(name: string): Buffer {
  if (!hasEscapedBytes(name)) return Buffer.from(name, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i += 1) {
    const code = name.charCodeAt(i);
    if (!isEscapedByte(code)) continue;
    parts.push(Buffer.from(name.slice(start, i), 'utf8'), Buffer.from([code - escapeBase]));
    start = i + 1;
  }
  parts.push(Buffer.from(name.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/** What to hand Node's fs for a path: the string itself, or its bytes when it holds escaped bytes. */
export function fsPath(name: string): string | Buffer {
  return hasEscapedBytes(name) ? encodeName(name) : name;
}

