import { useCallback, useEffect, useId, useState, type KeyboardEvent } from 'react';
import { coverageCells, coverageStatuses, statusWords, triggerWords, type CellSpan, type CoverageCell, type CoverageStatus, type CoverageView } from '../../shared/coverage';
import { formatDuration } from '../../shared/human-time';
import type { ScheduleView } from '../../shared/types';
import { call, subscribe } from './bridge';
import './coverage-strip.css';
import { counted } from '../../shared/format';

/** At most this many cells a strip: a week of hours. More slots fold into hours, then days. */
const maxCells = 168;

function clock(date: Date): string {
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/** A slot's or a cell's local time as the strip says it: "Mon 1 Jun 06:00", "Mon 1 Jun 14:00–15:00", "Mon 1 Jun". */
function cellTime(cell: CoverageCell, span: CellSpan): string {
  const date = new Date(cell.start);
  const day = `${date.toLocaleDateString('en-GB', { weekday: 'short' })} ${date.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' })}`;
  if (span === 'day') return day;
  if (span === 'hour') return `${day} ${clock(date)}–${clock(new Date(cell.start + 3_600_000))}`;
  return `${day} ${clock(date)}`;
}

/** The job a cell opens: its worst slot's, else its newest slot's that has one. */
function cellJob(cell: CoverageCell): number | null {
  const worst = cell.slots.find((slot) => slot.status === cell.status && slot.jobId !== null);
  return worst?.jobId ?? [...cell.slots].reverse().find((slot) => slot.jobId !== null)?.jobId ?? null;
}

/** What one cell says on hover and focus: its local time and status word first, then the job and why. */
export function cellText(cell: CoverageCell, span: CellSpan): string {
  const time = cellTime(cell, span);
  if (span !== 'slot') {
    const counts = coverageStatuses.filter((status) => cell.counts[status] > 0).map((status) => `${cell.counts[status]} ${statusWords[status]}`);
    const job = cellJob(cell);
    return `${time} ${cell.status}: ${counted(cell.slots.length, 'expected run')}, ${counts.join(', ')}${job === null ? '' : `; open job ${job}`}`;
  }
  const slot = cell.slots[0];
  if (!slot) return `${time} ${cell.status}`;
  const started = slot.trigger === null ? '' : `, started ${triggerWords[slot.trigger]}`;
  switch (slot.status) {
    case 'on-time':
      return `${time} on-time: backed up by job ${slot.jobId}${started}`;
    case 'caught-up':
      return `${time} caught-up: backed up by job ${slot.jobId}, ${formatDuration((slot.lateSeconds ?? 0) * 1000)} late${started}`;
    case 'skipped':
      return `${time} skipped: job ${slot.jobId} found the destination missing${started}; not backed up yet`;
    case 'failed':
      return `${time} failed: job ${slot.jobId} did not finish${started}; not backed up yet`;
    case 'missed':
      return `${time} missed: not backed up yet`;
  }
}

function summary(view: CoverageView, days: number): string {
  if (view.slots.length === 0) return `No expected runs in the last ${days} days yet.`;
  const counts = coverageStatuses
    .map((status) => [status, view.slots.filter((slot) => slot.status === status).length] as const)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${statusWords[status]}`);
  return `Last ${days} days, ${counted(view.slots.length, 'expected run')}: ${counts.join(', ')}.`;
}

/**
 * One schedule's expected runs over the last days as a strip: one element with role img named
 * "Backup coverage for <schedule>", a cell per slot (or per hour or day when there are many, as bad
 * as its worst slot). Hover a cell, or focus the strip and move with the arrow keys, to read it;
 * click it (or press Enter) to open its job.
 */
export function CoverageStrip({ schedule, days, onOpenJob }: { schedule: string; days: number; onOpenJob: (jobId: number) => void }) {
  const [view, setView] = useState<CoverageView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const [active, setActive] = useState<number | null>(null);
  const [pointed, setPointed] = useState<number | null>(null);
  const [focused, setFocused] = useState(false);
  const summaryId = useId();
  const detailId = useId();
  useEffect(() => subscribe((event) => (event.type === 'job-finished' || event.type === 'schedules-changed') && setVersion((value) => value + 1)), []);
  useEffect(() => {
    let live = true;
    call('coverage:get', { schedule, days }).then(
      (value) => live && (setView(value), setError(null)),
      (failure: unknown) => live && setError((failure as Error).message),
    );
    return () => {
      live = false;
    };
  }, [schedule, days, version]);
  const { span, cells } = view ? coverageCells(view.slots, maxCells) : { span: 'slot' as const, cells: [] };
  const current = active !== null && active < cells.length ? active : cells.length - 1;
  const open = useCallback(
    (cell: CoverageCell | undefined) => {
      const job = cell ? cellJob(cell) : null;
      if (job !== null) onOpenJob(job);
    },
    [onOpenJob],
  );
  if (error) return <p className="error">{error}</p>;
  if (!view) return <p className="muted">Loading coverage…</p>;
  const onKey = (event: KeyboardEvent) => {
    const moves: Record<string, number> = { ArrowLeft: current - 1, ArrowRight: current + 1, Home: 0, End: cells.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      setActive(Math.min(cells.length - 1, Math.max(0, moves[event.key] as number)));
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      open(cells[current]);
    }
  };
  // A timeline: each cell as wide as the time to the next one, and the time before the schedule was made left blank.
  const begin = Date.parse(view.from);
  const end = Math.max(Date.parse(view.to), (cells[cells.length - 1]?.start ?? 0) + 1);
  const lead = cells[0] ? Math.max(0, cells[0].start - begin) : 0;
  const shown = pointed ?? (focused ? current : null);
  const shownCell = shown === null ? undefined : cells[shown];
  return (
    <div className="coverage">
      <h4 className="coverage-name">{schedule}</h4>
      <div
        role="img"
        aria-label={`Backup coverage for ${schedule}`}
        aria-describedby={`${summaryId} ${detailId}`}
        className={`coverage-strip coverage-span-${span}`}
        tabIndex={cells.length > 0 ? 0 : undefined}
        onKeyDown={onKey}
        onFocus={() => setFocused(true)}
        onBlur={() => setFocused(false)}
        onMouseLeave={() => setPointed(null)}
      >
        {lead > 0 && <span className="coverage-before" style={{ flexGrow: lead }} />}
        {cells.map((cell, index) => {
          const status: CoverageStatus = cell.status;
          const job = cellJob(cell);
          return (
            <span
              key={cell.start}
              style={{ flexGrow: (cells[index + 1]?.start ?? end) - Math.max(cell.start, begin) }}
              className={`coverage-cell coverage-${status}${focused && index === current ? ' coverage-current' : ''}${job === null ? '' : ' coverage-has-job'}`}
              title={cellText(cell, span)}
              data-status={status}
              onMouseEnter={() => setPointed(index)}
              onClick={() => {
                setActive(index);
                open(cell);
              }}
            />
          );
        })}
      </div>
      <p id={summaryId} className="coverage-summary">
        {summary(view, days)}
        {span !== 'slot' && ` Each mark is ${span === 'hour' ? 'an hour' : 'a day'}, as bad as its worst run.`}
      </p>
      <p id={detailId} className="coverage-detail" aria-live="polite">
        {shownCell ? cellText(shownCell, span) : cells.length > 0 ? 'Point at a mark, or focus the strip and use the arrow keys, to see a run; click or press Enter to open its backup.' : ''}
      </p>
    </div>
  );
}

/** What each mark looks like, in words beside its shape and colour. */
function Legend() {
  return (
    <ul className="coverage-legend" aria-label="What the marks mean">
      {coverageStatuses.map((status) => (
        <li key={status}>
          <span className={`coverage-cell coverage-${status}`} aria-hidden="true" />
          {status}
        </li>
      ))}
    </ul>
  );
}

/** The overview's coverage: a strip per schedule over the last 7 days, or 30 with the switch. */
export function CoverageSection({ schedules, onOpenJob }: { schedules: ScheduleView[]; onOpenJob: (jobId: number) => void }) {
  const [days, setDays] = useState(7);
  if (schedules.length === 0) return null;
  return (
    <section className="coverage-section" aria-labelledby="coverage-title">
      <header>
        <h3 id="coverage-title">Coverage</h3>
        <label className="check coverage-switch">
          <input type="checkbox" role="switch" checked={days === 30} onChange={(event) => setDays(event.target.checked ? 30 : 7)} />
          Show 30 days
        </label>
      </header>
      <Legend />
      {schedules.map((schedule) => (
        <CoverageStrip key={schedule.id} schedule={schedule.name} days={days} onOpenJob={onOpenJob} />
      ))}
    </section>
  );
}
