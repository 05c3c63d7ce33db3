import { useEffect, useState } from 'react';
import { formatBytes } from '../../../shared/format';
import { formatDuration } from '../../../shared/human-time';
import type { JobStatus, JobView } from '../../../shared/types';
import { itemWarnings, itemsNotBackedUp, jobNotes, splitItemWarning } from '../../../shared/warning-words';
import { call } from '../bridge';
import { useEngineData } from '../use-engine';

const pageSize = 50;
const statuses: JobStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped', 'interrupted'];

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

function JobDetail({ jobId, scheduleName, onClose }: { jobId: number; scheduleName: (id: number) => string; onClose: () => void }) {
  const [job, setJob] = useState<JobView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    call('jobs:get', { jobId }).then(setJob, (failure: unknown) => setError((failure as Error).message));
  }, [jobId]);
  if (error) return <p className="error">{error}</p>;
  if (!job) return null;
  const took = job.startedAt && job.finishedAt ? formatDuration(Date.parse(job.finishedAt) - Date.parse(job.startedAt)) : '—';
  return (
    <aside className="detail" aria-label={`Job ${job.id}`}>
      <h3>
        Job {job.id}: {scheduleName(job.scheduleId)} — {job.status}
      </h3>
      <dl>
        <dt>Trigger</dt>
        <dd>{job.trigger}</dd>
        <dt>Queued</dt>
        <dd>{new Date(job.queuedAt).toLocaleString()}</dd>
        <dt>Started</dt>
        <dd>{job.startedAt ? new Date(job.startedAt).toLocaleString() : '—'}</dd>
        <dt>Finished</dt>
        <dd>{job.finishedAt ? new Date(job.finishedAt).toLocaleString() : '—'}</dd>
        <dt>Took</dt>
        <dd>{took}</dd>
        <dt>Files</dt>
        <dd>
          {job.files.toLocaleString('en-US')} ({formatBytes(job.bytes)})
        </dd>
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

/** Every backup run, newest first, a page at a time, filtered by schedule and status. */
export function HistoryScreen({ initialJobId }: { initialJobId: number | null }) {
  const schedules = useEngineData(() => call('schedules:list', {}), ['schedules-changed']);
  const [schedule, setSchedule] = useState('');
  const [status, setStatus] = useState<JobStatus | ''>('');
  const [pages, setPages] = useState<number[]>([]);
  const [selected, setSelected] = useState<number | null>(initialJobId);
  const beforeId = pages.at(-1);
  const jobs = useEngineData(
    () =>
      call('jobs:list', {
        limit: pageSize + 1,
        ...(schedule ? { schedule } : {}),
        ...(status ? { status } : {}),
        ...(beforeId !== undefined ? { beforeId } : {}),
      }),
    ['job-finished', 'job-started'],
  );
  useEffect(() => jobs.reload(), [schedule, status, beforeId, jobs.reload]);
  useEffect(() => setSelected(initialJobId), [initialJobId]);
  const nameOf = (id: number) => schedules.data?.find((candidate) => candidate.id === id)?.name ?? `schedule ${id}`;
  const rows = jobs.data?.slice(0, pageSize) ?? [];
  const hasOlder = (jobs.data?.length ?? 0) > pageSize;

  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <div className="row filters">
        <label>
          Schedule
          <select value={schedule} onChange={(event) => (setSchedule(event.target.value), setPages([]))}>
            <option value="">All schedules</option>
            {schedules.data?.map((item) => (
              <option key={item.id} value={item.name}>
                {item.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={status} onChange={(event) => (setStatus(event.target.value as JobStatus | ''), setPages([]))}>
            <option value="">Any status</option>
            {statuses.map((item) => (
              <option key={item} value={item}>
                {item}
              </option>
            ))}
          </select>
        </label>
      </div>
      {selected !== null && <JobDetail jobId={selected} scheduleName={nameOf} onClose={() => setSelected(null)} />}
      {rows.length === 0 ? (
        <p className="empty">No backups match. When a backup runs, it appears here.</p>
      ) : (
        <table className="history">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Schedule</th>
              <th scope="col">Status</th>
              <th scope="col">Trigger</th>
              <th scope="col">Queued</th>
              <th scope="col">Files</th>
              <th scope="col">Size</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((job) => (
              <tr key={job.id}>
                <td>
                  <button type="button" className="link" onClick={() => setSelected(job.id)} aria-label={`Show job ${job.id}`}>
                    {job.id}
                  </button>
                </td>
                <td>{nameOf(job.scheduleId)}</td>
                <td>
                  <span className={`chip chip-${job.status}`}>{job.status}</span>
                </td>
                <td>{job.trigger}</td>
                <td>{new Date(job.queuedAt).toLocaleString()}</td>
                <td>{job.files.toLocaleString('en-US')}</td>
                <td>{formatBytes(job.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="row">
        <button type="button" disabled={pages.length === 0} onClick={() => setPages(pages.slice(0, -1))}>
          Newer
        </button>
        <button type="button" disabled={!hasOlder} onClick={() => setPages([...pages, (rows.at(-1) as JobView).id])}>
          Older
        </button>
      </div>
    </section>
  );
}
