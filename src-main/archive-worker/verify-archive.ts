import { createHash, type Hash } from 'node:crypto';
import { displayName } from './byte-names';
import { createReadStream, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { ManifestEntry } from './archive-manifest';
import { readManifest } from './archive-reader';
import { TarScanner, type ScannedEntry } from './tar-scanner';

/**
 * Checks that every entry an incremental takes from an earlier archive is there, at the recorded
 * offset and size: the links between a chain's archives, which verifying each alone cannot see.
 */
export function checkReferences(archives: readonly { id: string | null; archivePath: string }[]): Map<string, string[]> {
  const problems = new Map<string, string[]>();
  const manifests = new Map<string, Map<string, ManifestEntry>>();
  for (const archive of archives) {
    if (archive.id === null) continue;
    try {
      manifests.set(archive.id, new Map(readManifest(archive.archivePath).entries.map((entry) => [entry.path, entry])));
    } catch {
      // reported when that archive itself is verified
    }
  }
  for (const archive of archives) {
    const found: string[] = [];
    let entries: ManifestEntry[] = [];
    try {
      entries = readManifest(archive.archivePath).entries;
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.archive === undefined) continue;
      const holder = manifests.get(entry.archive);
      const there = holder?.get(entry.path);
      if (!holder) found.push(`${entry.path}: the snapshot ${entry.archive} that holds it is not part of this chain`);
      else if (!there || there.archive !== undefined || there.offset !== entry.offset || there.size !== entry.size) found.push(`${entry.path}: not where the manifest says in snapshot ${entry.archive}`);
    }
    if (found.length > 0) problems.set(archive.archivePath, found);
  }
  return problems;
}

/** What verifying one archive found. */
export interface VerifyResult {
  archivePath: string;
  ok: boolean;
  sha256: string | null;
  entries: number;
  problems: string[];
  /** The files whose stored content no longer matches the SHA-256 recorded at backup time (format 2), by snapshot path. */
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
 * so a truncated file, a flipped byte or a missing entry is reported, never passed over.
 */
export async function verifyArchive(archivePath: string, expectedSha256: string | null, host: VerifyHost): Promise<VerifyResult> {
  const problems: string[] = [];
  let manifestEntries = new Map<string, ManifestEntry>();
  try {
    // An incremental's unchanged entries live in earlier archives: only the entries stored here are checked here.
    manifestEntries = new Map(readManifest(archivePath).entries.filter((entry) => entry.archive === undefined).map((entry) => [entry.path, entry]));
  } catch (error) {
    problems.push(`manifest: ${(error as Error).message}`);
  }
  let totalBytes = 0;
  try {
    totalBytes = statSync(archivePath).size;
  } catch (error) {
    return { archivePath, ok: false, sha256: null, entries: 0, problems: [`cannot read the archive: ${(error as Error).message}`], damaged: [] };
  }

  const seen = new Set<string>();
  let contentBytes = 0;
  const damaged: string[] = [];
  let current: { scanned: ScannedEntry; expected: ManifestEntry | undefined; hash: Hash | null } | null = null;
  const scanner = new TarScanner({
    entry: (scanned) => {
      const path = scanned.path.replace(/\/+$/, '');
      if (path.startsWith('.dormouse/')) {
        current = null;
        return;
      }
      const expected = manifestEntries.get(path);
      current = { scanned, expected, hash: expected?.sha256 !== undefined ? createHash('sha256') : null };
      contentBytes = 0;
      seen.add(path);
      if (!expected) {
        if (manifestEntries.size > 0) problems.push(`${path}: in the archive but not in its manifest`);
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
      if (current?.hash && current.hash.digest('hex') !== expected.sha256) {
        damaged.push(`/${displayName(expected.path)}`);
        problems.push(`${displayName(expected.path)}: its content does not match the SHA-256 recorded at backup time (damaged)`);
      }
    },
  });

  const hash = createHash('sha256');
  let read = 0;
  let lastProgress = 0;
  const gzip = archivePath.endsWith('.gz');
  try {
    const file = createReadStream(archivePath, { highWaterMark: 1024 * 1024 });
    file.on('data', (chunk) => {
      hash.update(chunk as Buffer);
      read += (chunk as Buffer).length;
      if (Date.now() - lastProgress >= 250) {
        lastProgress = Date.now();
        host.progress(read, totalBytes);
      }
      if (host.cancelled()) file.destroy(new Error('cancelled'));
    });
    const tar = gzip ? file.pipe(createGunzip()) : file;
    for await (const chunk of tar) {
      if (!scanner.ended) scanner.push(chunk as Buffer);
    }
  } catch (error) {
    if ((error as Error).message === 'cancelled') throw error;
    problems.push(`the archive cannot be read to its end: ${(error as Error).message} (truncated or damaged)`);
  }
  if (!scanner.ended && !problems.some((problem) => problem.includes('cannot be read to its end'))) {
    problems.push(`the archive ends after ${scanner.consumed} bytes of tar, before its end-of-archive blocks (truncated)`);
  }
  for (const path of manifestEntries.keys()) if (!seen.has(path)) problems.push(`${path}: in the manifest but missing from the archive`);
  const sha256 = hash.digest('hex');
  if (expectedSha256 !== null && sha256 !== expectedSha256) problems.unshift(`SHA-256 is ${sha256}, but ${expectedSha256} was recorded when the archive was written`);
  host.progress(read, totalBytes);
  return { archivePath, ok: problems.length === 0, sha256, entries: seen.size, problems, damaged };
}
