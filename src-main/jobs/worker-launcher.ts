import { fork } from 'node:child_process';
import type { FromWorker, ToWorker } from '../archive-worker/archive-protocol';

/** A running archive worker, whichever way it was started. */
export interface WorkerHandle {
  readonly pid: number | undefined;
  send(message: ToWorker): void;
  onMessage(listener: (message: FromWorker) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

/** Starts an archive worker: a forked Node child in the CLI and the daemon, a utilityProcess in the app. */
export type WorkerLauncher = () => WorkerHandle;

/** The launcher for plain Node: forks the built worker script as a child process. */
export function forkWorkerLauncher(workerScript: string): WorkerLauncher {
  return () => {
    // The worker is plain built JavaScript: it never takes the parent's Node flags (a loader, --inspect and its port).
    const child = fork(workerScript, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced', execArgv: [] });
    return {
      pid: child.pid,
      send: (message) => {
        if (child.connected) child.send(message);
      },
      onMessage: (listener) => child.on('message', (message) => listener(message as FromWorker)),
      onExit: (listener) => child.on('exit', listener),
      kill: () => child.kill('SIGKILL'),
    };
  };
}
