import { access, readdir } from 'node:fs/promises';
import { dirname, join, relative, isAbsolute } from 'node:path';
import type { Settings } from '../../shared/settings';
import { answerWithin, removeQuietlyInTurn } from '../common/files';
import type { Machine } from '../store/machine-store';
import type { Db } from '../store/open-store';
import { chainOf, latestSnapshot, type ChainLink } from './snapshot-store';
import { archiveNameKind } from '../destinations/destination-layout';
import { manifestCopyFile } from '../store/data-dir';
import type { DestinationStorage } from '../destinations/destination-storage';
import { isS3Path } from '../s3/s3-location';

/**
 * Removes `.partial` files a failed write left in a schedule's archive folder (a drive unplugged
 * mid-write keeps its partial file until it is connected again). Only called while this schedule's
 * job is the active one, so no other process is writing there.
 */
export async function removeStalePartials(folder: string, timeoutMs: number): Promise<void> {
  const names = await answerWithin(folder, () => readdir(folder).catch((): string[] => []), timeoutMs);
  if (names.timedOut) return; // left for the next backup; the worker reports the destination if it stays silent
  await answerWithin(folder, () => removeQuietlyInTurn(names.value.filter((name) => name.endsWith('.partial')).map((name) => join(folder, name))), timeoutMs);
}

/**
 * Whether the next backup of a schedule can be incremental, and on what: this machine's newest
 * snapshot of it, when its whole chain is this machine's and on the destination, none of it failed
 * verify, the chain has fewer than the set number of incrementals and its full backup is younger
 * than the set number of days. Otherwise (null) the next backup is a full one. Another machine's
 * snapshot is never a base: its own retention may delete it. For an encrypted destination
 * (`encryptedDestination`: its folder) the chain must be encrypted archives inside it, each with its
 * local manifest copy.
 */
export async function chooseBase(db: Db, scheduleId: number, machine: Machine, settings: Settings, now: number, timeoutMs: number, encryptedDestination: string | null = null, storage: DestinationStorage | null = null): Promise<ChainLink | null> {
  const latest = latestSnapshot(db, scheduleId, machine.id);
  if (!latest) return null;
  const chain = chainOf(db, latest.id);
  const full = chain.at(-1);
  if (!full || full.kind !== 'full') return null;
  // A chain an older Dormouse built on another laptop's archive (or on one of unknown origin) ends here.
  if (chain.some((link) => link.machineId !== machine.id)) return null;
  if (chain.length - 1 >= settings.incrementalsPerFull) return null;
  if (now - full.createdAt >= settings.fullEveryDays * 86_400_000) return null;
  if (chain.some((link) => link.verifyOk === false)) return null;
  // On an encrypted destination the drive and the passphrase restore everything: a chain that reaches another destination (the schedule moved here) ends.
  if (encryptedDestination !== null && chain.some((link) => !archiveNameKind(link.archivePath).encrypted || !isInside(link.archivePath, encryptedDestination))) return null;
  // An encrypted chain is read from the local copies of its manifests (no passphrase): without them (a catalog rebuilt from the drive), a full backup.
  // Archives in S3 are never read back for a backup either: their manifests' local copies are.
  const copies = chain.filter((link) => archiveNameKind(link.archivePath).encrypted || isS3Path(link.archivePath)).map((link) => manifestCopyFile(db.name, link.uuid));
  for (const copy of copies) if (!(await access(copy).then(() => true, () => false))) return null;
  // Looked for off the event loop; a destination too slow to tell gets a full backup, which depends on nothing.
  const allPresent = async () => {
    for (const link of chain) if (!(await (storage ? storage.hasArchive(link.archivePath) : access(link.archivePath).then(() => true, () => false)))) return false;
    return true;
  };
  const present = storage ? await storage.within(allPresent, timeoutMs).catch(() => ({ timedOut: true as const })) : await answerWithin(dirname(latest.archivePath), allPresent, timeoutMs);
  return present.timedOut || !present.value ? null : latest;
}

/** Whether a path lies inside a folder. */
function isInside(path: string, folder: string): boolean {
  const inner = relative(folder, path);
  return inner !== '' && !inner.startsWith('..') && !isAbsolute(inner);
}
