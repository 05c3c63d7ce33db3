import { Header } from 'tar';

/** The header fields Dormouse writes for one entry. */
export interface HeaderFields {
  path: string;
  type: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'FIFO' | 'ExtendedHeader';
  size: number;
  mode: number;
  /** Whole seconds since the epoch. */
  mtimeSeconds: number;
  uid: number;
  gid: number;
  linkpath?: string;
  /** Owner and group names (ASCII, at most 31 bytes, for the fast path). */
  uname?: string;
  gname?: string;
}

const typeFlags = { File: 0x30, Directory: 0x35, SymbolicLink: 0x32, Link: 0x31, FIFO: 0x36, ExtendedHeader: 0x78 } as const;
/** The largest values ustar's 8- and 12-byte octal fields hold; larger ones go in PAX records. */
export const maxSmall = 0o7777777;
export const maxLarge = 0o77777777777;

/** Whether a text fits a ustar field of `limit` bytes as plain ASCII (with room for its NUL). */
export function isShortAscii(text: string, limit: number): boolean {
  if (text.length >= limit) return false;
  for (let i = 0; i < text.length; i += 1) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

function fits(value: number, max: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= max;
}

/**
 * Writes a number as the `tar` package writes it: zero-padded octal, a space, a NUL (or digits and
 * a NUL when they fill the field). Returns the sum of the bytes written, for the checksum. Numbers
 * that fit 31 bits (nearly all) are cut into digits with bit operations: division and remainder of
 * a larger number are floating-point calls, which made this a tenth of a backup's own thread.
 */
function putOctal(block: Buffer, offset: number, size: number, value: number): number {
  if (value > 0x7fffffff) return putOctalText(block, offset, size, value.toString(8));
  let digits = 1;
  for (let rest = value >>> 3; rest > 0; rest >>>= 3) digits += 1;
  let end = offset + size - 1;
  block[end] = 0;
  let sum = 0;
  if (digits !== size - 1) {
    end -= 1;
    block[end] = 0x20;
    sum = 0x20;
  }
  let rest = value | 0;
  for (let at = end - 1; at >= offset; at -= 1) {
    const digit = 0x30 + (rest & 7);
    rest >>>= 3;
    block[at] = digit;
    sum += digit;
  }
  return sum;
}

/** putOctal for a number given as its octal digits (one of more than 31 bits). */
function putOctalText(block: Buffer, offset: number, size: number, digits: string): number {
  const text = digits.length === size - 1 ? `${digits}\0` : `${'0'.repeat(size - digits.length - 2)}${digits} \0`;
  return putAscii(block, offset, text);
}

/** Writes ASCII text (checked by isShortAscii) byte for byte; returns the sum of its bytes. */
function putAscii(block: Buffer, offset: number, text: string): number {
  let sum = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    block[offset + i] = code;
    sum += code;
  }
  return sum;
}

/** The magic and version of a ustar header (`ustar`, NUL, `00`), and the sum of their bytes. */
const magic = Buffer.from('ustar\u000000', 'latin1');
const magicSum = magic.reduce((sum, byte) => sum + byte, 0);

/**
 * Encodes a plain ustar header into a zeroed 512-byte block, byte for byte as the `tar` package's
 * Header encodes it (a test holds the two together), for the entries nearly every backup is made
 * of: ASCII names under 100 bytes, ordinary sizes, modes and times. Returns false, writing
 * nothing useful, for anything else (long or non-ASCII names, huge files), which then goes
 * through the `tar` package's Header and Pax. It exists because with 20,000 small files, the
 * package's general encoder was a tenth of the backup's time; it writes each byte itself and sums
 * the checksum as it goes because a backup of a million files encodes two million of these (one
 * `Buffer.write` per field and a pass over the block cost 1.8 µs a header).
 */
export function encodeUstarHeader(block: Buffer, fields: HeaderFields): boolean {
  if (!isShortAscii(fields.path, 100) || (fields.linkpath !== undefined && !isShortAscii(fields.linkpath, 100))) return false;
  if (!fits(fields.mode, maxSmall) || !fits(fields.uid, maxSmall) || !fits(fields.gid, maxSmall)) return false;
  if (!fits(fields.size, maxLarge) || !fits(fields.mtimeSeconds, maxLarge)) return false;
  if ((fields.uname !== undefined && !isShortAscii(fields.uname, 32)) || (fields.gname !== undefined && !isShortAscii(fields.gname, 32))) return false;
  let sum = 8 * 0x20 + putAscii(block, 0, fields.path);
  sum += putOctal(block, 100, 8, fields.mode);
  sum += putOctal(block, 108, 8, fields.uid);
  sum += putOctal(block, 116, 8, fields.gid);
  sum += putOctal(block, 124, 12, fields.size);
  sum += putOctal(block, 136, 12, fields.mtimeSeconds);
  const flag = typeFlags[fields.type];
  block[156] = flag;
  sum += flag;
  if (fields.linkpath !== undefined) sum += putAscii(block, 157, fields.linkpath);
  magic.copy(block, 257);
  sum += magicSum;
  if (fields.uname) sum += putAscii(block, 265, fields.uname);
  if (fields.gname) sum += putAscii(block, 297, fields.gname);
  sum += putOctal(block, 329, 8, 0);
  sum += putOctal(block, 337, 8, 0);
  putOctal(block, 148, 8, sum);
  return true;
}

/** The fields of a header block that reading an entry needs, as the `tar` package's Header gives them. */
export interface DecodedFields {
  /** The `tar` package's name for the type flag ('File', 'Directory', 'ExtendedHeader', …). */
  type: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtimeSeconds: number;
  checksumValid: boolean;
}

