// `npm run bench`, fourth part: issue #18's reads by range, on whole processes against a real S3
// service (Ceph's RADOS Gateway, as the S3 tests start it, on loopback and in RAM). A 1 GiB tree is
// backed up by `dormouse run` to a bucket, plain and then encrypted (each on a gateway of its own),
// beside `tar -cf` of it; then `dormouse ls` of the top level and a one-file `dormouse restore`, each
// with the bytes the gateway sent, counted by a TCP proxy in front of it, beside the archive's size.
// The gateways are stopped at the end, also on failure. Without Ceph it says so and how to install it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeLargeTree } from './large-tree';
import { gatewayMissing } from './s3-gateway';
import { measureS3Variant, type CountedRun, type VariantResult } from './s3-variant';
import { median, size, Table, time } from './scale-measure';

const repoRoot = join(__dirname, '..', '..');
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));

/** A share of the archive, with two significant digits however small. */
function share(bytes: number, archiveBytes: number): string {
  return `${((100 * bytes) / archiveBytes).toPrecision(2)}%`;
}

/** The bytes the gateway sent in each round, and the largest as a share of the archive. */
function downText(runs: CountedRun[], archiveBytes: number): string {
  const largest = Math.max(...runs.map((run) => run.down));
  return `; the gateway sent ${runs.map((run) => size(run.down)).join(' / ')} (at most ${share(largest, archiveBytes)} of the ${size(archiveBytes)} archive)`;
}

/** One destination's rows: the backup beside tar, then the listing and the one-file restore with their bytes. */
function addRows(table: Table, result: VariantResult): void {
  const kind = result.encrypted ? 'encrypted (.tar.age; ls and restore open the key with the passphrase, scrypt, first)' : 'plain (.tar)';
  table.heading(`S3 destination, ${kind}: archive ${result.archiveKey.split('/').at(-1)}, ${size(result.archiveBytes)} (gateway started in ${time(result.gatewayStartMs)})`);
  const tarTime = table.timed('GNU tar -cf of the tree (a local file)', [result.tar]);
  const backupTime = table.timed('dormouse run: full backup to the bucket', [result.backup.run], `; ${size(result.backup.up)} sent to the gateway`);
  table.row('ratio dormouse run to S3 / GNU tar -cf', `${(backupTime / tarTime).toFixed(2)}x`);
  table.timed('dormouse ls (top level)', result.listings.map((counted) => counted.run), downText(result.listings, result.archiveBytes));
  const restoreTime = table.timed('dormouse restore --path FILE (the small file)', result.restores.map((counted) => counted.run), downText(result.restores, result.archiveBytes));
  const restoreBytes = median(result.restores.map((run) => run.down));
  table.row('  bytes the gateway sent for it (median)', size(restoreBytes), `${share(restoreBytes, result.archiveBytes)} of the archive`);
  if (result.encrypted) {
    table.row('  scrypt (log2 N 18, as age -p) alone, in this process', time(median(result.keyOpenings)), `rounds ${result.keyOpenings.map(time).join(' / ')}`);
  } else {
    table.target('one-file restore from 1 GiB in S3, whole process', time(restoreTime), 'under 1 s', restoreTime < 1000);
  }
}

async function main(): Promise<void> {
  if (gatewayMissing) {
    console.log(`bench: S3 (issue #18): not measured: ${gatewayMissing}`);
    return;
  }
  if (!existsSync(join(repoRoot, 'dist', 'main', 'cli.cjs'))) throw new Error('Dormouse is not built; run `npm run build` first');
  const work = mkdtempSync(join(tmpdir(), 'dormouse-s3-bench-'));
  try {
    console.log('bench: S3: a 1 GiB tree of random bytes whose one small file lies past its first GiB…');
    const tree = makeLargeTree(work);
    const table = new Table(`a 1 GiB tree (${size(tree.bytes)}) backed up to a bucket on Ceph's RADOS Gateway (one node, objects in RAM, loopback), every command a whole process through a byte-counting proxy; ls and restore: median of ${rounds} round${rounds > 1 ? 's' : ''}`);
    for (const encrypted of [false, true]) {
      console.log(`bench: S3: ${encrypted ? 'encrypted' : 'plain'}: starting a gateway, backing up, listing and restoring…`);
      addRows(table, await measureS3Variant(tree, work, encrypted, rounds));
    }
    table.print();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
