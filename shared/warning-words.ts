// What a backup could not keep (and what a restore found already there), in the words the notification, the window and the CLI share. A
// job's warnings are lines "<path>: <why>" (the path byte-exact, bytes that are not UTF-8 shown
// as \xNN) for each item left out or kept only in part; a few are notes about the job itself
// ("the laptop went to sleep during this backup") and name no item.

import { counted } from './format';

/** An absolute path on Linux or macOS ("/"), or Windows ("C:\", "\\server\share"). */
const startsWithPath = /^(\/|[A-Za-z]:[\\/]|\\\\)/;

/** The warnings that name an item the backup could not keep whole, in the job's order; notes about the job are left out. */
export function itemWarnings(warnings: readonly string[]): string[] {
  return warnings.filter((warning) => startsWithPath.test(warning));
}

/** The warnings that are notes about the job itself, not about an item: shown apart from the items. */
export function jobNotes(warnings: readonly string[]): string[] {
  return warnings.filter((warning) => !startsWithPath.test(warning));
}

/** "1 item could not be backed up", "1,204 items could not be backed up": the one phrase for this everywhere. */
export function itemsNotBackedUp(count: number): string {
  return `${counted(count, 'item')} could not be backed up`;
}

/**
 * An item warning cut into its path and the reason, so the path can be shown on its own; cut at
 * the first ": " (a path holding ": " itself is cut inside it: shown together the two parts still
 * read as the whole line).
 */
export function splitItemWarning(warning: string): { path: string; why: string } {
  const at = warning.indexOf(': ');
  return at < 0 ? { path: warning, why: '' } : { path: warning.slice(0, at), why: warning.slice(at + 2) };
}

/** "3 files were already there as in the snapshot, and left as they are": a restore's files that needed nothing, in the CLI's and the window's words. */
export function unchangedByRestore(count: number): string {
  return `${counted(count, 'file was', 'files were')} already there as in the snapshot, and left as ${count === 1 ? 'it is' : 'they are'}.`;
}

/** How a restore's `refused` line begins when the restore itself stopped part-way (a full disk, a write error), not one item. */
export const restoreStoppedPrefix = 'the restore stopped: ';

/** A restore's `refused` lines apart: why the restore stopped part-way, as a sentence (null when it did not), and the items not restored. */
export function splitRestoreRefused(refused: readonly string[]): { stopped: string | null; items: string[] } {
  const stop = refused.find((line) => line.startsWith(restoreStoppedPrefix));
  return { stopped: stop === undefined ? null : `The restore stopped: ${stop.slice(restoreStoppedPrefix.length)}.`, items: refused.filter((line) => line !== stop) };
}
