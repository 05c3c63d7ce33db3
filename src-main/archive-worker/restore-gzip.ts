import { createGunzip } from 'node:zlib';
import type { ManifestEntry } from './archive-manifest';
import { archiveNameKind } from '../destinations/destination-layout';
import { openArchiveFile, plaintextStream, type ArchiveKeys } from './archive-file';
import { displayName } from './byte-names';
import { recordedDigest } from './content-hash';
import { ContentSink, cannotWrite, isWriteError } from './content-sink';
import { comparePaths } from './path-order';
import { sparseSize, SeekableArchives } from './restore-seek';
import type { OpenFile, SafeWriter } from './safe-writer';
import { TarScanner } from './tar-scanner';

/** A file to restore from a gzip archive: its entry, and the name the archive stores its content under. */
export interface GzipWanted {
  entry: ManifestEntry;
  storedAs: string;
}

/** One file being written from a gzip archive's stream. */
interface Streaming {
  entry: ManifestEntry;
  destination: string;
  file: OpenFile;
  sink: ContentSink;
  records: ReadonlyMap<string, Buffer>;
  failed: boolean;
}

/** A user's cancel: the restore stops, removing what it was writing. */
export class Cancelled extends Error {}

/**
 * Streams a gzip archive once, writing the wanted files as they pass. `wanted` gives the files in
 * path order, the order Dormouse writes archives in, so it is read side by side with the archive
 * and not held (only files the archive has not shown where expected are); `standIns` (few: other names restored as files) are looked up by the name stored.
 * `restored` hears of each file that took its name.
 */
export async function restoreFromGzip(
  archivePath: string,
  keys: ArchiveKeys,
  wanted: Iterator<GzipWanted>,
  standIns: ReadonlyMap<string, ManifestEntry>,
  writer: SafeWriter,
  cancelled: () => boolean,
  report: (path: string) => void,
  restored: (entry: ManifestEntry, destination: string) => void,
): Promise<void> {
  let next: GzipWanted | null = wanted.next().value ?? null;
  const seenStandIns = new Set<string>();
  const passed = new Map<string, GzipWanted>();
  const notHeld = (why: string) => {
    for (const { entry } of passed.values()) writer.refused.push(`/${displayName(entry.path)}: not restored, ${archivePath} ${why}`);
    for (; next !== null; next = wanted.next().value ?? null) writer.refused.push(`/${displayName(next.entry.path)}: not restored, ${archivePath} ${why}`);
    for (const [stored, entry] of standIns) if (!seenStandIns.has(stored)) writer.refused.push(`/${displayName(entry.path)}: not restored, ${archivePath} ${why}`);
  };
  let current: Streaming | null = null;
  const start = (entry: ManifestEntry, records: ReadonlyMap<string, Buffer>) => {
    report(entry.path);
    const destination = writer.place(entry);
    if (destination === null) {
      if (writer.lastKept !== null) restored(entry, writer.lastKept);
      return;
    }
    const file = writer.openFile(destination);
    current = { entry, destination, file, records, sink: new ContentSink(file.fd, entry.sparse === true ? sparseSize(records) : null, recordedDigest(entry)?.kind ?? null), failed: false };
  };
  const scanner = new TarScanner({
    entry: (scanned) => {
      const stored = scanned.path.replace(/\/+$/, '');
      current = null;
      const standIn = standIns.get(stored);
      if (standIn !== undefined) {
        seenStandIns.add(stored);
        start(standIn, scanned.records);
      }
      // Wanted files the archive has not shown by now wait aside: an archive not written in path order (another tool's) still restores.
      while (next !== null && comparePaths(next.storedAs, stored) < 0) {
        passed.set(next.storedAs, next);
        next = wanted.next().value ?? null;
      }
      let found: GzipWanted | undefined = passed.get(stored);
      if (found !== undefined) passed.delete(stored);
      else if (next !== null && next.storedAs === stored) {
        found = next;
        next = wanted.next().value ?? null;
      }
      // A file stored once and wanted under two names (a stand-in and itself) is written under its own name.
      if (found !== undefined && current === null) start(found.entry, scanned.records);
    },
    content: (chunk) => {
      const open = current as Streaming | null;
      if (!open || open.failed) return;
      try {
        open.sink.push(chunk);
      } catch (error) {
        // The target cannot take it: the restore stops (below), rather than calling the file damaged.
        if (isWriteError(error)) throw error;
        open.failed = true;
      }
    },
    entryEnd: () => {
      const open = current as Streaming | null;
      current = null;
      if (!open) return;
      /** The content's digest (null: nothing recorded to check it against), or undefined when it could not be read whole. */
      let digest: string | null | undefined;
      try {
        digest = open.failed ? undefined : open.sink.finish();
      } catch {
        digest = undefined;
      }
      if (digest === undefined) {
        writer.discard(open.file);
        writer.damaged.push(`/${displayName(open.entry.path)}`);
      } else if (writer.closeFile(open.entry, open.destination, open.file, digest, open.records)) restored(open.entry, open.destination);
    },
  });
  const gunzip = createGunzip();
  try {
    const file = plaintextStream(archivePath, keys);
    file.on('error', (error) => gunzip.destroy(error));
    for await (const chunk of file.pipe(gunzip)) {
      if (scanner.ended) break;
      scanner.push(chunk as Buffer);
      if (cancelled()) throw new Cancelled('cancelled');
    }
  } catch (error) {
    if (error instanceof Cancelled) throw error;
    const open = current as Streaming | null;
    if (isWriteError(error)) {
      if (open) writer.discard(open.file);
      throw cannotWrite(open?.destination ?? archivePath, error);
    }
    if (open) {
      writer.discard(open.file);
      writer.refused.push(`/${displayName(open.entry.path)}: not restored, ${archivePath} cannot be read past this point (${(error as Error).message}); verify it`);
    }
    notHeld(`cannot be read past this point (${(error as Error).message}); verify it`);
    return;
  }
  notHeld('does not hold it though its manifest lists it; verify it');
}

