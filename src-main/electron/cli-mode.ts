import { app } from 'electron';
import { join } from 'node:path';
import { runCli } from '../cli/cli-program';
import { utilityWorkerLauncher } from './utility-worker-launcher';

/** The switch the packaged `dormouse` launcher passes to the app's own binary to run the CLI instead of the tray app. */
export const cliSwitch = '--cli';

/**
 * The CLI's arguments when the app was started as the CLI (everything after --cli), else null.
 * The packaged app ships no Node: the `dormouse` launcher runs the app's binary with --cli, so the
 * CLI shares the app's catalog and native modules while the runAsNode fuse stays off.
 */
export function cliArguments(argv: readonly string[]): string[] | null {
  const at = argv.indexOf(cliSwitch);
  return at === -1 ? null : argv.slice(at + 1);
}

/**
 * Runs the CLI in this Electron process: no window, no tray, no single-instance lock (the CLI runs
 * beside the tray app, as it does under Node), archive workers in Electron's utility process
 * (child_process.fork cannot start Node with runAsNode off), then exits with the CLI's code.
 */
export function runCliMode(args: string[], mainFolder: string): void {
  app.dock?.hide();
  const workerScript = join(mainFolder, 'archive-worker.cjs');
  void app
    .whenReady()
    .then(() =>
      runCli(args, {
        stdout: (chunk) => process.stdout.write(chunk),
        stderr: (chunk) => process.stderr.write(chunk),
        cwd: process.cwd(),
        env: process.env,
        progressTerminal: process.stderr.isTTY === true,
        workerScript,
        rendererFolder: join(mainFolder, '..', 'renderer'),
        launchWorker: utilityWorkerLauncher(workerScript),
      }),
    )
    .then(
      (code) => app.exit(code),
      (error: unknown) => {
        process.stderr.write(`error: unexpected failure: ${error instanceof Error ? error.message : String(error)}; please report it\n`);
        app.exit(1);
      },
    );
}
