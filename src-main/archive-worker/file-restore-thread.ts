import { openSync } from 'node:fs';
import { getSystemErrorName } from 'node:util';
import type { MessagePort } from 'node:worker_threads';
import { keysOf, openArchiveFile, type ArchiveFile } from './archive-file';
import { displayName, fsPath } from './byte-names';
import type { ContentHashKind } from './content-hash';
import { ContentSink, cannotWrite, isWriteError } from './content-sink';
import { discardTemporary, entryTimeNs, nativeOwner, noteUnsettled, restoredMode, settleRestoredFile, type AttributedEntry } from './restore-attributes';
import { nativeFs, RestoreFileResult } from '../native/native-fs';

/**
 * A restore's file threads (file-restorers.ts): each takes files whose place the restore has
 * already checked and made, and writes one at a time to its temporary name: reads its stored
 * content from the archive, hashes it, and only when the hash is the one recorded at backup time
 * gives it its owner, mode, attributes and time and renames it into place. The restore's own
 * thread meanwhile reads headers and places the next names, so a whole-tree restore keeps both
 * cores busy as `tar -x` cannot.
 */

/** What the worker hands a file thread: the destination's identity for encrypted archives, and where it says how far into its current file it is (`copying[slot]`, bytes). */
export interface RestoreThreadData {
  role: 'restore';
  identity: string | null;
  copying: SharedArrayBuffer;
  slot: number;
  /** Set to 1 when the restore stops: the thread leaves the file it is writing and takes no other. */
  stop: SharedArrayBuffer;
}

/** One file to write: where its stored content is, where it goes, and what it must hash to. */
export interface FileJob {
  id: number;
  archivePath: string;
  /** Where the stored content starts in the archive's plaintext (with `afterHeader`, where the entry's headers start), and its length (a sparse file's map and data). */
  contentAt: number;
  /** The thread finds the content after the entry's headers itself, in C (restoreFile): the restore's own thread did not read them. */
  afterHeader: boolean;
  length: number;
  /** A sparse file's full size; null when it is not sparse. */
  sparseSize: number | null;
  temporary: string;
  destination: string;
  /** The content hash recorded at backup time and its kind (format 1 archives have none; content-hash.ts). */
  hash: { kind: ContentHashKind; hex: string } | undefined;
  entry: AttributedEntry;
  /** Its extended attributes and ACLs: PAX records (isAttributeRecord), each value in base64. */
  records: [string, string][];
}

/** How a file ended: in place (with attributes not applied, said in `notes`), damaged (its temporary removed), not restored (`reason`: the archive does not hold it where its manifest says), or failed writing (the restore stops: `reason`). */
export interface FileOutcome {
  id: number;
  outcome: 'restored' | 'damaged' | 'refused' | 'failed';
  notes: string[];
  reason?: string;
  /** The error code of a failure (ENOSPC…), so the restore can say what it means. */
  code?: string;
}

/**
 * What a file thread is sent: files to write, in order, as the text encodeJobs makes (a string
 * crosses threads as one copy; a million job objects cloned one by one, or put through JSON, cost the
 * restore's own thread seconds), or 'close' (close the archives and end). It answers each with the
 * JSON text of a RestoreThreadAnswer.
 */
export type RestoreThreadMessage = string;

/**
 * How the files of one message ended: the ids of those restored with nothing to say (nearly all), and
 * the outcomes of the others. A million outcome objects made, put through JSON and parsed again were
 * a second of a restore's CPU.
 */
export interface RestoreThreadAnswer {
  restored: number[];
  others: FileOutcome[];
}

/**
 * A text as a field. One holding a NUL is refused: it would end its field early and shift every
 * later one, so a hostile archive's owner name could otherwise pass a destination of its own making.
 */
function field(value: string): string {
  if (value.includes('\0')) throw new Error(`a name in the archive holds a NUL byte (${JSON.stringify(value)}); verify the snapshot`);
  return value;
}

/** An optional text or number as a field: empty when absent, else a '+' and its text (so an empty name stays one). */
function optional(value: string | number | undefined): string {
  return value === undefined ? '' : `+${typeof value === 'string' ? field(value) : value}`;
}

/**
 * Files to write as one text: their fields separated by NUL, which no path, name or number holds
 * (a file's attribute records go as a count, then each name and base64 value). Kept beside
 * decodeJobs, its reverse.
 */
