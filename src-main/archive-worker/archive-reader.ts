import { gunzipSync } from 'node:zlib';
import { Header } from 'tar';
import * as z from 'zod/mini';
import { DormouseError } from '../../shared/errors';
import { noKeys, openArchiveFile, type ArchiveFile, type ArchiveKeys } from './archive-file';
import { archiveFormatVersion, blockSize, manifestSchema, trailerEntryName, trailerSchema, trailerTailBytes, type ArchiveManifest, type ArchiveTrailer } from './archive-manifest';

/** The stored gzip member that holds the trailer: a fixed size, searched for near the end of the file. */
const gzipTailSearchBytes = 8192;

/** The error for an archive that is not one this Dormouse can read, saying why. */
export function notDormouse(path: string, why: string): DormouseError {
  return new DormouseError('INVALID_INPUT', `${path} is not a Dormouse archive Dormouse can read (${why})`);
}

/** Parses the 2048-byte tail of the tar stream: the trailer's header and content, then the end blocks. */
function parseTail(path: string, tail: Buffer): ArchiveTrailer {
  if (tail.length !== trailerTailBytes) throw notDormouse(path, 'it is too short');
  let header: Header;
  try {
    header = new Header(tail.subarray(0, blockSize));
  } catch {
    throw notDormouse(path, 'no Dormouse trailer at its end: it may be truncated or made by another program');
  }
  if (header.path !== trailerEntryName || !header.cksumValid) throw notDormouse(path, 'no Dormouse trailer at its end: it may be truncated or made by another program');
  let json: unknown;
  try {
    json = JSON.parse(tail.subarray(blockSize, 2 * blockSize).toString('utf8').trimEnd());
  } catch {
    throw notDormouse(path, 'its trailer is not valid JSON');
  }
  const parsed = trailerSchema.safeParse(json);
  if (!parsed.success) throw notDormouse(path, 'its trailer is not one Dormouse wrote');
  if (parsed.data.format > archiveFormatVersion) {
    throw new DormouseError('INVALID_INPUT', `${path} is in archive format ${parsed.data.format}, newer than this Dormouse reads (${archiveFormatVersion}); update Dormouse to use it`);
  }
  return parsed.data;
}

/** Finds the trailer of an uncompressed or gzip archive by reading only the end of its plaintext. */
export function readTrailer(file: ArchiveFile): ArchiveTrailer {
  const { path, size } = file;
  if (!file.gzip) return parseTail(path, file.read(Math.max(0, size - trailerTailBytes), Math.min(size, trailerTailBytes)));
  const start = Math.max(file.readableFrom, size - gzipTailSearchBytes);
  const tail = file.read(start, size - start);
  for (let at = tail.length - 18; at >= 0; at -= 1) {
    if (tail[at] !== 0x1f || tail[at + 1] !== 0x8b || tail[at + 2] !== 0x08) continue;
    try {
      const inflated = gunzipSync(tail.subarray(at));
      if (inflated.length === trailerTailBytes) return parseTail(path, inflated);
    } catch {
      // not the start of the last member; keep looking
    }
  }
  throw notDormouse(path, 'no Dormouse trailer at its end: it may be truncated or made by another program');
}

const entryTypes = new Set(['file', 'directory', 'symlink', 'hardlink', 'fifo']);
const nanoseconds = /^-?\d{1,30}$/;
const sha256Hex = /^[0-9a-f]{64}$/;
const xxh128Hex = /^[0-9a-f]{32}$/;
const isCount = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= 0;

/** An owner or group name as a manifest may hold it: text without a NUL (no system name has one). */
function isOwnerName(value: unknown): boolean {
  return typeof value === 'string' && !value.includes('\0');
}

