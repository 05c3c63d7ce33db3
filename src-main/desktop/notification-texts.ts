import { counted, formatBytes } from '../../shared/format';
import { formatAgo, formatDuration } from '../../shared/human-time';
import { failureInWords } from '../../shared/job-words';
import type { JobView } from '../../shared/types';
import { itemWarnings, itemsNotBackedUp } from '../../shared/warning-words';
import type { DesktopSchedule } from './desktop-state';

/** A notification to show, and what clicking it opens. */
export interface NotificationText {
  title: string;
  body: string;
  /** The job to open in the window when the notification is clicked, or null for the overview. */
  jobId: number | null;
}

/**
 * The notification for a job that has ended, or null when there is none to show: successes only
 * when the setting asks for them, unless items could not be backed up (that is always said, with
 * the first item named); failures always; cancelled and skipped jobs never (the drive notice covers
 * a missing destination).
 */
export function jobNotification(job: JobView, scheduleName: string, destinationName: string, notifyOnSuccess: boolean): NotificationText | null {
  if (job.status === 'succeeded') {
    const items = itemWarnings(job.warnings);
    if (items.length > 0) {
      const rest = items.length === 1 ? '. Click for details.' : ` (and ${(items.length - 1).toLocaleString('en-US')} more). Click to see the list.`;
      return { title: `Backup of ${scheduleName} finished — ${itemsNotBackedUp(items.length)}`, body: `${items[0]}${rest}`, jobId: job.id };
    }
    if (!notifyOnSuccess) return null;
    const took = job.startedAt && job.finishedAt ? ` in ${formatDuration(Date.parse(job.finishedAt) - Date.parse(job.startedAt))}` : '';
    return { title: 'Backup complete', body: `Backed up ${scheduleName} — ${counted(job.files, 'file')}, ${formatBytes(job.bytes)}${took}`, jobId: job.id };
  }
  if (job.status === 'failed') {
    return { title: `Backup of ${scheduleName} failed`, body: failureInWords(job, destinationName), jobId: job.id };
  }
  return null;
}

const day = 24 * 3_600_000;

/** "Connect your backup drive" (or, for a share that does not answer, says so): for an overdue schedule whose destination has been missing for more than a day. */
export function connectDriveNotification(entry: DesktopSchedule, now: number): NotificationText | null {
  const { schedule, destination, destinationMissingSince } = entry;
  if (!schedule.enabled || !schedule.overdue || destination === null || destination.available) return null;
  if (destinationMissingSince === null || now - destinationMissingSince <= day) return null;
  const since = schedule.lastSuccessAt === null ? 'has not been backed up yet' : `was last backed up ${formatAgo(Date.parse(schedule.lastSuccessAt), now)}`;
  if (destination.state === 'not-answering') {
    return { title: 'Your backup share is not answering', body: `${schedule.name} ${since}: “${destination.name}” is there but does not answer. Is it in reach of this network?`, jobId: null };
  }
  return { title: 'Connect your backup drive', body: `${schedule.name} ${since}: “${destination.name}” is not connected.`, jobId: null };
}
