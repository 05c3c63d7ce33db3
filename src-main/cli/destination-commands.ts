import type { Command } from 'commander';
import type { Cli } from './cli-context';
import * as text from './text-output';
import { newPassphrase, passphraseFileOption, withPassphrase } from './passphrase-option';
import { readPassphrase } from '../encryption/passphrase-source';
import { DormouseError } from '../../shared/errors';
import type { RequestOf } from '../../shared/contract';
import { counted } from '../../shared/format';
import { awsCredentials } from './aws-credentials';

interface AddOptions {
  name: string;
  path?: string;
  s3?: string;
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
  profile?: string;
  encrypt?: boolean;
  passphraseFile?: string;
}

/** The folder or the S3 bucket `destination add` names, with the S3 keys read here (never echoed); usage errors say what to give. */
function destinationTarget(options: AddOptions, cli: Cli): { path: string } | { s3: RequestOf<'destinations:add'>['s3'] & object } {
  const s3Only = [options.endpoint !== undefined && '--endpoint', options.region !== undefined && '--region', options.pathStyle === true && '--path-style', options.profile !== undefined && '--profile'].filter(Boolean);
  if ((options.path === undefined) === (options.s3 === undefined)) {
    throw new DormouseError('INVALID_INPUT', 'give either --path FOLDER or --s3 s3://BUCKET[/PREFIX] (not both)');
  }
  if (options.path !== undefined) {
    if (s3Only.length > 0) throw new DormouseError('INVALID_INPUT', `${s3Only.join(', ')} only go with --s3`);
    return { path: cli.absolute(options.path, '--path') };
  }
  return {
    s3: {
      url: options.s3 as string,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(options.region === undefined ? {} : { region: options.region }),
      pathStyle: options.pathStyle === true,
      credentials: awsCredentials(options.profile, cli.env),
    },
  };
}

/** `dormouse destination add | list | remove | passphrase | recovery-kit`: the folders (drives, NAS shares) and S3 buckets archives go to. */
export function addDestinationCommands(program: Command, cli: Cli): void {
  const destination = program.command('destination').description('folders (drives, NAS shares) where archives go');
  destination
    .command('add')
    .description('add a destination: a folder (a marker file is written into it) or an S3-compatible bucket (a marker object under the prefix)')
    .requiredOption('--name <name>', 'a unique name, such as usb-drive')
    .option('--path <path>', 'an existing folder on the drive or share')
    .option('--s3 <url>', 'an S3-compatible bucket, as s3://BUCKET or s3://BUCKET/PREFIX; keys from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --profile')
    .option('--endpoint <url>', "the S3 service's address (default: AWS's for the region), such as http://127.0.0.1:9000")
    .option('--region <region>', 'the region requests are signed for (default us-east-1)')
    .option('--path-style', 'address the bucket as ENDPOINT/BUCKET rather than BUCKET.ENDPOINT (MinIO, Ceph, most self-hosted services)')
    .option('--profile <name>', 'take the S3 keys from this profile of the AWS credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials)')
    .option('--encrypt', 'encrypt its archives with age (the default for S3); makes a key, kept on the destination encrypted with a passphrase (asked twice, at least 12 characters)')
    .option('--no-encrypt', 'for S3: do not encrypt (whoever can read the bucket can read the archives)')
    .addOption(passphraseFileOption())
    .action(async function (this: Command, options: AddOptions) {
      const target = destinationTarget(options, cli);
      // S3 is encrypted by default: the engine makes a key for a new prefix, and takes the one a prefix already has.
      const encryptByDefault = options.encrypt === undefined && 's3' in target;
      const encrypt = options.encrypt ?? encryptByDefault;
      // Told in the text only: the JSON keeps its fields.
      let fromOthers = 0;
      const sources = cli.passphraseSources(options.passphraseFile);
      const purpose = `for the destination "${options.name}"`;
      const add = (passphrase: string | undefined) =>
        cli.call(
          this,
          'destinations:add',
          { name: options.name, ...target, ...(encryptByDefault ? {} : { encrypt }), ...(passphrase === undefined ? {} : { passphrase }) },
          (d) => {
            fromOthers = d.imported.imported.filter((item) => !item.machine.current).length;
            return { id: d.id, name: d.name, path: d.path, kind: d.kind, encrypted: d.encrypted, importedSnapshots: d.imported.imported.length, warnings: d.warnings };
          },
          (d) =>
            `Added ${d.encrypted ? 'encrypted ' : ''}destination "${d.name}" at ${d.path} (id ${d.id}).` +
            (d.importedSnapshots > 0 ? ` Found ${counted(d.importedSnapshots, 'snapshot')} already there and added ${d.importedSnapshots === 1 ? 'it' : 'them'} to the catalog.` : '') +
            (fromOthers > 0
              ? ` ${fromOthers} of them ${fromOthers === 1 ? "is another machine's" : "are other machines'"} (dormouse snapshots --machine all): restorable here, never pruned nor built on.`
              : '') +
            (encrypt && d.encrypted && d.importedSnapshots === 0
              ? ` Its key is in ${d.path}/.dormouse-key.age, encrypted with your passphrase; RECOVERY.txt beside it says how to restore without Dormouse. Without the passphrase the backups cannot be restored: keep it safe.`
              : '') +
            d.warnings.map((warning) => `\nWarning: ${warning}.`).join(''),
        );
      if (encrypt) await add(await newPassphrase(sources, purpose));
      else await withPassphrase(sources, purpose, add);
    });
  destination
    .command('list')
    .description('list destinations, whether each is available, and its free space (none for S3)')
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
        { name, to: cli.absolute(options.to, '--to') },
        (kit) => kit,
        (kit) => `Saved the recovery kit of "${kit.destination}" in ${kit.folder}: ${kit.files.join(' and ')}. Keep it away from the drive; it still needs the passphrase.`,
      );
    });
}
