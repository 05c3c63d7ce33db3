import { useEffect, useRef, useState } from 'react';
import { formatBytes } from '../../../shared/format';
import { formatDuration } from '../../../shared/human-time';
import { jobDurationMs, jobThroughput, jobTrouble } from '../../../shared/job-words';
import type { JobView, ScheduleView } from '../../../shared/types';
import { itemWarnings, itemsNotBackedUp, jobNotes, splitItemWarning } from '../../../shared/warning-words';
import { call } from '../bridge';
import './job-page.css';

/** The items a job could not back up, each path in full as the engine wrote it, then notes about the job itself. */
function LeftOut({ warnings }: { warnings: string[] }) {
  const items = itemWarnings(warnings);
  const notes = jobNotes(warnings);
  return (
    <>
      {items.length > 0 && (
        <section aria-labelledby="left-out-title">
          <h4 id="left-out-title">{itemsNotBackedUp(items.length)}</h4>
          <ul className="warnings" aria-labelledby="left-out-title">
            {items.map((warning, index) => {
              const { path, why } = splitItemWarning(warning);
              return (
                <li key={index}>
                  <span className="path">{path}</span>
                  {why && `: ${why}`}
                </li>
              );
            })}
          </ul>
        </section>
      )}
      {notes.length > 0 && (
        <>
          <h4>Notes</h4>
          <ul className="warnings">
            {notes.map((note, index) => (
              <li key={index}>{note}</li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

/**
 * One backup run, as a person asks about it: what went wrong and what to do, how long it took,
 * how much it backed up and how fast, and what it could not keep. Opened from the history, an
 * overview card, the tray and a notification.
 */
export function JobPage({ jobId, scheduleOf, onClose }: { jobId: number; scheduleOf: (id: number) => ScheduleView | undefined; onClose: () => void }) {
  const [job, setJob] = useState<JobView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    setJob(null);
    call('jobs:get', { jobId }).then(setJob, (failure: unknown) => setError((failure as Error).message));
  }, [jobId]);
  useEffect(() => heading.current?.focus(), [job?.id]);
  if (error) return <p className="error">{error}</p>;
  if (!job) return null;
  const schedule = scheduleOf(job.scheduleId);
  const duration = jobDurationMs(job);
  const throughput = jobThroughput(job);
  const trouble = jobTrouble(job, schedule?.destination ?? 'the destination');
  return (
    <aside className="detail" aria-label={`Job ${job.id}`}>
      <h3 ref={heading} tabIndex={-1}>
        Job {job.id}: {schedule?.name ?? `schedule ${job.scheduleId}`} — {job.status}
      </h3>
      {trouble && (
        <div className={job.status === 'succeeded' ? 'trouble trouble-warning' : 'trouble'} role="group" aria-label="What went wrong">
          <p className="trouble-headline">{trouble.headline}</p>
          <p>
            <strong>What to do:</strong> {trouble.whatToDo}
          </p>
        </div>
      )}
      <dl>
        <dt>Trigger</dt>
        <dd>{job.trigger}</dd>
        <dt>Queued</dt>
        <dd>{new Date(job.queuedAt).toLocaleString()}</dd>
        <dt>Started</dt>
        <dd>{job.startedAt ? new Date(job.startedAt).toLocaleString() : '—'}</dd>
        <dt>Finished</dt>
        <dd>{job.finishedAt ? new Date(job.finishedAt).toLocaleString() : '—'}</dd>
        <dt>Duration</dt>
        <dd>{duration === null ? '—' : formatDuration(duration)}</dd>
        <dt>Files</dt>
        <dd>{job.files.toLocaleString('en-US')}</dd>
        <dt>Size</dt>
        <dd>{formatBytes(job.bytes)}</dd>
        <dt>Throughput</dt>
        <dd>{throughput === null ? '—' : `${formatBytes(Math.round(throughput))}/s`}</dd>
        <dt>Archive</dt>
        <dd className="path">{job.archivePath ?? '—'}</dd>
        {job.sha256 && (
          <>
            <dt>SHA-256</dt>
            <dd className="path">{job.sha256}</dd>
          </>
        )}
        {job.error && (
          <>
            <dt>Error</dt>
            <dd className="error">
              {job.error.code}: {job.error.message}
            </dd>
          </>
        )}
      </dl>
      <LeftOut warnings={job.warnings} />
      <button type="button" onClick={onClose}>
        Close
      </button>
    </aside>
  );
}
