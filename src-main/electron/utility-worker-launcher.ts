import { utilityProcess } from 'electron';
import type { FromWorker } from '../archive-worker/archive-protocol';
import type { WorkerLauncher } from '../jobs/worker-launcher';

/** The launcher for the app: the archive worker runs as Electron's utilityProcess, never in the main process. */
export function utilityWorkerLauncher(workerScript: string): WorkerLauncher {
  return () => {
    const child = utilityProcess.fork(workerScript, [], { serviceName: 'Dormouse archive worker', stdio: 'ignore' });
    let exited = false;
    child.on('exit', () => {
      exited = true;
    });
    return {
      get pid() {
        return child.pid;
      },
      send: (message) => {
        if (!exited) child.postMessage(message);
      },
      onMessage: (listener) => child.on('message', (message: unknown) => listener(message as FromWorker)),
      onExit: (listener) => child.on('exit', (code: number) => listener(code, null)),
      kill: () => {
        child.kill();
      },
      // The app runs until it quits, which ends its utility processes.
      keepAlive: () => undefined,
    };
  };
}
