import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sidecarPath } from '../archive-worker/archive-manifest';
import { answerWithin, removeQuietlyAsync, removeQuietlyInTurn } from '../common/files';
import { writeFileAtomically } from '../common/write-file-atomically';
import { archivesFolderName, listArchiveFiles } from './destination-layout';
import { freeBytes } from './destination-marker';

/** An answer within a time limit, or word that it did not come. */
export type TimedAnswer<T> = { timedOut: false; value: T } | { timedOut: true };

/** A small file read from a destination: its bytes, none there, or one too large to be Dormouse's. */
export type SmallRead = Buffer | 'missing' | 'too-large';

/**
 * What the owner does on a destination, whatever it is: a folder (a drive, a share) or an S3 bucket
 * prefix. Small files (the marker, the key file, RECOVERY.txt) by name at the destination's top;
 * archives by the paths the catalog records (`destination-layout.ts` names them for both kinds).
 * Archive bytes are written and read by the worker, not here.
 */
export interface DestinationStorage {
  readonly kind: 'folder' | 's3';
  /** The destination's path as the catalog keeps it: a folder, or `s3://BUCKET[/PREFIX]`. */
  readonly location: string;
  /**
   * Runs work on the destination, waiting for it at most `ms` (a share or an endpoint that stops
   * answering). `inside` names the subfolder the work touches (a folder inside may be on another
   * drive or share: a read of it that hangs must not hold up reads of the destination's top).
   */
  within<T>(work: () => Promise<T>, ms: number, inside?: string): Promise<TimedAnswer<T>>;
  /** Where a small file is, for messages. */
  describe(name: string): string;
  readSmall(name: string, maxBytes: number): Promise<SmallRead>;
  /** Writes a small file whole or not at all (a temporary file and a rename; one PUT). */
  writeSmall(name: string, data: Buffer | string): Promise<void>;
  removeSmall(name: string): Promise<void>;
  /** Free bytes, or null where there is no such thing (object storage). */
  freeBytes(): Promise<number | null>;
  /** Every archive under the destination's `Dormouse` folder (paths as the catalog records them), sorted. */
  listArchives(): Promise<string[]>;
  /** Whether an archive is there. */
  hasArchive(archivePath: string): Promise<boolean>;
  /** Deletes an archive and its `.sha256` (one already gone is not an error). */
  removeArchive(archivePath: string): Promise<void>;
  /** Removes what failed writes left in a schedule's folder (`.partial` files; unfinished multipart uploads). */
  removeLeftovers(scheduleFolder: string): Promise<void>;
}

/** A destination folder on a drive or share: every call touches the file system off the event loop. */
export class FolderStorage implements DestinationStorage {
  readonly kind = 'folder' as const;

  constructor(readonly location: string) {}

  within<T>(work: () => Promise<T>, ms: number, inside?: string): Promise<TimedAnswer<T>> {
    return answerWithin(inside === undefined ? this.location : join(this.location, inside), work, ms);
  }

  describe(name: string): string {
    return join(this.location, name);
  }

  async readSmall(name: string, maxBytes: number): Promise<SmallRead> {
    const path = join(this.location, name);
    try {
      if ((await stat(path)).size > maxBytes) return 'too-large';
      return await readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
      throw error;
    }
  }

  writeSmall(name: string, data: Buffer | string): Promise<void> {
    return writeFileAtomically(join(this.location, name), data);
  }

  removeSmall(name: string): Promise<void> {
    return removeQuietlyAsync(join(this.location, name));
  }

  freeBytes(): Promise<number | null> {
    return freeBytes(this.location);
  }

  listArchives(): Promise<string[]> {
    return listArchiveFiles(join(this.location, archivesFolderName));
  }

  hasArchive(archivePath: string): Promise<boolean> {
    return stat(archivePath).then(
      () => true,
      () => false,
    );
  }

  removeArchive(archivePath: string): Promise<void> {
    return removeQuietlyInTurn([archivePath, sidecarPath(archivePath)]);
  }

  async removeLeftovers(scheduleFolder: string): Promise<void> {
    const names = await readdir(scheduleFolder).catch((): string[] => []);
    await removeQuietlyInTurn(names.filter((name) => name.endsWith('.partial')).map((name) => join(scheduleFolder, name)));
  }
}
