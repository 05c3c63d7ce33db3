// Hand-built DesktopState values for the tray-model and notification tests: every field spelled
// out once here, each test overriding only what it is about.
import { defaultSettings, type Settings } from '../../shared/settings';
import { toLocalIso } from '../../shared/time';
import type { DestinationView, JobProgress, JobView, ScheduleView } from '../../shared/types';
import type { DesktopSchedule, DesktopState } from '../../src-main/desktop/desktop-state';

export const minute = 60_000;
export const hour = 60 * minute;
export const day = 24 * hour;

/** Runs a test body with process.env.TZ set to a real zone, restoring the previous value afterwards. */
export function withTimeZone<T>(zone: string, body: () => T): T {
  const previous = process.env.TZ;
  process.env.TZ = zone;
  try {
    return body();
  } finally {
    if (previous === undefined) delete process.env.TZ;
    else process.env.TZ = previous;
  }
}

export function scheduleView(overrides: Partial<ScheduleView> = {}): ScheduleView {
  return {
    id: 1,
    name: 'Documents',
    cron: '0 3 * * *',
    description: 'At 03:00 AM',
    enabled: true,
    sources: ['/home/me/Documents'],
    excludes: [],
    destination: 'usb',
    compression: 'none',
    keepLast: null,
    keepDaily: null,
    keepWeekly: null,
    keepMonthly: null,
    lastSuccessAt: null,
    nextRunAt: null,
    overdue: false,
    ...overrides,
  };
}

export function destinationView(overrides: Partial<DestinationView> = {}): DestinationView {
  const state = overrides.state ?? (overrides.available === false ? 'missing' : 'available');
  return { id: '6f1c8e1e-3a0b-4c55-9d8e-5b0f2b7f9a10', name: 'usb', path: '/media/me/usb', available: state === 'available', state, freeBytes: state === 'available' ? 100_000_000_000 : null, encrypted: false, kind: 'folder', ...overrides };
}

export function jobView(overrides: Partial<JobView> = {}): JobView {
  return {
    id: 7,
    scheduleId: 1,
    trigger: 'scheduled',
    status: 'succeeded',
    queuedAt: '2025-11-21T14:00:00.000+01:00',
    startedAt: '2025-11-21T14:00:00.000+01:00',
    finishedAt: '2025-11-21T14:01:12.000+01:00',
    files: 1234,
    bytes: 2_300_000_000,
    archivePath: '/media/me/usb/Dormouse/Documents/20251121T130000Z-full-0a1b2c3d.tar',
    sha256: 'a'.repeat(64),
    warnings: [],
    error: null,
    ...overrides,
  };
}

/** A schedule as the desktop sees it: by default succeeded `successAgo` before `now`, destination connected. */
export function desktopSchedule(
  now: number,
  overrides: { schedule?: Partial<ScheduleView>; lastJob?: JobView | null; destination?: DestinationView | null; destinationMissingSince?: number | null; successAgo?: number | null } = {},
): DesktopSchedule {
  const successAgo = overrides.successAgo === undefined ? 12 * minute : overrides.successAgo;
  const lastSuccessAt = successAgo === null ? null : toLocalIso(now - successAgo);
  const schedule = scheduleView({ lastSuccessAt, ...overrides.schedule });
  return {
    schedule,
    lastJob:
      overrides.lastJob === undefined
        ? lastSuccessAt === null
          ? null
          : jobView({ scheduleId: schedule.id, status: 'succeeded', finishedAt: lastSuccessAt })
        : overrides.lastJob,
    destination: overrides.destination === undefined ? destinationView({ name: schedule.destination }) : overrides.destination,
    destinationMissingSince: overrides.destinationMissingSince ?? null,
  };
}

export function progress(overrides: Partial<JobProgress> = {}): JobProgress {
  return { jobId: 9, scheduleId: 1, files: 10, bytes: 42, totalFiles: 100, totalBytes: 100, currentPath: '/home/me/Documents/letter.txt', ...overrides };
}

export function desktopState(now: number, overrides: Partial<Omit<DesktopState, 'settings'>> & { settings?: Partial<Settings> } = {}): DesktopState {
  const { settings, ...rest } = overrides;
  return {
    now,
    schedules: [desktopSchedule(now)],
    running: null,
    pausedUntil: null,
    nextRunAt: null,
    ...rest,
    settings: { ...defaultSettings, ...settings, ...(rest.pausedUntil !== undefined ? { pausedUntil: rest.pausedUntil } : {}) },
  };
}

/** A running job of a schedule, with optional progress. */
export function running(scheduleId: number, scheduleName: string, jobProgress: JobProgress | null): NonNullable<DesktopState['running']> {
  return {
    job: jobView({ id: 9, scheduleId, status: 'running', finishedAt: null, files: 0, bytes: 0, archivePath: null, sha256: null }),
    scheduleName,
    progress: jobProgress,
  };
}
