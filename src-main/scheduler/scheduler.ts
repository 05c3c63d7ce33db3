import type { CatchUpCause } from '../../shared/coverage';
import { counted } from '../../shared/format';
import type { JobView } from '../../shared/types';
import type { Settings } from '../../shared/settings';
import type { JobRunner } from '../jobs/job-runner';
import * as jobStore from '../jobs/job-store';
import { findDestinationById } from '../store/destination-store';
import type { Db } from '../store/open-store';
import { listSchedules, findScheduleById, type ScheduleRecord } from '../store/schedule-store';
import { cronProblem, isOverdue, nextFires } from './cron-schedule';

/** Time as the scheduler sees it; tests pass a manual clock, so no test waits for minutes. */
export interface SchedulerTimers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock and timers. */
export const systemTimers: SchedulerTimers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** What the laptop's power supply says; the daemon and the app each have their own source. */
export interface PowerSource {
  onBattery(): boolean;
  batteryPercent(): number | null;
}

/** A power source for machines that never run on battery (or cannot tell). */
export const mainsPower: PowerSource = { onBattery: () => false, batteryPercent: () => null };

/** Back-off between retries of a failed backup; the last one repeats, so a failure never ends the schedule. */
export const retryDelaysMs = [5 * 60_000, 30 * 60_000, 2 * 3_600_000] as const;
/** A cron fire handled more than this late (the laptop slept through it) is left to catch-up. */
export const lateFireMs = 60_000;
/** How often the destinations of overdue schedules are checked while any is unavailable. */
export const destinationCheckMs = 60_000;
/** The longest single timer (Node's limit is about 24.8 days); a longer wait is re-armed. */
const longestTimerMs = 6 * 3_600_000;

/** The retry delay after the n-th consecutive failure (1-based). */
export function retryDelay(failures: number): number {
  return retryDelaysMs[Math.min(Math.max(failures, 1), retryDelaysMs.length) - 1] as number;
}

export interface SchedulerDeps {
  db: () => Db;
  runner: JobRunner;
  settings: () => Settings;
  timers?: SchedulerTimers;
  power?: PowerSource;
  log?: (line: string) => void;
}

/**
 * Runs backups on their cron schedules and catches up after sleep. One timer waits for the next
 * fire of all enabled schedules; wake events arm a settle timer after which every overdue schedule
 * gets one catch-up job; failures are retried with back-off; jobs run one at a time and wait,
 * queued, while the battery conditions say so.
 */
export class Scheduler {
  private readonly timers: SchedulerTimers;
  private readonly power: PowerSource;
  private readonly log: (line: string) => void;
  private cronTimer: unknown = null;
  private settleTimer: unknown = null;
  /** What first armed the settle timer now running: the cause the catch-up jobs it starts record. */
  private settleCause: CatchUpCause | null = null;
  private destinationTimer: unknown = null;
  private pauseTimer: unknown = null;
  private readonly retries = new Map<number, { timer: unknown; dueAt: number }>();
  private readonly failures = new Map<number, number>();
  private handledThrough = 0;
  private activeJobId: number | null = null;
  private stopped = true;
  private unsubscribe: (() => void) | null = null;
  /** Destination checks in flight. */
  private readonly checking = new Set<Promise<void>>();

  constructor(private readonly deps: SchedulerDeps) {
    this.timers = deps.timers ?? systemTimers;
    this.power = deps.power ?? mainsPower;
    this.log = deps.log ?? (() => undefined);
  }

  /** Starts scheduling; start-up counts as a wake (a laptop that was off missed its windows too). */
  start(): void {
    this.stopped = false;
    this.handledThrough = this.timers.now();
    this.unsubscribe = this.deps.runner.subscribe({ finished: (job) => this.onJobFinished(job) });
    this.recompute();
    this.armCatchUp('start-up', 'start-up');
  }

