import { readFileSync } from 'node:fs';

/** Whether a process on this machine is alive: how a job's or the scheduler lock's owner is checked. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let bootId: string | null | undefined;

/** This boot's id on Linux (it changes at every boot), or null elsewhere. */
function linuxBootId(): string | null {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootId = null;
    }
  }
  return bootId;
}

/**
 * What tells a process apart from a later one given the same pid (after a crash, a restart or a
 * reboot): on Linux, the boot's id and the process's start time in clock ticks since boot. Null
 * where the system does not say (macOS, Windows), or when there is no such process.
 */
export function processMark(pid: number): string | null {
  const boot = linuxBootId();
  if (boot === null) return null;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (name) state ppid …": the name may hold spaces and parentheses; start time is field 22.
  const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return startTicks && /^\d+$/.test(startTicks) ? `${boot}/${startTicks}` : null;
}

/**
 * Whether the process that recorded itself as (pid, mark) still runs. A job left behind by a
 * process that died is not kept "running" by whatever program was later given its pid; with no
 * mark to compare (older rows, other systems) a live pid counts as alive.
 */
export function ownerAlive(pid: number, mark: string | null): boolean {
  if (!processAlive(pid)) return false;
  if (mark === null) return true;
  const current = processMark(pid);
  return current === null || current === mark;
}
