// `npm run bench`: Dormouse's full backup against GNU tar on the same tree, in the same run.
// Prints wall times, their ratio and the owning process's event-loop delay during the backup.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Engine } from '../../src-main/engine/engine';
import { forkWorkerLauncher } from '../../src-main/jobs/worker-launcher';
import { ensureBenchTree } from './bench-tree';

const repoRoot = join(__dirname, '..', '..');
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const treeRoot = process.env.BENCH_TREE ?? join(tmpdir(), 'dormouse-bench-tree');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

async function main(): Promise<void> {
  mkdirSync(treeRoot, { recursive: true });
  console.log(`bench: preparing the tree in ${treeRoot} (made once, then reused)…`);
  const tree = ensureBenchTree(treeRoot);
  const source = join(tree.root, 'home');
  console.log(`bench: ${tree.files} files, ${(tree.bytes / 1e6).toFixed(0)} MB`);

  const work = mkdtempSync(join(tmpdir(), 'dormouse-bench-'));
  const destination = join(work, 'destination');
  mkdirSync(destination);
  const engine = Engine.forDataDir(join(work, 'data'), { launchWorker: forkWorkerLauncher(join(repoRoot, 'dist', 'main', 'archive-worker.cjs')) });
  await engine.handle('destinations:add', { name: 'bench', path: destination });
  await engine.handle('schedules:add', { name: 'bench', sources: [source], destination: 'bench', cron: '0 9 * * *' });

  const gnuTar = (fsync: boolean) => {
    const out = join(work, 'gnu.tar');
    const started = performance.now();
    const result = spawnSync('tar', ['-cf', out, '-C', '/', source.slice(1)]);
    if (result.status !== 0) throw new Error(`GNU tar failed: ${result.stderr}`);
    if (fsync) spawnSync('sync', [out]);
    const elapsed = performance.now() - started;
    rmSync(out);
    return elapsed;
  };
  const dormouse = async () => {
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const started = performance.now();
    const job = await engine.handle('jobs:run', { name: 'bench' });
    const elapsed = performance.now() - started;
    delay.disable();
    if (job.status !== 'succeeded' || !job.archivePath) throw new Error(`the Dormouse backup ${job.status}: ${job.error?.message}`);
    rmSync(job.archivePath);
    return { elapsed, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
  };

  console.log('bench: warming the page cache…');
  gnuTar(false);
  await dormouse();

  const tarTimes: number[] = [];
  const tarSyncTimes: number[] = [];
  const dormouseTimes: number[] = [];
  const delays: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    tarTimes.push(gnuTar(false));
    tarSyncTimes.push(gnuTar(true));
    const run = await dormouse();
    dormouseTimes.push(run.elapsed);
    delays.push(run.p99);
  }
  engine.close();
  rmSync(work, { recursive: true, force: true });

  const tar = median(tarTimes);
  const tarSync = median(tarSyncTimes);
  const ours = median(dormouseTimes);
  console.log('');
  console.log(`full backup, uncompressed, median of ${rounds} rounds`);
  console.log(`  GNU tar -cf                 ${seconds(tar)}`);
  console.log(`  GNU tar -cf, then fsync     ${seconds(tarSync)}`);
  console.log(`  Dormouse (worker, fsync'd)  ${seconds(ours)}`);
  console.log(`  ratio Dormouse / GNU tar          ${(ours / tar).toFixed(2)}x   (target at most 1.30x)`);
  console.log(`  ratio Dormouse / GNU tar + fsync  ${(ours / tarSync).toFixed(2)}x`);
  console.log(`  owning process event-loop delay p99 ${median(delays).toFixed(1)} ms (target at most 10 ms)`);
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