/** Type flags by byte; a NUL flag (an old tar's plain file) reads as '0', as the package reads it. */
const typeNames = new Map<number, string>([
  [0x30, 'File'],
  [0x31, 'Link'],
  [0x32, 'SymbolicLink'],
  [0x33, 'CharacterDevice'],
  [0x34, 'BlockDevice'],
  [0x35, 'Directory'],
  [0x36, 'FIFO'],
  [0x37, 'ContiguousFile'],
  [0x67, 'GlobalExtendedHeader'],
  [0x78, 'ExtendedHeader'],
]);

/**
 * An octal field written the plain way (spaces, octal digits, then spaces up to its NUL or end), or
 * -1 for any other spelling (base-256, signs, stray bytes), which the caller leaves to the `tar`
 * package's general reader.
 */
function readOctal(block: Buffer, offset: number, size: number): number {
  let at = offset;
  const end = offset + size;
  while (at < end && block[at] === 0x20) at += 1;
  let value = 0;
  let digits = 0;
  for (; at < end; at += 1) {
    const byte = block[at] as number;
    if (byte < 0x30 || byte > 0x37) break;
    value = value * 8 + (byte - 0x30);
    digits += 1;
  }
  if (digits === 0) return -1;
  for (; at < end && block[at] !== 0; at += 1) if (block[at] !== 0x20) return -1;
  return value;
}

/** The first and third bytes of each 32-bit word, in two 16-bit lanes (the others shifted down: headerSum). */
const everyOtherByte = 0x00ff00ff;

/**
 * What a header's checksum must be: the unsigned sum of its bytes, its checksum field counted as
 * spaces. Summed four bytes at a time where the block is aligned (two 16-bit lanes per word never
 * overflow in 512 bytes): a restore checks two headers per file, and a byte at a time was a twentieth
 * of its busiest thread.
 */
export function headerSum(block: Buffer): number {
  let sum = 8 * 0x20;
  if ((block.byteOffset & 3) !== 0) {
    for (let i = 0; i < 148; i += 1) sum += block[i] as number;
    for (let i = 156; i < 512; i += 1) sum += block[i] as number;
    return sum;
  }
  const words = wordsOf(block.buffer);
  const first = block.byteOffset >>> 2;
  let lanes = 0;
  // Words 37 and 38 are the checksum field (bytes 148–155).
  for (let i = first; i < first + 37; i += 1) {
    const word = words[i] as number;
    lanes = (lanes + (word & everyOtherByte) + ((word >>> 8) & everyOtherByte)) | 0;
  }
  for (let i = first + 39; i < first + 128; i += 1) {
    const word = words[i] as number;
    lanes = (lanes + (word & everyOtherByte) + ((word >>> 8) & everyOtherByte)) | 0;
  }
  return sum + (lanes & 0xffff) + (lanes >>> 16);
}

/** The last memory headers were summed in, seen as words: a restore reads its headers from one buffer, and a view per header cost as much as the sum. */
let lastWords: { buffer: ArrayBufferLike; words: Uint32Array } | null = null;

function wordsOf(buffer: ArrayBufferLike): Uint32Array {
  if (lastWords === null || lastWords.buffer !== buffer) lastWords = { buffer, words: new Uint32Array(buffer, 0, buffer.byteLength >>> 2) };
  return lastWords.words;
}

/**
 * Decodes a header block written the plain way, giving what the `tar` package's Header gives for it
 * (a test holds the two together), or null for anything else (base-256 numbers, unusual spellings,
 * other type flags, an empty name), which then goes through that Header. It exists because a
 * restore reads a header per file, and the package's general decoder (strings, regular expressions,
 * a Date) was a tenth of a million-file restore's time on its busiest thread.
 */
export function decodeUstarFields(block: Buffer): DecodedFields | null {
  const flag = block[156] === 0 ? 0x30 : (block[156] as number);
  let type = typeNames.get(flag);
  if (type === undefined || block[0] === 0) return null;
  const mode = readOctal(block, 100, 8);
  const uid = readOctal(block, 108, 8);
  const gid = readOctal(block, 116, 8);
  let size = readOctal(block, 124, 12);
  const mtimeSeconds = readOctal(block, 136, 12);
  const checksum = readOctal(block, 148, 12);
  if (mode < 0 || uid < 0 || gid < 0 || size < 0 || mtimeSeconds < 0 || checksum < 0) return null;
  const sum = headerSum(block);
  // Old tars marked a folder as a file whose name ends in a slash; a folder has no content.
  let nameEnd = 0;
  while (nameEnd < 100 && block[nameEnd] !== 0) nameEnd += 1;
  if (flag === 0x30 && block[nameEnd - 1] === 0x2f) type = 'Directory';
  if (type === 'Directory') size = 0;
  return { type, size, mode, uid, gid, mtimeSeconds, checksumValid: sum === checksum };
}

/**
 * What the `tar` package's general Header reads from a block, in decodeUstarFields' terms: what
 * reads the blocks the plain decoder declines, and what it must agree with on the rest.
 */
export function packageFields(block: Buffer): DecodedFields {
  const header = new Header(block);
  return {
    type: header.type ?? 'File',
    size: header.size ?? 0,
    mode: header.mode ?? 0,
    uid: header.uid ?? 0,
    gid: header.gid ?? 0,
    mtimeSeconds: Math.round((header.mtime?.getTime() ?? 0) / 1000),
    checksumValid: header.cksumValid,
  };
}
