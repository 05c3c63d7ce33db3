import { readdirSync, readFileSync } from 'node:fs';

/**
 * Nice values of threads as Linux shows them (field 19 of a task's `stat`), for the tests that check
 * which thread of a process gives way to the others.
 */

/** The nice value in a `/proc/…/stat` text (counted after the command name's closing parenthesis, which may hold spaces). */
export function niceOfStat(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** The nice value of the calling thread. */
export function ownNice(): number {
  return niceOfStat(readFileSync('/proc/thread-self/stat', 'utf8'));
}

/** The nice values of this process's threads other than its main one. */
export function otherThreadsNice(): number[] {
  const nices: number[] = [];
  for (const task of readdirSync('/proc/self/task')) {
    if (Number(task) === process.pid) continue;
    try {
      nices.push(niceOfStat(readFileSync(`/proc/self/task/${task}/stat`, 'utf8')));
    } catch {
      // the thread ended meanwhile
    }
  }
  return nices;
}
