import { formatAgo, formatWhen, startOfTomorrow } from '../../shared/human-time';
import type { DesktopState } from './desktop-state';

export type TrayIcon = 'idle' | 'running' | 'paused' | 'attention';

/** What a menu item does when clicked; the Electron adapter carries it out. */
export type TrayAction =
  | { kind: 'back-up-now'; scheduleId: number }
  | { kind: 'pause'; span: 'hour' | 'until-tomorrow' }
  | { kind: 'resume' }
  | { kind: 'open' }
  | { kind: 'restore' }
  | { kind: 'show-job'; jobId: number }
  | { kind: 'set-up' }
  | { kind: 'quit' };

/** One menu entry, independent of Electron so it can be tested. */
export type TrayMenuItem =
  | { type: 'separator' }
  | { type: 'item'; label: string; enabled: boolean; action?: TrayAction; submenu?: TrayMenuItem[] };

export interface TrayModel {
  icon: TrayIcon;
  tooltip: string;
  statusLine: string;
  menu: TrayMenuItem[];
}

const day = 24 * 3_600_000;

function lastSuccess(state: DesktopState): number | null {
  let latest: number | null = null;
  for (const { schedule } of state.schedules) {
    const at = schedule.lastSuccessAt === null ? null : Date.parse(schedule.lastSuccessAt);
    if (at !== null && (latest === null || at > latest)) latest = at;
  }
  return latest;
}

function isPaused(state: DesktopState): boolean {
  return state.pausedUntil !== null && state.pausedUntil > state.now;
}

/**
 * Why the tray asks for attention, and the failed job it is about (null otherwise): the last
 * backup of a schedule failed, an overdue schedule's destination is unavailable, or a schedule has
 * had no successful backup for longer than the overdue-warning setting.
 */
function attention(state: DesktopState): { reason: string; jobId: number | null } | null {
  const threshold = state.settings.overdueWarningDays * day;
  for (const { schedule, lastJob, destination } of state.schedules) {
    if (!schedule.enabled) continue;
    if (lastJob?.status === 'failed') return { reason: `The last backup of ${schedule.name} failed`, jobId: lastJob.id };
    if (schedule.overdue && destination !== null && !destination.available) {
      const reason = destination.state === 'not-answering' ? `${schedule.name} is waiting for “${destination.name}”, which is not answering` : `${schedule.name} is waiting for “${destination.name}” to be connected`;
      return { reason, jobId: null };
    }
    if (schedule.lastSuccessAt !== null && state.now - Date.parse(schedule.lastSuccessAt) > threshold) {
      return { reason: `${schedule.name} has not been backed up for ${state.settings.overdueWarningDays} days`, jobId: null };
    }
  }
  return null;
}

/** Why the tray asks for attention, or null (see attention). */
export function attentionReason(state: DesktopState): string | null {
  return attention(state)?.reason ?? null;
}

/** The failed job the tray's attention is about, which its menu line opens; null when it is about something else. */
export function attentionJob(state: DesktopState): number | null {
  return attention(state)?.jobId ?? null;
}

/** The icon state: running beats paused, paused beats attention, and idle is when all is well. */
export function trayIcon(state: DesktopState): TrayIcon {
  if (state.running) return 'running';
  if (isPaused(state)) return 'paused';
  if (attentionReason(state) !== null) return 'attention';
  return 'idle';
}

/** The first line of the menu: what is happening now, or when the last backup was. */
export function statusLine(state: DesktopState): string {
  if (state.running) {
    const progress = state.running.progress;
    const percent = progress && progress.totalBytes > 0 ? Math.min(99, Math.floor((100 * progress.bytes) / progress.totalBytes)) : 0;
    return `Backing up ${state.running.scheduleName} — ${percent}%`;
  }
  const last = lastSuccess(state);
  return last === null ? 'No backups yet' : `Last backup ${formatAgo(last, state.now)}`;
}

