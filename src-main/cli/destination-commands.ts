import type { Command } from 'commander';
import type { Cli } from './cli-program';
import * as text from './text-output';
import { newPassphrase, passphraseFileOption, withPassphrase } from './passphrase-option';
import { readPassphrase } from '../encryption/passphrase-source';

/** `dormouse destination add | list | remove | passphrase | recovery-kit`: the folders (drives, NAS shares) archives go to. */
export function addDestinationCommands(program: Command, cli: Cli): void {
  const destination = program.command('destination').description('folders (drives, NAS shares) where archives go');
  destination
    .command('add')
    .description('add a destination folder; writes a marker file into it')
    .requiredOption('--name <name>', 'a unique name, such as usb-drive')
    .requiredOption('--path <path>', 'an existing folder on the drive or share')
    .option('--encrypt', 'encrypt its archives with age; makes a key, kept on the destination encrypted with a passphrase (asked twice, at least 12 characters)')
    .addOption(passphraseFileOption())
    .action(async function (this: Command, options: { name: string; path: string; encrypt?: boolean; passphraseFile?: string }) {
      // Told in the text only: the JSON keeps its fields.
      let fromOthers = 0;
      const sources = cli.passphraseSources(options.passphraseFile);
      const purpose = `for the destination "${options.name}"`;
      const add = (passphrase: string | undefined) =>
        cli.call(
          this,
          'destinations:add',
          { name: options.name, path: cli.absolute(options.path), encrypt: options.encrypt === true, ...(passphrase === undefined ? {} : { passphrase }) },
          (d) => {
            fromOthers = d.imported.imported.filter((item) => !item.machine.current).length;
            return { id: d.id, name: d.name, path: d.path, encrypted: d.encrypted, importedSnapshots: d.imported.imported.length };
          },
          (d) =>
            `Added ${d.encrypted ? 'encrypted ' : ''}destination "${d.name}" at ${d.path} (id ${d.id}).` +
          (d.importedSnapshots > 0 ? ` Found ${d.importedSnapshots} snapshot(s) already there and added them to the catalog.` : '') +
          (fromOthers > 0
            ? ` ${fromOthers} of them ${fromOthers === 1 ? "is another machine's" : "are other machines'"} (dormouse snapshots --machine all): restorable here, never pruned nor built on.`
            : '') +
            (options.encrypt === true
              ? ` Its key is in ${d.path}/.dormouse-key.age, encrypted with your passphrase; RECOVERY.txt beside it says how to restore without Dormouse. Without the passphrase the backups cannot be restored: keep it safe.`
              : ''),
        );
      if (options.encrypt === true) await add(await newPassphrase(sources, purpose));
      else await withPassphrase(sources, purpose, add);
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
  destination
    .command('passphrase')
    .description("change an encrypted destination's passphrase (rewrites only its key file; the archives stay as they are)")
    .argument('<name>')
    .addOption(passphraseFileOption())
    .option('--new-passphrase-file <file>', 'the new passphrase, on one line (else asked twice on the terminal)')
    .action(async function (this: Command, name: string, options: { passphraseFile?: string; newPassphraseFile?: string }) {
      const sources = cli.passphraseSources(options.passphraseFile);
      const passphrase = await readPassphrase({ passphraseFile: sources.passphraseFile, isNew: false, purpose: `for the destination "${name}"`, env: sources.env });
      const newSources = cli.passphraseSources(options.newPassphraseFile);
      const chosen = await newPassphrase({ passphraseFile: newSources.passphraseFile, env: {} }, `(new) for the destination "${name}"`);
      await cli.call(this, 'destinations:passphrase', { name, passphrase, newPassphrase: chosen }, (d) => ({ id: d.id, name: d.name, path: d.path, encrypted: d.encrypted }), (d) => `Changed the passphrase of destination "${d.name}"; its archives are unchanged.`);
    });
  destination
    .command('recovery-kit')
    .description("save an encrypted destination's recovery kit (its key file, still locked with the passphrase, and RECOVERY.txt) into a folder away from the drive")
    .argument('<name>')
    .requiredOption('--to <folder>', 'an existing folder somewhere other than the destination (another drive, a USB stick, a cloud storage folder)')
    .action(async function (this: Command, name: string, options: { to: string }) {
      await cli.call(
        this,
        'destinations:recovery-kit',
        { name, to: cli.absolute(options.to) },
        (kit) => kit,
        (kit) => `Saved the recovery kit of "${kit.destination}" in ${kit.folder}: ${kit.files.join(' and ')}. Keep it away from the drive; it still needs the passphrase.`,
      );
    });
}
