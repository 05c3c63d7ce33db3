import { createHash } from 'node:crypto';
import { displayName } from './byte-names';
import { contentHasher, hashName, recordedDigest, type ContentHasher } from './content-hash';
import { finished } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { ManifestEntry } from './archive-manifest';
import { archiveNameKind } from '../destinations/destination-layout';
import { archiveSize, noKeys, plaintextOf, rawArchiveStream, type ArchiveKeys } from './archive-file';
import { DamagedRangeError } from '../encryption/damaged-range-error';
import { S3Error } from '../s3/s3-errors';
import { openManifest } from './manifest-reader';
import { SnapshotView } from './snapshot-view';
import { comparePaths } from './path-order';
import { TarScanner, type ScannedEntry } from './tar-scanner';

/** The entries an archive's manifest says it holds itself, taken one by one as the tar is read. */
interface ExpectedEntries {
  /** Whether the manifest lists any entry here at all. */
  readonly any: boolean;
  /** The manifest's entry for a path met in the tar, or undefined when it lists none. */
  take(path: string): ManifestEntry | undefined;
  /** The entries the manifest lists and the tar did not hold. */
  missing(): ManifestEntry[];
}

/**
 * The entries stored in an archive (an incremental's others live in earlier archives). A format 3
 * manifest lists them in the order the tar holds them, so they are streamed beside it and a
 * million-entry archive is verified without holding its manifest; formats 1 and 2 are held by path.
 */
function expectedEntries(archivePath: string, keys: ArchiveKeys): ExpectedEntries {
  const manifest = openManifest(archivePath, keys);
  if (manifest.format < 3) {
    const stored = new Map<string, ManifestEntry>();
    for (const line of manifest.lines()) if (!('deleted' in line) && line.archive === undefined) stored.set(line.path, line);
    manifest.close();
    const seen = new Set<string>();
    return {
      any: stored.size > 0,
      take: (path) => {
        seen.add(path);
        return stored.get(path);
      },
      missing: () => [...stored.values()].filter((entry) => !seen.has(entry.path)),
    };
  }
  const lines = manifest.lines();
  const gone: ManifestEntry[] = [];
  const next = (): ManifestEntry | null => {
    for (let line = lines.next(); !line.done; line = lines.next()) if (!('deleted' in line.value)) return line.value;
    manifest.close();
    return null;
  };
  let head = next();
  return {
    any: head !== null,
    take: (path) => {
      while (head && comparePaths(head.path, path) < 0) {
        gone.push(head);
        head = next();
      }
      if (!head || head.path !== path) return undefined;
      const found = head;
      head = next();
      return found;
    },
    missing: () => {
      for (; head; head = next()) gone.push(head);
      return gone;
    },
  };
}

/**
 * Checks the links between a chain's archives, which verifying each alone cannot see. A format 1
 * or 2 incremental names, for each entry it takes from an earlier archive, where it is there: that
 * entry must be at the recorded offset and size. A format 3 incremental's file list is its chain's
 * manifests merged: each of them must be there and be the snapshot its successor names as base.
 */
export function checkReferences(archives: readonly { id: string | null; archivePath: string }[], keys: ArchiveKeys = noKeys): Map<string, string[]> {
  const problems = new Map<string, string[]>();
  const paths = Object.fromEntries(archives.filter((archive) => archive.id !== null).map((archive) => [archive.id as string, archive.archivePath]));
  const manifests = new Map<string, Map<string, ManifestEntry>>();
  const entriesOf = (id: string): Map<string, ManifestEntry> | undefined => {
    if (!manifests.has(id) && paths[id] !== undefined) {
      try {
        const manifest = openManifest(paths[id], keys);
        try {
          manifests.set(id, new Map([...manifest.lines()].filter((line): line is ManifestEntry => !('deleted' in line)).map((entry) => [entry.path, entry])));
        } finally {
          manifest.close();
        }
      } catch {
        // reported when that archive itself is verified
      }
    }
    return manifests.get(id);
  };
  for (const archive of archives) {
    const found: string[] = [];
    let format: number;
    try {
      const manifest = openManifest(archive.archivePath, keys);
      format = manifest.format;
      manifest.close();
    } catch {
      continue;
    }
    if (format >= 3) {
      try {
        SnapshotView.open(archive.archivePath, paths, { keys }).close();
      } catch (error) {
        found.push((error as Error).message);
      }
    } else {
      for (const entry of storedOrCarried(archive.archivePath, keys)) {
        if (entry.archive === undefined) continue;
        const holder = entriesOf(entry.archive);
        const there = holder?.get(entry.path);
        if (!holder) found.push(`${entry.path}: the snapshot ${entry.archive} that holds it is not part of this chain`);
        else if (!there || there.archive !== undefined || there.offset !== entry.offset || there.size !== entry.size) found.push(`${entry.path}: not where the manifest says in snapshot ${entry.archive}`);
      }
    }
    if (found.length > 0) problems.set(archive.archivePath, found);
  }
  return problems;
}

