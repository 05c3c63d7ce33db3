import { counted } from '../../shared/format';

/** A schedule's retention rules; null counts are not used, and no rule at all keeps everything. */
export interface RetentionRules {
  keepLast: number | null;
  keepDaily: number | null;
  keepWeekly: number | null;
  keepMonthly: number | null;
}

/** What retention needs to know of a snapshot. */
export interface RetainedSnapshot {
  id: number;
  createdAt: number;
  /** The snapshot this one depends on (an incremental's base), or null. */
  baseId: number | null;
}

/** The decision for one snapshot, with the reasons it is kept. */
export interface RetentionDecision {
  id: number;
  keep: boolean;
  reasons: string[];
}

function dayKey(ms: number): string {
  const date = new Date(ms);
  return `${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()}`;
}

/** The ISO week (Monday first) in local time. */
function weekKey(ms: number): string {
  const local = new Date(ms);
  const date = new Date(Date.UTC(local.getFullYear(), local.getMonth(), local.getDate()));
  date.setUTCDate(date.getUTCDate() + 3 - ((date.getUTCDay() + 6) % 7));
  const firstThursday = new Date(Date.UTC(date.getUTCFullYear(), 0, 4));
  const week = 1 + Math.round(((date.getTime() - firstThursday.getTime()) / 86_400_000 - 3 + ((firstThursday.getUTCDay() + 6) % 7)) / 7);
  return `${date.getUTCFullYear()}-W${week}`;
}

function monthKey(ms: number): string {
  const date = new Date(ms);
  return `${date.getFullYear()}-${date.getMonth() + 1}`;
}

/**
 * Decides which snapshots of a schedule to keep, as Time Machine-like rules do: the newest N;
 * the newest of each of the last N days, weeks and months that have one. The newest snapshot is
 * always kept, and so is every snapshot a kept one depends on (an incremental's chain), whatever
 * the rules say. Pure, so `prune --dry-run` and the real prune say the same thing.
 */
export function decideRetention(snapshots: readonly RetainedSnapshot[], rules: RetentionRules): RetentionDecision[] {
  const newestFirst = [...snapshots].sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
  const reasons = new Map<number, string[]>(newestFirst.map((snapshot) => [snapshot.id, []]));
  const add = (id: number, reason: string) => reasons.get(id)?.push(reason);
  const noRules = rules.keepLast === null && rules.keepDaily === null && rules.keepWeekly === null && rules.keepMonthly === null;

  newestFirst.forEach((snapshot, index) => {
    if (index === 0) add(snapshot.id, 'the newest snapshot');
    if (noRules) add(snapshot.id, 'no retention rule set: keep all');
    if (rules.keepLast !== null && index < rules.keepLast) add(snapshot.id, `one of the last ${rules.keepLast}`);
  });
  const buckets: [number | null, (ms: number) => string, string][] = [
    [rules.keepDaily, dayKey, 'day'],
    [rules.keepWeekly, weekKey, 'week'],
    [rules.keepMonthly, monthKey, 'month'],
  ];
  for (const [count, key, unit] of buckets) {
    if (count === null) continue;
    const seen = new Set<string>();
    for (const snapshot of newestFirst) {
      const bucket = key(snapshot.createdAt);
      if (seen.has(bucket)) continue;
      if (seen.size >= count) break;
      seen.add(bucket);
      add(snapshot.id, `the newest of its ${unit} (keep ${counted(count, unit)})`);
    }
  }
  const byId = new Map(newestFirst.map((snapshot) => [snapshot.id, snapshot]));
  for (const snapshot of newestFirst) {
    if ((reasons.get(snapshot.id) ?? []).length === 0 || (reasons.get(snapshot.id) ?? []).some((reason) => reason.startsWith('the base of'))) continue;
    let base = snapshot.baseId === null ? undefined : byId.get(snapshot.baseId);
    while (base) {
      add(base.id, `the base of kept snapshot ${snapshot.id}`);
      base = base.baseId === null ? undefined : byId.get(base.baseId);
    }
  }
  return newestFirst.map((snapshot) => {
    const why = reasons.get(snapshot.id) ?? [];
    return { id: snapshot.id, keep: why.length > 0, reasons: why };
  });
}
