import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from '../archive-worker/archive-protocol';
import { workerEnv, workerExecArgv } from '../archive-worker/worker-start';

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

/**
 * The loader that runs a bundle with V8's code cache (bin/load-with-code-cache.cjs, which the build
 * puts beside the bundles): the worker's start then skips compiling its bundle. A script without it
 * beside runs as it is.
 */
const codeCacheLoader = 'load-with-code-cache.cjs';

function forkWorker(workerScript: string): ChildProcess {
  const loader = join(dirname(workerScript), codeCacheLoader);
  const [program, args] = existsSync(loader) ? [loader, [workerScript]] : [workerScript, []];
  // The worker is plain built JavaScript: it never takes the parent's Node flags (a loader, --inspect and its port), only its own.
  return fork(program, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced', execArgv: [...workerExecArgv], env: workerEnv() });
}

/** A worker started before anyone asked (prestartWorker), kept for the first launch of the same script. */
let prestarted: { script: string; child: ChildProcess } | null = null;

/**
 * Starts a worker now, while the rest of a command loads, for a command that is sure to need one:
 * the first launch of the same script takes it instead of forking, so the worker's own start
 * (about a tenth of a second) overlaps the command's. Until then it does not keep the process
 * running, and it ends with the process if nothing takes it.
 */
export function prestartWorker(workerScript: string): void {
  if (prestarted !== null) return;
  const child = forkWorker(workerScript);
  // A fork that fails reports it as an event: nobody listens yet, and the first launch then forks again.
  child.once('error', () => undefined);
  child.unref();
  child.channel?.unref();
  process.once('exit', () => {
    if (prestarted?.child === child) child.kill('SIGKILL');
  });
  prestarted = { script: workerScript, child };
}

function takePrestarted(workerScript: string): ChildProcess | null {
  const taken = prestarted;
  if (taken === null || taken.script !== workerScript) return null;
  prestarted = null;
  if (!taken.child.connected || taken.child.exitCode !== null || taken.child.signalCode !== null) return null;
  taken.child.ref();
  taken.child.channel?.ref();
  return taken.child;
}

/** The launcher for plain Node: forks the built worker script as a child process. */
export function forkWorkerLauncher(workerScript: string): WorkerLauncher {
  return () => {
    const child = takePrestarted(workerScript) ?? forkWorker(workerScript);
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
