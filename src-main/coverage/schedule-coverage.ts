import type { CoverageView } from '../../shared/coverage';
import { toLocalIso } from '../../shared/time';
import { finishedJobsSince } from '../jobs/job-store';
import type { Db } from '../store/open-store';
import type { ScheduleRecord } from '../store/schedule-store';
import { expectedRuns } from './expected-runs';
import { slotStatuses } from './slot-status';

const day = 86_400_000;

/**
 * A schedule's coverage over the last `days` days up to `now` (slots after `from`, up to and at
 * `now`): its expected runs under its current cron (none before the schedule was made) and what became of each, read from its jobs. Quick enough
 * for the app's main process: one indexed query, and slot times worked out once per expression.
 */
export function scheduleCoverage(db: Db, schedule: ScheduleRecord, days: number, now: number): CoverageView {
  const from = now - days * day;
  const slots = expectedRuns(schedule.name, schedule.cron, Math.max(from + 1, schedule.createdAt), now);
  const jobs = slots.length === 0 ? [] : finishedJobsSince(db, schedule.id, slots[0] as number);
  return { schedule: schedule.name, from: toLocalIso(from), to: toLocalIso(now), slots: slotStatuses(slots, jobs) };
}
