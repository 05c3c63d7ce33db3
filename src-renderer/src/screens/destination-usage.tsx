import { formatBytes } from '../../../shared/format';
import type { DestinationUsage } from '../../../shared/types';
import './destination-usage.css';
import { counted } from '../../../shared/format';

const dayMs = 24 * 3_600_000;
const chartWidth = 300;
const chartHeight = 60;

function dayLabel(day: string): string {
  return new Date(`${day}T12:00:00`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short' });
}

/** When the drive fills, in words: in about N days and around which date, or why there is no date. */
export function fillEstimate(usage: DestinationUsage, now: number): string {
  const rate = `${formatBytes(Math.round(usage.bytesPerDay))} a day over the last ${counted(Math.round(usage.rateDays), 'day')}`;
  if (usage.bytesPerDay <= 0) return `No archives were written here in the last 30 days: the drive does not fill at this rate.`;
  if (usage.freeBytes === null || usage.fullAt === null) return `Archives arrive at ${rate}; how long the space lasts is known once the destination is connected.`;
  const days = Math.max(0, Math.floor((Date.parse(usage.fullAt) - now) / dayMs));
  if (!(days <= 3650)) return `At this rate (${rate}) the drive does not fill within ten years.`;
  const around = new Date(usage.fullAt).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
  return `At this rate (${rate}) the drive is full in about ${counted(days, 'day')}, around ${around}.`;
}

/** The archive bytes of each of the last 30 days as bars, with the same figures as text for screen readers and keyboards. */
function DailyChart({ usage }: { usage: DestinationUsage }) {
  const most = Math.max(1, ...usage.days.map((day) => day.bytes));
  const width = chartWidth / usage.days.length;
  const busy = usage.days.filter((day) => day.bytes > 0);
  const total = busy.reduce((sum, day) => sum + day.bytes, 0);
  const summary = `Archive bytes per day, last ${usage.days.length} days: ${formatBytes(total)} on ${counted(busy.length, 'day')}${busy.length > 0 ? `, at most ${formatBytes(most)} in a day` : ''}.`;
  return (
    <figure className="usage-chart">
      <svg role="img" aria-label={summary} viewBox={`0 0 ${chartWidth} ${chartHeight}`} width={chartWidth} height={chartHeight}>
        <line className="usage-axis" x1={0} y1={chartHeight - 0.5} x2={chartWidth} y2={chartHeight - 0.5} />
        {usage.days.map((day, index) => {
          const height = day.bytes === 0 ? 0 : Math.max(2, (day.bytes / most) * (chartHeight - 4));
          return <rect key={day.day} className="usage-bar" x={index * width + 1} y={chartHeight - 1 - height} width={Math.max(1, width - 2)} height={height} data-day={day.day} />;
        })}
      </svg>
      <figcaption className="usage-note">
        {dayLabel(usage.days[0]?.day ?? '')} – {dayLabel(usage.days.at(-1)?.day ?? '')}
      </figcaption>
      {busy.length > 0 && (
        <details>
          <summary>The days with archives</summary>
          <table className="usage-days">
            <caption className="visually-hidden">Archive bytes per day on {usage.destination}</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Archives</th>
              </tr>
            </thead>
            <tbody>
              {busy.map((day) => (
                <tr key={day.day}>
                  <td>{dayLabel(day.day)}</td>
                  <td>{formatBytes(day.bytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </figure>
  );
}

/** Where one destination's space goes: archives, free space, the last 30 days, when it fills, what retention would delete. */
export function DestinationUsagePanel({ usage, now }: { usage: DestinationUsage; now: number }) {
  return (
    <section className="usage" aria-label={`Space on ${usage.destination}`}>
      <dl className="usage-figures">
        <dt>Dormouse's archives</dt>
        <dd>
          {formatBytes(usage.archiveBytes)} in {usage.snapshots.toLocaleString('en-US')} snapshot{usage.snapshots === 1 ? '' : 's'}
        </dd>
        <dt>Free</dt>
        <dd>{usage.freeBytes === null ? 'unknown (not connected)' : formatBytes(usage.freeBytes)}</dd>
      </dl>
      <DailyChart usage={usage} />
      <p className="usage-estimate">{fillEstimate(usage, now)}</p>
      {usage.wouldPrune.length === 0 ? (
        <p className="usage-note">Retention would delete no snapshot now.</p>
      ) : (
        <>
          <p id={`prune-${usage.destination}`}>
            Retention would delete {usage.wouldPrune.length.toLocaleString('en-US')} snapshot{usage.wouldPrune.length === 1 ? '' : 's'} at the next prune:
          </p>
          <ul className="warnings" aria-labelledby={`prune-${usage.destination}`}>
            {usage.wouldPrune.map((snapshot) => (
              <li key={snapshot.snapshotId}>
                {snapshot.schedule}, snapshot {snapshot.snapshotId} of {new Date(snapshot.createdAt).toLocaleString()}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
