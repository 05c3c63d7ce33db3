import type { Command } from 'commander';
import type { Cli } from './cli-program';
import * as text from './text-output';

/** `dormouse destination add | list | remove`: the folders (drives, NAS shares) archives go to. */
export function addDestinationCommands(program: Command, cli: Cli): void {
  const destination = program.command('destination').description('folders (drives, NAS shares) where archives go');
  destination
    .command('add')
    .description('add a destination folder; writes a marker file into it')
    .requiredOption('--name <name>', 'a unique name, such as usb-drive')
    .requiredOption('--path <path>', 'an existing folder on the drive or share')
    .action(async function (this: Command, options: { name: string; path: string }) {
      // Told in the text only: the JSON keeps its four fields.
      let fromOthers = 0;
      await cli.call(
        this,
        'destinations:add',
        { name: options.name, path: cli.absolute(options.path) },
        (d) => {
          fromOthers = d.imported.imported.filter((item) => !item.machine.current).length;
          return { id: d.id, name: d.name, path: d.path, importedSnapshots: d.imported.imported.length };
        },
        (d) =>
          `Added destination "${d.name}" at ${d.path} (id ${d.id}).` +
          (d.importedSnapshots > 0 ? ` Found ${d.importedSnapshots} snapshot(s) already there and added them to the catalog.` : '') +
          (fromOthers > 0
            ? ` ${fromOthers} of them ${fromOthers === 1 ? "is another machine's" : "are other machines'"} (dormouse snapshots --machine all): restorable here, never pruned nor built on.`
            : ''),
      );
    });
  destination
    .command('list')
    .description('list destinations, whether each is available and its free space')
    .action(async function (this: Command) {
      await cli.call(this, 'destinations:list', {}, (list) => list, text.destinationsText);
    });
  destination
    .command('remove')
    .description('forget a destination (its folder and archives are left alone)')
    .argument('<name>')
    .action(async function (this: Command, name: string) {
      await cli.call(this, 'destinations:remove', { name }, (removed) => removed, text.destinationRemovedText);
    });
}
