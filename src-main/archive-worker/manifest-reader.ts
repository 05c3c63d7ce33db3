import { gunzipSync } from 'node:zlib';
import { DormouseError } from '../../shared/errors';
import { blockSize, manifestHeaderSchema, manifestIndexSchema, type ArchiveTrailer, type ManifestEntry, type ManifestHeader, type ManifestIndex } from './archive-manifest';
import { noKeys, openArchiveFile, type ArchiveFile, type ArchiveKeys } from './archive-file';
import { entryProblem, notDormouse, parseManifest, readManifestJson, readTrailer } from './archive-reader';
import { isPaxBlock, decodeHeader, paddedSize } from './entry-header';
import type { ManifestLine } from './manifest-writer';
import { collectYoungGarbage } from './heap-trim';
import { comparePaths } from './path-order';
import { millisecondsOfText } from './source-walk';

/** What an archive's manifest says of the snapshot as a whole: lines, and files and bytes stored here and in the whole tree. */
export interface ManifestTotals {
  lines: number;
  files: number;
  bytes: number;
  treeFiles: number;
  treeBytes: number;
  treeEntries: number;
}

/**
 * One archive's manifest, read as a stream of lines in path order (path-order.ts) from any path
 * on. A format 3 manifest is read a gzip member at a time, starting at the member its index says
 * holds the path; a format 1 or 2 manifest (one JSON object) is read whole and sorted.
 */
export interface ManifestReader {
  readonly archivePath: string;
  readonly format: number;
  readonly header: ManifestHeader;
  readonly totals: ManifestTotals;
  /** The sources' own entries as the whole snapshot has them (format 3's index), or null (read the lines). */
  readonly top: ManifestEntry[] | null;
  /** Whether these lines are the snapshot's whole file list: a full snapshot, or formats 1 and 2, whose incrementals listed every entry. */
  readonly complete: boolean;
  lines(from?: string): Generator<ManifestLine, void, void>;
  /** The `linkTarget` of every hardlink line, found by looking for the type's JSON text and parsing only the lines that hold it. */
  linkTargets(): Generator<string, void, void>;
}

/** How a hardlink's type is written in a manifest line (JSON.stringify leaves no space in it; a path or name holding it would have its quotes escaped). */
const hardlinkToken = Buffer.from('"hardlink"');

/** The content of the tar entry whose header starts at `tar[0]` (after its PAX header, if any). */
function contentOf(tar: Buffer, length: number): Buffer {
  let at = 0;
  const first = tar.subarray(0, blockSize);
  if (first.length === blockSize && isPaxBlock(first)) at = blockSize + paddedSize(decodeHeader(first, null, 0).size);
  return tar.subarray(at + blockSize, at + blockSize + length);
}

/** The index of the last member whose first path is at or before `path` (0 when none is). */
function memberAt(members: ManifestIndex['members'], path: string): number {
  let low = 0;
  let high = members.length - 1;
  let found = 0;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (comparePaths((members[middle] as ManifestIndex['members'][number])[3], path) <= 0) {
      found = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  return found;
}

/** Parses and checks one line of a format 3 manifest: the destination may hold anything. */
function parseLine(archivePath: string, text: string): ManifestLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw notDormouse(archivePath, 'a line of its manifest is not valid JSON');
  }
  const line = value as Record<string, unknown>;
  if (line !== null && typeof line === 'object' && line.deleted === true) {
    if (typeof line.path !== 'string' || line.path === '' || Object.keys(line).length !== 2) throw notDormouse(archivePath, 'its manifest has a malformed deletion');
    return line as { path: string; deleted: true };
  }
  if (line === null || typeof line !== 'object' || typeof line.mtimeNs !== 'string' || !/^-?\d{1,30}$/.test(line.mtimeNs)) throw notDormouse(archivePath, `its manifest is not one Dormouse wrote (${String(line?.path)}: no nanosecond time)`);
  line.mtimeMs = millisecondsOfText(line.mtimeNs);
  const problem = entryProblem(line);
  if (problem !== null) throw notDormouse(archivePath, `its manifest is not one Dormouse wrote (${problem})`);
  return line as unknown as ManifestEntry;
}

/** Totals of a format 1 or 2 manifest, which recorded none. */
function countEntries(entries: readonly ManifestEntry[]): ManifestTotals {
  const totals = { lines: entries.length, files: 0, bytes: 0, treeFiles: 0, treeBytes: 0, treeEntries: entries.length };
  for (const entry of entries) {
    if (entry.type !== 'file' && entry.type !== 'hardlink') continue;
    const bytes = entry.type === 'file' ? entry.size : 0;
    totals.treeFiles += 1;
    totals.treeBytes += bytes;
    if (entry.archive !== undefined) continue;
    totals.files += 1;
    totals.bytes += bytes;
  }
  return totals;
}

/** A format 1 or 2 manifest: every entry, sorted into path order. */
function wholeManifest(archivePath: string, keys: ArchiveKeys): ManifestReader {
  const manifest = parseManifest(archivePath, readManifestJson(archivePath, keys));
  const entries = [...manifest.entries].sort((a, b) => comparePaths(a.path, b.path));
  const { gzipMembers: _gzipMembers, entries: _entries, ...header } = manifest;
  return {
    archivePath,
    format: manifest.format,
    header,
    totals: countEntries(entries),
    top: null,
    complete: true,
    *lines(from?: string) {
      let low = 0;
      if (from !== undefined) {
        let high = entries.length;
        while (low < high) {
          const middle = (low + high) >> 1;
          if (comparePaths((entries[middle] as ManifestEntry).path, from) < 0) low = middle + 1;
          else high = middle;
        }
      }
      for (let index = low; index < entries.length; index += 1) yield entries[index] as ManifestEntry;
    },
    *linkTargets() {
      for (const entry of entries) if (entry.type === 'hardlink' && entry.linkTarget !== undefined) yield entry.linkTarget;
    },
  };
}