/** Every entry of a format 1 or 2 manifest, those it takes from earlier archives included. */
function storedOrCarried(archivePath: string, keys: ArchiveKeys): ManifestEntry[] {
  const manifest = openManifest(archivePath, keys);
  try {
    return [...manifest.lines()].filter((line): line is ManifestEntry => !('deleted' in line));
  } finally {
    manifest.close();
  }
}

/**
 * What a damaged encrypted chunk cut short. The tar stream stops there (and what was decrypted but
 * not yet scanned is lost with it), so the entries not reached are not reported missing: the files
 * whose bytes the chunk held are damaged (in an uncompressed archive, whose manifest offsets are
 * plaintext offsets: an entry spans from its offset to the next one's), the rest are said, once, to
 * be unchecked.
 */
function afterDamage(cut: { range: DamagedRangeError; reading: ManifestEntry | null }, gzip: boolean, missing: ManifestEntry[], damaged: string[]): string[] {
  const unread = [...(cut.reading ? [cut.reading] : []), ...missing].sort((a, b) => a.offset - b.offset);
  const problems: string[] = [];
  let unchecked = 0;
  unread.forEach((entry, index) => {
    const next = unread[index + 1]?.offset ?? Number.POSITIVE_INFINITY;
    if (!gzip && entry.type === 'file' && entry.offset < cut.range.plaintextEnd && next > cut.range.plaintextStart) {
      damaged.push(`/${displayName(entry.path)}`);
      problems.push(`${displayName(entry.path)}: in a damaged chunk of the encrypted archive (damaged)`);
    } else unchecked += 1;
  });
  if (unchecked > 0) problems.push(`${unchecked} entr${unchecked === 1 ? 'y' : 'ies'} past the point where the archive stopped could not be checked`);
  return problems;
}

/** What verifying one archive found. */
export interface VerifyResult {
  archivePath: string;
  ok: boolean;
  sha256: string | null;
  entries: number;
  problems: string[];
  /** The files whose stored content no longer matches the hash recorded at backup time (format 2 on), by snapshot path. */
  damaged: string[];
}

export interface VerifyHost {
  progress(bytesRead: number, totalBytes: number): void;
  cancelled(): boolean;
}

const tarTypes: Record<string, ManifestEntry['type']> = { File: 'file', OldFile: 'file', Directory: 'directory', SymbolicLink: 'symlink', Link: 'hardlink', FIFO: 'fifo' };

/**
 * Re-reads an archive from the destination: its SHA-256 against the one recorded when it was
 * written, and every entry of the tar against its manifest (offset, type, size, mode, mtime),
 * so a truncated file, a flipped byte or a missing entry is reported, never passed over. An
 * encrypted archive's SHA-256 is of its ciphertext; without the identity in `keys` only that is checked.
 */
