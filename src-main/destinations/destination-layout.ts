import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isS3Path } from '../s3/s3-location';

/**
 * Where archives live on a destination, named once for the backup that writes them and the import
 * that finds them again:
 *
 *   <destination>/Dormouse/<machine>/<schedule>/<UTC time>-{full|incr}-<snapshot id>.tar[.gz][.age]
 *
 * `.age` ends the name of an archive on an encrypted destination: the whole tar (or tar.gz) is
 * encrypted with age, so `age -d -i key.txt X.tar.age | tar -x` unpacks it.
 * `<machine>` is the machine's hostname (made safe for a file name) and the first 8 characters of
 * its stable id, so two laptops called "laptop" with a schedule "Home" never share a folder. The
 * folder name is only for people: which machine an archive belongs to is the id in its manifest.
 * Archives written before machines were told apart sit one level up, at `Dormouse/<schedule>/…`,
 * and are read where they are.
 */

/** The folder inside a destination that holds every Dormouse archive. */
export const archivesFolderName = 'Dormouse';

/** A hostname or schedule name as a single path component: letters, digits, `.`, `_` and `-`, at most `max` long, never empty or hidden. */
function safeComponent(name: string, max: number): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, max).replace(/[-.]+$/, '');
}

/** How many characters of a machine's id its folder and its name carry. */
const shortIdLength = 8;

/** A machine as people see it: its hostname (made safe) and the start of its id, as in `alice-laptop-3f9a1c2e`; also its folder's name. */
export function machineLabel(machine: { id: string; name: string }): string {
  return `${safeComponent(machine.name, 40) || 'machine'}-${safeComponent(machine.id, shortIdLength) || 'unknown'}`;
}

/** The start of a machine's id that its label shows. */
export function shortMachineId(id: string): string {
  return id.slice(0, shortIdLength);
}

/** The folder inside a machine's folder where a schedule's archives go. */
export function scheduleFolderName(schedule: { id: number; name: string }): string {
  const slug = safeComponent(schedule.name, 60);
  return slug === '' ? `schedule-${schedule.id}` : slug;
}

/** An archive's file name: when it was taken, what kind, and the snapshot's own id, so names never collide; `.age` when it is encrypted. */
export function archiveFileName(createdAt: number, snapshotUuid: string, compression: 'none' | 'gzip', kind: 'full' | 'incremental' = 'full', encrypted = false): string {
  const stamp = new Date(createdAt).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${kind === 'full' ? 'full' : 'incr'}-${snapshotUuid.slice(0, 8)}.tar${compression === 'gzip' ? '.gz' : ''}${encrypted ? '.age' : ''}`;
}

/** What an archive's name says of how to read it: gzip members inside, and age encryption around the whole. */
export function archiveNameKind(fileName: string): { gzip: boolean; encrypted: boolean } {
  const encrypted = fileName.endsWith('.age');
  const inner = encrypted ? fileName.slice(0, -'.age'.length) : fileName;
  return { gzip: inner.endsWith('.gz'), encrypted };
}

/** A path inside a destination: a file-system join for a folder, slash-joined keys under `s3://BUCKET/PREFIX` for S3. */
export function joinLocation(location: string, ...parts: string[]): string {
  return isS3Path(location) ? [location.replace(/\/+$/, ''), ...parts].join('/') : join(location, ...parts);
}

/** Where a new archive goes on a destination. */
export function archivePathFor(
  destinationPath: string,
  machine: { id: string; name: string },
  schedule: { id: number; name: string },
  archive: { createdAt: number; snapshotUuid: string; compression: 'none' | 'gzip'; kind: 'full' | 'incremental'; encrypted?: boolean },
): string {
  return joinLocation(
    destinationPath,
    archivesFolderName,
    machineLabel(machine),
    scheduleFolderName(schedule),
    archiveFileName(archive.createdAt, archive.snapshotUuid, archive.compression, archive.kind, archive.encrypted === true),
  );
}

/**
 * Whether a file name may be a Dormouse archive, so the import reads it. Any `.tar` or `.tar.gz`
 * (with `.age` after it when encrypted) is
 * read, not only names `archiveFileName` makes: a renamed archive is still imported (its manifest,
 * not its name, says what it is), and one that is not Dormouse's is reported, never guessed at.
 */
export function mayBeArchive(fileName: string): boolean {
  return /\.tar(\.gz)?(\.age)?$/.test(fileName);
}

/** The folders of a folder, or none when it does not exist. */
async function subfolders(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The files of a folder that may be archives. */
async function archiveFiles(folder: string): Promise<string[]> {
  return (await readdir(folder, { withFileTypes: true })).filter((entry) => !entry.isDirectory() && mayBeArchive(entry.name)).map((entry) => join(folder, entry.name));
}

/**
 * Every file that may be an archive under a destination's `Dormouse` folder (`root`), sorted: in
 * machine folders (`<machine>/<schedule>/`) and in the older layout (`<schedule>/`). Both are
 * walked whatever the folders are called: a schedule folder holds only files, a machine folder only
 * schedule folders.
 */
export async function listArchiveFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const first of await subfolders(root)) {
    const folder = join(root, first);
    found.push(...(await archiveFiles(folder)));
    for (const second of await subfolders(folder)) found.push(...(await archiveFiles(join(folder, second))));
  }
  return found.sort();
}
