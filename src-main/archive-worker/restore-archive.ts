import { resolve } from 'node:path';
import { keysOf } from './archive-file';
import type { S3Settings } from '../s3/s3-settings';
import { SnapshotView } from './snapshot-view';
import { Cancelled } from './restore-gzip';
import { planRestore, selectEntries, type RestorePlan } from './restore-plan';
import { SeekableArchives } from './restore-seek';
import { SafeWriter } from './safe-writer';
import { StagedTarget } from './staged-target';
import { startFileRestorers, type FileRestorers } from './file-restorers';
import { TreeRestore } from './tree-restore';
import { flushToDisk, Writeback, writebackFromBytes } from './restore-flush';
import { makeFolders } from '../common/make-folders';
import { isNoSpace, noSpaceWords } from '../common/disk-full';
import { restoreStoppedPrefix } from '../../shared/warning-words';
import picomatch from 'picomatch';

export { unsafeName } from './safe-writer';

/** What to restore: a snapshot's archive, where to, which paths (all when empty), and whether existing files may be replaced. */
export interface RestoreRequest {
  /** The S3 buckets (and keys) of `s3://` archives. */
  s3?: S3Settings[];
  archivePath: string;
  /** Where the earlier archives an incremental's entries live in are: snapshot id → archive path. */
  archives: Record<string, string>;
  target: string;
  paths: string[];
  overwrite: boolean;
  /** The destination's identity (`AGE-SECRET-KEY-1…`) when its archives are encrypted. */
  identity?: string | undefined;
}

/** What a restore did: files written, existing files left alone, entries refused or not restored (with why), damaged files, attributes not applied. */
export interface RestoreResult {
  target: string;
  files: number;
  bytes: number;
  conflicts: string[];
  unchanged: number;
  refused: string[];
  damaged: string[];
  unapplied: string[];
}

/** Where a restore reports its progress, and asks whether the user cancelled it. */
export interface RestoreHost {
  progress(files: number, bytes: number, totalFiles: number, totalBytes: number, currentPath: string): void;
  cancelled(): boolean;
}

/** A restore asked for paths the snapshot does not have: nothing is restored. */
export class NotInSnapshot extends Error {}

/**
 * Restores a snapshot, or chosen files and folders of it, into a target folder: contents, modes,
 * times to the nanosecond, owners (as root), extended attributes and ACLs, hardlinks, FIFOs and
 * symlinks come back; existing files are left alone unless overwriting was asked for; unsafe
 * entries are refused and reported. Every file's content is checked against the hash recorded
 * at backup time before it takes its name: a damaged one is listed and the rest goes on.
 *
 * The snapshot's entries stream in path order, a folder before what it holds, and are written as
 * they come: files from uncompressed archives by seeking to each one (each archive is read front
 * to back), files from gzip archives afterwards in one pass through each. Only what must wait is
 * held: the folders' own attributes (applied last, deepest first), where files that have other
 * names went, and other names met before their file. No entry is written through a symlink (each
 * name's folders are checked), so a symlink is made when it is met. A failure part-way (a missing
 * archive, a read error) is reported per entry, not thrown.
 */
