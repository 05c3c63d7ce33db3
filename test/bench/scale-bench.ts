// `npm run bench`, third part: issue #15's targets at scale, measured on whole processes as a user
// runs them (`node bin/dormouse.cjs --data-dir DIR …`, a destination and a schedule made by the CLI),
// beside GNU tar (and restic and borg where installed) in the same run, each time with the peak RSS of
// every process involved: the CLI and its archive-worker child, polled from /proc every 20 ms. First a
// 1,000,000-file tree (BENCH_SCALE_FILES files, made once under BENCH_SCALE_DIR), then the first
// part's 20,000-file tree. Targets are printed beside the numbers, never asserted.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Engine } from '../../src-main/engine/engine';
import { forkWorkerLauncher, threadWorkerLauncher } from '../../src-main/jobs/worker-launcher';
import { ensureBenchTree } from './bench-tree';
import { ensureScaleTree, scaleTreeContentBytes, scaleTreeDiskBytes, scaleTreeShape, scaleTreeSampleFile } from './scale-tree';

const repoRoot = join(__dirname, '..', '..');
const cliScript = join(repoRoot, 'bin', 'dormouse.cjs');
const workerScript = join(repoRoot, 'dist', 'main', 'archive-worker.cjs');
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const scaleFiles = Number(process.env.BENCH_SCALE_FILES ?? 1_000_000);
const scaleRoot = process.env.BENCH_SCALE_DIR ?? join(tmpdir(), 'dormouse-scale-tree');
const smallTreeRoot = process.env.BENCH_TREE ?? join(tmpdir(), 'dormouse-bench-tree');
/** What GNU tar needs to keep what Dormouse keeps (as in the first part). */
const tarKeeps = ['--xattrs', '--acls', '--sparse'];
const MB = 1e6;
/** Issue #15: peak RSS of any Dormouse process, for a full backup, a no-change incremental, `ls` and a one-file restore. */
const rssTarget = 300 * MB;

/** The highest resident set size seen of each kind of process a command ran (the CLI, its worker, tar…). */
type Peaks = Map<string, number>;

/** One whole command, run to its end. */
interface Measured {
  elapsed: number;
  code: number | null;
  stdout: string;
  stderr: string;
  peaks: Peaks;
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A pid and all its descendants, from each thread's `children` list. */
function processTree(root: number): number[] {
  const found = [root];
  for (let index = 0; index < found.length; index += 1) {
    const pid = found[index] as number;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      for (const child of (readProc(`/proc/${pid}/task/${task}/children`) ?? '').split(' ')) if (child.trim() !== '') found.push(Number(child));
    }
  }
  return found;
}

const ownCommandLine = readProc('/proc/self/cmdline');

/**
 * What a process is, from its command line: the Dormouse CLI, its archive worker, or the program's
 * name. Undefined for a child not yet past exec (still a copy of its parent), whose VmHWM is its parent's.
 */
function processName(pid: number, parentName: string | undefined): string | undefined {
  const commandLine = readProc(`/proc/${pid}/cmdline`);
  if (commandLine === undefined || commandLine === ownCommandLine) return undefined;
  const args = commandLine.split('\0').filter((arg) => arg !== '');
  // A zombie (exited, not yet reaped) has no command line and no memory left to measure.
  if (args.length === 0) return undefined;
  if (args.some((arg) => arg.endsWith('archive-worker.cjs'))) return 'archive worker';
  if (args.some((arg) => arg.endsWith('dormouse.cjs'))) return parentName === 'dormouse CLI' ? undefined : 'dormouse CLI';
  return basename(args[0] as string);
}

/**
 * Runs a command to its end and measures it as a whole process: wall time from spawn to exit, and
 * the peak RSS (VmHWM) of it and of every descendant, read from /proc every 20 ms while they run.
 */
function measure(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const peaks: Peaks = new Map();
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const poll = () => {
      if (child.pid === undefined) return;
      const rootName = processName(child.pid, undefined);
      for (const pid of processTree(child.pid)) {
        // The command line is read before the status: a process seen past exec is measured past exec.
        const name = pid === child.pid ? rootName : processName(pid, rootName);
        const hwm = name === undefined ? null : /VmHWM:\s+(\d+) kB/.exec(readProc(`/proc/${pid}/status`) ?? '');
        if (name !== undefined && hwm) peaks.set(name, Math.max(peaks.get(name) ?? 0, Number(hwm[1]) * 1024));
      }
    };
    const timer = setInterval(poll, 20);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ elapsed: performance.now() - started, code, stdout, stderr, peaks });
    });
  });
}

