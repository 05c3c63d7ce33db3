import { Engine } from '../engine/engine';
import { forkWorkerLauncher, threadWorkerLauncher, type WorkerLauncher } from '../jobs/worker-launcher';
import { SchedulerHost } from '../scheduler/scheduler-host';
import { systemTimers, type PowerSource, type SchedulerTimers } from '../scheduler/scheduler';
import { WakeDetector } from '../scheduler/wake-detector';
import { sysfsPowerSource } from './linux-power';
import { DormouseError } from '../../shared/errors';
import { startWebHost, type WebHost } from '../web-host/web-host';

export interface DaemonOptions {
  dataDir: string;
  workerScript: string;
  /** How archive workers start; a forked Node child unless given. */
  launchWorker?: WorkerLauncher;
  /** Overrides the settle delay setting for this run (`--settle-seconds`). */
  settleSeconds?: number;
  log: (line: string) => void;
  timers?: SchedulerTimers;
  power?: PowerSource;
  /** Also serve the settings window on 127.0.0.1 (`--ui`), from this built renderer folder, on this port (0: any free one). */
  ui?: { rendererFolder: string; port: number };
}

/**
 * The headless host of the engine, for machines with no tray: the scheduler host plus wake
 * detection by the clocks (there is no Electron to say "resume") and the power supply from sysfs.
 */
export class Daemon {
  readonly engine: Engine;
  private readonly host: SchedulerHost;
  private readonly wake: WakeDetector;
  private webHost: WebHost | null = null;

  constructor(private readonly options: DaemonOptions) {
    const timers = options.timers ?? systemTimers;
    this.engine = Engine.forDataDir(options.dataDir, {
      launchWorker: options.launchWorker ?? forkWorkerLauncher(options.workerScript),
      launchReader: threadWorkerLauncher(options.workerScript),
      now: () => timers.now(),
      queueBackup: (schedule) => {
        const job = this.host.scheduler.backUpNow(schedule.id);
        if (!job) throw new DormouseError('ALREADY_RUNNING', `a backup of ${schedule.name} is already queued or running`);
        return job;
      },
      changed: () => {
        this.host.scheduler.recompute();
        this.webHost?.publish({ type: 'schedules-changed', payload: {} });
      },
      onTaskProgress: (progress) => this.webHost?.publish({ type: 'task-progress', payload: progress }),
    });
    this.engine.jobs.subscribe({
      started: (job) => this.webHost?.publish({ type: 'job-started', payload: job }),
      progress: (progress) => this.webHost?.publish({ type: 'job-progress', payload: progress }),
      finished: (job) => this.webHost?.publish({ type: 'job-finished', payload: job }),
    });
    this.host = new SchedulerHost({
      engine: this.engine,
      power: options.power ?? sysfsPowerSource(),
      log: options.log,
      timers,
      overrides: options.settleSeconds === undefined ? {} : { settleSeconds: options.settleSeconds },
    });
    this.wake = new WakeDetector({
      timers,
      monotonicNow: () => performance.now(),
      onWake: (reason) => this.host.wake(reason, 'wake'),
      onClockChange: (reason) => this.host.clockChanged(reason),
      onTick: () => this.host.tick(),
    });
  }

  /** Starts the daemon: recovery, the scheduler lock, the clock watch, and the web host when asked. */
  async start(): Promise<void> {
    this.host.say(`daemon started (pid ${process.pid}), data folder ${this.options.dataDir}`);
    this.host.start();
    this.wake.start();
    if (this.options.ui) {
      this.webHost = await startWebHost({ engine: this.engine, rendererFolder: this.options.ui.rendererFolder, port: this.options.ui.port });
      this.host.say(`settings window served at ${this.webHost.url}`);
    }
  }

  /** Stops the daemon cleanly (see SchedulerHost.shutdown) and closes the catalog. */
  async shutdown(): Promise<void> {
    this.wake.stop();
    await this.webHost?.close();
    await this.host.shutdown();
    this.host.say('daemon stopped; scheduler lock released');
    this.engine.close();
  }
}
