import { useCallback, useState } from 'react';
import type { DormouseEvent } from '../../../shared/contract';
import { formatBytes } from '../../../shared/format';
import { formatAgo, formatDuration, formatWhen } from '../../../shared/human-time';
import { failureInWords } from '../../../shared/job-words';
import type { JobProgress, JobView, ScheduleView } from '../../../shared/types';
import { itemWarnings, itemsNotBackedUp } from '../../../shared/warning-words';
import { call, EngineError } from '../bridge';
import { useEngineData, useEngineEvents } from '../use-engine';
import type { Screen } from '../app';
import { CoverageSection } from '../coverage-strip';

interface Live {
  progress: JobProgress;
  startedAt: number;
}

/** What a schedule's finished jobs say: why the latest failed, and what its latest backup could not keep. */
interface LastJobs {
  failure: { error: JobView['error']; jobId: number } | null;
  /** The latest succeeded job, when it could not back up some items. */
  leftOut: { jobId: number; count: number } | null;
}

function ScheduleCard({ schedule, live, last, onBackUp, onShowJob }: { schedule: ScheduleView; live: Live | undefined; last: LastJobs | undefined; onBackUp: () => void; onShowJob: (jobId: number) => void }) {
  const lastFailure = last?.failure ?? null;
  const leftOut = last?.leftOut ?? null;
  const now = Date.now();
  const percent = live && live.progress.totalBytes > 0 ? Math.min(100, Math.floor((100 * live.progress.bytes) / live.progress.totalBytes)) : 0;
  const elapsed = live ? now - live.startedAt : 0;
  const left = live && live.progress.bytes > 0 ? (elapsed * (live.progress.totalBytes - live.progress.bytes)) / live.progress.bytes : null;
  const state = live ? 'Running' : !schedule.enabled ? 'Disabled' : lastFailure ? 'Last backup failed' : schedule.overdue ? 'Overdue' : 'Up to date';
  return (
    <article className="card" aria-label={schedule.name}>
      <header>
        <h3>{schedule.name}</h3>
        <span className={`chip chip-${state.toLowerCase().replace(/ /g, '-')}`}>{state}</span>
      </header>
      {live && (
        <div className="progress-block">
          <progress max={100} value={percent} aria-label={`Backing up ${schedule.name}`}>
            {percent}%
          </progress>
          <p className="muted">
            {percent}% — {live.progress.files.toLocaleString('en-US')} of {live.progress.totalFiles.toLocaleString('en-US')} files, {formatBytes(live.progress.bytes)} of {formatBytes(live.progress.totalBytes)}
            {left !== null ? `, about ${formatDuration(left)} left` : ''}
          </p>
        </div>
      )}
      {lastFailure && !live && (
        <p className="error">
          {failureInWords(lastFailure, schedule.destination)}{' '}
          <button type="button" className="link" onClick={() => onShowJob(lastFailure.jobId)}>
            What went wrong?
          </button>
        </p>
      )}
      {leftOut && (
        <p className="left-out">
          {itemsNotBackedUp(leftOut.count)}.{' '}
          <button type="button" className="link" onClick={() => onShowJob(leftOut.jobId)}>
            {leftOut.count === 1 ? 'Show which' : 'Show the list'}
          </button>
        </p>
      )}
      <dl>
        <dt>Last backup</dt>
        <dd>{schedule.lastSuccessAt ? formatAgo(Date.parse(schedule.lastSuccessAt), now) : 'never'}</dd>
        <dt>Next run</dt>
        <dd>{schedule.nextRunAt ? formatWhen(Date.parse(schedule.nextRunAt), now) : '—'}</dd>
        <dt>When</dt>
        <dd>{schedule.description}</dd>
      </dl>
      <button type="button" onClick={onBackUp} disabled={live !== undefined}>
        Back Up Now
      </button>
    </article>
  );
}

/** Whether the person's files are safe: every schedule's state, progress, last and next backup. */
export function OverviewScreen({ navigate }: { navigate: (screen: Screen, jobId?: number) => void }) {
  const status = useEngineData(() => call('status:get', {}), ['schedules-changed', 'job-finished', 'job-started']);
  const lastJobs = useEngineData(async () => {
    const jobs = await call('jobs:list', { limit: 200 });
    const latest = new Map<number, LastJobs>();
    const succeeded = new Set<number>();
    // Newest first: the first finished job of a schedule says whether it failed; its first success, what its latest backup lacks.
    for (const job of jobs) {
      if (job.status === 'queued' || job.status === 'running') continue;
      const entry = latest.get(job.scheduleId) ?? { failure: job.status === 'failed' ? { error: job.error, jobId: job.id } : null, leftOut: null };
      latest.set(job.scheduleId, entry);
      if (job.status !== 'succeeded' || succeeded.has(job.scheduleId)) continue;
      succeeded.add(job.scheduleId);
      const count = itemWarnings(job.warnings).length;
      if (count > 0) entry.leftOut = { jobId: job.id, count };
    }
    return latest;
  }, ['job-finished']);
  const [live, setLive] = useState<Map<number, Live>>(new Map());
  const [message, setMessage] = useState<string | null>(null);
  useEngineEvents(
    useCallback((event: DormouseEvent) => {
      if (event.type === 'job-progress') {
        setLive((current) => new Map(current).set(event.payload.scheduleId, { progress: event.payload, startedAt: current.get(event.payload.scheduleId)?.startedAt ?? Date.now() }));
      } else if (event.type === 'job-finished') {
        setLive((current) => {
          const next = new Map(current);
          next.delete(event.payload.scheduleId);
          return next;
        });
      }
    }, []),
  );
  const destinations = useEngineData(() => call('destinations:list', {}), ['schedules-changed']);

  if (status.error) return <p className="error">{status.error}</p>;
  if (!status.data || !destinations.data) return <p className="muted">Loading…</p>;
  const { schedules, scheduler } = status.data;
  const backUp = async (name: string) => {
    try {
      const job = await call('jobs:start', { name });
      setMessage(`Backup of ${name} queued (job ${job.id}).`);
    } catch (error) {
      setMessage(error instanceof EngineError ? error.message : String(error));
    }
  };
  return (
    <section aria-labelledby="overview-title">
      <h2 id="overview-title">Overview</h2>
      {!scheduler.held && <p className="notice">Scheduled backups are not running: no Dormouse process holds the scheduler right now.</p>}
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      {schedules.length === 0 ? (
        <div className="empty">
          <h3>Nothing is backed up yet</h3>
          {destinations.data.length === 0 ? (
            <p>First, add a destination: the external drive, network share or folder where your backups will go.</p>
          ) : (
            <p>Now add a schedule: which folders to back up, and when.</p>
          )}
          <button type="button" onClick={() => navigate('setup')}>
            Set up backups
          </button>
        </div>
      ) : (
        <div className="cards">
          {schedules.map((schedule) => (
            <ScheduleCard
              key={schedule.id}
              schedule={schedule}
              live={live.get(schedule.id)}
              last={lastJobs.data?.get(schedule.id)}
              onBackUp={() => void backUp(schedule.name)}
              onShowJob={(jobId) => navigate('history', jobId)}
            />
          ))}
        </div>
      )}
      <CoverageSection schedules={schedules} onOpenJob={(jobId) => navigate('history', jobId)} />
    </section>
  );
}
