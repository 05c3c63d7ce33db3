import { closeSync, fstatSync, readlinkSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import type { ManifestEntry } from './archive-manifest';
import { contentHasher, type ContentHasher, type ContentHashKind } from './content-hash';
import { decodeName, displayName, encodeName, fsPath } from './byte-names';
import { attributeRecords, sparseMap, sparseSegments } from './entry-attributes';
import { groupName, userName } from './owner-names';
import type { PaxRecords } from './pax-records';
import { openSourceFile, type SourceFile } from './source-file';
import { describeError, millisecondsOf, mtimeNsOf, type WalkEntry } from './source-walk';
import type { EntryFields, TarWriter } from './tar-writer';

/** The format 2 header of a walked entry (`linkTarget`: a symlink's target or, for a hardlink, the name holding the data). */
function entryFields(entry: WalkEntry, type: ManifestEntry['type'], size: number, mtimeNs: bigint, linkTarget?: string): EntryFields {
  // A file, the most common, as one object.
  if (type === 'file') return { path: entry.name, type: 'File', size, mode: entry.mode, mtimeNs, uid: entry.uid, gid: entry.gid, uname: userName(entry.uid), gname: groupName(entry.gid) };
  const owner = { mode: entry.mode, mtimeNs, uid: entry.uid, gid: entry.gid, uname: userName(entry.uid), gname: groupName(entry.gid) };
  if (type === 'directory') return { path: `${entry.name}/`, type: 'Directory', size: 0, ...owner };
  if (type === 'symlink') return { path: entry.name, type: 'SymbolicLink', size: 0, linkpath: linkTarget ?? '', ...owner };
  if (type === 'hardlink') return { path: entry.name, type: 'Link', size: 0, linkpath: linkTarget ?? '', ...owner };
  return { path: entry.name, type: 'FIFO', size: 0, ...owner };
}

/** The manifest's record of a walked entry, less where it is stored. */
function manifestFields(entry: WalkEntry, type: ManifestEntry['type'], mtimeNs: bigint): Omit<ManifestEntry, 'offset' | 'size'> {
  return {
    path: entry.name,
    type,
    mode: entry.mode,
    mtimeMs: millisecondsOf(mtimeNs),
    mtimeNs: mtimeNs.toString(),
    uid: entry.uid,
    gid: entry.gid,
    user: userName(entry.uid),
    group: groupName(entry.gid),
    ino: entry.ino,
    ctimeMs: entry.ctimeMs,
  };
}

/*
 * The closures writeEntry makes for each entry are made by these helpers, not written inline: the
 * bundles keep function names (esbuild's keepNames), and a named closure made per entry costs a
 * property definition each time (0.3 µs, 0.6 s of a million-file backup's own thread).
 */

/** Adds a warning about one entry, shown with its path (scanned for escaped bytes only then: most entries have none). */
function warnerFor(warnings: string[], entry: WalkEntry): (what: string) => void {
  return (what) => warnings.push(`${displayName(entry.absolutePath)}: ${what}`);
}

/** A file's content hash as it becomes known (on the output's tapping thread, or here), its kind, and the manifest entry it goes into once that exists. */
interface Digest {
  kind: ContentHashKind;
  hex?: string;
  entry?: ManifestEntry;
}

/** Records a file's content hash in its Digest (and in its manifest entry, when that was made first). */
function settlerOf(digest: Digest): (hex: string) => void {
  return (hex) => {
    digest.hex = hex;
    if (digest.entry) digest.entry[digest.kind] = hex;
  };
}

/** What writeEntry gives for a file that is no longer one (a symlink, a folder, a FIFO now): the walk looks at it again. */
export const typeChanged = Symbol('type changed');

/**
 * Writes one entry; returns its manifest entry, or null (with a warning) when it could not be read.
 * `leader` is the name holding the data of the entry's hardlink group in this snapshot (none yet:
 * this name stores the data itself). A generator: while a file is copied it yields the bytes
 * copied so far after each buffer, so the caller can report progress and take a cancel in the
 * middle of a large file.
 */
export function* writeEntry(writer: TarWriter, entry: WalkEntry, leader: string | undefined, warnings: string[]): Generator<number, ManifestEntry | null | typeof typeChanged, void> {
  const warn = warnerFor(warnings, entry);
  const type = entry.type === 'file' && leader !== undefined ? 'hardlink' : entry.type;
  if (type === 'directory' || type === 'fifo') {
    const extra = attributeRecords(entry.absolutePath, type === 'directory', warn);
    const fields = entryFields(entry, type, 0, mtimeNsOf(entry));
    if (extra.length > 0) fields.extra = extra;
    // Keys in the order the manifest has always had them: size, attributes, offset.
    const written: ManifestEntry = manifestFields(entry, type, mtimeNsOf(entry)) as ManifestEntry;
    written.size = 0;
    if (extra.length > 0) written.attributes = true;
    written.offset = writer.writeHeader(fields);
    return written;
  }
  if (type === 'hardlink') {
    return { ...manifestFields(entry, type, mtimeNsOf(entry)), size: entry.size, linkTarget: leader, offset: writer.writeHeader(entryFields(entry, type, 0, mtimeNsOf(entry), leader)) };
  }
  if (type === 'symlink') {
    let target: string;
    try {
      target = decodeName(readlinkSync(fsPath(entry.absolutePath), { encoding: 'buffer' }));
    } catch (error) {
      warn((error as Error).message);
      return null;
    }
    return { ...manifestFields(entry, type, mtimeNsOf(entry)), size: 0, linkTarget: target, offset: writer.writeHeader(entryFields(entry, type, 0, mtimeNsOf(entry), target)) };
  }
  let file: SourceFile;
  try {
    file = openSourceFile(entry.absolutePath);
  } catch (error) {
    // A symlink now (open never follows one): the walk looks at it again.
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') return typeChanged;
    warn(describeError(error));
    return null;
  }
  try {
    if (!file.isFile) return typeChanged;
    const { size, content } = file;
    const extra = file.mayHaveAttributes ? attributeRecords(entry.absolutePath, false, warn) : [];
    const segments = content === null ? sparseSegments(file.fd, size, file.allocated) : null;
    // Each file's content hash is computed by the output's tapping thread where it can be (uncompressed), else here.
    const digest: Digest = { kind: writer.contentHash };
    const settle = settlerOf(digest);
    let hash: ContentHasher | null = null;
    let offset: number;
    let map: Buffer | null = null;
    if (segments === null) {
      const fields = entryFields(entry, 'file', size, file.mtimeNs);
      if (extra.length > 0) fields.extra = extra;
      offset = writer.writeHeader(fields);
      if (!writer.hashOnThread(size, settle)) hash = contentHasher(digest.kind);
    } else {
      map = sparseMap(segments);
      const stored = map.length + segments.reduce((sum, segment) => sum + segment.length, 0);
      const sparseName = posix.join(posix.dirname(entry.name), 'GNUSparseFile.0', posix.basename(entry.name));
      const sparseRecords: PaxRecords = [
        ['GNU.sparse.major', Buffer.from('1')],
        ['GNU.sparse.minor', Buffer.from('0')],
        ['GNU.sparse.name', encodeName(entry.name)],
        ['GNU.sparse.realsize', Buffer.from(String(size))],
      ];
      offset = writer.writeHeader({ ...entryFields(entry, 'file', stored, file.mtimeNs), path: sparseName, extra: [...sparseRecords, ...extra] });
      if (!writer.hashOnThread(stored, settle)) hash = contentHasher(digest.kind);
      hash?.update(map);
      writer.write(map);
    }
    let shrank = false;
    let after = file.after;
    if (content !== null) {
      // Read whole when it was opened: a file that shrank meanwhile is padded with zeros to the size in its header.
      hash?.update(content);
      writer.write(content);
      if (content.length < size) {
        shrank = true;
        const zeros = Buffer.alloc(size - content.length);
        hash?.update(zeros);
        writer.write(zeros);
      }
    } else {
      let copied = 0;
      for (const segment of segments ?? [{ offset: 0, length: size }]) {
        let remaining = segment.length;
        let position = segment.offset;
        while (remaining > 0) {
          const slice = writer.reserve(remaining);
          // A dense file is read in order from the file position (as other tools see it in fdinfo); a sparse one at each segment.
          const read = shrank ? 0 : readSync(file.fd, slice, 0, slice.length, segments === null ? null : position);
          if (read === 0) {
            shrank = true;
            slice.fill(0);
            hash?.update(slice);
            writer.commit(slice.length);
            remaining -= slice.length;
            continue;
          }
          hash?.update(slice.subarray(0, read));
          writer.commit(read);
          remaining -= read;
          position += read;
          copied += read;
          if (remaining > 0) yield copied;
        }
      }
      const stats = fstatSync(file.fd, { bigint: true });
      after = { size: Number(stats.size), mtimeNs: stats.mtimeNs };
    }
    writer.padToBlock();
    if (shrank || after === null || after.size !== size || after.mtimeNs !== file.mtimeNs) {
      warn('changed while it was being backed up; the archived copy may be incomplete');
    }
    if (hash) settle(hash.digest());
    // manifestFields' one object, with the open file's own numbers and where it is stored (no spread copies: one shape for every file).
    const written = manifestFields(entry, 'file', file.mtimeNs) as ManifestEntry;
    written.ino = file.ino;
    written.ctimeMs = file.ctimeMs;
    written.size = size;
    written.offset = offset;
    if (digest.hex !== undefined) written[digest.kind] = digest.hex;
    if (extra.length > 0) written.attributes = true;
    if (map !== null) written.sparse = true;
    digest.entry = written;
    return written;
  } finally {
    if (file.fd >= 0) closeSync(file.fd);
  }
}