  /** Stops every timer; queued jobs stay queued (recovery marks them interrupted once this process is gone). */
  stop(): void {
    this.stopped = true;
    for (const handle of [this.cronTimer, this.settleTimer, this.destinationTimer, this.pauseTimer]) if (handle !== null) this.timers.clearTimeout(handle);
    for (const retry of this.retries.values()) this.timers.clearTimeout(retry.timer);
    this.retries.clear();
    this.cronTimer = this.settleTimer = this.destinationTimer = this.pauseTimer = null;
    this.settleCause = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** When the next scheduled fire is, if any: for status and the tray's tooltip. */
  nextFireAt(): number | null {
    let next: number | null = null;
    for (const schedule of this.enabledSchedules()) {
      const fire = nextFires(schedule.cron, Math.max(this.timers.now(), this.handledThrough), 1)[0];
      if (fire !== undefined && (next === null || fire < next)) next = fire;
    }
    return next;
  }

  /** Whether automatic backups are paused now (the tray's Pause Backups). */
  isPaused(): boolean {
    const until = this.deps.settings().pausedUntil;
    return until !== null && until > this.timers.now();
  }

  /** Re-arms the one cron timer: after schedules change, a wake, or a clock or time-zone change. */
  recompute(): void {
    if (this.stopped) return;
    this.armPauseEnd();
    if (this.cronTimer !== null) this.timers.clearTimeout(this.cronTimer);
    this.cronTimer = null;
    const next = this.nextFireAt();
    if (next === null) return;
    const delay = Math.min(Math.max(next - this.timers.now(), 0), longestTimerMs);
    this.cronTimer = this.timers.setTimeout(() => this.onCronTimer(), delay);
  }

  /**
   * A wake (resume, unlock, start-up, a clock jump): catch up once the laptop has settled. Arming
   * again replaces the timer but keeps the first cause: a resume followed by an unlock is a wake.
   * `reason` is for the log; `cause` is recorded on the catch-up jobs (a wake unless said otherwise).
   */
  armCatchUp(reason: string, cause: CatchUpCause = 'wake'): void {
    if (this.stopped) return;
    if (this.settleTimer !== null) this.timers.clearTimeout(this.settleTimer);
    else this.settleCause = cause;
    const settleMs = this.deps.settings().settleSeconds * 1000;
    this.log(`catch-up armed by ${reason}; runs in ${settleMs / 1000} s`);
    this.settleTimer = this.timers.setTimeout(() => {
      this.settleTimer = null;
      const woken = this.settleCause ?? cause;
      this.settleCause = null;
      this.catchUp(woken);
    }, settleMs);
    this.recompute();
  }

  /** When a pause ends, what was missed meanwhile is caught up. */
  private armPauseEnd(): void {
    if (this.pauseTimer !== null) this.timers.clearTimeout(this.pauseTimer);
    this.pauseTimer = null;
    const until = this.deps.settings().pausedUntil;
    if (until === null || until <= this.timers.now()) return;
    this.pauseTimer = this.timers.setTimeout(() => {
      this.pauseTimer = null;
      if (this.isPaused()) this.armPauseEnd();
      else this.armCatchUp('the end of a pause', 'pause-ended');
    }, Math.min(until - this.timers.now(), longestTimerMs));
  }

  /** The power source changed: a job waiting for AC may start now. */
  powerChanged(): void {
    this.drain();
  }

  /**
   * Queues a backup the person asked for (Back Up Now); it ignores the battery conditions. In a
   * process that does not run the scheduler (another one holds the lock) the backup still runs here.
   */
  backUpNow(scheduleId: number): JobView | null {
    const schedule = findScheduleById(this.deps.db(), scheduleId);
    if (!schedule) return null;
    if (!this.stopped) return this.dispatch(schedule, 'manual');
    const job = this.deps.runner.enqueue(schedule, 'manual');
    void this.deps.runner.start(schedule, job.id);
    return job;
  }

  private enabledSchedules(): ScheduleRecord[] {
    return listSchedules(this.deps.db()).filter((schedule) => schedule.enabled && cronProblem(schedule.cron) === null);
  }

  private onCronTimer(): void {
    this.cronTimer = null;
    if (this.stopped) return;
    const now = this.timers.now();
    let late = false;
    for (const schedule of this.enabledSchedules()) {
      const due = nextFires(schedule.cron, this.handledThrough, 1)[0];
      if (due === undefined || due > now) continue;
      if (now - due > lateFireMs) {
        late = true;
        continue;
      }
      this.dispatch(schedule, 'scheduled');
    }
    this.handledThrough = now;
    if (late) this.armCatchUp('a late timer (the laptop slept through a scheduled run)', 'wake');
    else this.recompute();
  }

  /** Gives every enabled, overdue schedule with no active job ONE catch-up job, however many windows it missed. */
  private catchUp(cause: CatchUpCause): void {
    if (this.stopped) return;
    const now = this.timers.now();
    const overdue: ScheduleRecord[] = [];
    for (const schedule of this.enabledSchedules()) {
      if (!isOverdue(schedule.cron, schedule.lastSuccessAt, now)) continue;
      if (jobStore.activeJobForSchedule(this.deps.db(), schedule.id)) continue;
      overdue.push(schedule);
      this.dispatch(schedule, 'catch-up', cause);
    }
    // The jobs skip themselves when their destination is missing; the scheduler then looks for it once a minute.
    if (overdue.length > 0) {
      this.settle(
        this.destinationsAvailable(overdue).then((available) => {
          if (available.includes(false)) this.watchDestinations();
        }),
      );
    }
  }

  /** Whether each schedule's destination is there, read off the event loop (a share that stopped answering counts as missing). */
  private destinationsAvailable(list: ScheduleRecord[]): Promise<boolean[]> {
    return Promise.all(
      list.map(async (schedule) => {
        const destination = findDestinationById(this.deps.db(), schedule.destinationId);
        return destination !== undefined && (await this.deps.runner.checkDestination(destination)).state === 'available';
      }),
    );
  }

  /** Keeps track of a destination check in flight, so `settled` can wait for it. */
  private settle(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.log(`checking destinations failed: ${(error as Error).message}`)).finally(() => this.checking.delete(tracked));
    this.checking.add(tracked);
  }

