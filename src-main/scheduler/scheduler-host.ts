import { hostname } from 'node:os';
import type { CatchUpCause } from '../../shared/coverage';
import { counted } from '../../shared/format';
import { toLocalIso } from '../../shared/time';
import type { Settings } from '../../shared/settings';
import type { Engine } from '../engine/engine';
import { heartbeatMs, SchedulerLock } from './scheduler-lock';
import { Scheduler, systemTimers, type PowerSource, type SchedulerTimers } from './scheduler';
import { readSettings, writeSettings } from '../store/settings-store';

export interface SchedulerHostOptions {
  engine: Engine;
  power: PowerSource;
  log: (line: string) => void;
  timers?: SchedulerTimers;
  /** Overrides of settings for this run only (the daemon's `--settle-seconds`). */
  overrides?: Partial<Settings>;
}

/**
 * What the daemon and the tray app share: holding (or waiting for) the scheduler lock, running
 * the scheduler while holding it, renewing the lock, noticing schedules changed by other processes
 * and power changes, and a clean shutdown. Each host adds its own wake detection.
 */
export class SchedulerHost {
  readonly scheduler: Scheduler;
  private readonly lock: SchedulerLock;
  private readonly timers: SchedulerTimers;
  private holding = false;
  private saidWaiting = false;
  private lockTimer: unknown = null;
  private lastDataVersion = -1;
  private lastOnBattery = false;
  private verifying = false;

  constructor(private readonly options: SchedulerHostOptions) {
    this.timers = options.timers ?? systemTimers;
    const engine = options.engine;
    this.scheduler = new Scheduler({
      db: () => engine.db,
      runner: engine.jobs,
      settings: () => this.settings(),
      timers: this.timers,
      power: options.power,
      log: (line) => this.say(line),
    });
    this.lock = new SchedulerLock(() => engine.db, { pid: process.pid, hostname: hostname() }, () => this.timers.now());
  }

  /** The settings in force: the catalog's, with this run's overrides. */
  settings(): Settings {
    return { ...readSettings(this.options.engine.db), ...this.options.overrides };
  }

  /** Whether this process runs the scheduler now. */
  get holdsLock(): boolean {
    return this.holding;
  }

  /** One line of the log, stamped with the local time. */
  say(line: string): void {
    this.options.log(`${toLocalIso(this.timers.now())} ${line}`);
  }

  /** Recovers jobs of dead processes, starts the sweep of S3 uploads they left, then takes or waits for the scheduler lock. */
  start(): void {
    const engine = this.options.engine;
    // Opening the catalog recovers the jobs of dead processes; say which.
    this.lastDataVersion = this.dataVersion();
    const recovered = [...engine.recoveredAtOpen, ...engine.jobs.recoverInterruptedJobs()];
    engine.recoveredAtOpen = [];
    for (const job of recovered) this.say(`job ${job.id} marked interrupted: its process is gone`);
    // Network work in the background: start-up never waits for it.
    void engine.sweepLeftoverUploads((line) => this.say(line));
    this.lastOnBattery = this.options.power.onBattery();
    this.tryLock();
  }

  /** A wake (resume, unlock, a clock jump): catch up after the settle delay, if this process schedules; `cause` is recorded on the catch-up jobs. */
  wake(reason: string, cause: CatchUpCause): void {
    if (this.holding) this.scheduler.armCatchUp(reason, cause);
  }

  /** The clock or time zone changed: recompute the next fire. */
  clockChanged(reason: string): void {
    this.say(`schedule recomputed: ${reason}`);
    this.scheduler.recompute();
  }

  private dataVersion(): number {
    return Number(this.options.engine.db.pragma('data_version', { simple: true }));
  }

