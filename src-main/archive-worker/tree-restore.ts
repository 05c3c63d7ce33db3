import type { ManifestEntry } from './archive-manifest';
import { archiveNameKind } from '../destinations/destination-layout';
import { DamagedRangeError } from '../encryption/damaged-range-error';
import { archiveExists, type ArchiveFile, type ArchiveKeys } from './archive-file';
import { displayName } from './byte-names';
import { recordedDigest } from './content-hash';
import { ContentSink, cannotWrite, isWriteError } from './content-sink';
import type { FileRestorers } from './file-restorers';
import { isS3Path } from '../s3/s3-location';
import { nativeFs } from '../native/native-fs';
import { isAttributeRecord, nulNamedAttribute } from './restore-attributes';
import { Cancelled, recordsOfOthers, restoreFromGzip, type GzipWanted } from './restore-gzip';
import type { RestorePlan, RestoreSelection } from './restore-plan';
import { SeekableArchives, sparseSize, type LocatedEntry } from './restore-seek';
import { isOutOfReach, ReadStreak } from './read-streak';
import type { SafeWriter } from './safe-writer';

/** Where a restore's archives are, and how it reports and hears of a cancel. */
export interface TreeRestoreContext {
  archivePath: string;
  archives: Record<string, string>;
  keys: ArchiveKeys;
  progress(files: number, bytes: number, totalFiles: number, totalBytes: number, currentPath: string): void;
  cancelled(): boolean;
  /** The threads that write files from local archives, or null to write them here (a restore of one file). */
  restorers: FileRestorers | null;
}

/**
 * One restore's pass over its selection in path order (restore-archive.ts says what it keeps and
 * why), then the gzip archives, then the other names of files that came later than they did.
 */
export class TreeRestore {
  /** Where each file that has other names went, by snapshot path; null when it was not restored, undefined while a file thread writes it. */
  private readonly leaders = new Map<string, string | null | undefined>();
  /** Other names met before their file was restored (its archive is a gzip one, or it comes later). */
  private readonly waiting: ManifestEntry[] = [];
  /** The gzip archives holding files of this restore, read after the pass, and the stand-ins each holds. */
  private readonly gzipArchives = new Map<string, Map<string, ManifestEntry>>();
  /** Folders and FIFOs whose extended attributes and ACLs sit in their PAX records: read after the pass, applied at the end with their times. */
  private readonly attributed: ManifestEntry[] = [];
  private lastProgress = 0;
  /** The path last reported: still the current one while file threads are waited for. */
  private currentPath = '';
  /** whileWaiting as one function for every file handed out (a closure per file was garbage at a million files). */
  private readonly waitingHook = (): void => this.whileWaiting();
  private sinceYield = Date.now();
  /** Files in a row whose archive was out of reach: the restore stops at a few (read-streak.ts). */
  private readonly streak = new ReadStreak();

  constructor(
    private readonly context: TreeRestoreContext,
    private readonly selection: RestoreSelection,
    private readonly plan: RestorePlan,
    private readonly writer: SafeWriter,
    private readonly seekable: SeekableArchives,
  ) {}

  /** Restores the selection; resolves to the PAX records of the folders and FIFOs that have attributes, by snapshot path (SafeWriter.finish applies them). */
  async run(): Promise<ReadonlyMap<string, ReadonlyMap<string, Buffer>>> {
    for (const entry of this.selection.entries()) {
      // Awaited only when there is something to wait for: most entries are placed and handed out without a promise.
      const pausing = this.pauseNowAndThen();
      if (pausing !== undefined) await pausing;
      const restoring = this.restoreEntry(entry);
      if (restoring !== undefined) await restoring;
    }
    await this.context.restorers?.drain(() => this.whileWaiting());
    for (const [archivePath, standIns] of this.gzipArchives) await this.restoreGzip(archivePath, standIns);
    for (const entry of this.waiting) this.link(entry, true);
    return recordsOfOthers(this.attributed, (entry) => this.archiveOf(entry), this.context.keys, this.writer);
  }

  private archiveOf(entry: ManifestEntry): string | undefined {
    return entry.archive === undefined ? this.context.archivePath : this.context.archives[entry.archive];
  }

