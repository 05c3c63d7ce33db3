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

/** A number as the `tar` package writes it: zero-padded octal, a space, a NUL (or digits and a NUL when they fill the field). */
function writeOctal(block: Buffer, offset: number, size: number, value: number): void {
  const digits = value.toString(8);
  const text = digits.length === size - 1 ? `${digits}\0` : `${'0'.repeat(size - digits.length - 2)}${digits} \0`;
  block.write(text, offset, size, 'latin1');
}

/**
 * Encodes a plain ustar header into a zeroed 512-byte block, byte for byte as the `tar` package's
 * Header encodes it (a test holds the two together), for the entries nearly every backup is made
 * of: ASCII names under 100 bytes, ordinary sizes, modes and times. Returns false, writing
 * nothing useful, for anything else (long or non-ASCII names, huge files), which then goes
 * through the `tar` package's Header and Pax. It exists because with 20,000 small files, the
 * package's general encoder was a tenth of the backup's time.
 */
export function encodeUstarHeader(block: Buffer, fields: HeaderFields): boolean {
  if (!isShortAscii(fields.path, 100) || (fields.linkpath !== undefined && !isShortAscii(fields.linkpath, 100))) return false;
  if (!fits(fields.mode, maxSmall) || !fits(fields.uid, maxSmall) || !fits(fields.gid, maxSmall)) return false;
  if (!fits(fields.size, maxLarge) || !fits(fields.mtimeSeconds, maxLarge)) return false;
  if ((fields.uname !== undefined && !isShortAscii(fields.uname, 32)) || (fields.gname !== undefined && !isShortAscii(fields.gname, 32))) return false;
  block.write(fields.path, 0, 'latin1');
  writeOctal(block, 100, 8, fields.mode);
  writeOctal(block, 108, 8, fields.uid);
  writeOctal(block, 116, 8, fields.gid);
  writeOctal(block, 124, 12, fields.size);
  writeOctal(block, 136, 12, fields.mtimeSeconds);
  block[156] = typeFlags[fields.type];
  if (fields.linkpath !== undefined) block.write(fields.linkpath, 157, 'latin1');
  block.write('ustar\u000000', 257, 8, 'latin1');
  if (fields.uname) block.write(fields.uname, 265, 'latin1');
  if (fields.gname) block.write(fields.gname, 297, 'latin1');
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i += 1) sum += block[i] as number;
  for (let i = 156; i < 512; i += 1) sum += block[i] as number;
  writeOctal(block, 148, 8, sum);
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
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i += 1) sum += block[i] as number;
  for (let i = 156; i < 512; i += 1) sum += block[i] as number;
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