  /** Resolves once the destination checks this scheduler started have answered (and the jobs they start are queued). */
  async settled(): Promise<void> {
    while (this.checking.size > 0) await Promise.all([...this.checking]);
  }

  /** While an overdue schedule's destination is missing, looks for it about once a minute and catches up when it appears. */
  private watchDestinations(): void {
    if (this.stopped || this.destinationTimer !== null) return;
    this.destinationTimer = this.timers.setTimeout(() => {
      this.destinationTimer = null;
      if (this.stopped) return;
      const now = this.timers.now();
      const waiting = this.enabledSchedules().filter((schedule) => isOverdue(schedule.cron, schedule.lastSuccessAt, now) && !jobStore.activeJobForSchedule(this.deps.db(), schedule.id));
      if (waiting.length === 0) return;
      this.settle(
        this.destinationsAvailable(waiting).then((available) => {
          if (this.stopped) return;
          let stillMissing = false;
          waiting.forEach((schedule, index) => {
            if (jobStore.activeJobForSchedule(this.deps.db(), schedule.id)) return;
            if (available[index]) {
              this.log(`destination "${schedule.destinationName}" is back; catching up ${schedule.name}`);
              this.dispatch(schedule, 'catch-up', 'drive-connected');
            } else {
              stillMissing = true;
            }
          });
          if (stillMissing) this.watchDestinations();
        }),
      );
    }, destinationCheckMs);
  }

  private dispatch(schedule: ScheduleRecord, trigger: JobView['trigger'], cause: CatchUpCause | null = null): JobView | null {
    if (trigger !== 'manual' && this.isPaused()) {
      this.log(`${schedule.name}: not started (${trigger}): backups are paused`);
      return null;
    }
    try {
      const job = this.deps.runner.enqueue(schedule, trigger, cause);
      this.log(`job ${job.id} queued: ${schedule.name} (${cause === null ? trigger : `${trigger}: ${cause}`})`);
      const retry = this.retries.get(schedule.id);
      if (retry) {
        this.timers.clearTimeout(retry.timer);
        this.retries.delete(schedule.id);
      }
      this.drain();
      return job;
    } catch (error) {
      this.log(`${schedule.name}: not started (${(error as Error).message})`);
      return null;
    }
  }

  /** Why a queued job may not start now, or null. Backups the person asked for ignore the battery conditions. */
  private waitReason(job: JobView): string | null {
    if (job.trigger === 'manual') return null;
    if (this.isPaused()) return 'waiting: backups are paused';
    if (!this.power.onBattery()) return null;
    const settings = this.deps.settings();
    if (settings.skipOnBattery) return 'waiting for AC power (backups on battery are off in the settings)';
    const percent = this.power.batteryPercent();
    if (settings.minBatteryPercent !== null && percent !== null && percent < settings.minBatteryPercent) {
      return `waiting for AC power (battery at ${percent}%, below ${settings.minBatteryPercent}%)`;
    }
    return null;
  }

  /** Starts the oldest queued job that may start, one job at a time. */
  private drain(): void {
    if (this.stopped || this.activeJobId !== null) return;
    for (const job of this.deps.runner.queuedJobs()) {
      const reason = this.waitReason(job);
      if (reason !== null) {
        this.deps.runner.setWaitingReason(job.id, reason);
        continue;
      }
      const schedule = findScheduleById(this.deps.db(), job.scheduleId);
      if (!schedule) continue;
      this.activeJobId = job.id;
      this.log(`job ${job.id} started: ${schedule.name} (${job.trigger})`);
      void this.deps.runner.start(schedule, job.id).finally(() => {
        this.activeJobId = null;
        this.drain();
      });
      return;
    }
  }

  private onJobFinished(job: JobView): void {
    const detail = job.error ? `: ${job.error.code} ${job.error.message}` : job.warnings.length > 0 ? ` with ${counted(job.warnings.length, 'warning')}` : '';
    this.log(`job ${job.id} ${job.status}${detail}`);
    if (this.stopped) return;
    if (job.status === 'succeeded') {
      this.failures.delete(job.scheduleId);
      return;
    }
    if (job.status === 'skipped') {
      this.watchDestinations();
      return;
    }
    if (job.status === 'failed' && job.trigger !== 'manual') {
      const failures = (this.failures.get(job.scheduleId) ?? 0) + 1;
      this.failures.set(job.scheduleId, failures);
      const delay = retryDelay(failures);
      const dueAt = this.timers.now() + delay;
      this.log(`job ${job.id} will be retried in ${Math.round(delay / 60_000)} min`);
      const timer = this.timers.setTimeout(() => {
        this.retries.delete(job.scheduleId);
        const schedule = findScheduleById(this.deps.db(), job.scheduleId);
        if (schedule && schedule.enabled && !this.stopped) this.dispatch(schedule, 'retry');
      }, delay);
      const previous = this.retries.get(job.scheduleId);
      if (previous) this.timers.clearTimeout(previous.timer);
      this.retries.set(job.scheduleId, { timer, dueAt });
    }
  }
}