  /** Reports at most every 250 ms; `copying` is how much of the current file is already restored. */
  private report(path: string, copying = 0): void {
    if (path !== '') this.currentPath = path;
    if (Date.now() - this.lastProgress < 250) return;
    this.lastProgress = Date.now();
    const threads = this.context.restorers?.bytesCopying ?? 0;
    this.context.progress(this.writer.files, this.writer.bytes + copying + threads, this.plan.totalFiles, this.plan.totalBytes, this.currentPath);
  }

  /** Progress and a cancel while file threads are waited for. */
  private whileWaiting(): void {
    if (this.context.cancelled()) throw new Cancelled('cancelled');
    this.report('');
  }

  /** Lets the event loop take messages (a cancel) every 50 ms; a promise only then. */
  private pauseNowAndThen(): Promise<void> | undefined {
    if (Date.now() - this.sinceYield <= 50) return undefined;
    return this.pause();
  }

  private async pause(): Promise<void> {
    this.context.restorers?.flush();
    await new Promise((resolveYield) => setImmediate(resolveYield));
    if (this.context.cancelled()) throw new Cancelled('cancelled');
    this.sinceYield = Date.now();
  }

  /** Restores one entry; a promise only when it must wait (a file written here, or threads that are full). */
  private restoreEntry(entry: ManifestEntry): Promise<void> | undefined {
    const { writer } = this;
    if (entry.type === 'directory') {
      if (entry.attributes === true) this.attributed.push(entry);
      const destination = writer.place(entry);
      if (destination !== null) writer.folder(entry, destination);
    } else if (entry.type === 'file') {
      return this.restoreFile(entry, entry.path);
    } else if (entry.type === 'hardlink') {
      const standIn = this.plan.standIns.get(entry.path);
      if (standIn !== undefined) return this.restoreFile(standIn.entry, standIn.storedAs);
      this.link(entry, false);
    } else if (entry.type === 'fifo') {
      const destination = writer.place(entry);
      if (destination === null) return undefined;
      if (entry.attributes === true) this.attributed.push(entry);
      writer.fifo(entry, destination);
    } else if (entry.type === 'symlink') {
      const destination = writer.place(entry);
      if (destination !== null) writer.symlink(entry, destination);
    }
    return undefined;
  }

  /** Another name of a file: linked to where that file went, or kept for the end when the file is not written yet (`last`: it never will be). */
  private link(entry: ManifestEntry, last: boolean): void {
    const target = this.plan.relinked.get(entry.path) ?? entry.linkTarget ?? '';
    const leader = this.leaders.get(target);
    // Its file not met yet, or still being written by a file thread: linked at the end.
    if (leader === undefined && !last) {
      this.waiting.push(entry);
      return;
    }
    if (leader === undefined || leader === null) {
      this.writer.refused.push(`/${displayName(entry.path)}: not restored, the file it is another name of (/${displayName(target)}) was not restored`);
      return;
    }
    const destination = this.writer.place(entry);
    if (destination !== null) this.writer.hardlink(destination, leader);
  }

  /** Whether other names link to the file at `path` (looked up only when the snapshot has hardlinks: a lookup hashes the path, even in an empty set). */
  private isLeader(path: string): boolean {
    return this.plan.leaders.size > 0 && this.plan.leaders.has(path);
  }

  private restored(entry: ManifestEntry, destination: string): void {
    if (this.isLeader(entry.path)) this.leaders.set(entry.path, destination);
  }