/** Why a manifest entry is not one Dormouse wrote, or null: a plain check, fast enough for a million entries. */
export function entryProblem(entry: unknown): string | null {
  if (typeof entry !== 'object' || entry === null) return 'an entry is not an object';
  const e = entry as Record<string, unknown>;
  if (typeof e.path !== 'string' || e.path === '') return 'an entry has no path';
  if (!entryTypes.has(e.type as string)) return `${e.path}: unknown type`;
  if (!isCount(e.size) || !isCount(e.offset) || !isCount(e.mode) || typeof e.mtimeMs !== 'number') return `${e.path}: size, offset, mode or mtime missing`;
  if (e.linkTarget !== undefined && typeof e.linkTarget !== 'string') return `${e.path}: bad link target`;
  if (e.archive !== undefined && (typeof e.archive !== 'string' || e.archive === '')) return `${e.path}: bad archive reference`;
  if (e.type === 'hardlink' && typeof e.linkTarget !== 'string') return `${e.path}: a hardlink without the name it links to`;
  if (e.mtimeNs !== undefined && (typeof e.mtimeNs !== 'string' || !nanoseconds.test(e.mtimeNs))) return `${e.path}: bad nanosecond time`;
  if (e.sha256 !== undefined && (typeof e.sha256 !== 'string' || !sha256Hex.test(e.sha256))) return `${e.path}: bad SHA-256`;
  if (e.xxh128 !== undefined && (typeof e.xxh128 !== 'string' || !xxh128Hex.test(e.xxh128))) return `${e.path}: bad XXH3-128`;
  if (e.sha256 !== undefined && e.xxh128 !== undefined) return `${e.path}: two content hashes`;
  if ((e.uid !== undefined && !isCount(e.uid)) || (e.gid !== undefined && !isCount(e.gid))) return `${e.path}: bad owner`;
  if ((e.user !== undefined && !isOwnerName(e.user)) || (e.group !== undefined && !isOwnerName(e.group))) return `${e.path}: bad owner name`;
  return null;
}

/**
 * Parses and validates a manifest: its header with the shared schema, its entries with a plain
 * check (the schema's per-field checks would take longer than the 200 ms a listing may take).
 */
export function parseManifest(path: string, json: Buffer): ArchiveManifest {
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch {
    throw notDormouse(path, 'its manifest is not valid JSON');
  }
  const entries = (value as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) throw notDormouse(path, 'its manifest lists no entries');
  for (const entry of entries) {
    const problem = entryProblem(entry);
    if (problem !== null) throw notDormouse(path, `its manifest is not one Dormouse wrote (${problem})`);
  }
  const { entries: _entries, ...header } = value as Record<string, unknown>;
  const parsed = z.omit(manifestSchema, { entries: true }).safeParse(header);
  if (!parsed.success) throw notDormouse(path, `its manifest is not one Dormouse wrote (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  return { ...parsed.data, entries: entries as ArchiveManifest['entries'] };
}

/**
 * Reads the bytes of an archive's manifest without reading its body: the trailer says where the
 * manifest is; an uncompressed archive is read at that offset, a gzip one from the member that
 * starts there. Nothing is validated yet: `parseManifest` does that.
 */
export function readManifestJson(path: string, keys: ArchiveKeys): Buffer {
  const file = openArchiveFile(path, keys);
  try {
    const trailer = readTrailer(file);
    let tar: Buffer;
    if (!file.gzip) {
      tar = file.read(trailer.manifestOffset, blockSize * 3 + trailer.manifestBytes);
    } else {
      if (trailer.manifestMemberOffset === null) throw notDormouse(path, 'its trailer does not say where the manifest is');
      tar = gunzipSync(file.read(trailer.manifestMemberOffset, file.size - trailer.manifestMemberOffset));
    }
    const header = new Header(tar.subarray(0, blockSize));
    const paxSkip = header.type === 'ExtendedHeader' ? blockSize + Math.ceil((header.size ?? 0) / blockSize) * blockSize : 0;
    const start = paxSkip + blockSize;
    return tar.subarray(start, start + trailer.manifestBytes);
  } finally {
    file.close();
  }
}

/**
 * Reads an archive's manifest without reading its body, and validates all of it: the destination
 * may have been written by anyone.
 */
export function readManifest(path: string, keys: ArchiveKeys = noKeys): ArchiveManifest {
  return parseManifest(path, readManifestJson(path, keys));
}
