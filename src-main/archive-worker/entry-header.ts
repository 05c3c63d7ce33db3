import { blockSize } from './archive-manifest';
import { decodeName } from './byte-names';
import { parsePaxTime } from './pax-records';
import { decodeUstarFields, packageFields } from './ustar-header';

/** One entry's header as stored: its name in Dormouse's string form, its PAX records, and where its content starts. */
export interface StoredHeader {
  path: string;
  linkpath: string;
  type: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtimeNs: bigint;
  records: ReadonlyMap<string, Buffer>;
}

function fieldBytes(block: Buffer, start: number, length: number): Buffer {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return end < 0 ? field : field.subarray(0, end);
}

/** The raw name bytes of a ustar header (prefix and name). */
function ustarName(block: Buffer): Buffer {
  const name = fieldBytes(block, 0, 100);
  const ustar = block[257] === 0x75 && block[258] === 0x73 && block[259] === 0x74 && block[260] === 0x61 && block[261] === 0x72;
  if (!ustar || block[345] === 0) return name;
  return Buffer.concat([fieldBytes(block, 345, 155), Buffer.from('/'), name]);
}

/** The records of an entry that had none (shared: nothing adds to a header's records once read). */
const noRecords: ReadonlyMap<string, Buffer> = new Map();

/** A PAX record holding a whole number, or `fallback` when there is none. */
function paxNumber(records: ReadonlyMap<string, Buffer>, key: string, fallback: number, offset: number): number {
  const value = records.get(key);
  if (value === undefined) return fallback;
  const parsed = Number(value.toString('latin1'));
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new Error(`a damaged PAX ${key} record at byte ${offset}`);
  return parsed;
}

/**
 * Reads a tar header block (and the PAX records that came before it, if any) the way GNU tar
 * does: PAX records override the block's fields; names are bytes, kept exactly. Throws on a
 * damaged block, so nothing is restored from a header that cannot be trusted.
 */
export function decodeHeader(block: Buffer, records: Map<string, Buffer> | null, offset: number): StoredHeader {
  const header = decodeUstarFields(block) ?? packageFields(block);
  if (!header.checksumValid) throw new Error(`a damaged tar header at byte ${offset}`);
  const pax = records ?? noRecords;
  const paxTime = pax.get('mtime');
  const mtimeNs = paxTime !== undefined ? parsePaxTime(paxTime.toString('latin1')) : BigInt(header.mtimeSeconds) * 1_000_000_000n;
  if (mtimeNs === null) throw new Error(`a damaged PAX mtime record at byte ${offset}`);
  // A GNU sparse 1.0 file is stored under a stand-in name; its own is in GNU.sparse.name.
  const path = pax.get('GNU.sparse.name') ?? pax.get('path');
  const linkpath = pax.get('linkpath');
  return {
    path: decodeName(path ?? ustarName(block)),
    linkpath: decodeName(linkpath ?? fieldBytes(block, 157, 100)),
    type: header.type,
    size: records === null ? header.size : paxNumber(records, 'size', header.size, offset),
    mode: header.mode,
    uid: records === null ? header.uid : paxNumber(records, 'uid', header.uid, offset),
    gid: records === null ? header.gid : paxNumber(records, 'gid', header.gid, offset),
    mtimeNs,
    records: pax,
  };
}

/** Whether a header block is a PAX extended header ('x'), whose records belong to the next entry. */
export function isPaxBlock(block: Buffer): boolean {
  return block[156] === 0x78;
}

/** The bytes a header's content takes in the tar stream, padded to whole blocks. */
export function paddedSize(size: number): number {
  return Math.ceil(size / blockSize) * blockSize;
}
