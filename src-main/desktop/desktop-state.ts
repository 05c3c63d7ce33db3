import type { Settings } from '../../shared/settings';
import type { DestinationView, JobProgress, JobView, ScheduleView } from '../../shared/types';

/** A schedule with what the desktop needs to know about it beyond its list entry. */
export interface DesktopSchedule {
  schedule: ScheduleView;
  /** Its most recent finished job, if any. */
  lastJob: JobView | null;
  /** Its destination, as `destination list` shows it. */
  destination: DestinationView | null;
  /** When its backups began to be skipped for want of the destination (since its last success), or null. */
  destinationMissingSince: number | null;
}

/** Everything the tray, its menu and the notifications are computed from: a snapshot of engine state. */
export interface DesktopState {
  now: number;
  schedules: DesktopSchedule[];
  running: { job: JobView; scheduleName: string; progress: JobProgress | null } | null;
  pausedUntil: number | null;
  settings: Settings;
  nextRunAt: number | null;
}