export async function restoreArchive(request: RestoreRequest, host: RestoreHost): Promise<RestoreResult> {
  const keys = keysOf(request.identity, request.s3);
  const view = SnapshotView.open(request.archivePath, request.archives, { partial: true, keys });
  const target = resolve(request.target);
  const writer = new SafeWriter(target, request.overwrite);
  const seekable = new SeekableArchives(keys);
  let plan: RestorePlan | null = null;
  let restorers: FileRestorers | null = null;
  let writeback: Writeback | null = null;
  /** The folders' and FIFOs' attributes, once read (not when the restore stopped first). */
  let records: ReadonlyMap<string, ReadonlyMap<string, Buffer>> | null = null;
  /** The new folder standing in for a target that did not exist, until the restore ends. */
  let staged: StagedTarget | null = null;
  try {
    const selection = selectEntries(view, request.paths);
    // With an earlier archive of the chain missing, what is not found may be listed there.
    if (view.missing !== null) {
      for (const path of selection.unknown) writer.refused.push(`${path}: not restored, ${view.missing}`);
      if (request.paths.length === 0) writer.refused.push(`the files only earlier snapshots list are not restored: ${view.missing}`);
    } else if (selection.unknown.length > 0) throw new NotInSnapshot(notInSnapshot(view, selection.unknown));
    plan = planRestore(view, selection, request.paths, writer.refused);
    staged = StagedTarget.make(target);
    if (staged === null) makeFolders(target);
    else writer.writeInto(staged.path);
    if (plan.totalBytes >= writebackFromBytes) writeback = new Writeback(staged?.path ?? target);
    // More than one file: threads write them while this one reads headers and places names (here, where no thread can start).
    if (plan.totalFiles > 1) restorers = startFileRestorers(request.identity ?? null);
    const context = { archivePath: request.archivePath, archives: request.archives, keys, progress: host.progress.bind(host), cancelled: host.cancelled.bind(host), restorers };
    records = await new TreeRestore(context, selection, plan, writer, seekable).run();
  } catch (error) {
    await restorers?.stop();
    writer.abandon();
    // What was restored before a cancel stays, as in a target that existed.
    if (error instanceof Cancelled) publish(staged, writer);
    if (error instanceof Cancelled || error instanceof NotInSnapshot || plan === null) throw error;
    const why = isNoSpace(error) ? `${noSpaceWords(target, error)}; free some room there or restore to another disk, then restore again (what is already restored is found as in the snapshot and left as it is)` : (error as Error).message;
    writer.refused.push(`${restoreStoppedPrefix}${why}; what is not listed as restored was not restored`);
  } finally {
    await restorers?.stop();
    await writeback?.stop();
    seekable.close();
    view.close();
  }
  writer.finish(records);
  publish(staged, writer);
  flushToDisk(target);
  host.progress(writer.files, writer.bytes, plan.totalFiles, plan.totalBytes, '');
  return { target, files: writer.files, bytes: writer.bytes, conflicts: writer.conflicts, unchanged: writer.unchanged, refused: writer.refused, damaged: writer.damaged, unapplied: writer.unapplied };
}

/**
 * Puts a stand-in's restore under the target's name once its files are on the disk (so a power cut
 * cannot leave the name with missing content), and says the target's paths where the lines of the
 * result named the stand-in's.
 */
function publish(staged: StagedTarget | null, writer: SafeWriter): void {
  if (staged === null) return;
  flushToDisk(staged.path);
  const moved = staged.publish();
  // In place, line by line: a restore can list a million lines (every file of a missing archive).
  for (const lines of [writer.conflicts, writer.refused, writer.damaged, writer.unapplied]) for (let index = 0; index < lines.length; index += 1) lines[index] = staged.realPath(lines[index] as string);
  if (moved !== null) writer.refused.push(moved);
}

/** Says which paths a snapshot does not have, and where they may have been meant (SnapshotView.meant): paths start with the folder that was backed up. */
function notInSnapshot(view: SnapshotView, unknown: readonly string[]): string {
  const patterns = unknown.every((path) => picomatch.scan(path).isGlob);
  const missing = patterns ? `${unknown.join(', ')} ${unknown.length === 1 ? 'matches' : 'match'} nothing in this snapshot` : `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in this snapshot`;
  const meant = unknown.map((path) => view.meant(path)).filter((path): path is string => path !== null);
  if (meant.length === 0) return `${missing}; ${patterns ? 'see what is there' : 'list it'} with \`dormouse ls\``;
  return `${missing}; did you mean ${meant.join(', ')}? Paths start with the folder that was backed up (\`dormouse ls\` lists them)`;
}
