import { blockSize } from './archive-manifest';
import { encodeName } from './byte-names';
import { encodeUstarHeader, type HeaderFields } from './ustar-header';

/**
 * PAX extended headers (POSIX.1-2001) as GNU tar, bsdtar and Python's tarfile read them: records of
 * `<length> <key>=<value>\n`. Values are bytes: a name that is not valid UTF-8 is written as its
 * bytes with `hdrcharset=BINARY`, extended attributes as `SCHILY.xattr.<name>`, ACLs as
 * `SCHILY.acl.access` / `SCHILY.acl.default`, sparse files as GNU sparse 1.0.
 */
export type PaxRecords = [key: string, value: Buffer][];

/** The name every PAX header entry is stored under (Python's tarfile uses it too); readers only look at what follows it. */
const paxEntryName = '././@PaxHeader';

function record(key: string, value: Buffer): Buffer {
  const body = 1 + Buffer.byteLength(key) + 1 + value.length + 1;
  let length = body + String(body).length;
  if (String(length).length !== String(body).length) length = body + String(length).length;
  return Buffer.concat([Buffer.from(`${length} ${key}=`, 'utf8'), value, Buffer.from('\n')]);
}

/** The PAX header entry (its header block, then its records padded to a block) for the records given. */
export function encodePaxEntry(records: PaxRecords, mtimeSeconds: number): Buffer {
  const body = Buffer.concat(records.map(([key, value]) => record(key, value)));
  const padded = Math.ceil(body.length / blockSize) * blockSize;
  const entry = Buffer.alloc(blockSize + padded);
  const fields: HeaderFields = { path: paxEntryName, type: 'ExtendedHeader', size: body.length, mode: 0o644, mtimeSeconds: Math.max(0, Math.min(mtimeSeconds, 0o77777777777)), uid: 0, gid: 0 };
  if (!encodeUstarHeader(entry, fields)) throw new Error('a PAX header of this size cannot be encoded');
  body.copy(entry, blockSize);
  return entry;
}

/** Bytes encodeTimedEntry writes: the PAX header block, its one record's block, the entry's own header block. */
export const timedEntryBytes = 3 * blockSize;

/**
 * An entry whose only PAX record is its nanosecond mtime (most files: a short ASCII name, small
 * owner ids) encoded straight into `target` (timedEntryBytes zeroed bytes), exactly as
 * encodePaxEntry then encodeUstarHeader encode it, without the buffers they make: a backup of a
 * million files writes a million of these. False when `plain` needs more than that record (the
 * general path then writes it); `plain.mtimeSeconds` is the whole seconds a ustar header can hold.
 */
export function encodeTimedEntry(target: Buffer, plain: HeaderFields, ns: bigint): boolean {
  if (!encodeUstarHeader(target.subarray(2 * blockSize, timedEntryBytes), plain)) return false;
  const value = paxTime(ns);
  const body = 1 + 'mtime'.length + 1 + value.length + 1;
  let length = body + String(body).length;
  if (String(length).length !== String(body).length) length = body + String(length).length;
  const fields: HeaderFields = { path: paxEntryName, type: 'ExtendedHeader', size: length, mode: 0o644, mtimeSeconds: Math.max(0, Math.min(plain.mtimeSeconds, 0o77777777777)), uid: 0, gid: 0 };
  if (!encodeUstarHeader(target, fields)) return false;
  target.write(`${length} mtime=${value}\n`, blockSize, 'latin1');
  return true;
}

/** Parses a PAX header's records; throws on a malformed one (a damaged archive). Later records win, as the standard says. */
export function parsePaxRecords(data: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let at = 0;
  while (at < data.length) {
    if (data[at] === 0) break;
    const space = data.indexOf(0x20, at);
    const length = Number(data.toString('latin1', at, space));
    if (space < 0 || !Number.isInteger(length) || length <= space - at + 1 || at + length > data.length || data[at + length - 1] !== 0x0a) {
      throw new Error(`a damaged PAX header record at byte ${at}`);
    }
    const equals = data.indexOf(0x3d, space);
    if (equals < 0 || equals >= at + length) throw new Error(`a damaged PAX header record at byte ${at}`);
    records.set(data.toString('utf8', space + 1, equals), Buffer.from(data.subarray(equals + 1, at + length - 1)));
    at += length;
  }
  return records;
}

/**
 * A time in nanoseconds as the decimal a PAX `mtime` record holds (`-1.5` is 1.5 s before the
 * epoch). Cut from one decimal string rather than divided: a backup writes one for every entry.
 */
export function paxTime(ns: bigint): string {
  const negative = ns < 0n;
  const text = (negative ? -ns : ns).toString().padStart(10, '0');
  const point = text.length - 9;
  let end = text.length;
  while (end > point && text.charCodeAt(end - 1) === 0x30) end -= 1;
  const sign = negative ? '-' : '';
  return end === point ? sign + text.slice(0, point) : `${sign}${text.slice(0, point)}.${text.slice(point, end)}`;
}

/** Parses a PAX time back to nanoseconds; null when it is not a decimal number. */
export function parsePaxTime(text: string): bigint | null {
  const match = /^(-?)(\d{1,20})(?:\.(\d{0,30}))?$/.exec(text.trim());
  if (!match) return null;
  const fraction = BigInt(((match[3] ?? '') + '000000000').slice(0, 9));
  const magnitude = BigInt(match[2] as string) * 1_000_000_000n + fraction;
  return match[1] === '-' ? -magnitude : magnitude;
}

/** A path or link record: UTF-8 when the name is, else its bytes (the caller adds `hdrcharset=BINARY`). */
export function nameRecord(key: 'path' | 'linkpath', name: string): [string, Buffer] {
  return [key, encodeName(name)];
}