  /**
   * Restores a file from an uncompressed archive now, or notes its gzip archive for later. A file
   * handed to a file thread takes no promise unless the threads are full; one written here does.
   */
  private restoreFile(entry: ManifestEntry, storedAs: string): Promise<void> | undefined {
    const { writer } = this;
    const archivePath = this.archiveOf(entry);
    if (archivePath === undefined) {
      writer.refused.push(`/${displayName(entry.path)}: not restored, the archive of snapshot ${entry.archive} that holds it is not in the catalog; import its destination`);
      return undefined;
    }
    if (archiveNameKind(archivePath).gzip) {
      let standIns = this.gzipArchives.get(archivePath);
      if (standIns === undefined) this.gzipArchives.set(archivePath, (standIns = new Map()));
      if (storedAs !== entry.path) standIns.set(storedAs, entry);
      return undefined;
    }
    if (this.isLeader(entry.path)) this.leaders.set(entry.path, null);
    const archive = this.seekable.archive(archivePath);
    if (typeof archive === 'string') {
      writer.refused.push(`/${displayName(entry.path)}: not restored, ${archive}`);
      return undefined;
    }
    this.report(entry.path);
    const restorers = this.context.restorers;
    if (restorers !== null && readsOwnHeaders(archive, entry, storedAs)) {
      // A small plain file: a file thread finds its content after its headers, in C; this thread does not read them.
      const destination = writer.place(entry);
      if (destination === null) {
        if (writer.lastKept !== null) this.restored(entry, writer.lastKept);
        return undefined;
      }
      return this.handOut(restorers, archivePath, entry, null, destination);
    }
    let located: LocatedEntry;
    try {
      located = this.seekable.locate(archive, entry, storedAs);
    } catch (error) {
      // A header in an encrypted chunk that fails authentication: the file is damaged like one whose content is.
      if (error instanceof DamagedRangeError) writer.damaged.push(`/${displayName(entry.path)}`);
      else this.notRead(entry, error);
      return undefined;
    }
    const destination = writer.place(entry);
    if (destination === null) {
      if (writer.lastKept !== null) this.restored(entry, writer.lastKept);
      return undefined;
    }
    if (restorers !== null && !isS3Path(archivePath)) return this.handOut(restorers, archivePath, entry, located, destination);
    return this.writeHere(archive, entry, located, destination);
  }

  /** Writes a file on this thread (a one-file restore, or from a bucket): progress and a cancel between its buffers. */
  private async writeHere(archive: ArchiveFile, entry: ManifestEntry, located: LocatedEntry, destination: string): Promise<void> {
    const { writer } = this;
    const file = writer.openFile(destination);
    let digest: string | null;
    try {
      const sink = new ContentSink(file.fd, entry.sparse === true ? sparseSize(located.header.records) : null, recordedDigest(entry)?.kind ?? null);
      const steps = this.seekable.copy(archive, entry, located, sink);
      for (let step = steps.next(); !step.done; step = steps.next()) {
        this.report(entry.path, step.value);
        await this.pauseNowAndThen();
      }
      digest = sink.finish();
    } catch (error) {
      writer.discard(file);
      if (error instanceof Cancelled) throw error;
      if (isWriteError(error)) throw cannotWrite(destination, error);
      // Out of reach (a drive unplugged, a bucket lost) is not damage in the backup.
      if (isOutOfReach(error)) this.notRead(entry, error);
      else writer.damaged.push(`/${displayName(entry.path)}`);
      return;
    }
    this.streak.read();
    if (writer.closeFile(entry, destination, file, digest, located.header.records)) this.restored(entry, destination);
  }

  /** A file not restored because its archive could not be read there, said with why; one whose archive is out of reach counts toward stopping the restore. */
  private notRead(entry: ManifestEntry, error: unknown): void {
    this.writer.refused.push(`/${displayName(entry.path)}: not restored, ${(error as Error).message}`);
    if (isOutOfReach(error)) this.streak.outOfReach(error as Error);
  }

