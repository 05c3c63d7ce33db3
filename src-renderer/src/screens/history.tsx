import { useEffect, useState } from 'react';
import { formatBytes } from '../../../shared/format';
import type { JobStatus, JobView } from '../../../shared/types';
import { call } from '../bridge';
import { useEngineData } from '../use-engine';
import { JobPage } from './job-page';

const pageSize = 50;
const statuses: JobStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped', 'interrupted'];

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
  const scheduleOf = (id: number) => schedules.data?.find((candidate) => candidate.id === id);
  const nameOf = (id: number) => scheduleOf(id)?.name ?? `schedule ${id}`;
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
      {selected !== null && <JobPage jobId={selected} scheduleOf={scheduleOf} onClose={() => setSelected(null)} />}
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
