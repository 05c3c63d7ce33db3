import type { CronPreview, DestinationRemoved, DestinationView, ScheduleView } from '../../shared/types';
import { formatBytes } from '../../shared/format';

/** Lays rows out in aligned columns for terminals. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The readable form of one destination. */
export function destinationText(destination: DestinationView): string {
  const state = destination.available ? `available, ${formatBytes(destination.freeBytes ?? 0)} free` : 'not available (marker missing: drive unplugged?)';
  return `${destination.name}  ${destination.path}  (${state})`;
}

/** The readable form of `destination list`. */
export function destinationsText(list: DestinationView[]): string {
  if (list.length === 0) return 'No destinations yet. Add one with: dormouse destination add --name NAME --path PATH';
  return table(
    ['NAME', 'AVAILABLE', 'FREE', 'PATH'],
    list.map((d) => [d.name, d.available ? 'yes' : 'no', d.freeBytes === null ? '—' : formatBytes(d.freeBytes), d.path]),
  );
}

/** The readable form of `destination remove`. */
export function destinationRemovedText(removed: DestinationRemoved): string {
  return `Removed destination "${removed.name}". Its folder ${removed.path} and any archives in it were left as they are.`;
}

/** The readable form of one schedule. */
export function scheduleText(schedule: ScheduleView): string {
  const state = schedule.enabled ? (schedule.overdue ? 'enabled, overdue' : 'enabled') : 'disabled';
  const lines = [
    `${schedule.name}  [${state}]  ${schedule.description} (${schedule.cron})`,
    `  sources:      ${schedule.sources.join(', ')}`,
    `  excludes:     ${schedule.excludes.length > 0 ? schedule.excludes.join(', ') : 'none'}`,
    `  destination:  ${schedule.destination}   compression: ${schedule.compression}   keep: ${schedule.keepLast === null ? 'all' : `last ${schedule.keepLast}`}`,
    `  last success: ${schedule.lastSuccessAt ?? 'never'}   next run: ${schedule.nextRunAt ?? '—'}`,
  ];
  return lines.join('\n');
}

/** The readable form of `schedule list`. */
export function schedulesText(list: ScheduleView[]): string {
  if (list.length === 0) return 'No schedules yet. Add one with: dormouse schedule add --name NAME --source PATH --destination NAME --cron EXPR';
  return list.map(scheduleText).join('\n\n');
}

/** The readable form of `dormouse cron`. */
export function cronPreviewText(preview: CronPreview): string {
  return [`${preview.description} (${preview.expression})`, 'Next runs:', ...preview.next.map((time) => `  ${time}`)].join('\n');
}