/**
 * The PAX records (extended attributes, ACLs) of the folders, FIFOs and links that have them, read
 * from the archive holding each: by seeking in an uncompressed archive, by one pass through a gzip one.
 */
export async function recordsOfOthers(entries: readonly ManifestEntry[], archiveOf: (entry: ManifestEntry) => string | undefined, keys: ArchiveKeys, writer: SafeWriter): Promise<Map<string, ReadonlyMap<string, Buffer>>> {
  const found = new Map<string, ReadonlyMap<string, Buffer>>();
  const groups = new Map<string, ManifestEntry[]>();
  for (const entry of entries) {
    const archive = archiveOf(entry);
    if (archive === undefined) continue;
    const group = groups.get(archive);
    if (group) group.push(entry);
    else groups.set(archive, [entry]);
  }
  for (const [archivePath, group] of groups) {
    try {
      if (!archiveNameKind(archivePath).gzip) {
        const archive = openArchiveFile(archivePath, keys);
        const reader = new SeekableArchives(keys);
        try {
          for (const entry of group) found.set(entry.path, reader.locate(archive, entry).header.records);
        } finally {
          archive.close();
        }
        continue;
      }
      const wanted = new Set(group.map((entry) => entry.path));
      const scanner = new TarScanner({ entry: (scanned) => void (wanted.has(scanned.path.replace(/\/+$/, '')) && found.set(scanned.path.replace(/\/+$/, ''), scanned.records)) });
      const gunzip = plaintextStream(archivePath, keys).pipe(createGunzip());
      for await (const chunk of gunzip) {
        if (scanner.ended) break;
        scanner.push(chunk as Buffer);
      }
    } catch (error) {
      for (const entry of group) if (!found.has(entry.path)) writer.unapplied.push(`/${displayName(entry.path)}: extended attributes and ACLs (${(error as Error).message})`);
    }
  }
  return found;
}
