// A scheduler on a real catalog in a temporary folder, real source and destination folders and
// real archive worker processes, driven by a manual clock so that no test waits for minutes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../../shared/settings';
import type { JobView, ScheduleView } from '../../shared/types';
import { Engine } from '../../src-main/engine/engine';
import { forkWorkerLauncher } from '../../src-main/jobs/worker-launcher';
import { Scheduler, type PowerSource } from '../../src-main/scheduler/scheduler';
import { readSettings, writeSettings } from '../../src-main/store/settings-store';
import { repoRoot, temporaryFolder } from '../helpers/cli';
import { ManualClock } from '../helpers/manual-clock';

export const workerScript = join(repoRoot, 'dist', 'main', 'archive-worker.cjs');

/** A job as the jobs table holds it, times in manual-clock milliseconds. */
export interface JobRow {
  id: number;
  schedule_id: number;
  trigger: string;
  status: string;
  queued_at: number;
  started_at: number | null;
  finished_at: number | null;
  error_code: string | null;
  waiting_reason: string | null;
}

/** A power source the test switches by hand. */
export class ManualPower implements PowerSource {
  battery = false;
  percent: number | null = null;
  onBattery(): boolean {
    return this.battery;
  }
  batteryPercent(): number | null {
    return this.percent;
  }
}

export interface World {
  root: string;
  dest: string;
  clock: ManualClock;
  power: ManualPower;
  engine: Engine;
  scheduler: Scheduler;
  log: string[];
  /** Creates a source folder with a small file in it. */
  source(name: string): string;
  /** Adds a schedule through the engine (sources default to a new folder named after it). */
  addSchedule(name: string, cron: string, extra?: { sources?: string[]; enabled?: boolean }): Promise<ScheduleView>;
  /** Saves settings through the real settings store. */
  settings(changes: Partial<Settings>): void;
  /** Every job, oldest first, straight from the jobs table. */
  jobs(scheduleId?: number): JobRow[];
  /** Runs a manual backup through the engine and waits for it (as `dormouse run` does). */
  backUpNow(name: string): Promise<JobView>;
  /** backUpNow, for a test's setup: the backup must succeed. */
  backUp(name: string): Promise<JobView>;
  /** Waits until no job of this process is running (real worker processes finish in real time). */
  idle(): Promise<void>;
  /** Moves the manual clock forward, firing timers on the way and letting the jobs they start finish. */
  advance(ms: number): Promise<number>;
  advanceTo(instant: number): Promise<number>;
  /** Fires the timers already due (late ones included), letting the jobs they start finish. */
  runDue(): Promise<number>;
  start(): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function makeWorld(t: { after: (fn: () => void | Promise<void>) => void }, start: number): Promise<World> {
  const root = temporaryFolder(t, 'dormouse-scheduler-');
  const dest = join(root, 'drive');
  mkdirSync(dest);
  const clock = new ManualClock(start);
  const power = new ManualPower();
  const log: string[] = [];
  const engine = Engine.forDataDir(join(root, 'data'), { launchWorker: forkWorkerLauncher(workerScript), now: () => clock.now() });
  const scheduler = new Scheduler({
    db: () => engine.db,
    runner: engine.jobs,
    settings: () => readSettings(engine.db),
    timers: clock,
    power,
    log: (line) => log.push(`${new Date(clock.now()).toISOString()} ${line}`),
  });
  await engine.handle('destinations:add', { name: 'usb', path: dest });

  const idle = async () => {
    const deadline = Date.now() + 20_000;
    // Two quiet looks in a row: a job that ends lets the scheduler start the next one in a microtask.
    let quiet = 0;
    while (quiet < 2) {
      await sleep(quiet === 0 ? 15 : 5);
      await scheduler.settled(); // destination checks it started, and the jobs they queue
      quiet = engine.jobs.runningJobIds().length === 0 ? quiet + 1 : 0;
      if (Date.now() > deadline) throw new Error(`jobs still running after 20 s: ${engine.jobs.runningJobIds().join(', ')}`);
    }
  };

  const world: World = {
    root,
    dest,
    clock,
    power,
    engine,
    scheduler,
    log,
    source(name) {
      const folder = join(root, 'sources', name);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'notes.txt'), `notes of ${name}\n`);
      return folder;
    },
    addSchedule(name, cron, extra = {}) {
      return engine.handle('schedules:add', {
        name,
        cron,
        destination: 'usb',
        sources: extra.sources ?? [world.source(name)],
        ...(extra.enabled === undefined ? {} : { enabled: extra.enabled }),
      });
    },
    settings(changes) {
      writeSettings(engine.db, changes, clock.now());
    },
    jobs(scheduleId) {
      const columns = 'id, schedule_id, trigger, status, queued_at, started_at, finished_at, error_code, waiting_reason';
      return (
        scheduleId === undefined
          ? engine.db.prepare(`SELECT ${columns} FROM jobs ORDER BY id`).all()
          : engine.db.prepare(`SELECT ${columns} FROM jobs WHERE schedule_id = ? ORDER BY id`).all(scheduleId)
      ) as JobRow[];
    },
    backUpNow: (name) => engine.handle('jobs:run', { name }),
    async backUp(name) {
      const job = await engine.handle('jobs:run', { name });
      if (job.status !== 'succeeded') throw new Error(`the setup backup of ${name} ended ${job.status}: ${JSON.stringify(job.error)}`);
      return job;
    },
    idle,
    advance: (ms) => clock.advance(ms, idle),
    advanceTo: (instant) => clock.advanceTo(instant, idle),
    runDue: () => clock.runDue(idle),
    start: () => scheduler.start(),
  };

  t.after(async () => {
    scheduler.stop();
    for (const id of engine.jobs.runningJobIds()) engine.jobs.cancel(id);
    if (engine.jobs.runningJobIds().length > 0) await idle().catch(() => undefined);
    engine.close();
  });
  return world;
}

/** A compact view of jobs for assertion messages. */
export function describeJobs(jobs: JobRow[]): string {
  return JSON.stringify(jobs.map((job) => `${job.id}:${job.schedule_id}:${job.trigger}:${job.status}${job.error_code ? `:${job.error_code}` : ''}@${new Date(job.queued_at).toISOString()}`));
}