export function encodeJobs(jobs: readonly FileJob[]): string {
  let text = '';
  let archivePath = '';
  for (const job of jobs) {
    const { entry } = job;
    // An archive's path once, then empty for the files of the same archive that follow it.
    const archiveField = job.archivePath === archivePath ? '' : field((archivePath = job.archivePath));
    text += `${job.id}\0${archiveField}\0${job.contentAt}\0${job.afterHeader ? 1 : 0}\0${job.length}\0${optional(job.sparseSize ?? undefined)}\0${job.temporary === job.destination ? '' : field(job.temporary)}\0${field(job.destination)}\0${optional(job.hash?.kind)}\0${optional(job.hash?.hex)}\0`;
    text += `${field(entry.path)}\0${entry.type}\0${entry.mode}\0${entry.mtimeMs}\0${optional(entry.mtimeNs)}\0${optional(entry.uid)}\0${optional(entry.gid)}\0${optional(entry.user)}\0${optional(entry.group)}\0${job.records.length}\0`;
    for (const [key, value] of job.records) text += `${field(key)}\0${field(value)}\0`;
  }
  return text;
}

/** The files encodeJobs wrote. */
export function decodeJobs(text: string): FileJob[] {
  const fields = text.split('\0');
  let at = 0;
  const next = () => fields[at++] as string;
  const optionalText = (field: string) => (field === '' ? undefined : field.slice(1));
  const optionalNumber = (field: string) => (field === '' ? undefined : Number(field.slice(1)));
  const jobs: FileJob[] = [];
  let archivePath = '';
  while (at < fields.length - 1) {
    const id = Number(next());
    archivePath = next() || archivePath;
    const contentAt = Number(next());
    const afterHeader = next() === '1';
    const length = Number(next());
    const sparseSize = optionalNumber(next()) ?? null;
    const twin = next();
    const destination = next();
    // An empty twin: the file is written under its own name (in a stand-in for the target, staged-target.ts).
    const temporary = twin === '' ? destination : twin;
    const hashKind = optionalText(next()) as ContentHashKind | undefined;
    const hashHex = optionalText(next());
    const hash = hashKind === undefined || hashHex === undefined ? undefined : { kind: hashKind, hex: hashHex };
    const path = next();
    const type = next() as AttributedEntry['type'];
    const mode = Number(next());
    const mtimeMs = Number(next());
    const mtimeNs = optionalText(next());
    const uid = optionalNumber(next());
    const gid = optionalNumber(next());
    const user = optionalText(next());
    const group = optionalText(next());
    const records: [string, string][] = [];
    for (let count = Number(next()); count > 0; count -= 1) records.push([next(), next()]);
    const entry: AttributedEntry = { path, type, mode, mtimeMs };
    if (mtimeNs !== undefined) entry.mtimeNs = mtimeNs;
    if (uid !== undefined) entry.uid = uid;
    if (gid !== undefined) entry.gid = gid;
    if (user !== undefined) entry.user = user;
    if (group !== undefined) entry.group = group;
    jobs.push({ id, archivePath, contentAt, afterHeader, length, sparseSize, temporary, destination, hash, entry, records });
  }
  return jobs;
}

/** The restore stopped while a file was being written. */
class Stopped extends Error {}

/** A job's attribute records as settleRestoredFile takes them. */
function recordsOf(job: FileJob): Map<string, Buffer> {
  return new Map(job.records.map(([key, value]) => [key, Buffer.from(value, 'base64')]));
}

/** A file that could not be written: the restore stops, saying why (with the error's code). */
function failedWriting(job: FileJob, notes: string[], error: unknown): FileOutcome {
  const { message, code } = cannotWrite(job.destination, error);
  return { id: job.id, outcome: 'failed', notes, reason: message, code };
}

/** A failed system call of restoreFile as the error Node's fs would have thrown, so cannotWrite says it in the same words. */
function systemError(errno: number, syscall: string): NodeJS.ErrnoException {
  const code = getSystemErrorName(-errno);
  return Object.assign(new Error(`${code}: ${syscall} failed`), { code, errno: -errno, syscall });
}

/**
 * A small file of a plain local archive, with nothing but owner, mode and time to apply and an
 * XXH3-128 to check (or none), restored by the native addon in one call (native/restore-file.c); null
 * where the file needs the general path (no addon, an encrypted archive, a sparse file, extended
 * attributes, a SHA-256, more than `scratch` holds).
 */
