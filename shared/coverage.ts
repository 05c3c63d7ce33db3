/**
 * The coverage picture's words and pure helpers, shared by the engine, the CLI and the window:
 * what a schedule's expected runs (cron slots) became, and how many slots fold into one cell.
 */

/** What woke the laptop (or Dormouse) into catching up; recorded on each catch-up job. */
export const catchUpCauses = ['start-up', 'wake', 'unlock', 'drive-connected', 'pause-ended'] as const;
export type CatchUpCause = (typeof catchUpCauses)[number];

/** Tells whether a stored word is a catch-up cause this code knows (the catalog may hold a newer one). */
export function isCatchUpCause(word: unknown): word is CatchUpCause {
  return typeof word === 'string' && (catchUpCauses as readonly string[]).includes(word);
}

/**
 * What became of one expected run, from the best to the worst: backed up within 5 minutes
 * (`on-time`), later (`caught-up`), or not yet: its own window's last attempt was `skipped`
 * (destination missing) or `failed`, or nothing was tried (`missed`).
 */
export const coverageStatuses = ['on-time', 'caught-up', 'skipped', 'failed', 'missed'] as const;
export type CoverageStatus = (typeof coverageStatuses)[number];

/**
 * What started the job a slot points at: `scheduled`, `manual`, `retry`, or, for a catch-up, what
 * woke it; `catch-up` alone for catch-ups recorded before the cause was kept.
 */
export type CoverageTrigger = 'scheduled' | 'manual' | 'retry' | 'catch-up' | CatchUpCause;

/** One expected run of a schedule and what became of it. */
export interface CoverageSlot {
  /** The cron slot, local ISO-8601 with its offset. */
  at: string;
  status: CoverageStatus;
  /** The backup that covered it; for `failed`/`skipped`, the last attempt in its window; null when `missed`. */
  jobId: number | null;
  /** How long after the slot its covering backup started; null when not covered. */
  lateSeconds: number | null;
  /** What started the job `jobId` names; null when there is none. */
  trigger: CoverageTrigger | null;
}

/** A schedule's expected runs over a time range: `dormouse coverage` and the overview's strip. */
export interface CoverageView {
  schedule: string;
  from: string;
  to: string;
  slots: CoverageSlot[];
}

/** Slots started within this long of their time are on time. */
export const onTimeSeconds = 5 * 60;

/** The longest look back, in days: enough for a month and a bit of history on a strip and in the CLI. */
export const maxCoverageDays = 90;

/** How bad a status is: an aggregate of slots is as bad as its worst one. */
export function badness(status: CoverageStatus): number {
  return coverageStatuses.indexOf(status);
}

/** The worst of some statuses (`on-time` for none). */
export function worstStatus(statuses: Iterable<CoverageStatus>): CoverageStatus {
  let worst: CoverageStatus = 'on-time';
  for (const status of statuses) if (badness(status) > badness(worst)) worst = status;
  return worst;
}

/** How a slot's status reads in a sentence. */
export const statusWords: Record<CoverageStatus, string> = {
  'on-time': 'on time',
  'caught-up': 'caught up',
  skipped: 'skipped',
  failed: 'failed',
  missed: 'missed',
};

/** What started a job, in words ("after a wake from sleep"). */
export const triggerWords: Record<CoverageTrigger, string> = {
  scheduled: 'on schedule',
  manual: 'by Back Up Now',
  retry: 'as a retry',
  'catch-up': 'as a catch-up',
  'start-up': 'at start-up',
  wake: 'after a wake from sleep',
  unlock: 'after the screen was unlocked',
  'drive-connected': 'when the drive was connected',
  'pause-ended': 'when backups were resumed',
};

/** One cell of a strip: one slot, or the slots of an hour or a day. */
export interface CoverageCell {
  /** Where the cell starts (epoch ms): its slot's time, or the start of its local hour or day. */
  start: number;
  /** The slots it holds, oldest first. */
  slots: CoverageSlot[];
  /** The worst status among them. */
  status: CoverageStatus;
  /** How many slots of each status. */
  counts: Record<CoverageStatus, number>;
}

/** What a cell stands for: a single slot, or the slots of a local hour or day. */
export type CellSpan = 'slot' | 'hour' | 'day';

function startOfLocalHour(ms: number): number {
  const date = new Date(ms);
  date.setMinutes(0, 0, 0);
  return date.getTime();
}

function startOfLocalDay(ms: number): number {
  const date = new Date(ms);
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/**
 * Folds slots into at most `maxCells` cells: one per slot when they fit, else one per local hour,
 * else one per local day. A cell is as bad as its worst slot and counts each status, so a missed
 * run in a `*\/5` schedule still shows.
 */
export function coverageCells(slots: readonly CoverageSlot[], maxCells: number): { span: CellSpan; cells: CoverageCell[] } {
  const spans: { span: CellSpan; key: (ms: number) => number }[] = [
    { span: 'slot', key: (ms) => ms },
    { span: 'hour', key: startOfLocalHour },
    { span: 'day', key: startOfLocalDay },
  ];
  let chosen: { span: CellSpan; cells: CoverageCell[] } = { span: 'slot', cells: [] };
  for (const { span, key } of spans) {
    const cells: CoverageCell[] = [];
    for (const slot of slots) {
      const start = key(Date.parse(slot.at));
      let cell = cells[cells.length - 1];
      if (cell === undefined || cell.start !== start) {
        cell = { start, slots: [], status: 'on-time', counts: { 'on-time': 0, 'caught-up': 0, skipped: 0, failed: 0, missed: 0 } };
        cells.push(cell);
      }
      cell.slots.push(slot);
      cell.counts[slot.status] += 1;
      if (badness(slot.status) > badness(cell.status)) cell.status = slot.status;
    }
    chosen = { span, cells };
    if (cells.length <= maxCells) break;
  }
  return chosen;
}
