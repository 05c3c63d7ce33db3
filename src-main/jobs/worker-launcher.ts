import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from '../archive-worker/archive-protocol';
import { workerExecArgv } from '../archive-worker/heap-trim';

/** A running archive worker, whichever way it was started. */
export interface WorkerHandle {
  readonly pid: number | undefined;
  send(message: ToWorker): void;
  onMessage(listener: (message: FromWorker) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
  /** Whether the worker keeps the owning process running (an idle snapshot reader must not hold up a CLI's exit). */
  keepAlive(keep: boolean): void;
}

/** Starts an archive worker: a forked Node child in the CLI and the daemon, a utilityProcess in the app. */
export type WorkerLauncher = () => WorkerHandle;

/** The launcher for plain Node: forks the built worker script as a child process. */
export function forkWorkerLauncher(workerScript: string): WorkerLauncher {
  return () => {
    // The worker is plain built JavaScript: it never takes the parent's Node flags (a loader, --inspect and its port), only its own.
    const child = fork(workerScript, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced', execArgv: [...workerExecArgv] });
    return {
      pid: child.pid,
      send: (message) => {
        if (child.connected) child.send(message);
      },
      onMessage: (listener) => child.on('message', (message) => listener(message as FromWorker)),
      onExit: (listener) => child.on('exit', listener),
      kill: () => child.kill('SIGKILL'),
      keepAlive: (keep) => {
        if (keep) {
          child.ref();
          child.channel?.ref();
        } else {
          child.unref();
          child.channel?.unref();
        }
      },
    };
  };
}

/**
 * The launcher for quick reads (browsing a snapshot): the same worker script as a thread of the
 * owning process. It starts in a fraction of a process's time and parses off the owner's event loop.
 */
export function threadWorkerLauncher(workerScript: string): WorkerLauncher {
  return () => {
    const thread = new Worker(workerScript, { execArgv: [], stdout: true });
    const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
    let exited = false;
    const exit = (code: number) => {
      if (exited) return;
      exited = true;
      for (const listener of exitListeners) listener(code, null);
    };
    // A thread that fails to load (a missing script) reports an error before it exits; it ends the task either way.
    thread.on('error', () => exit(1));
    thread.on('exit', exit);
    return {
      pid: undefined,
      send: (message) => {
        if (!exited) thread.postMessage(message);
      },
      onMessage: (listener) => thread.on('message', (message) => listener(message as FromWorker)),
      onExit: (listener) => exitListeners.push(listener),
      kill: () => void thread.terminate(),
      keepAlive: (keep) => (keep ? thread.ref() : thread.unref()),
    };
  };
}
