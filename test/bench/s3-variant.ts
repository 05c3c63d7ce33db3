// One S3 destination measured on a gateway of its own (memstore holds one 1 GiB archive, not two):
// the CLI adds the bucket (encrypted or not) and a schedule, backs the tree up beside `tar -cf` of
// it, then lists the top level and restores the one small file, each a whole process, counting the
// bytes the gateway sent for each.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scryptStanza } from '../../src-main/encryption/scrypt-stanza';
import { startBenchGateway } from './s3-gateway';
import type { LargeTree } from './large-tree';
import { measureOk, settle, type Measured } from './scale-measure';

const cliScript = join(__dirname, '..', '..', 'bin', 'dormouse.cjs');

/** A whole command with the bytes the gateway sent (`down`) and was sent (`up`) while it ran. */
export interface CountedRun {
  run: Measured;
  down: number;
  up: number;
}

/** What one destination's part measured. */
export interface VariantResult {
  encrypted: boolean;
  gatewayStartMs: number;
  /** `tar -cf` of the tree into a local file, just before the backup. */
  tar: Measured;
  backup: CountedRun;
  archiveKey: string;
  archiveBytes: number;
  listings: CountedRun[];
  restores: CountedRun[];
  /** Encrypted only: scrypt as the key file's stanza needs it (log2 N 18), alone in this process, once a round. */
  keyOpenings: number[];
}

interface JobAnswer {
  id: number;
  status: string;
  archivePath: string | null;
  error: { message: string } | null;
}

/**
 * Measures one S3 destination, plain or encrypted, in `work` (a data folder and restore targets are
 * made there): one backup, then `rounds` top-level listings and one-file restores. The gateway is
 * stopped before this returns or throws.
 */
export async function measureS3Variant(tree: LargeTree, work: string, encrypted: boolean, rounds: number): Promise<VariantResult> {
  const name = encrypted ? 'encrypted' : 'plain';
  const folder = join(work, name);
  mkdirSync(folder, { recursive: true });
  const dataDir = join(folder, 'data');
  const passphraseFile = join(folder, 'passphrase.txt');
  writeFileSync(passphraseFile, 'the bench passphrase\n');
  const keyArgs = encrypted ? ['--passphrase-file', passphraseFile] : [];
  const gateway = await startBenchGateway(`bench-${name}`, join(folder, 'no-aws-file'));
  try {
    const cli = (args: string[]) => measureOk(process.execPath, [cliScript, '--data-dir', dataDir, '--json', ...args], gateway.env);
    const counted = async (args: string[]): Promise<CountedRun> => {
      const down = gateway.counters.bytesDown;
      const up = gateway.counters.bytesUp;
      const run = await cli(args);
      return { run, down: gateway.counters.bytesDown - down, up: gateway.counters.bytesUp - up };
    };
    await cli(['destination', 'add', '--name', 'cloud', '--s3', `s3://${gateway.bucket}/laptop`, '--endpoint', gateway.endpoint, '--path-style', ...(encrypted ? keyArgs : ['--no-encrypt'])]);
    await cli(['schedule', 'add', '--name', 'large', '--source', tree.source, '--destination', 'cloud', '--cron', '0 9 * * *', '--compression', 'none']);

    const tarArchive = join(folder, 'gnu.tar');
    settle();
    const tar = await measureOk('tar', ['-cf', tarArchive, '-C', '/', tree.source.slice(1)]);
    rmSync(tarArchive);
    settle();
    const backup = await counted(['run', 'large']);
    const job = JSON.parse(backup.run.stdout) as JobAnswer;
    if (job.status !== 'succeeded' || job.archivePath === null) throw new Error(`the ${name} S3 backup ${job.status}: ${job.error?.message}`);
    const archiveKey = job.archivePath.slice(`s3://${gateway.bucket}/`.length);
    const archiveBytes = await gateway.objectSize(archiveKey);
    const [snapshot] = JSON.parse((await cli(['snapshots'])).stdout) as { id: number }[];
    if (snapshot === undefined) throw new Error(`the ${name} S3 backup left no snapshot`);
    const id = String(snapshot.id);

    const listings: CountedRun[] = [];
    const restores: CountedRun[] = [];
    const keyOpenings: number[] = [];
    for (let round = 1; round <= rounds; round += 1) {
      const listing = await counted(['ls', id, ...keyArgs]);
      const top = JSON.parse(listing.run.stdout) as { entries: { name: string }[] };
      if (top.entries.length === 0) throw new Error(`the ${name} listing is empty`);
      listings.push(listing);
      const to = join(folder, `restored-${round}`);
      const restore = await counted(['restore', id, '--to', to, '--path', tree.smallFile, ...keyArgs]);
      const report = JSON.parse(restore.run.stdout) as { files: number };
      if (report.files !== 1) throw new Error(`the ${name} one-file restore wrote ${report.files} files, not 1`);
      restores.push(restore);
      rmSync(to, { recursive: true, force: true });
      if (encrypted) {
        const started = performance.now();
        await scryptStanza('the bench passphrase', randomBytes(16));
        keyOpenings.push(performance.now() - started);
      }
    }
    return { encrypted, gatewayStartMs: gateway.startMs, tar, backup, archiveKey, archiveBytes, listings, restores, keyOpenings };
  } finally {
    await gateway.stop();
  }
}
