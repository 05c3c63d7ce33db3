import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { removeQuietly } from '../common/files';
import type { Db } from '../store/open-store';
import { activeJobs } from './job-store';

/**
 * An encrypted backup gathers its manifest in `<data>/manifest-copies/<uuid>.tail.partial`, on the
 * laptop (never beside the archive on the drive). A worker that dies with its owner (a power cut, a
 * kill of the whole app) leaves that file, with the backed-up names in plaintext, in the data folder.
 */

/**
 * Removes the `manifest-copies/*.partial` files no running backup is writing: a partial is a running
 * job's when that job's archive name carries the same snapshot id (its first 8 characters). The
 * folder is listed before the jobs are read, so a backup that starts meanwhile keeps its file.
 * Local files only (the data folder), so this runs on the event loop. Returns what it removed.
 */
export function removeStaleManifestPartials(db: Db): string[] {
  const folder = join(dirname(db.name), 'manifest-copies');
  let names: string[];
  try {
    names = readdirSync(folder).filter((name) => name.endsWith('.partial'));
  } catch {
    return [];
  }
  if (names.length === 0) return [];
  const writing = activeJobs(db).flatMap((job) => (job.archivePath === null ? [] : [basename(job.archivePath)]));
  const stale = names.filter((name) => !writing.some((archive) => archive.includes(`-${name.slice(0, 8)}.tar`)));
  for (const name of stale) removeQuietly(join(folder, name));
  return stale.map((name) => join(folder, name));
}
