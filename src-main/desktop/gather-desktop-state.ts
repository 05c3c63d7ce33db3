import type { JobProgress } from '../../shared/types';
import type { Engine } from '../engine/engine';
import { activeJobs, destinationMissingSince, lastFinishedJobs } from '../jobs/job-store';
import type { Scheduler } from '../scheduler/scheduler';
import { readSettings } from '../store/settings-store';
import type { DesktopState } from './desktop-state';

/**
 * Reads what the tray and the notifications are computed from: a few quick catalog queries and the
 * destinations as last checked (the checks run off the event loop), nothing that touches a drive,
 * so the process that owns the tray never stalls, not even on a share that stopped answering.
 */
export function gatherDesktopState(engine: Engine, scheduler: Scheduler, progress: ReadonlyMap<number, JobProgress>, now: number): DesktopState {
  const db = engine.db;
  const schedules = engine.scheduleViews();
  const destinations = new Map(engine.knownDestinationViews().map((destination) => [destination.name.toLowerCase(), destination]));
  const lastJobs = lastFinishedJobs(db);
  const runningJob = activeJobs(db).find((job) => job.view.status === 'running');
  const settings = readSettings(db);
  return {
    now,
    schedules: schedules.map((schedule) => ({
      schedule,
      lastJob: lastJobs.get(schedule.id) ?? null,
      destination: destinations.get(schedule.destination.toLowerCase()) ?? null,
      destinationMissingSince: destinationMissingSince(db, schedule.id),
    })),
    running: runningJob
      ? {
          job: runningJob.view,
          scheduleName: schedules.find((schedule) => schedule.id === runningJob.view.scheduleId)?.name ?? 'a schedule',
          progress: progress.get(runningJob.view.id) ?? null,
        }
      : null,
    pausedUntil: settings.pausedUntil,
    settings,
    nextRunAt: scheduler.nextFireAt(),
  };
}
