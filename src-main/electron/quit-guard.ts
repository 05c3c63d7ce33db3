import { app, powerMonitor } from 'electron';

/** How long a quit waits for running backups to stop before the app quits anyway. */
export const shutdownLimitMs = 5_000;

/** What the quit guard stops and says. */
export interface QuitGuardOptions {
  /** Stops the scheduler, cancels running jobs and releases the scheduler lock; may never end (a worker stuck on a dead share). */
  shutdown(): Promise<void>;
  /** Closes the catalog, once shutdown has ended. */
  closeCatalog(): void;
  /** Adds a note to every running job (the job keeps it in its history). */
  noteOnRunningJobs(note: string): void;
  /** Called once the app is about to quit, so the window closes instead of hiding. */
  quitting(): void;
  log(line: string): void;
  limitMs?: number;
}

/**
 * Quitting: before-quit waits for the shutdown, at most limitMs, then quits anyway with a note on the
 * jobs still running. The computer shutting down or logging off quits the same way: powerMonitor
 * 'shutdown' on Linux and macOS (delayed with preventDefault, as Electron documents), and
 * `onSessionEnd` for the window's 'session-end' on Windows, where before-quit is not emitted.
 */
export function guardQuit(options: QuitGuardOptions): { onSessionEnd: () => void } {
  const limitMs = options.limitMs ?? shutdownLimitMs;
  let stopping = false;
  let stopped = false;

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), limitMs);
    });
    void Promise.race([options.shutdown().then(() => 'done' as const), limit])
      .then((how) => {
        clearTimeout(timer);
        if (how === 'done') options.closeCatalog();
        else {
          const when = new Date().toLocaleString();
          options.noteOnRunningJobs(`Dormouse quit (${when}) while this backup had not stopped after ${Math.round(limitMs / 1000)} s; it is checked again at the next start`);
          options.log(`dormouse: quitting without waiting longer: running backups did not stop within ${limitMs} ms`);
        }
      })
      .catch((error: unknown) => options.log(`dormouse: shutting down failed: ${(error as Error).message}`))
      .finally(() => {
        stopped = true;
        options.quitting();
        app.quit();
      });
  };

  app.on('before-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    stop();
  });
  const computerShutsDown = (event?: { preventDefault?: () => void }) => {
    options.noteOnRunningJobs(`the computer was shutting down during this backup (${new Date().toLocaleString()})`);
    event?.preventDefault?.();
    app.quit();
  };
  // Electron's types give this listener no argument; its documentation says it gets one to delay the shutdown with.
  powerMonitor.on('shutdown', (...args: unknown[]) => computerShutsDown(args[0] as { preventDefault?: () => void } | undefined));
  return { onSessionEnd: () => computerShutsDown() };
}
