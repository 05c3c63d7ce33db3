import { onTimeSeconds, type CoverageSlot, type CoverageStatus, type CoverageTrigger } from '../../shared/coverage';
import { toLocalIso } from '../../shared/time';
import type { FinishedJobRow } from '../jobs/job-store';

/** What started a job, in the coverage's words: a catch-up says what woke it when that was recorded. */
export function coverageTrigger(job: Pick<FinishedJobRow, 'trigger' | 'cause'>): CoverageTrigger {
  return job.trigger === 'catch-up' ? (job.cause ?? 'catch-up') : job.trigger;
}

/** What an unsuccessful attempt says about its slot; a cancelled job (the person stopped it) says nothing. */
function attemptStatus(job: FinishedJobRow): CoverageStatus | null {
  if (job.status === 'skipped') return 'skipped';
  if (job.status === 'failed' || job.status === 'interrupted') return 'failed';
  return null;
}

/**
 * Decides what became of each expected run (slot times, oldest first) from a schedule's finished
 * jobs (oldest first), as a pure function over rows:
 *
 * - A slot is covered by the first successful backup that started at or after it: `on-time` when
 *   that was within 5 minutes, else `caught-up`, with how late and what started it. One backup after
 *   a long sleep covers every slot it slept through: each of them is `caught-up` by that same job,
 *   each as late as its own time says (the oldest the latest), so the strip shows every window
 *   the laptop slept through and that one catch-up saved them all.
 * - A slot not covered yet takes the outcome of the last attempt in its own window (from its time
 *   to the next slot, or to now for the newest): `skipped` (destination missing) or `failed`
 *   (a failed or interrupted backup), naming that job; with no attempt there it is `missed`.
 */
export function slotStatuses(slots: readonly number[], jobs: readonly FinishedJobRow[]): CoverageSlot[] {
  const successes = jobs.filter((job) => job.status === 'succeeded');
  const attempts = jobs.filter((job) => attemptStatus(job) !== null);
  let cover = 0;
  let attempt = 0;
  return slots.map((at, index) => {
    while (cover < successes.length && (successes[cover] as FinishedJobRow).at < at) cover += 1;
    const covering = successes[cover];
    if (covering) {
      const lateSeconds = Math.floor((covering.at - at) / 1000);
      return { at: toLocalIso(at), status: lateSeconds <= onTimeSeconds ? 'on-time' : 'caught-up', jobId: covering.id, lateSeconds, trigger: coverageTrigger(covering) };
    }
    const windowEnd = slots[index + 1] ?? Number.POSITIVE_INFINITY;
    while (attempt < attempts.length && (attempts[attempt] as FinishedJobRow).at < at) attempt += 1;
    let last: FinishedJobRow | undefined;
    for (let look = attempt; look < attempts.length && (attempts[look] as FinishedJobRow).at < windowEnd; look += 1) last = attempts[look];
    if (!last) return { at: toLocalIso(at), status: 'missed', jobId: null, lateSeconds: null, trigger: null };
    return { at: toLocalIso(at), status: attemptStatus(last) as CoverageStatus, jobId: last.id, lateSeconds: null, trigger: coverageTrigger(last) };
  });
}