function restoredNatively(job: FileJob, file: ArchiveFile, scratch: Buffer, result: Int32Array): FileOutcome | null {
  const native = nativeFs();
  if (native === null || file.plainFd === undefined || job.sparseSize !== null || job.records.length > 0 || job.length > scratch.length || (job.hash !== undefined && job.hash.kind !== 'xxh128')) return null;
  const { entry } = job;
  const { uid, gid } = nativeOwner(entry);
  const expected = job.hash === undefined ? null : Buffer.from(job.hash.hex, 'hex');
  native.restoreFile(file.plainFd, job.contentAt, job.length, fsPath(job.temporary), fsPath(job.destination), expected, uid, gid, restoredMode(entry), entryTimeNs(entry), scratch, result, job.afterHeader);
  const notes: string[] = [];
  const errno = result[1] as number;
  switch (result[0]) {
    case RestoreFileResult.restored:
      noteUnsettled(entry, result[2] as number, result[3] as number, (line) => notes.push(line));
      return { id: job.id, outcome: 'restored', notes };
    case RestoreFileResult.readFailed:
    case RestoreFileResult.damaged:
      return { id: job.id, outcome: 'damaged', notes };
    case RestoreFileResult.notAtOffset:
      return { id: job.id, outcome: 'refused', notes, reason: `the archive does not hold ${displayName(job.entry.path)} at byte ${job.contentAt}; verify it` };
    case RestoreFileResult.openFailed:
      return failedWriting(job, notes, systemError(errno, 'open'));
    case RestoreFileResult.writeFailed:
      return failedWriting(job, notes, systemError(errno, 'write'));
    case RestoreFileResult.modeFailed:
      return { id: job.id, outcome: 'failed', notes, reason: `cannot put ${displayName(job.destination)} in place (${systemError(errno, 'fchmod').message})` };
    default:
      return { id: job.id, outcome: 'failed', notes, reason: `cannot put ${displayName(job.destination)} in place (${systemError(errno, 'rename').message})` };
  }
}

/** Writes the files it is sent, in order, answering each batch with their outcomes, for as long as the thread lives. */
export function runRestoreThread(data: RestoreThreadData, port: MessagePort): void {
  const keys = keysOf(data.identity ?? undefined);
  const archives = new Map<string, ArchiveFile>();
  const chunk = Buffer.allocUnsafe(1024 * 1024);
  const copying = new Float64Array(data.copying);
  const stop = new Int32Array(data.stop);
  const archive = (path: string): ArchiveFile => {
    let found = archives.get(path);
    if (found === undefined) archives.set(path, (found = openArchiveFile(path, keys)));
    return found;
  };
  const nativeResult = new Int32Array(4);
  const restoreOne = (job: FileJob): FileOutcome => {
    let opened: ArchiveFile | null = null;
    try {
      opened = archive(job.archivePath);
    } catch {
      // The general path below meets the same error, and says the file is damaged.
    }
    const natively = opened === null ? null : restoredNatively(job, opened, chunk, nativeResult);
    if (natively !== null) return natively;
    // The restore's own thread hands a file over unread only where this thread restores it natively.
    if (job.afterHeader) return { id: job.id, outcome: 'failed', notes: [], reason: `cannot read the headers of ${displayName(job.entry.path)} in this thread (${opened === null ? 'its archive does not open' : 'the native addon is not loaded'})` };
    const notes: string[] = [];
    let fd: number;
    try {
      fd = openSync(fsPath(job.temporary), 'wx', 0o600);
    } catch (error) {
      return failedWriting(job, notes, error);
    }
    let digest: string | null;
    try {
      const sink = new ContentSink(fd, job.sparseSize, job.hash?.kind ?? null, job.length);
      const file = archive(job.archivePath);
      for (let at = job.contentAt, remaining = job.length; remaining > 0; ) {
        if (Atomics.load(stop, 0) === 1) throw new Stopped();
        const read = file.readInto(chunk.subarray(0, Math.min(chunk.length, remaining)), at);
        if (read === 0) throw new Error(`the archive ends inside ${displayName(job.entry.path)}`);
        sink.push(chunk.subarray(0, read));
        remaining -= read;
        at += read;
        copying[data.slot] = job.length - remaining;
      }
      digest = sink.finish();
    } catch (error) {
      discardTemporary(fd, job.temporary);
      if (error instanceof Stopped) return { id: job.id, outcome: 'failed', notes, reason: 'the restore stopped' };
      if (isWriteError(error)) return failedWriting(job, notes, error);
      return { id: job.id, outcome: 'damaged', notes };
    }
    if (job.hash !== undefined && job.hash.hex !== digest) {
      discardTemporary(fd, job.temporary);
      return { id: job.id, outcome: 'damaged', notes };
    }
    try {
      settleRestoredFile(fd, job.temporary, job.destination, job.entry, recordsOf(job), (line) => notes.push(line));
    } catch (error) {
      return { id: job.id, outcome: 'failed', notes, reason: `cannot put ${displayName(job.destination)} in place (${(error as Error).message})` };
    }
    return { id: job.id, outcome: 'restored', notes };
  };
  port.on('message', (message: RestoreThreadMessage) => {
    if (message === 'close') {
      for (const file of archives.values()) file.close();
      port.close();
      return;
    }
    const answer: RestoreThreadAnswer = { restored: [], others: [] };
    for (const job of decodeJobs(message)) {
      const outcome: FileOutcome = Atomics.load(stop, 0) === 1 ? { id: job.id, outcome: 'failed', notes: [], reason: 'the restore stopped' } : restoreOne(job);
      copying[data.slot] = 0;
      if (outcome.outcome === 'restored' && outcome.notes.length === 0) answer.restored.push(outcome.id);
      else answer.others.push(outcome);
    }
    port.postMessage(JSON.stringify(answer));
  });
}
