import { processAlive } from '../common/processes';
import type { Db } from '../store/open-store';

/** Who holds the scheduler lock, as `dormouse status` shows it. */
export interface LockHolder {
  pid: number;
  hostname: string;
  createdAt: number;
  heartbeatAt: number;
}

/** A lock whose heartbeat is older than this is stale: its holder stalled or died elsewhere. */
export const staleLockMs = 60_000;
/** How often the holder renews its heartbeat and a waiting process tries again. */
export const heartbeatMs = 10_000;

interface LockRow {
  pid: number;
  hostname: string;
  created_at: number;
  heartbeat_at: number;
}

function toHolder(row: LockRow): LockHolder {
  return { pid: row.pid, hostname: row.hostname, createdAt: row.created_at, heartbeatAt: row.heartbeat_at };
}


/**
 * Whether a lock row names a live holder: its heartbeat is fresh and, on this machine, its
 * process still exists (a holder killed with SIGKILL is noticed at once, not after 60 s).
 */
export function isLive(holder: LockHolder, now: number, localHostname: string): boolean {
  if (now - holder.heartbeatAt > staleLockMs) return false;
  if (holder.hostname === localHostname) return processAlive(holder.pid);
  return true;
}

/** The lock's row, if any. */
export function readLock(db: Db): LockHolder | null {
  const row = db.prepare('SELECT pid, hostname, created_at, heartbeat_at FROM scheduler_lock WHERE id = 1').get() as LockRow | undefined;
  return row ? toHolder(row) : null;
}

/**
 * The singleton row that makes exactly one process per database run the scheduler: taken
 * atomically in a transaction, renewed by a heartbeat, taken over when stale, released on exit.
 */
export class SchedulerLock {
  constructor(
    private readonly db: () => Db,
    private readonly owner: { pid: number; hostname: string },
    private readonly now: () => number = Date.now,
  ) {}

  private isMine(holder: LockHolder | null): boolean {
    return holder !== null && holder.pid === this.owner.pid && holder.hostname === this.owner.hostname;
  }

  /** Takes the lock when it is free, stale, or already ours; otherwise returns the live holder. */
  tryAcquire(): { acquired: true } | { acquired: false; holder: LockHolder } {
    const db = this.db();
    return db
      .transaction(() => {
        const now = this.now();
        const holder = readLock(db);
        if (holder && !this.isMine(holder) && isLive(holder, now, this.owner.hostname)) return { acquired: false as const, holder };
        if (this.isMine(holder)) {
          db.prepare('UPDATE scheduler_lock SET heartbeat_at = ? WHERE id = 1').run(now);
        } else {
          db.prepare(
            'INSERT INTO scheduler_lock (id, pid, hostname, created_at, heartbeat_at) VALUES (1, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET pid = excluded.pid, hostname = excluded.hostname, created_at = excluded.created_at, heartbeat_at = excluded.heartbeat_at',
          ).run(this.owner.pid, this.owner.hostname, now, now);
        }
        return { acquired: true as const };
      })
      .immediate();
  }

  /** Renews the heartbeat; false when another process has taken the lock meanwhile. */
  heartbeat(): boolean {
    const result = this.db()
      .prepare('UPDATE scheduler_lock SET heartbeat_at = ? WHERE id = 1 AND pid = ? AND hostname = ?')
      .run(this.now(), this.owner.pid, this.owner.hostname);
    return result.changes === 1;
  }

  /** Gives the lock up on a clean shutdown. */
  release(): void {
    this.db().prepare('DELETE FROM scheduler_lock WHERE id = 1 AND pid = ? AND hostname = ?').run(this.owner.pid, this.owner.hostname);
  }
}
