import { counted } from './format';

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;


/** How long ago something happened, as the tray and the overview say it ("12 minutes ago"). */
export function formatAgo(thenMs: number, nowMs: number): string {
  const elapsed = Math.max(0, nowMs - thenMs);
  if (elapsed < minute) return 'just now';
  if (elapsed < hour) return `${counted(Math.floor(elapsed / minute), 'minute')} ago`;
  if (elapsed < day) return `${counted(Math.floor(elapsed / hour), 'hour')} ago`;
  return `${counted(Math.floor(elapsed / day), 'day')} ago`;
}

/** How long something took ("1 min 12 s", "45 s", "2 h 5 min"), for notifications and job details. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

function clock(date: Date): string {
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

function startOfDay(ms: number): number {
  const date = new Date(ms);
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** When something will happen, in the laptop's local time ("today at 14:00", "tomorrow at 09:00", "Mon 23 Nov at 09:00"). */
export function formatWhen(thenMs: number, nowMs: number): string {
  const date = new Date(thenMs);
  const days = Math.round((startOfDay(thenMs) - startOfDay(nowMs)) / day);
  if (days === 0) return `today at ${clock(date)}`;
  if (days === 1) return `tomorrow at ${clock(date)}`;
  if (days === -1) return `yesterday at ${clock(date)}`;
  const weekday = date.toLocaleDateString('en-GB', { weekday: 'short' });
  const dayMonth = date.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' });
  return `${weekday} ${dayMonth} at ${clock(date)}`;
}

/** The start of tomorrow in local time: where "Pause backups until tomorrow" ends. */
export function startOfTomorrow(nowMs: number): number {
  const date = new Date(nowMs);
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + 1).getTime();
}
