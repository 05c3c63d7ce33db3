// A child process for scheduler-lock.test.ts: opens the catalog given as its argument and, on the
// parent's word, calls tryAcquire at an agreed instant, reporting what it got; releases on request.
import { hostname } from 'node:os';
import { SchedulerLock } from '../../src-main/scheduler/scheduler-lock';
import { openDatabase } from '../../src-main/store/open-store';

type Message = { round: number; at: number } | { release: number } | { exit: true };

const db = openDatabase(process.argv[2] as string);
const lock = new SchedulerLock(() => db, { pid: process.pid, hostname: hostname() });
const send = (message: object) => process.send?.(message);

process.on('message', (message: Message) => {
  if ('at' in message) {
    while (Date.now() < message.at) {
      // spin, so that both racers call tryAcquire in the same millisecond
    }
    try {
      const result = lock.tryAcquire();
      send({ round: message.round, pid: process.pid, acquired: result.acquired, holder: result.acquired ? null : result.holder.pid });
    } catch (error) {
      send({ round: message.round, pid: process.pid, error: (error as Error).message });
    }
  } else if ('release' in message) {
    lock.release();
    send({ released: message.release, pid: process.pid });
  } else {
    db.close();
    process.exit(0);
  }
});
send({ ready: process.pid });
