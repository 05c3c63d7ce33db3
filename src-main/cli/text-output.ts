import type { TaskProgress, CronPreview, DestinationRemoved, DestinationView, ImportReport, JobProgress, JobView, PruneReport, RestoreReport, ScheduleView, SnapshotListing, SnapshotView, StatusView, VerifyReport } from '../../shared/types';
import { itemWarnings, itemsNotBackedUp, jobNotes, splitRestoreRefused, unchangedByRestore } from '../../shared/warning-words';
import { displayName } from '../../shared/display-name';
import { counted, formatBytes } from '../../shared/format';

/** Lays rows out in aligned columns for terminals. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The readable form of one destination. */
export function destinationText(destination: DestinationView): string {
  const state =
    destination.state === 'available'
      ? `available, ${formatBytes(destination.freeBytes ?? 0)} free`
      : destination.state === 'not-answering'
        ? 'not answering (share out of reach? drive hanging?)'
        : 'not connected (no matching marker: drive unplugged?)';
  return `${destination.name}  ${destination.path}  (${state})`;
}

/** The readable form of `destination list`. */
export function destinationsText(list: DestinationView[]): string {
  if (list.length === 0) return 'No destinations yet. Add one with: dormouse destination add --name NAME --path PATH';
  return table(
    ['NAME', 'AVAILABLE', 'FREE', 'ENCRYPTED', 'KIND', 'PATH'],
    list.map((d) => [d.name, d.state === 'available' ? 'yes' : d.state === 'not-answering' ? 'no answer' : 'no', d.freeBytes === null ? '—' : formatBytes(d.freeBytes), d.encrypted ? 'yes' : 'no', d.kind, d.path]),
  );
}

/** The readable form of `destination remove`. */
export function destinationRemovedText(removed: DestinationRemoved): string {
  return `Removed destination "${removed.name}". Its folder ${removed.path} and any archives in it were left as they are.`;
}

function retentionText(schedule: ScheduleView): string {
  const rules = [
    schedule.keepLast === null ? null : `last ${schedule.keepLast}`,
    schedule.keepDaily === null ? null : `${schedule.keepDaily} daily`,
    schedule.keepWeekly === null ? null : `${schedule.keepWeekly} weekly`,
    schedule.keepMonthly === null ? null : `${schedule.keepMonthly} monthly`,
  ].filter((rule) => rule !== null);
  return rules.length === 0 ? 'all' : rules.join(', ');
}

