import { maxCoverageDays } from '../../shared/coverage';
import { DormouseError } from '../../shared/errors';
import { describeCron } from '../../shared/cron-words';
import { firesBetween } from '../scheduler/cron-schedule';

/** The most slots one coverage request lists: every 5 minutes for 41 days, every minute for a week. */
export const maxSlots = 12_000;

const day = 86_400_000;

interface Known {
  /** The fires from `start` to `end`, both included, oldest first. */
  fires: number[];
  start: number;
  end: number;
}

/** Fires already worked out, per cron expression and time zone: cron-parser takes ~20 µs a fire. */
const known = new Map<string, Known>();
const keptExpressions = 64;

function zoneNow(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

function firstAtOrAfter(fires: readonly number[], instant: number): number {
  let low = 0;
  let high = fires.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((fires[middle] as number) < instant) low = middle + 1;
    else high = middle;
  }
  return low;
}

function tooMany(name: string, cron: string, fromMs: number, toMs: number): DormouseError {
  const days = Math.max(1, Math.round((toMs - fromMs) / day));
  const perDay = Math.max(1, (firesBetween(cron, fromMs, fromMs + day - 1, maxSlots) ?? []).length);
  return new DormouseError(
    'INVALID_INPUT',
    `schedule "${name}" (${describeCron(cron)}) expects more than ${maxSlots} runs in ${days} days, more than coverage lists at once; ask for at most ${Math.max(1, Math.floor(maxSlots / perDay))} days`,
  );
}

/**
 * A schedule's expected runs (its cron slots in the laptop's time zone) from `fromMs` to `toMs`,
 * as the scheduler's timer would have fired them. Worked out once per expression and extended as
 * time goes on, so the overview asking again after every backup costs next to nothing; more than
 * `maxSlots` is refused with how many days would fit.
 */
export function expectedRuns(name: string, cron: string, fromMs: number, toMs: number): number[] {
  if (toMs < fromMs) return [];
  const key = `${zoneNow()}\n${cron.trim()}`;
  let entry = known.get(key);
  if (entry && fromMs < entry.start) entry = undefined;
  if (entry !== undefined && toMs > entry.end) {
    const more = firesBetween(cron, entry.end + 1, toMs, maxSlots);
    // What lies before the longest look back is let go, so a long-running app keeps a bounded list.
    const start = Math.max(entry.start, Math.min(fromMs, toMs - (maxCoverageDays + 1) * day));
    entry = more === null ? undefined : { fires: [...entry.fires.slice(firstAtOrAfter(entry.fires, start)), ...more], start, end: toMs };
  }
  if (entry === undefined) {
    const fires = firesBetween(cron, fromMs, toMs, maxSlots);
    if (fires === null) throw tooMany(name, cron, fromMs, toMs);
    entry = { fires, start: fromMs, end: toMs };
  }
  const slots = entry.fires.slice(firstAtOrAfter(entry.fires, fromMs), firstAtOrAfter(entry.fires, toMs + 1));
  if (slots.length > maxSlots) throw tooMany(name, cron, fromMs, toMs);
  known.delete(key);
  known.set(key, entry);
  if (known.size > keptExpressions) known.delete(known.keys().next().value as string);
  return slots;
}
