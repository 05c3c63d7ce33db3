import { hostname } from 'node:os';
import { toLocalIso } from '../../shared/time';
import type { Settings } from '../../shared/settings';
import { Engine } from '../engine/engine';
import { forkWorkerLauncher } from '../jobs/worker-launcher';
import { heartbeatMs, SchedulerLock } from '../scheduler/scheduler-lock';
import { Scheduler, systemTimers, type PowerSource, type SchedulerTimers } from '../scheduler/scheduler';
import { WakeDetector } from '../scheduler/wake-detector';
import { readSettings } from '../store/settings-store';
import { sysfsPowerSource } from './linux-power';

export interface DaemonOptions {
  dataDir: string;
  workerScript: string;
  /** Overrides the settle delay setting for this run (`--settle-seconds`). */
  settleSeconds?: number;
  log: (line: string) => void;
  timers?: SchedulerTimers;
  power?: PowerSource;
}

/**
 * The headless host of the engine: takes the scheduler lock (or waits for it, saying so), runs the
 * scheduler and catch-up, watches the clocks for sleep, and shuts down cleanly on request.
 */
export class Daemon {
  readonly engine: Engine;
  private readonly scheduler: Scheduler;
  private readonly lock: SchedulerLock;
  private readonly wake: WakeDetector;
  private readonly timers: SchedulerTimers;
  private readonly power: PowerSource;
  private holding = false;
  private saidWaiting = false;
  private lockTimer: unknown = null;
  private lastDataVersion = -1;
  private lastOnBattery = false;

  constructor(private readonly options: DaemonOptions) {
    this.timers = options.timers ?? systemTimers;
    this.power = options.power ?? sysfsPowerSource();
    this.engine = Engine.forDataDir(options.dataDir, { launchWorker: forkWorkerLauncher(options.workerScript), now: () => this.timers.now() });
    const settings = (): Settings => ({ ...readSettings(this.engine.db), ...(options.settleSeconds === undefined ? {} : { settleSeconds: options.settleSeconds }) });
    this.scheduler = new Scheduler({ db: () => this.engine.db, runner: this.engine.jobs, settings, timers: this.timers, power: this.power, log: (line) => this.say(line) });
    this.lock = new SchedulerLock(() => this.engine.db, { pid: process.pid, hostname: hostname() }, () => this.timers.now());
    this.wake = new WakeDetector({
      timers: this.timers,
      monotonicNow: () => performance.now(),
      onWake: (reason) => this.holding && this.scheduler.armCatchUp(reason),
      onClockChange: (reason) => {
        this.say(`schedule recomputed: ${reason}`);
        this.scheduler.recompute();
      },
      onTick: () => this.tick(),
    });
  }

  private say(line: string): void {
    this.options.log(`${toLocalIso(this.timers.now())} ${line}`);
  }

  /** Opens the catalog (recovering jobs of dead processes), then takes or waits for the scheduler lock. */
  start(): void {
    const recovered = this.engine.jobs.recoverInterruptedJobs();
    for (const job of recovered) this.say(`job ${job.id} marked interrupted: its process is gone`);
    this.say(`daemon started (pid ${process.pid}), data folder ${this.options.dataDir}`);
    this.lastDataVersion = this.dataVersion();
    this.lastOnBattery = this.power.onBattery();
    this.tryLock();
    this.wake.start();
  }

  private dataVersion(): number {
    return Number(this.engine.db.pragma('data_version', { simple: true }));
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

  /** Every clock check: renew the lock, notice schedules changed by other processes and power changes. */
  private tick(): void {
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
    const onBattery = this.power.onBattery();
    if (onBattery !== this.lastOnBattery) {
      this.lastOnBattery = onBattery;
      this.say(onBattery ? 'on battery power' : 'on AC power');
      this.scheduler.powerChanged();
    }
  }

  /** Stops scheduling, cancels a running backup (it runs again at the next catch-up), releases the lock. */
  async shutdown(): Promise<void> {
    this.wake.stop();
    if (this.lockTimer !== null) this.timers.clearTimeout(this.lockTimer);
    this.scheduler.stop();
    const running = this.engine.jobs.runningJobIds();
    if (running.length > 0) {
      this.say(`shutting down: cancelling job(s) ${running.join(', ')}`);
      const ended = new Promise<void>((resolve) => {
        const stop = this.engine.jobs.subscribe({
          finished: () => {
            if (this.engine.jobs.runningJobIds().length === 0) {
              stop();
              resolve();
            }
          },
        });
      });
      running.forEach((id) => this.engine.jobs.cancel(id));
      await ended;
    }
    for (const job of this.engine.jobs.queuedJobs()) {
      this.engine.jobs.cancel(job.id);
    }
    if (this.holding) this.lock.release();
    this.holding = false;
    this.say('daemon stopped; scheduler lock released');
    this.engine.close();
  }
}