/** Runs a command that must succeed; its stderr's first line when it does not. */
async function measureOk(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Measured> {
  const run = await measure(command, args, env);
  if (run.code !== 0) throw new Error(`${basename(command)} ${args.join(' ')} exited ${run.code}: ${run.stderr.trim().split('\n')[0]}`);
  return run;
}

/** `dormouse --data-dir DIR --json ARGS…` as a user runs it, with its answer parsed. */
async function dormouse<T>(dataDir: string, args: string[]): Promise<{ run: Measured; answer: T }> {
  const run = await measureOk(process.execPath, [cliScript, '--data-dir', dataDir, '--json', ...args]);
  return { run, answer: JSON.parse(run.stdout) as T };
}

/** The largest peak among Dormouse's own processes (the CLI and its archive worker). */
function dormousePeak(peaks: Peaks): number {
  return Math.max(peaks.get('dormouse CLI') ?? 0, peaks.get('archive worker') ?? 0);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** A time for the table: seconds from a second up, milliseconds below. */
function time(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
}

function size(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= MB) return `${(bytes / MB).toFixed(1)} MB`;
  return `${(bytes / 1e3).toFixed(1)} kB`;
}

/** The peak of each process kind, the largest of every round. */
function mergePeaks(all: Peaks[]): Peaks {
  const merged: Peaks = new Map();
  for (const peaks of all) for (const [name, bytes] of peaks) merged.set(name, Math.max(merged.get(name) ?? 0, bytes));
  return merged;
}

function peaksText(peaks: Peaks): string {
  return `peak RSS ${[...peaks].map(([name, bytes]) => `${name} ${size(bytes)}`).join(', ') || 'not seen (it ended within 20 ms)'}`;
}

function verdict(met: boolean): string {
  return met ? 'met' : 'NOT met';
}

/** Every `sync` before a timed run: no tool pays for the writeback of the one before. */
function settle(): void {
  spawnSync('sync');
}

/** Apparent bytes of a folder (what a repository holds), as `du -sb` counts them. */
function folderBytes(folder: string): number {
  const result = spawnSync('du', ['-sb', folder], { encoding: 'utf8' });
  return Number(result.stdout.split('\t')[0]);
}

/** The free bytes of the file system holding `path`, found from its nearest existing folder (`where`). */
function freeBytes(path: string): { where: string; free: number; device: number } {
  let where = path;
  while (!existsSync(where)) where = dirname(where);
  const stats = statfsSync(where);
  return { where, free: stats.bavail * stats.bsize, device: statSync(where).dev };
}

/** One tree's printed table: measured rows (median and every round), peaks, and targets with their verdicts. */
class Table {
  private readonly lines: string[] = [];

  constructor(private readonly title: string) {}

  /** A timed row: the median, every round, and the peaks of its processes over all rounds. */
  timed(label: string, runs: Measured[], extra = ''): number {
    const times = runs.map((run) => run.elapsed);
    const all = runs.length > 1 ? `rounds ${times.map(time).join(' / ')}; ` : '';
    this.row(label, time(median(times)), `${all}${peaksText(mergePeaks(runs.map((run) => run.peaks)))}${extra}`);
    return median(times);
  }

  row(label: string, value: string, note = ''): void {
    this.lines.push(`  ${label.padEnd(60)} ${value.padStart(10)}  ${note}`);
  }

  /** A target: what was measured against what issue #15 asks, and whether it is met. */
  target(label: string, value: string, wanted: string, met: boolean): void {
    this.row(label, value, `target ${wanted}: ${verdict(met)}`);
  }

  /** A row for a memory target: the largest peak of any Dormouse process over the given runs. */
  memory(label: string, runs: Measured[]): void {
    const peak = Math.max(...runs.map((run) => dormousePeak(run.peaks)));
    this.target(`${label}: peak RSS of any Dormouse process`, size(peak), `< ${size(rssTarget)}`, peak < rssTarget);
  }

  heading(text: string): void {
    this.lines.push('', text);
  }

  print(): void {
    console.log('');
    console.log(this.title);
    for (const line of this.lines) console.log(line);
  }
}

/** What one tree's part measures and against which targets. */
interface TreeBench {
  /** How the tree is named in the table. */
  title: string;
  source: string;
  /** A file deep in the tree, for the one-file restore. */
  oneFile: string;
  /** Issue #15: a full backup at most this many times `tar -cf`. */
  fullRatio: number;
  /** Whether to time a whole-tree restore too. */
  wholeRestore: boolean;
}

/** The top level of a snapshot listed by an engine in this process: once fresh (thread start, index read), then warm (median of three). */
async function inProcessListing(dataDir: string, snapshotId: number): Promise<{ first: number; warm: number }> {
  const engine = Engine.forDataDir(dataDir, { launchWorker: forkWorkerLauncher(workerScript), launchReader: threadWorkerLauncher(workerScript) });
  try {
    let started = performance.now();
    await engine.handle('snapshots:ls', { snapshotId });
    const first = performance.now() - started;
    const warm: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      started = performance.now();
      await engine.handle('snapshots:ls', { snapshotId });
      warm.push(performance.now() - started);
    }
    return { first, warm: median(warm) };
  } finally {
    engine.close();
  }
}

