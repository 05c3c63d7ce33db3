import { join } from 'node:path';
import { prestartWorker } from '../jobs/worker-launcher';

/** The commands whose work is done by the archive worker (a backup, a restore, a verify). */
const workerCommands = new Set(['run', 'restore', 'verify']);

/** The command named on a command line: its first word that is not a global option or its value. */
function commandOf(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg === '--data-dir') i += 1;
    else if (!arg.startsWith('-')) return arg;
  }
  return null;
}

// Imported by the CLI's entry point before the rest of the CLI loads, so the worker starts meanwhile.
if (workerCommands.has(commandOf(process.argv.slice(2)) ?? '')) prestartWorker(join(__dirname, 'archive-worker.cjs'));
