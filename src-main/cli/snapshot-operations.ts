import type { Command } from 'commander';
import { DormouseError } from '../../shared/errors';
import { collect, ExitCode, exitCodes, withoutUndefined, wholeNumber, type Cli } from './cli-context';
import { givenPassphrase, passphraseFileOption, withPassphrase } from './passphrase-option';
import * as text from './text-output';

/** Adds what is done with snapshots that exist: `ls`, `import`, `prune`, `restore` and `verify`. */
export function addSnapshotOperations(program: Command, cli: Cli): void {
  program
    .command('ls')
    .description("list a snapshot's folders and files from its manifest, without reading the archive body")
    .argument('<snapshot-id>', 'the snapshot, as `dormouse snapshots` shows it', wholeNumber)
    .argument('[path]', 'a folder inside the snapshot, as it was on the laptop (default: the folders that were backed up)')
    .addOption(passphraseFileOption())
    .action(async function (this: Command, snapshotId: number, path: string | undefined, options: { passphraseFile?: string }) {
      await withPassphrase(cli.passphraseSources(options.passphraseFile), `for snapshot ${snapshotId}'s destination`, (passphrase) =>
        cli.call(this, 'snapshots:ls', withoutUndefined({ snapshotId, path, passphrase }), (listing) => listing, text.listingText),
      );
    });

  program
    .command('import')
    .description('re-scan a destination for Dormouse archives the catalog does not know (a new laptop, a lost catalog)')
    .requiredOption('--destination <name>', 'the destination to scan')
    .addOption(passphraseFileOption())
    .action(async function (this: Command, options: { destination: string; passphraseFile?: string }) {
      await withPassphrase(cli.passphraseSources(options.passphraseFile), `for the destination "${options.destination}"`, (passphrase) =>
        cli.call(this, 'snapshots:import', withoutUndefined({ destination: options.destination, passphrase }), (report) => report, text.importText),
      );
    });

  program
    .command('prune')
    .description("delete snapshots a schedule's retention rules no longer keep (never the newest, nor one a kept snapshot depends on)")
    .option('--schedule <name>', 'only this schedule')
    .option('--dry-run', 'say what would be deleted and why the rest is kept, deleting nothing')
    .action(async function (this: Command, options: { schedule?: string; dryRun?: boolean }) {
      await cli.call(this, 'snapshots:prune', withoutUndefined({ schedule: options.schedule, dryRun: options.dryRun === true }), (reports) => reports, text.pruneText);
    });

  program
    .command('restore')
    .description('restore a snapshot, or chosen files and folders of it, into a folder; existing files are left alone unless --overwrite')
    .argument('<snapshot-id>', 'the snapshot, as `dormouse snapshots` shows it', wholeNumber)
    .requiredOption('--to <dir>', 'the folder to restore into (made if missing)')
    .option('--path <p>', 'a file or folder of the snapshot, as it was on the laptop, or a pattern (*, ?, **: quote it) of them (repeat for several; default: everything)', collect)
    .option('--overwrite', 'replace files that already exist in the target')
    .addOption(passphraseFileOption())
    .action(async function (this: Command, snapshotId: number, options: { to: string; path?: string[]; overwrite?: boolean; passphraseFile?: string }) {
      const request = { snapshotId, to: cli.absolute(options.to, '--to'), paths: options.path ?? [], overwrite: options.overwrite === true };
      const report = await withPassphrase(cli.passphraseSources(options.passphraseFile), `for snapshot ${snapshotId}'s destination`, (passphrase) =>
        cli.whileCancellable(this, () => cli.call(this, 'snapshots:restore', withoutUndefined({ ...request, passphrase }), (value) => value, text.restoreText)),
      );
      if (report.conflicts.length > 0 || report.refused.length > 0 || report.damaged.length > 0) throw new ExitCode(exitCodes.failed);
    });

  program
    .command('verify')
    .description('re-read archives: their SHA-256 and every manifest entry; exits 1 when anything differs')
    .argument('[snapshot-id]', 'the snapshot to verify', wholeNumber)
    .option('--all', 'verify every snapshot in the catalog')
    .addOption(passphraseFileOption())
    .action(async function (this: Command, snapshotId: number | undefined, options: { all?: boolean; passphraseFile?: string }) {
      if ((snapshotId === undefined) === !options.all) throw new DormouseError('INVALID_INPUT', 'name one snapshot id, or pass --all');
      // Without a passphrase an encrypted archive's SHA-256 is checked; with one (never asked for), every entry too.
      const passphrase = await givenPassphrase(cli.passphraseSources(options.passphraseFile), 'for the encrypted destinations');
      const request = snapshotId === undefined ? withoutUndefined({ all: true as const, passphrase }) : withoutUndefined({ snapshotId, passphrase });
      const report = await cli.whileCancellable(this, () => cli.call(this, 'snapshots:verify', request, (value) => value, text.verifyText));
      if (!report.ok) throw new ExitCode(exitCodes.failed);
    });
}