  private tryLock(): void {
    this.lockTimer = null;
    const result = this.lock.tryAcquire();
    if (result.acquired) {
      this.holding = true;
      this.saidWaiting = false;
      this.say('scheduler lock taken: this process runs the scheduler');
      this.scheduler.start();
      return;
    }
    if (!this.saidWaiting) {
      this.saidWaiting = true;
      this.say(`another Dormouse process (pid ${result.holder.pid} on ${result.holder.hostname}) runs the scheduler; waiting to take over`);
    }
    this.lockTimer = this.timers.setTimeout(() => this.tryLock(), heartbeatMs);
  }

  /** Every 10 s: renew the lock, notice schedules changed by other processes, and power changes. */
  tick(): void {
    if (this.holding && !this.lock.heartbeat()) {
      this.holding = false;
      this.scheduler.stop();
      this.say('scheduler lock lost to another process; stopped scheduling');
      this.tryLock();
      return;
    }
    const version = this.dataVersion();
    if (version !== this.lastDataVersion) {
      this.lastDataVersion = version;
      this.scheduler.recompute();
    }
    this.powerMayHaveChanged();
    this.verifyWhenDue();
  }

  /**
   * The periodic verify setting: when every snapshot was last verified longer ago than it says,
   * re-read them all in a worker, while no backup runs; damaged ones are logged, and the next
   * backup of a damaged chain is a full one.
   */
  private verifyWhenDue(): void {
    const settings = this.settings();
    if (!this.holding || this.verifying || settings.verifyEveryDays === null) return;
    const now = this.timers.now();
    if (settings.lastVerifiedAt !== null && now - settings.lastVerifiedAt < settings.verifyEveryDays * 86_400_000) return;
    if (this.options.engine.jobs.runningJobIds().length > 0) return;
    this.verifying = true;
    this.say('periodic verify: re-reading every snapshot');
    void this.options.engine
      .handle('snapshots:verify', { all: true })
      .then(
        (report) => {
          writeSettings(this.options.engine.db, { lastVerifiedAt: now }, now);
          const damaged = report.snapshots.filter((snapshot) => !snapshot.ok);
          const unchecked = report.snapshots.filter((snapshot) => !snapshot.contentsChecked).length;
          const sealed = unchecked === 0 ? '' : ` (${unchecked} of them encrypted and checked by their SHA-256 only: no passphrase is kept)`;
          this.say(damaged.length === 0 ? `periodic verify: ${counted(report.snapshots.length, 'snapshot')} OK${sealed}` : `periodic verify: DAMAGED ${damaged.length === 1 ? 'snapshot' : 'snapshots'} ${damaged.map((snapshot) => snapshot.snapshotId).join(', ')}`);
        },
        (error: unknown) => this.say(`periodic verify could not run: ${(error as Error).message}`),
      )
      .finally(() => {
        this.verifying = false;
      });
  }

  /** Re-reads the power source; on a change, jobs waiting for AC may start. */
  powerMayHaveChanged(): void {
    const onBattery = this.options.power.onBattery();
    if (onBattery === this.lastOnBattery) return;
    this.lastOnBattery = onBattery;
    this.say(onBattery ? 'on battery power' : 'on AC power');
    this.scheduler.powerChanged();
  }

  /** Stops scheduling, cancels a running backup (it runs again at the next catch-up) and queued ones, releases the lock. */
  async shutdown(): Promise<void> {
    if (this.lockTimer !== null) this.timers.clearTimeout(this.lockTimer);
    this.scheduler.stop();
    const jobs = this.options.engine.jobs;
    const running = jobs.runningJobIds();
    if (running.length > 0) {
      this.say(`shutting down: cancelling ${running.length === 1 ? 'job' : 'jobs'} ${running.join(', ')}`);
      const ended = new Promise<void>((resolve) => {
        const stop = jobs.subscribe({
          finished: () => {
            if (jobs.runningJobIds().length === 0) {
              stop();
              resolve();
            }
          },
        });
      });
      running.forEach((id) => jobs.cancel(id));
      await ended;
    }
    for (const job of jobs.queuedJobs()) jobs.cancel(job.id);
    if (this.holding) this.lock.release();
    this.holding = false;
  }
}