export async function verifyArchive(archivePath: string, expectedSha256: string | null, host: VerifyHost, keys: ArchiveKeys = noKeys): Promise<VerifyResult> {
  const problems: string[] = [];
  const { gzip, encrypted } = archiveNameKind(archivePath);
  const contentsChecked = !encrypted || keys.identity !== null;
  let manifestEntries: ExpectedEntries = { any: false, take: () => undefined, missing: () => [] };
  try {
    // An incremental's unchanged entries live in earlier archives: only the entries stored here are checked here.
    if (contentsChecked) manifestEntries = expectedEntries(archivePath, keys);
  } catch (error) {
    problems.push(`manifest: ${(error as Error).message}`);
  }
  let totalBytes = 0;
  try {
    totalBytes = archiveSize(archivePath, keys);
  } catch (error) {
    return { archivePath, ok: false, sha256: null, entries: 0, problems: [`cannot read the archive: ${(error as Error).message}`], damaged: [] };
  }

  const seen = new Set<string>();
  let contentBytes = 0;
  const damaged: string[] = [];
  let current: { scanned: ScannedEntry; expected: ManifestEntry | undefined; recorded: ReturnType<typeof recordedDigest>; hash: ContentHasher | null } | null = null;
  /** An encrypted chunk that failed authentication, and the entry being read when it did. */
  let cut: { range: DamagedRangeError; reading: ManifestEntry | null } | null = null;
  const scanner = new TarScanner({
    entry: (scanned) => {
      const path = scanned.path.replace(/\/+$/, '');
      if (path.startsWith('.dormouse/')) {
        current = null;
        return;
      }
      let expected: ManifestEntry | undefined;
      try {
        expected = manifestEntries.take(path);
      } catch (error) {
        problems.push(`manifest: ${(error as Error).message}`);
        manifestEntries = { any: false, take: () => undefined, missing: () => [] };
      }
      const recorded = expected === undefined ? undefined : recordedDigest(expected);
      current = { scanned, expected, recorded, hash: recorded === undefined ? null : contentHasher(recorded.kind) };
      contentBytes = 0;
      seen.add(path);
      if (!expected) {
        if (manifestEntries.any) problems.push(`${path}: in the archive but not in its manifest`);
        return;
      }
      const type = tarTypes[scanned.type];
      if (type !== expected.type) problems.push(`${path}: type ${type ?? scanned.type} in the archive, ${expected.type} in the manifest`);
      if (scanned.offset !== expected.offset) problems.push(`${path}: header at byte ${scanned.offset}, the manifest says ${expected.offset}`);
      const storedSize = type === 'hardlink' ? 0 : expected.size;
      if (expected.sparse !== true && scanned.size !== storedSize) problems.push(`${path}: ${scanned.size} bytes in the archive, ${storedSize} in the manifest`);
      if ((scanned.mode & 0o7777) !== expected.mode) problems.push(`${path}: mode ${(scanned.mode & 0o7777).toString(8)} in the archive, ${expected.mode.toString(8)} in the manifest`);
      const timeDiffers = expected.mtimeNs !== undefined ? scanned.mtimeNs.toString() !== expected.mtimeNs : Math.floor(scanned.mtimeMs / 1000) !== Math.floor(expected.mtimeMs / 1000);
      if (timeDiffers) problems.push(`${path}: modification time differs from the manifest`);
      if ((type === 'symlink' || type === 'hardlink') && scanned.linkpath !== (expected.linkTarget ?? '')) problems.push(`${path}: link target differs from the manifest`);
    },
    content: (chunk) => {
      contentBytes += chunk.length;
      current?.hash?.update(chunk);
    },
    entryEnd: () => {
      const expected = current?.expected;
      if (!expected) return;
      const storedSize = expected.type === 'hardlink' ? 0 : (current?.scanned.size ?? 0);
      if (contentBytes !== storedSize) problems.push(`${expected.path}: content is ${contentBytes} bytes, expected ${storedSize}`);
      const recorded = current?.recorded;
      if (current?.hash && recorded !== undefined && current.hash.digest() !== recorded.hex) {
        damaged.push(`/${displayName(expected.path)}`);
        problems.push(`${displayName(expected.path)}: its content does not match the ${hashName(recorded.kind)} recorded at backup time (damaged)`);
      }
    },
  });

  const hash = createHash('sha256');
  /** Whether the storage service stopped the read (its bytes' SHA-256 is then of part of the archive, and says nothing). */
  let unread = false;
  let read = 0;
  let lastProgress = 0;
  const file = rawArchiveStream(archivePath, keys);
  try {
    file.on('data', (chunk) => {
      hash.update(chunk as Buffer);
      read += (chunk as Buffer).length;
      if (Date.now() - lastProgress >= 250) {
        lastProgress = Date.now();
        host.progress(read, totalBytes);
      }
      if (host.cancelled()) file.destroy(new Error('cancelled'));
    });
    if (!contentsChecked) {
      await finished(file);
    } else {
      const plaintext = plaintextOf(file, archivePath, keys);
      const tar = gzip ? plaintext.pipe(createGunzip()) : plaintext;
      if (tar !== plaintext) plaintext.on('error', (error) => tar.destroy(error));
      for await (const chunk of tar) {
        if (!scanner.ended) scanner.push(chunk as Buffer);
      }
    }
  } catch (error) {
    if ((error as Error).message === 'cancelled') throw error;
    // A read the storage service broke off says why itself: the archive is not known to be truncated.
    if (error instanceof S3Error) unread = true;
    problems.push(`the archive cannot be read to its end: ${(error as Error).message}${unread ? '' : ' (truncated or damaged)'}`);
    if (error instanceof DamagedRangeError) cut = { range: error, reading: (current as { expected: ManifestEntry | undefined } | null)?.expected ?? null };
  }
  // The SHA-256 is of the whole file, even when its contents could not be read to the end.
  if (!file.destroyed && !file.readableEnded) {
    file.unpipe();
    file.resume();
    await finished(file).catch(() => undefined);
  }
  if (contentsChecked && !scanner.ended && !problems.some((problem) => problem.includes('cannot be read to its end'))) {
    problems.push(`the archive ends after ${scanner.consumed} bytes of tar, before its end-of-archive blocks (truncated)`);
  }
  try {
    const missing = manifestEntries.missing();
    if (unread && missing.length > 0) problems.push(`${missing.length} entr${missing.length === 1 ? 'y' : 'ies'} past the point where the read stopped could not be checked`);
    else if (cut === null) for (const entry of missing) problems.push(`${entry.path}: in the manifest but missing from the archive`);
    else problems.push(...afterDamage(cut, gzip, missing, damaged));
  } catch (error) {
    problems.push(`manifest: ${(error as Error).message}`);
  }
  const sha256 = unread ? null : hash.digest('hex');
  if (sha256 !== null && expectedSha256 !== null && sha256 !== expectedSha256) problems.unshift(`SHA-256 is ${sha256}, but ${expectedSha256} was recorded when the archive was written`);
  host.progress(read, totalBytes);
  return { archivePath, ok: problems.length === 0, sha256, entries: seen.size, problems, damaged };
}
