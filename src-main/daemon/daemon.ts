import { Engine } from '../engine/engine';
import { forkWorkerLauncher } from '../jobs/worker-launcher';
import { SchedulerHost } from '../scheduler/scheduler-host';
import { systemTimers, type PowerSource, type SchedulerTimers } from '../scheduler/scheduler';
import { WakeDetector } from '../scheduler/wake-detector';
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
 * The headless host of the engine, for machines with no tray: the scheduler host plus wake
 * detection by the clocks (there is no Electron to say "resume") and the power supply from sysfs.
 */
export class Daemon {
  readonly engine: Engine;
  private readonly host: SchedulerHost;
  private readonly wake: WakeDetector;

  constructor(private readonly options: DaemonOptions) {
    const timers = options.timers ?? systemTimers;
    this.engine = Engine.forDataDir(options.dataDir, { launchWorker: forkWorkerLauncher(options.workerScript), now: () => timers.now() });
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
      onWake: (reason) => this.host.wake(reason),
      onClockChange: (reason) => this.host.clockChanged(reason),
      onTick: () => this.host.tick(),
    });
  }

  /** Starts the daemon: recovery, the scheduler lock, the clock watch. */
  start(): void {
    this.host.say(`daemon started (pid ${process.pid}), data folder ${this.options.dataDir}`);
    this.host.start();
    this.wake.start();
  }

  /** Stops the daemon cleanly (see SchedulerHost.shutdown) and closes the catalog. */
  async shutdown(): Promise<void> {
    this.wake.stop();
    await this.host.shutdown();
    this.host.say('daemon stopped; scheduler lock released');
    this.engine.close();
  }
}