  /** Has a file thread write a file placed at `destination` (located here, or `null`: the thread reads its headers); its outcome is counted when it comes. A promise only when the threads are full. */
  private handOut(restorers: FileRestorers, archivePath: string, entry: ManifestEntry, located: LocatedEntry | null, destination: string): Promise<void> | undefined {
    const { writer } = this;
    const { path: temporary, number } = writer.temporaryFor(destination);
    const { path, type, mode, mtimeMs, mtimeNs, uid, gid, user, group } = entry;
    const isLeader = this.isLeader(entry.path);
    if (isLeader) this.leaders.set(entry.path, undefined);
    const sparse = located !== null && entry.sparse === true ? sparseSize(located.header.records) : null;
    const job = {
      id: 0,
      archivePath,
      contentAt: located === null ? entry.offset : located.contentAt,
      afterHeader: located === null,
      length: sparse === null || located === null ? entry.size : located.header.size,
      sparseSize: sparse,
      temporary,
      destination,
      hash: recordedDigest(entry),
      entry: { path, type, mode, mtimeMs, mtimeNs, uid, gid, user, group },
      records: located === null ? [] : attributeRecords(located.header.records, entry.path, writer.note),
    };
    // The callback keeps only what it needs of the entry while the file is in flight (up to a thousand are): the rest dies young, before the garbage collector has to move it.
    const { size } = entry;
    const leaderDestination = isLeader ? destination : null;
    return restorers.add(job, (outcome) => {
      for (const line of outcome.notes) writer.note(line);
      if (outcome.outcome === 'restored') {
        this.streak.read();
        writer.settled(number, size);
        if (leaderDestination !== null) this.leaders.set(path, leaderDestination);
        return;
      }
      if (isLeader) this.leaders.set(path, null);
      if (outcome.outcome === 'damaged') {
        writer.forget(number);
        writer.damaged.push(`/${displayName(path)}`);
      } else if (outcome.outcome === 'refused') {
        writer.forget(number);
        writer.refused.push(`/${displayName(path)}: not restored, ${outcome.reason ?? 'its archive cannot be read there'}`);
      }
    }, this.waitingHook, writer.placedBeside);
  }

  /** The files of this restore a gzip archive holds under their own names, in its order: the selection read again. */
  private *gzipWanted(archivePath: string): Generator<GzipWanted, void, void> {
    for (const entry of this.selection.entries()) if (entry.type === 'file' && this.archiveOf(entry) === archivePath) yield { entry, storedAs: entry.path };
  }

  private async restoreGzip(archivePath: string, standIns: Map<string, ManifestEntry>): Promise<void> {
    if (!archiveExists(archivePath, this.context.keys)) {
      for (const { entry } of this.gzipWanted(archivePath)) this.writer.refused.push(`/${displayName(entry.path)}: not restored, the archive ${archivePath} that holds it is missing; connect its destination`);
      for (const entry of standIns.values()) this.writer.refused.push(`/${displayName(entry.path)}: not restored, the archive ${archivePath} that holds it is missing; connect its destination`);
      return;
    }
    await restoreFromGzip(
      archivePath,
      this.context.keys,
      this.gzipWanted(archivePath),
      standIns,
      this.writer,
      () => this.context.cancelled(),
      (path) => this.report(path),
      (entry, destination) => this.restored(entry, destination),
    );
  }
}

/** A file's extended attributes and ACLs as a file thread takes them: each record's name and base64 value. One whose name holds a NUL byte cannot cross (nulNamedAttribute): it is listed here. */
function attributeRecords(records: ReadonlyMap<string, Buffer>, entryPath: string, note: (line: string) => void): [string, string][] {
  const found: [string, string][] = [];
  for (const [key, value] of records) {
    if (!isAttributeRecord(key)) continue;
    const nulNamed = nulNamedAttribute(entryPath, key);
    if (nulNamed !== null) note(nulNamed);
    else found.push([key, value.toString('base64')]);
  }
  return found;
}

/** The largest file a file thread restores from its headers on (restoreFile reads headers and content into its 1 MiB buffer at once). */
const ownHeadersLimit = 512 * 1024;

/**
 * Whether a file thread can find a file's content after its headers itself (restoreFile in C),
 * sparing this thread reading and decoding them: a small regular file of a local uncompressed,
 * unencrypted archive, stored under its own name, with no attributes, not sparse, and an XXH3-128 to
 * check it against (a header that is not its own then cannot pass wrong bytes for it).
 */
function readsOwnHeaders(archive: ArchiveFile, entry: ManifestEntry, storedAs: string): boolean {
  return (
    archive.plainFd !== undefined &&
    entry.type === 'file' &&
    entry.attributes !== true &&
    entry.sparse !== true &&
    entry.xxh128 !== undefined &&
    entry.size <= ownHeadersLimit &&
    storedAs === entry.path &&
    nativeFs() !== null
  );
}