/** A format 3 manifest: its index and header now, its lines a member at a time when asked. */
function lineManifest(file: ArchiveFile, trailer: ArchiveTrailer): ManifestReader {
  const { path: archivePath, gzip, size } = file;
  const readAt = (position: number, length: number) => file.read(position, length);
  if (trailer.indexOffset === undefined || trailer.indexBytes === undefined) throw notDormouse(archivePath, 'its trailer does not say where the index is');
  /** The manifest's own bytes (a gzip archive's are inflated once, from its member: they are stored, not compressed). */
  let manifestBytes: Buffer | null = null;
  let indexJson: Buffer;
  if (!gzip) {
    indexJson = contentOf(readAt(trailer.indexOffset, 3 * blockSize + trailer.indexBytes), trailer.indexBytes);
  } else {
    if (trailer.manifestMemberOffset === null || trailer.indexMemberOffset === undefined || trailer.indexMemberOffset === null) throw notDormouse(archivePath, 'its trailer does not say where the manifest is');
    indexJson = contentOf(gunzipSync(readAt(trailer.indexMemberOffset, size - trailer.indexMemberOffset)), trailer.indexBytes);
    manifestBytes = contentOf(gunzipSync(readAt(trailer.manifestMemberOffset, trailer.indexMemberOffset - trailer.manifestMemberOffset)), trailer.manifestBytes);
  }
  let index: ManifestIndex;
  try {
    const parsed = manifestIndexSchema.safeParse(JSON.parse(indexJson.toString('utf8')));
    if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'invalid');
    index = parsed.data;
  } catch (error) {
    throw notDormouse(archivePath, `its index is not one Dormouse wrote (${(error as Error).message})`);
  }
  const manifestStart = trailer.manifestOffset + blockSize;
  const read = (offset: number, length: number): Buffer => {
    if (offset + length > trailer.manifestBytes) throw notDormouse(archivePath, 'its index points past its manifest');
    return manifestBytes ? manifestBytes.subarray(offset, offset + length) : readAt(manifestStart + offset, length);
  };
  const inflateBytes = (offset: number, length: number): Buffer => {
    try {
      return gunzipSync(read(offset, length));
    } catch (error) {
      if (error instanceof DormouseError) throw error;
      throw notDormouse(archivePath, `its manifest cannot be decompressed (${(error as Error).message}); verify it`);
    }
  };
  const inflate = (offset: number, length: number): string[] => inflateBytes(offset, length).toString('utf8').split('\n').slice(0, -1);
  const headerLength = index.members[0]?.[0] ?? trailer.manifestBytes;
  let header: ManifestHeader;
  try {
    const parsed = manifestHeaderSchema.safeParse(JSON.parse(inflate(0, headerLength)[0] ?? ''));
    if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'invalid');
    header = parsed.data;
  } catch (error) {
    if (error instanceof DormouseError) throw error;
    throw notDormouse(archivePath, `its manifest's header is not one Dormouse wrote (${(error as Error).message})`);
  }
  const top = index.top.map((entry) => parseLine(archivePath, JSON.stringify(entry)) as ManifestEntry);
  return {
    archivePath,
    format: trailer.format,
    header,
    totals: { lines: index.lines, files: index.files, bytes: index.bytes, treeFiles: index.treeFiles, treeBytes: index.treeBytes, treeEntries: index.treeEntries },
    top,
    complete: header.snapshot.kind === 'full',
    *lines(from?: string) {
      let previous: string | null = null;
      for (let member = from === undefined ? 0 : memberAt(index.members, from); member < index.members.length; member += 1) {
        const [offset, length, count] = index.members[member] as ManifestIndex['members'][number];
        const texts = inflate(offset, length);
        if (texts.length !== count) throw notDormouse(archivePath, 'its manifest does not hold the lines its index counts; verify it');
        for (const text of texts) {
          const line = parseLine(archivePath, text);
          if (previous !== null && comparePaths(previous, line.path) >= 0) throw notDormouse(archivePath, 'its manifest is out of order');
          previous = line.path;
          if (from !== undefined && comparePaths(line.path, from) < 0) continue;
          yield line;
        }
      }
    },
    *linkTargets() {
      for (const [offset, length] of index.members) {
        collectYoungGarbage();
        const bytes = inflateBytes(offset, length);
        for (let at = bytes.indexOf(hardlinkToken); at !== -1; ) {
          const start = bytes.lastIndexOf(0x0a, at) + 1;
          const newline = bytes.indexOf(0x0a, at);
          const end = newline === -1 ? bytes.length : newline;
          const line = parseLine(archivePath, bytes.toString('utf8', start, end));
          if (!('deleted' in line) && line.type === 'hardlink' && line.linkTarget !== undefined) yield line.linkTarget;
          at = newline === -1 ? -1 : bytes.indexOf(hardlinkToken, newline);
        }
      }
    },
  };
}

/**
 * Opens an archive's manifest without reading its body: the trailer says where it is and in what
 * format. The archive stays open until `close`; for formats 1 and 2 it is read whole at once.
 */
export function openManifest(archivePath: string, keys: ArchiveKeys = noKeys): ManifestReader & { close(): void } {
  const file = openArchiveFile(archivePath, keys);
  try {
    const trailer = readTrailer(file);
    if (trailer.format <= 2) {
      file.close();
      return { ...wholeManifest(archivePath, keys), close: () => undefined };
    }
    const reader = lineManifest(file, trailer);
    return { ...reader, lines: reader.lines, close: () => file.close() };
  } catch (error) {
    try {
      file.close();
    } catch {
      // already closed
    }
    throw error;
  }
}