/** The readable form of one schedule. */
export function scheduleText(schedule: ScheduleView): string {
  const state = schedule.enabled ? (schedule.overdue ? 'enabled, overdue' : 'enabled') : 'disabled';
  const lines = [
    `${schedule.name}  [${state}]  ${schedule.description} (${schedule.cron})`,
    `  sources:      ${schedule.sources.join(', ')}`,
    `  excludes:     ${schedule.excludes.length > 0 ? schedule.excludes.join(', ') : 'none'}`,
    `  destination:  ${schedule.destination}   compression: ${schedule.compression}   keep: ${retentionText(schedule)}`,
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

/** The readable form of one job. */
export function jobText(job: JobView): string {
  const head = `Job ${job.id} (${job.trigger}) ${job.status}`;
  const lines = [job.error ? `${head} [${job.error.code}]: ${job.error.message}` : head];
  if (job.status === 'succeeded') lines.push(`  ${counted(job.files, 'file')}, ${formatBytes(job.bytes)} -> ${job.archivePath}`, `  sha256 ${job.sha256}`);
  lines.push(`  queued ${job.queuedAt}${job.startedAt ? `, started ${job.startedAt}` : ''}${job.finishedAt ? `, finished ${job.finishedAt}` : ''}`);
  const items = itemWarnings(job.warnings);
  if (items.length > 0) lines.push(`  ${itemsNotBackedUp(items.length)}:`, ...listed(items, '    '));
  for (const note of jobNotes(job.warnings)) lines.push(`  note: ${note}`);
  return lines.join('\n');
}

/** The readable form of `dormouse jobs`: each job's schedule by name (`names`, by schedule id; the id where it has none). */
export function jobsText(list: JobView[], names: ReadonlyMap<number, string> = new Map()): string {
  if (list.length === 0) return 'No backup jobs yet. Run one with: dormouse run SCHEDULE';
  return table(
    ['ID', 'SCHEDULE', 'TRIGGER', 'STATUS', 'QUEUED', 'FILES', 'SIZE', 'WARNINGS', 'ERROR'],
    list.map((job) => [String(job.id), names.get(job.scheduleId) ?? String(job.scheduleId), job.trigger, job.status, job.queuedAt, String(job.files), formatBytes(job.bytes), String(job.warnings.length), job.error?.code ?? '']),
  );
}

/** The readable form of `dormouse snapshots`. */
export function snapshotsText(list: SnapshotView[]): string {
  if (list.length === 0) return "No snapshots yet. (Other machines' snapshots on your destinations: dormouse snapshots --machine all)";
  return table(
    ['ID', 'SCHEDULE', 'MACHINE', 'CREATED', 'FILES', 'SIZE', 'ARCHIVE'],
    list.map((snapshot) => [
      String(snapshot.id),
      snapshot.scheduleName,
      snapshot.machine.current ? `${snapshot.machine.name} (this one)` : snapshot.machine.name,
      snapshot.createdAt,
      String(snapshot.files),
      formatBytes(snapshot.bytes),
      snapshot.archivePath,
    ]),
  );
}

/** The one-line progress `dormouse run` draws on a terminal. */
export function progressText(progress: JobProgress | TaskProgress): string {
  const percent = progress.totalBytes > 0 ? Math.floor((100 * progress.bytes) / progress.totalBytes) : 0;
  const doing = 'task' in progress ? (progress.task === 'restore' ? 'Restoring' : 'Verifying') : 'Backing up';
  return `${doing} — ${percent}% (${progress.files}/${progress.totalFiles} files, ${formatBytes(progress.bytes)} of ${formatBytes(progress.totalBytes)}) ${progress.currentPath}`;
}

/** The readable form of `dormouse status`. */
export function statusText(status: StatusView): string {
  const scheduler = status.scheduler.held
    ? `Scheduler: run by pid ${status.scheduler.pid} on ${status.scheduler.hostname} (heartbeat ${status.scheduler.heartbeatAt})`
    : 'Scheduler: not running (start it with `dormouse daemon` or the tray app)';
  const running = status.running.length > 0 ? status.running.map((job) => jobText(job) + (job.waitingReason ? `\n  ${job.waitingReason}` : '')).join('\n') : 'Nothing running.';
  const machine = `This machine: ${status.machine.name} (its archives go to Dormouse/${status.machine.name}/ on every destination)`;
  return [machine, scheduler, running, '', schedulesText(status.schedules)].join('\n');
}

/** The readable form of `dormouse ls`. */
export function listingText(listing: SnapshotListing): string {
  if (listing.entries.length === 0) return `${displayName(listing.path)} (empty)`;
  return table(
    ['TYPE', 'SIZE', 'MODIFIED', 'NAME'],
    listing.entries.map((entry) => [entry.type === 'directory' ? 'dir' : entry.type === 'symlink' ? 'link' : entry.type === 'fifo' ? 'fifo' : 'file', entry.type === 'file' ? formatBytes(entry.size) : '', entry.mtime, entry.type === 'symlink' ? `${displayName(entry.path)} -> ${displayName(entry.linkTarget ?? '')}` : displayName(entry.path)]),
  );
}

/** The readable form of `dormouse verify`: every problem found, or that all is well. */
export function verifyText(report: VerifyReport): string {
  if (report.snapshots.length === 0) return 'No snapshots to verify.';
  const lines = report.snapshots
    .map((snapshot) => {
      if (!snapshot.ok) return [`Snapshot ${snapshot.snapshotId}: DAMAGED (${snapshot.archivePath})`, ...listed(snapshot.problems, '  ')].join('\n');
      if (snapshot.contentsChecked) return `Snapshot ${snapshot.snapshotId}: OK (${snapshot.archivePath})`;
      return `Snapshot ${snapshot.snapshotId}: encrypted file OK, files not checked (${snapshot.archivePath})`;
    })
    .join('\n');
  const unchecked = report.snapshots.filter((snapshot) => snapshot.ok && !snapshot.contentsChecked).length;
  if (unchecked === 0) return lines;
  const note = `Without the passphrase only the SHA-256 of ${unchecked === 1 ? 'that encrypted archive' : 'those encrypted archives'} was checked; give it with --passphrase-file FILE or DORMOUSE_PASSPHRASE to check every file.`;
  return `${lines}\n${note}`;
}

/** How many lines of one list the text form shows; `--json` has them all. */
const listedLines = 20;

/** A list's lines, indented, cut after `listedLines` with how many more there are and where to see them. */
function listed(items: readonly string[], indent: string): string[] {
  const shown = items.slice(0, listedLines).map((item) => `${indent}${item}`);
  if (items.length > listedLines) shown.push(`${indent}… and ${(items.length - listedLines).toLocaleString('en-US')} more (--json lists every one)`);
  return shown;
}

/** The readable form of `dormouse restore`: the summary first, then each list, each cut after `listedLines`. */
export function restoreText(report: RestoreReport): string {
  const lines = [`Restored ${counted(report.files, 'file')} (${formatBytes(report.bytes)}) from snapshot ${report.snapshotId} into ${report.target}.`];
  if (report.unchanged > 0) lines.push(unchangedByRestore(report.unchanged));
  if (report.conflicts.length > 0) lines.push(`${counted(report.conflicts.length, 'existing file')} left as ${report.conflicts.length === 1 ? 'it is' : 'they are'} (restore again with --overwrite to replace ${report.conflicts.length === 1 ? 'it' : 'them'}):`, ...listed(report.conflicts, '  '));
  const { stopped, items } = splitRestoreRefused(report.refused);
  if (stopped !== null) lines.push(stopped);
  if (items.length > 0) lines.push(`${counted(items.length, 'entry', 'entries')} not restored:`, ...listed(items, '  '));
  if (report.damaged.length > 0) lines.push(`${counted(report.damaged.length, 'damaged file')} not restored (${report.damaged.length === 1 ? 'its' : 'their'} content no longer matches what was backed up; run dormouse verify):`, ...listed(report.damaged, '  '));
  if (report.unapplied.length > 0) lines.push(`${counted(report.unapplied.length, 'attribute')} could not be applied:`, ...listed(report.unapplied, '  '));
  return lines.join('\n');
}

/** The readable form of `dormouse prune`. */
export function pruneText(reports: PruneReport[]): string {
  if (reports.length === 0) return 'No schedules.';
  return reports
    .map((report) => {
      const verb = report.dryRun ? 'would delete' : 'deleted';
      const lines = [`${report.schedule}: keeps ${report.kept.length}, ${verb} ${report.deleted.length}`];
      for (const kept of report.kept) lines.push(`  keep   ${kept.snapshotId} (${kept.createdAt}): ${kept.reasons.join('; ')}`);
      for (const gone of report.deleted) lines.push(`  ${report.dryRun ? 'delete' : 'gone  '} ${gone.snapshotId} (${gone.createdAt}) ${gone.archivePath}`);
      return lines.join('\n');
    })
    .join('\n');
}

/** The readable form of `dormouse import`. */
export function importText(report: ImportReport): string {
  const lines = [`${report.destination}: imported ${counted(report.imported.length, 'snapshot')}, ${report.alreadyKnown} already in the catalog.`];
  for (const item of report.imported) lines.push(`  + ${item.snapshotId} ${item.scheduleName}${item.machine.current ? '' : ` (machine ${item.machine.name})`}: ${item.archivePath}`);
  const others = report.imported.filter((item) => !item.machine.current).length;
  if (others > 0) lines.push(`${others} of them ${others === 1 ? "is another machine's snapshot" : "are other machines' snapshots"}: listed with dormouse snapshots --machine all, restorable, never pruned nor built on here.`);
  for (const item of report.skipped) lines.push(`  skipped ${item.archivePath}: ${item.reason}`);
  return lines.join('\n');
}
