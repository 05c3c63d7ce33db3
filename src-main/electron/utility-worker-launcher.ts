import { utilityProcess } from 'electron';
import { createWriteStream, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FromWorker } from '../archive-worker/archive-protocol';
import type { WorkerLauncher } from '../jobs/worker-launcher';
import { workerEnv, workerExecArgv } from '../archive-worker/worker-start';
import { makeFolders } from '../common/make-folders';

/** A worker log larger than this is moved to <name>.old when the next worker starts. */
const logLimitBytes = 1_000_000;

function openLog(logFile: string): NodeJS.WritableStream | null {
  try {
    makeFolders(dirname(logFile));
    if ((statSync(logFile, { throwIfNoEntry: false })?.size ?? 0) > logLimitBytes) renameSync(logFile, `${logFile}.old`);
    const log = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
    log.on('error', () => undefined);
    log.write(`--- archive worker started ${new Date().toISOString()}\n`);
    return log;
  } catch {
    return null;
  }
}

/**
 * The launcher for the app: the archive worker runs as Electron's utilityProcess, never in the main
 * process; what it writes to stderr (a crash's stack) is appended to logFile in the data folder, or
 * goes to the app's own stderr without one (the CLI mode, run in a terminal).
 */
export function utilityWorkerLauncher(workerScript: string, logFile?: string): WorkerLauncher {
  return () => {
    const child = utilityProcess.fork(workerScript, [], { serviceName: 'Dormouse archive worker', execArgv: [...workerExecArgv], env: workerEnv() as Record<string, string>, stdio: ['ignore', 'ignore', logFile ? 'pipe' : 'inherit'] });
    const log = logFile ? openLog(logFile) : null;
    // The log ends once the worker has exited and its stderr is drained, whichever comes last.
    let exitCode: number | null = null;
    let drained = !child.stderr;
    const closeLog = () => {
      if (exitCode !== null && drained) log?.end(`--- archive worker exited with code ${exitCode} ${new Date().toISOString()}\n`);
    };
    if (log && child.stderr) child.stderr.pipe(log, { end: false });
    child.stderr?.on('close', () => {
      drained = true;
      closeLog();
    });
    let exited = false;
    child.on('exit', (code: number) => {
      exited = true;
      exitCode = code;
      closeLog();
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
