import type { SchedulerTimers } from './scheduler';

/** How often the daemon checks its clocks. */
export const wakeCheckMs = 10_000;
/** A difference between the clocks larger than this means a sleep, a stall or a clock change. */
export const clockJumpMs = 30_000;

export interface WakeDetectorDeps {
  timers: SchedulerTimers;
  /** A clock that stops while the laptop sleeps (performance.now on Linux, macOS and Windows alike). */
  monotonicNow: () => number;
  /** The laptop's time zone and its current offset, to notice a laptop that travels. */
  zone?: () => string;
  onWake: (reason: string) => void;
  onClockChange: (reason: string) => void;
  onTick?: () => void;
  intervalMs?: number;
}

function currentZone(): string {
  return `${Intl.DateTimeFormat().resolvedOptions().timeZone} ${new Date().getTimezoneOffset()}`;
}

/**
 * The daemon's wake detection, with no Electron to say "resume": every 10 s it compares the wall
 * clock with a clock that stops during sleep. The wall clock jumping ahead means the laptop slept;
 * the check itself running far later than due means the process was frozen or stalled; either arms
 * catch-up. A clock set back, or a new time zone, recomputes the schedule.
 */
export class WakeDetector {
  private timer: unknown = null;
  private lastWall = 0;
  private lastMonotonic = 0;
  private lastZone = '';
  private readonly intervalMs: number;
  private readonly zone: () => string;

  constructor(private readonly deps: WakeDetectorDeps) {
    this.intervalMs = deps.intervalMs ?? wakeCheckMs;
    this.zone = deps.zone ?? currentZone;
  }

  start(): void {
    this.lastWall = this.deps.timers.now();
    this.lastMonotonic = this.deps.monotonicNow();
    this.lastZone = this.zone();
    this.schedule();
  }

  stop(): void {
    if (this.timer !== null) this.deps.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.timer = this.deps.timers.setTimeout(() => this.check(), this.intervalMs);
  }

  /** One look at the clocks. */
  check(): void {
    const wall = this.deps.timers.now();
    const monotonic = this.deps.monotonicNow();
    const zone = this.zone();
    const wallDelta = wall - this.lastWall;
    const monotonicDelta = monotonic - this.lastMonotonic;
    this.lastWall = wall;
    this.lastMonotonic = monotonic;
    if (wallDelta - monotonicDelta > clockJumpMs) {
      this.deps.onWake(`a wake: the wall clock jumped ${Math.round((wallDelta - monotonicDelta) / 1000)} s ahead of the process's clock`);
    } else if (monotonicDelta - this.intervalMs > clockJumpMs) {
      this.deps.onWake(`a stall: the clock check ran ${Math.round((monotonicDelta - this.intervalMs) / 1000)} s late`);
    } else if (monotonicDelta - wallDelta > clockJumpMs) {
      this.deps.onClockChange(`the clock was set back ${Math.round((monotonicDelta - wallDelta) / 1000)} s`);
    }
    if (zone !== this.lastZone) {
      this.lastZone = zone;
      this.deps.onClockChange(`the time zone changed to ${zone.split(' ')[0]}`);
    }
    this.deps.onTick?.();
    if (this.timer !== null) this.schedule();
  }
}
