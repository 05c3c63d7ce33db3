import type { SchedulerTimers } from '../../src-main/scheduler/scheduler';

/** A timer armed on the manual clock, as a test sees it. */
export interface PendingTimer {
  id: number;
  /** When it is due, in manual-clock milliseconds. */
  dueAt: number;
  /** When it was armed. */
  armedAt: number;
  /** The delay it was armed with. */
  delay: number;
  /** The function that armed it (from the stack), for failure messages only. */
  origin: string;
}

interface Entry extends PendingTimer {
  callback: () => void;
}

function callerOf(stack: string | undefined): string {
  const frames = (stack ?? '').split('\n').slice(1).map((line) => line.trim());
  const outside = frames.find((frame) => !frame.includes('manual-clock'));
  return outside?.replace(/^at /, '').replace(/ \(.*\)$/, '') ?? '?';
}

/**
 * The injected clock the scheduler and the wake detector run on in tests: time moves only when the
 * test says so, and timers fire only when the test advances past them (or fires them late on purpose).
 */
export class ManualClock implements SchedulerTimers {
  private current: number;
  private sequence = 0;
  private readonly entries = new Map<number, Entry>();

  constructor(start: number) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.sequence;
    const delay = Math.max(0, ms);
    this.entries.set(id, { id, dueAt: this.current + delay, armedAt: this.current, delay, origin: callerOf(new Error().stack), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.entries.delete(handle as number);
  }

  /** Every armed timer, soonest first. */
  pending(): PendingTimer[] {
    return [...this.entries.values()]
      .sort((a, b) => a.dueAt - b.dueAt || a.id - b.id)
      .map(({ callback: _callback, ...timer }) => timer);
  }

  /** The pending timers, described for an assertion message. */
  describe(): string {
    const list = this.pending().map((timer) => `#${timer.id} due ${new Date(timer.dueAt).toISOString()} (+${timer.delay} ms, armed by ${timer.origin})`);
    return `now ${new Date(this.current).toISOString()}; pending: ${list.length === 0 ? 'none' : list.join('; ')}`;
  }

  /** Moves the wall clock without firing anything: a laptop asleep, or a clock set forward or back. */
  jump(ms: number): void {
    this.current += ms;
  }

  /** Sets the wall clock to an instant without firing anything. */
  set(instant: number): void {
    this.current = instant;
  }

  /** Fires one timer now, whenever it was due (a timer that runs late after a sleep). */
  fire(id: number): void {
    const entry = this.entries.get(id);
    if (!entry) throw new Error(`timer #${id} is not pending; ${this.describe()}`);
    this.entries.delete(id);
    entry.callback();
  }

  /** The soonest pending timer due at or before `limit`, if any. */
  private nextDue(limit: number): Entry | undefined {
    let best: Entry | undefined;
    for (const entry of this.entries.values()) {
      if (entry.dueAt <= limit && (best === undefined || entry.dueAt < best.dueAt || (entry.dueAt === best.dueAt && entry.id < best.id))) best = entry;
    }
    return best;
  }

  /**
   * Fires, soonest first and without moving the clock, every timer already due (late ones included);
   * `between` runs after each one, so real work a timer started can finish first.
   */
  async runDue(between: () => Promise<void> = async () => undefined): Promise<number> {
    let fired = 0;
    for (let entry = this.nextDue(this.current); entry; entry = this.nextDue(this.current)) {
      this.entries.delete(entry.id);
      entry.callback();
      fired += 1;
      await between();
    }
    return fired;
  }

  /**
   * Moves the clock forward to `target`, stopping at each timer due on the way: the clock reads the
   * timer's due time while it fires (as it would on a laptop awake all along), then `between` runs.
   */
  async advanceTo(target: number, between: () => Promise<void> = async () => undefined): Promise<number> {
    if (target < this.current) throw new Error(`advanceTo goes forward only (now ${this.current}, asked ${target})`);
    let fired = 0;
    for (let entry = this.nextDue(target); entry; entry = this.nextDue(target)) {
      this.entries.delete(entry.id);
      this.current = Math.max(this.current, entry.dueAt);
      entry.callback();
      fired += 1;
      await between();
    }
    this.current = target;
    return fired;
  }

  /** advanceTo, by a duration. */
  advance(ms: number, between?: () => Promise<void>): Promise<number> {
    return this.advanceTo(this.current + ms, between);
  }
}