interface JobAnswer {
  id: number;
  status: string;
  archivePath: string | null;
  files: number;
}

interface SnapshotAnswer {
  id: number;
  jobId: number;
  kind: string;
}

/** restic or borg: init, a first backup of the tree, a second with nothing changed, and the repository's growth. */
async function otherTool(table: Table, tool: 'restic' | 'borg', work: string, source: string): Promise<void> {
  const version = spawnSync(tool, [tool === 'restic' ? 'version' : '--version'], { encoding: 'utf8' });
  if ((version.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    table.row(`${tool}`, 'not installed', `(apt-get install -y ${tool === 'borg' ? 'borgbackup' : tool} to measure it)`);
    return;
  }
  const repository = join(work, `${tool}-repository`);
  const env: NodeJS.ProcessEnv =
    tool === 'restic'
      ? { RESTIC_REPOSITORY: repository, RESTIC_PASSWORD: 'bench', RESTIC_CACHE_DIR: join(work, 'restic-cache') }
      : { BORG_REPO: repository, BORG_BASE_DIR: join(work, 'borg-base'), BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
  const steps: [string, string[]][] =
    tool === 'restic'
      ? [
          ['init', ['init']],
          ['backup', ['backup', '--quiet', source]],
          ['second backup, nothing changed', ['backup', '--quiet', source]],
        ]
      : [
          ['init --encryption=none', ['init', '--encryption=none']],
          ['create (lz4, its default)', ['create', '::first', source]],
          ['second create, nothing changed', ['create', '::second', source]],
        ];
  const name = `${tool} ${version.stdout?.trim().split(' ')[1] ?? '(version unknown)'}`;
  try {
    const sizes: number[] = [];
    for (const [label, args] of steps) {
      settle();
      const run = await measureOk(tool, args, env);
      sizes.push(folderBytes(repository));
      table.row(`${name} ${label}`, time(run.elapsed), peaksText(run.peaks));
    }
    const [, first, second] = sizes as [number, number, number];
    table.row(`${name} repository after the first backup`, size(first));
    table.row(`${name} repository growth of the second backup`, size(second - first));
  } catch (error) {
    table.row(`${name}`, 'failed', (error as Error).message);
  } finally {
    rmSync(repository, { recursive: true, force: true });
  }
}

/** One tree's part: every row of issue #15 for it, BENCH_ROUNDS rounds, then restic and borg once. */
async function benchTree(tree: TreeBench): Promise<void> {
  const table = new Table(tree.title);
  const work = mkdtempSync(join(tmpdir(), 'dormouse-scale-bench-'));
  const dataDir = join(work, 'data');
  const destination = join(work, 'destination');
  mkdirSync(destination);
  const member = tree.source.slice(1);
  try {
    await dormouse(dataDir, ['destination', 'add', '--name', 'bench', '--path', destination]);
    console.log(`bench: ${tree.title}: warming the page cache (GNU tar reading the whole tree into a pipe)…`);
    const warm = spawnSync('bash', ['-c', 'tar -cf - -C / "$1" | cat > /dev/null', 'bash', member]);
    if (warm.status !== 0) throw new Error(`warming the page cache: ${warm.stderr}`);
    // GNU tar's level 0 for --listed-incremental: /dev/null as the archive, so it only records the tree.
    const level0 = join(work, 'level0.snar');
    await measureOk('tar', ['--listed-incremental', level0, '-cf', '/dev/null', '-C', '/', member]);

    const tarFull: Measured[] = [];
    const tarFsync: number[] = [];
    const fullRuns: Measured[] = [];
    const tarIncremental: Measured[] = [];
    const tarIncrementalBytes: number[] = [];
    const incrementalRuns: Measured[] = [];
    const incrementalBytes: number[] = [];
    const lsFull: Measured[] = [];
    const lsIncremental: Measured[] = [];
    const firstListings: number[] = [];
    const warmListings: number[] = [];
    const oneFileRestores: Measured[] = [];
    const tarOneFile: Measured[] = [];
    const wholeRestores: Measured[] = [];
    const tarWholeRestores: number[] = [];
    const tarWholeSyncs: number[] = [];
    const nodeStarts: Measured[] = [];
    for (let round = 1; round <= rounds; round += 1) {
      const schedule = `round-${round}`;
      const gnuArchive = join(work, 'gnu.tar');
      settle();
      tarFull.push(await measureOk('tar', [...tarKeeps, '-cf', gnuArchive, '-C', '/', member]));
      const fsyncStarted = performance.now();
      spawnSync('sync', [gnuArchive]);
      tarFsync.push((tarFull.at(-1) as Measured).elapsed + performance.now() - fsyncStarted);
      rmSync(gnuArchive);

      await dormouse(dataDir, ['schedule', 'add', '--name', schedule, '--source', tree.source, '--destination', 'bench', '--cron', '0 9 * * *', '--compression', 'none']);
      settle();
      const full = await dormouse<JobAnswer>(dataDir, ['run', schedule]);
      fullRuns.push(full.run);

      const level1 = join(work, 'level1.snar');
      const level1Archive = join(work, 'level1.tar');
      copyFileSync(level0, level1);
      settle();
      tarIncremental.push(await measureOk('tar', ['--listed-incremental', level1, '-cf', level1Archive, '-C', '/', member]));
      tarIncrementalBytes.push(statSync(level1Archive).size);
      rmSync(level1Archive);
      settle();
      const incremental = await dormouse<JobAnswer>(dataDir, ['run', schedule]);
      incrementalRuns.push(incremental.run);
      const incrementalArchive = incremental.answer.archivePath as string;
      incrementalBytes.push(statSync(incrementalArchive).size + statSync(`${incrementalArchive}.sha256`).size);

      const snapshots = (await dormouse<SnapshotAnswer[]>(dataDir, ['snapshots', '--schedule', schedule])).answer;
      const fullSnapshot = snapshots.find((snapshot) => snapshot.jobId === full.answer.id);
      const incrementalSnapshot = snapshots.find((snapshot) => snapshot.jobId === incremental.answer.id);
      if (fullSnapshot?.kind !== 'full' || incrementalSnapshot?.kind !== 'incremental') throw new Error(`round ${round}: expected a full snapshot and an incremental, got ${JSON.stringify(snapshots)}`);
      nodeStarts.push(await measureOk(process.execPath, ['-e', '0']));
      lsFull.push((await dormouse(dataDir, ['ls', String(fullSnapshot.id)])).run);
      lsIncremental.push((await dormouse(dataDir, ['ls', String(incrementalSnapshot.id)])).run);
      const listing = await inProcessListing(dataDir, incrementalSnapshot.id);
      firstListings.push(listing.first);
      warmListings.push(listing.warm);

      const oneTo = join(work, `one-${round}`);
      settle();
      const one = await dormouse<{ files: number }>(dataDir, ['restore', String(incrementalSnapshot.id), '--to', oneTo, '--path', tree.oneFile]);
      if (one.answer.files !== 1) throw new Error(`the one-file restore wrote ${one.answer.files} files`);
      oneFileRestores.push(one.run);
      const tarOneTo = join(work, `tar-one-${round}`);
      mkdirSync(tarOneTo);
      settle();
      tarOneFile.push(await measureOk('tar', ['-xf', full.answer.archivePath as string, '-C', tarOneTo, '--occurrence=1', tree.oneFile.slice(1)]));
      rmSync(oneTo, { recursive: true, force: true });
      rmSync(tarOneTo, { recursive: true, force: true });

      if (tree.wholeRestore) {
        const wholeTo = join(work, `whole-${round}`);
        settle();
        wholeRestores.push((await dormouse(dataDir, ['restore', String(fullSnapshot.id), '--to', wholeTo])).run);
        rmSync(wholeTo, { recursive: true, force: true });
        const tarWholeTo = join(work, `tar-whole-${round}`);
        mkdirSync(tarWholeTo);
        settle();
        const started = performance.now();
        await measureOk('tar', ['--xattrs', '--acls', '-xf', full.answer.archivePath as string, '-C', tarWholeTo]);
        const syncStarted = performance.now();
        spawnSync('sync', ['-f', tarWholeTo]);
        tarWholeRestores.push(performance.now() - started);
        tarWholeSyncs.push(performance.now() - syncStarted);
        rmSync(tarWholeTo, { recursive: true, force: true });
      }
      rmSync(dirname(full.answer.archivePath as string), { recursive: true, force: true });
      console.log(
        `bench: ${tree.title}: round ${round}: tar -cf ${time((tarFull.at(-1) as Measured).elapsed)}, dormouse full ${time(full.run.elapsed)}; ` +
          `tar level 1 ${time((tarIncremental.at(-1) as Measured).elapsed)}, dormouse no-change incremental ${time(incremental.run.elapsed)}; ` +
          `ls ${time((lsIncremental.at(-1) as Measured).elapsed)}; one-file restore ${time(one.run.elapsed)}` +
          (tree.wholeRestore ? `; whole-tree restore ${time((wholeRestores.at(-1) as Measured).elapsed)}, tar -xf + sync -f ${time(tarWholeRestores.at(-1) as number)}` : ''),
      );
    }

    table.heading(`full backup, uncompressed (median of ${rounds} round${rounds > 1 ? 's' : ''}; every round listed)`);
    const tarTime = table.timed(`GNU tar ${tarKeeps.join(' ')} -cf`, tarFull);
    table.row('  the same, then sync of the archive', time(median(tarFsync)), `rounds ${tarFsync.map(time).join(' / ')}`);
    const fullTime = table.timed("dormouse run (worker, archive fsync'd)", fullRuns);
    table.target('ratio dormouse / GNU tar -cf', `${(fullTime / tarTime).toFixed(2)}x`, `≤ ${tree.fullRatio.toFixed(2)}x`, fullTime <= tree.fullRatio * tarTime);
    table.row('ratio dormouse / GNU tar -cf, then sync', `${(fullTime / median(tarFsync)).toFixed(2)}x`);
    table.memory('full backup', fullRuns);

    table.heading('no-change incremental (the next run of the same schedule)');
    const tarLevel1 = table.timed('GNU tar --listed-incremental, level 1', tarIncremental, `; archive ${size(median(tarIncrementalBytes))}`);
    const incrementalTime = table.timed('dormouse run', incrementalRuns);
    table.target('ratio dormouse / GNU tar --listed-incremental', `${(incrementalTime / tarLevel1).toFixed(2)}x`, '≤ 3.00x', incrementalTime <= 3 * tarLevel1);
    const written = Math.max(...incrementalBytes);
    table.target('bytes written: the incremental archive and its .sha256', size(written), '< 1.0 MB', written < MB);
    table.memory('no-change incremental', incrementalRuns);

    table.heading('dormouse ls SNAPSHOT (top level), whole process');
    table.timed('node -e 0 (a Node process starting and exiting, for scale)', nodeStarts);
    table.timed('ls of the full snapshot', lsFull);
    const lsTime = table.timed('ls of the no-change incremental on top of it', lsIncremental);
    table.target('ls, whole process', time(lsTime), '< 300 ms', lsTime < 300);
    table.row('the same listing in this process: a fresh engine', time(median(firstListings)), `rounds ${firstListings.map(time).join(' / ')}`);
    table.row('  and again, the engine warm', time(median(warmListings)), `rounds ${warmListings.map(time).join(' / ')}`);
    table.memory('ls', [...lsFull, ...lsIncremental]);

    table.heading('one-file restore (dormouse restore ID --to DIR --path FILE) from the incremental snapshot');
    table.timed('dormouse restore', oneFileRestores);
    table.timed('GNU tar -xf --occurrence=1 of the full archive', tarOneFile);
    table.memory('one-file restore', oneFileRestores);

    if (tree.wholeRestore) {
      table.heading('whole-tree restore of the full snapshot');
      const tarWhole = median(tarWholeRestores);
      table.row('GNU tar --xattrs --acls -xf, then sync -f', time(tarWhole), `rounds ${tarWholeRestores.map(time).join(' / ')}`);
      table.row('  of which sync -f', time(median(tarWholeSyncs)), `rounds ${tarWholeSyncs.map(time).join(' / ')}`);
      const whole = table.timed('dormouse restore (every SHA-256 checked, one syncfs)', wholeRestores);
      table.target('ratio dormouse / GNU tar -xf + sync -f', `${(whole / tarWhole).toFixed(2)}x`, '≤ 1.20x', whole <= 1.2 * tarWhole);
      table.memory('whole-tree restore', wholeRestores);
    }

    table.heading('restic and borg on the same tree (one round each)');
    console.log(`bench: ${tree.title}: restic and borg…`);
    await otherTool(table, 'restic', work, tree.source);
    await otherTool(table, 'borg', work, tree.source);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  table.print();
}

/** Refuses (with what is needed and where) when the disk cannot hold the tree, the archives and a restore. */
function checkFreeSpace(treeMissingBytes: number, contentBytes: number, wholeRestore: boolean): void {
  const tree = freeBytes(scaleRoot);
  const work = freeBytes(tmpdir());
  // At once: a Dormouse archive of the tree beside its incremental, and GNU tar's or restic's or
  // borg's copy (or a restored tree), plus a margin.
  const workNeeds = Math.ceil(contentBytes * (wholeRestore ? 3 : 2.2)) + 2e9;
  const needs = tree.device === work.device ? [{ ...tree, need: treeMissingBytes + workNeeds }] : [
    { ...tree, need: treeMissingBytes },
    { ...work, need: workNeeds },
  ];
  for (const { where, free, need } of needs) {
    if (free < need) {
      throw new Error(`not enough free disk space for ${scaleFiles.toLocaleString('en')} files: ${size(free)} free where ${where} is, ${size(need)} needed (df -h ${where}); free some, or set BENCH_SCALE_DIR (and TMPDIR) elsewhere, or BENCH_SCALE_FILES lower`);
    }
  }
}

async function main(): Promise<void> {
  if (!existsSync(join(repoRoot, 'dist', 'main', 'cli.cjs'))) throw new Error('Dormouse is not built; run `npm run build` first');
  if (!Number.isInteger(scaleFiles) || scaleFiles < 1) throw new Error(`BENCH_SCALE_FILES must be a whole number of at least 1, not ${process.env.BENCH_SCALE_FILES}`);
  const wholeRestoreAtScale = process.env.BENCH_SCALE_WHOLE_RESTORE === '1';
  const shape = scaleTreeShape(scaleFiles);
  const stamp = join(scaleRoot, '.scale-tree.json');
  checkFreeSpace(existsSync(stamp) ? 0 : scaleTreeDiskBytes(shape), scaleTreeContentBytes(shape), wholeRestoreAtScale);
  mkdirSync(scaleRoot, { recursive: true });
  console.log(`bench: the ${scaleFiles.toLocaleString('en')}-file tree in ${scaleRoot} (made once, then reused)…`);
  const scale = ensureScaleTree(scaleRoot, scaleFiles, (line) => console.log(`bench: making the tree: ${line}`));
  const made = `${scale.reused ? 'reused; it was made' : 'made'} in ${time(scale.generationMs)}`;
  console.log(`bench: ${scale.files.toLocaleString('en')} files in ${scale.folders.toLocaleString('en')} folders, ${size(scale.bytes)} (${made})`);
  await benchTree({
    title: `${scale.files.toLocaleString('en')}-file tree (${scale.folders.toLocaleString('en')} folders, ${size(scale.bytes)}; ${made})`,
    source: scale.source,
    oneFile: scaleTreeSampleFile(scale.source, scaleFiles),
    fullRatio: 1.3,
    wholeRestore: wholeRestoreAtScale,
  });

  mkdirSync(smallTreeRoot, { recursive: true });
  const small = ensureBenchTree(smallTreeRoot);
  const smallSource = join(small.root, 'home');
  await benchTree({
    title: `the first part's ${small.files.toLocaleString('en')}-file tree (${size(small.bytes)}, with hardlinks, extended attributes and a sparse 1 GiB image)`,
    source: smallSource,
    oneFile: join(smallSource, 'project-7', 'folder-0', 'file-10007.dat'),
    fullRatio: 1.1,
    wholeRestore: true,
  });
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
