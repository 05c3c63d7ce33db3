import type { Command } from 'commander';
import type { Cli } from './cli-context';
import * as text from './text-output';

/** `dormouse snapshots [--schedule NAME] [--machine NAME|all]`: finished archives in the catalog, this machine's unless asked. */
export function addSnapshotsCommand(program: Command, cli: Cli): void {
  program
    .command('snapshots')
    .description("list finished archives in the catalog, newest first: this machine's, unless --machine says otherwise")
    .option('--schedule <name>', 'only this schedule (also one this laptop does not have: then every machine\'s snapshots of that name)')
    .option('--machine <name>', 'only this machine\'s (its name as listed, its hostname or its id), or "all"')
    .action(async function (this: Command, options: { schedule?: string; machine?: string }) {
      const request = { ...(options.schedule === undefined ? {} : { schedule: options.schedule }), ...(options.machine === undefined ? {} : { machine: options.machine }) };
      await cli.call(this, 'snapshots:list', request, (list) => list, text.snapshotsText);
    });
}