/** The tooltip: the last successful backup and the next scheduled run. */
export function trayTooltip(state: DesktopState): string {
  const last = lastSuccess(state);
  const lines = ['Dormouse', last === null ? 'Last backup: never' : `Last backup: ${formatAgo(last, state.now)}`];
  if (state.running) lines.push(statusLine(state));
  if (isPaused(state)) lines.push(`Paused until ${formatWhen(state.pausedUntil as number, state.now)}`);
  else lines.push(state.nextRunAt === null ? 'Next backup: none scheduled' : `Next backup: ${formatWhen(state.nextRunAt, state.now)}`);
  return lines.join('\n');
}

function backUpNowItems(state: DesktopState): TrayMenuItem {
  const schedules = state.schedules.map(({ schedule }) => schedule);
  if (schedules.length === 0) return { type: 'item', label: 'Back Up Now', enabled: false };
  if (schedules.length === 1) {
    const only = schedules[0] as (typeof schedules)[number];
    return { type: 'item', label: 'Back Up Now', enabled: state.running?.job.scheduleId !== only.id, action: { kind: 'back-up-now', scheduleId: only.id } };
  }
  return {
    type: 'item',
    label: 'Back Up Now',
    enabled: true,
    submenu: schedules.map((schedule) => ({
      type: 'item' as const,
      label: schedule.name,
      enabled: state.running?.job.scheduleId !== schedule.id,
      action: { kind: 'back-up-now' as const, scheduleId: schedule.id },
    })),
  };
}

/** When a pause chosen now ends: worked out at the click, not when the menu was built. */
export function pauseEnd(span: 'hour' | 'until-tomorrow', now: number): number {
  return span === 'hour' ? now + 3_600_000 : startOfTomorrow(now);
}

/** The whole tray menu, rebuilt whenever the state changes (on Linux the menu is the only reliable interaction). */
export function trayMenu(state: DesktopState): TrayMenuItem[] {
  const paused = isPaused(state);
  const menu: TrayMenuItem[] = [{ type: 'item', label: statusLine(state), enabled: false }];
  // First run: nothing to back up yet, so the first thing the menu offers is the window's setup.
  if (state.schedules.length === 0) menu.push({ type: 'item', label: 'Set Up Backups…', enabled: true, action: { kind: 'set-up' } });
  if (paused) menu.push({ type: 'item', label: `Paused until ${formatWhen(state.pausedUntil as number, state.now)}`, enabled: false });
  const attention = attentionReason(state);
  if (attention !== null && !state.running) {
    const jobId = attentionJob(state);
    // A failed backup's line opens its job page, which says what went wrong and what to do.
    menu.push(jobId === null ? { type: 'item', label: attention, enabled: false } : { type: 'item', label: `${attention} — Show Why…`, enabled: true, action: { kind: 'show-job', jobId } });
  }
  menu.push(
    { type: 'separator' },
    backUpNowItems(state),
    {
      type: 'item',
      label: 'Pause Backups',
      enabled: true,
      submenu: [
        { type: 'item', label: 'For 1 Hour', enabled: true, action: { kind: 'pause', span: 'hour' } },
        { type: 'item', label: 'Until Tomorrow', enabled: true, action: { kind: 'pause', span: 'until-tomorrow' } },
        { type: 'item', label: 'Resume', enabled: paused, action: { kind: 'resume' } },
      ],
    },
    { type: 'separator' },
    { type: 'item', label: 'Open Dormouse…', enabled: true, action: { kind: 'open' } },
    { type: 'item', label: 'Restore Files…', enabled: true, action: { kind: 'restore' } },
    { type: 'separator' },
    { type: 'item', label: 'Quit Dormouse', enabled: true, action: { kind: 'quit' } },
  );
  return menu;
}

/** Icon, tooltip, status line and menu in one: what the Electron adapter shows. */
export function trayModel(state: DesktopState): TrayModel {
  return { icon: trayIcon(state), tooltip: trayTooltip(state), statusLine: statusLine(state), menu: trayMenu(state) };
}
