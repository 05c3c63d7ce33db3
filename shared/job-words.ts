// What went wrong with a backup and what to do about it, in the words the job page shows; and the
// figures of a finished job (how long it took, how fast it went) computed one way everywhere.
import type { JobView } from './types';
import { itemWarnings, itemsNotBackedUp } from './warning-words';

/** What a job's trouble asks of the person: a headline and what to do next. */
export interface JobTrouble {
  headline: string;
  whatToDo: string;
}

/**
 * The trouble a finished job had, in words, with what to do; null for a job that kept everything.
 * A job that succeeded but left items out says so too: the rest of the backup is complete.
 */
export function jobTrouble(job: Pick<JobView, 'status' | 'error' | 'warnings'>, destinationName: string): JobTrouble | null {
  const code = job.error?.code;
  switch (code) {
    case 'SOURCE_MISSING':
      return { headline: 'A folder this schedule backs up is missing.', whatToDo: 'Reconnect the drive it is on, or edit the schedule to stop backing it up; then choose Back Up Now.' };
    case 'INSUFFICIENT_SPACE':
      return { headline: `There is not enough free space on “${destinationName}”.`, whatToDo: `Free some space on “${destinationName}”, keep fewer snapshots (the schedule's retention), or choose another destination; then choose Back Up Now.` };
    case 'WORKER_CRASHED':
      return { headline: 'The backup process stopped unexpectedly.', whatToDo: 'Older backups are safe and Dormouse tries again by itself (after 5 min, 30 min, 2 h, then every 2 h). If it keeps happening, check that the drive is healthy.' };
    case 'WRITE_FAILED':
      return { headline: `Dormouse could not write to “${destinationName}”.`, whatToDo: `Check that “${destinationName}” is connected and writable, then choose Back Up Now.` };
    case 'DESTINATION_UNAVAILABLE':
      return { headline: `“${destinationName}” was not connected.`, whatToDo: `Connect “${destinationName}”: the backup runs by itself once it is there.` };
    case 'INTERRUPTED':
      return { headline: 'Dormouse stopped before this backup finished (it was quit, or the laptop shut down).', whatToDo: 'Nothing: the next start catches the backup up. The partial archive was removed.' };
    case 'CANCELLED':
      return { headline: 'This backup was cancelled.', whatToDo: 'Choose Back Up Now to run it again.' };
    case undefined:
      break;
    default:
      return { headline: 'The backup failed.', whatToDo: 'Choose Back Up Now to try again; if it fails again, the error below says what Dormouse ran into.' };
  }
  const items = itemWarnings(job.warnings).length;
  if (job.status === 'succeeded' && items > 0) {
    return { headline: `${itemsNotBackedUp(items)}.`, whatToDo: 'Everything else is backed up. The list below says why each item was left out; close the program that holds it, or fix its permissions, and the next backup takes it.' };
  }
  return null;
}

/**
 * Why a backup failed, in one or two sentences naming what is missing and what to do: the body of
 * the failure notification and the line on the overview's card (the job page says more).
 */
export function failureInWords(job: Pick<JobView, 'error'>, destinationName: string): string {
  const detail = job.error?.message ?? '';
  switch (job.error?.code) {
    case 'SOURCE_MISSING': {
      const several = detail.startsWith('source folders missing: ');
      const folders = detail.replace(/^source folders? missing: /, '').replace(/; .*$/, '');
      return several ? `Folders it backs up are missing (${folders}). Reconnect them or edit the schedule.` : `A folder it backs up is missing (${folders}). Reconnect it or edit the schedule.`;
    }
    case 'INSUFFICIENT_SPACE':
      return `There is not enough free space on “${destinationName}”. Free some space or choose another destination.`;
    case 'WORKER_CRASHED':
      return 'The backup process stopped unexpectedly. Older backups are safe; Dormouse will try again.';
    case 'WRITE_FAILED':
      return `Dormouse could not write to “${destinationName}”: ${detail}`;
    default:
      return detail === '' ? 'Dormouse will try again.' : detail;
  }
}

/** How long a job ran, in milliseconds; null until it has started and finished. */
export function jobDurationMs(job: Pick<JobView, 'startedAt' | 'finishedAt'>): number | null {
  if (job.startedAt === null || job.finishedAt === null) return null;
  return Math.max(0, Date.parse(job.finishedAt) - Date.parse(job.startedAt));
}

/** Bytes per second over the whole run; null when it did not run or took no measurable time. */
export function jobThroughput(job: Pick<JobView, 'startedAt' | 'finishedAt' | 'bytes'>): number | null {
  const duration = jobDurationMs(job);
  return duration === null || duration === 0 ? null : (job.bytes * 1000) / duration;
}
