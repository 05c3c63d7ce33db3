// `npm run bench`, third part: issue #15's targets at scale, measured on whole processes as a user
// runs them (`node bin/dormouse.cjs --data-dir DIR …`, a destination and a schedule made by the CLI),
// beside GNU tar (and restic and borg where installed) in the same run, each time with the peak RSS of
// every process involved: the CLI and its archive-worker child, polled from /proc every 20 ms. First a
// 1,000,000-file tree (BENCH_SCALE_FILES files, made once under BENCH_SCALE_DIR), then the first
// part's 20,000-file tree, which also gets a day of hourly snapshots. Targets are printed beside the
// numbers, never asserted. The 1% changes edit the reused trees for good.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Engine } from '../../src-main/engine/engine';
import { forkWorkerLauncher, threadWorkerLauncher } from '../../src-main/jobs/worker-launcher';
import { ensureBenchTree } from './bench-tree';
import { freshFileSystems, restoreTarget } from './fresh-file-system';
import { hourlyRows, hourlySnapshots } from './hourly-bench';
import { otherToolRows } from './other-tools';
import { dormouse, MB, measureOk, median, settle, size, Table, time, type Measured } from './scale-measure';
import { ensureScaleTree, scaleTreeContentBytes, scaleTreeDiskBytes, scaleTreeShape, scaleTreeSampleFile } from './scale-tree';
import { changeOnePercent, listTreeFiles, type TreeChange } from './tree-changes';

const repoRoot = join(__dirname, '..', '..');
const workerScript = join(repoRoot, 'dist', 'main', 'archive-worker.cjs');
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const scaleFiles = Number(process.env.BENCH_SCALE_FILES ?? 1_000_000);
const scaleRoot = process.env.BENCH_SCALE_DIR ?? join(tmpdir(), 'dormouse-scale-tree');
const smallTreeRoot = process.env.BENCH_TREE ?? join(tmpdir(), 'dormouse-bench-tree');
/** What GNU tar needs to keep what Dormouse keeps (as in the first part). */
const tarKeeps = ['--xattrs', '--acls', '--sparse'];

/** The free bytes of the file system holding `path`, found from its nearest existing folder (`where`). */
function freeBytes(path: string): { where: string; free: number; device: number } {
  let where = path;
  while (!existsSync(where)) where = dirname(where);
  const stats = statfsSync(where);
  return { where, free: stats.bavail * stats.bsize, device: statSync(where).dev };
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
  /** Whether to take a day of hourly snapshots too. */
  hourly: boolean;
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

/**
 * One tree's part: every row of issue #15 for it, BENCH_ROUNDS rounds (round N's 1% change edits
 * every 100th file from offset N − 1), then restic and borg once (their 1% change is round 1's files
 * again, with new bytes), then (when asked) a day of hourly snapshots by all four.
 */
async function benchTree(tree: TreeBench): Promise<void> {
  const table = new Table(tree.title);
  const work = mkdtempSync(join(tmpdir(), 'dormouse-scale-bench-'));
  const dataDir = join(work, 'data');
  const destination = join(work, 'destination');
  mkdirSync(destination);
  const member = tree.source.slice(1);
  const files = listTreeFiles(tree.source);
  try {
    await dormouse(dataDir, ['destination', 'add', '--name', 'bench', '--path', destination]);
    console.log(`bench: ${tree.title}: warming the page cache (GNU tar reading the whole tree into a pipe)…`);
    const warm = spawnSync('bash', ['-c', 'tar -cf - -C / "$1" | cat > /dev/null', 'bash', member]);
    if (warm.status !== 0) throw new Error(`warming the page cache: ${warm.stderr}`);
    const level0 = join(work, 'level0.snar');

    const tarFull: Measured[] = [];
    const tarFsync: number[] = [];
    const fullRuns: Measured[] = [];
    const tarIncremental: Measured[] = [];
    const tarIncrementalBytes: number[] = [];
    const incrementalRuns: Measured[] = [];
    const incrementalBytes: number[] = [];
    const changes: TreeChange[] = [];
    const tarChanged: Measured[] = [];
    const tarChangedBytes: number[] = [];
    const changedRuns: Measured[] = [];
    const changedBytes: number[] = [];
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
      // GNU tar's level 0 for --listed-incremental, of the tree as the full backup saw it (earlier
      // rounds changed it): /dev/null as the archive, so it only records the tree.
      rmSync(level0, { force: true });
      await measureOk('tar', ['--listed-incremental', level0, '-cf', '/dev/null', '-C', '/', member]);

      const tarLevel1 = async (): Promise<{ run: Measured; bytes: number }> => {
        const level1 = join(work, 'level1.snar');
        const level1Archive = join(work, 'level1.tar');
        copyFileSync(level0, level1);
        settle();
        const run = await measureOk('tar', ['--listed-incremental', level1, '-cf', level1Archive, '-C', '/', member]);
        const bytes = statSync(level1Archive).size;
        rmSync(level1Archive);
        return { run, bytes };
      };
      const dormouseIncremental = async (): Promise<{ run: Measured; answer: JobAnswer; bytes: number }> => {
        settle();
        const { run, answer } = await dormouse<JobAnswer>(dataDir, ['run', schedule]);
        const archive = answer.archivePath as string;
        return { run, answer, bytes: statSync(archive).size + statSync(`${archive}.sha256`).size };
      };
      const tarNoChange = await tarLevel1();
      tarIncremental.push(tarNoChange.run);
      tarIncrementalBytes.push(tarNoChange.bytes);
      const incremental = await dormouseIncremental();
      incrementalRuns.push(incremental.run);
      incrementalBytes.push(incremental.bytes);

      // The next hour: 1% of the files edited, then GNU tar's level 1 and Dormouse's next incremental.
      changes.push(changeOnePercent(files, round - 1));
      const tarChange = await tarLevel1();
      tarChanged.push(tarChange.run);
      tarChangedBytes.push(tarChange.bytes);
      const changed = await dormouseIncremental();
      changedRuns.push(changed.run);
      changedBytes.push(changed.bytes);

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
        // ext4 makes files slowly for about 30 s after many were deleted nearby (each new inode is
        // checked against recently deleted ones): both trees are removed after both restores, and
        // the two take turns going first, so neither pays for the other's clean-up; with
        // BENCH_FRESH_FS=1 each restore gets a new file system of its own as well.
        const room = { bytes: Math.max(4 * 2 ** 30, 3 * statSync(full.answer.archivePath as string).size), inodes: Math.ceil(files.length * 1.3) + 100_000 };
        const ourTarget = restoreTarget(work, `whole-${round}`, room.bytes, room.inodes);
        const tarTarget = restoreTarget(work, `tar-whole-${round}`, room.bytes, room.inodes);
        const wholeTo = ourTarget.path;
        const tarWholeTo = tarTarget.path;
        const ours = async () => {
          settle();
          wholeRestores.push((await dormouse(dataDir, ['restore', String(fullSnapshot.id), '--to', wholeTo])).run);
        };
        const theirs = async () => {
          mkdirSync(tarWholeTo);
          settle();
          const started = performance.now();
          await measureOk('tar', ['--xattrs', '--acls', '-xf', full.answer.archivePath as string, '-C', tarWholeTo]);
          const syncStarted = performance.now();
          spawnSync('sync', ['-f', tarWholeTo]);
          tarWholeRestores.push(performance.now() - started);
          tarWholeSyncs.push(performance.now() - syncStarted);
        };
        if (round % 2 === 1) {
          await ours();
          await theirs();
        } else {
          await theirs();
          await ours();
        }
        ourTarget.remove();
        tarTarget.remove();
      }
      rmSync(dirname(full.answer.archivePath as string), { recursive: true, force: true });
      console.log(
        `bench: ${tree.title}: round ${round}: tar -cf ${time((tarFull.at(-1) as Measured).elapsed)}, dormouse full ${time(full.run.elapsed)}; ` +
          `tar level 1 ${time(tarNoChange.run.elapsed)}, dormouse no-change incremental ${time(incremental.run.elapsed)}; ` +
          `1% changed: tar level 1 ${time(tarChange.run.elapsed)}, dormouse ${time(changed.run.elapsed)}; ` +
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

    const change = changes[0] as TreeChange;
    table.heading(`1% changed (the run after the no-change one; round N edits every 100th file from #N − 1 in sorted order: ${change.files.toLocaleString('en')} files, ${size(change.bytes)} of new bytes; the reused tree keeps the edits)`);
    const tarChangedTime = table.timed('GNU tar --listed-incremental, level 1', tarChanged, `; archive ${size(median(tarChangedBytes))}`);
    const changedTime = table.timed('dormouse run', changedRuns, `; archive and .sha256 ${size(median(changedBytes))}`);
    table.row('ratio dormouse / GNU tar --listed-incremental', `${(changedTime / tarChangedTime).toFixed(2)}x`);
    table.row('bytes written: dormouse / GNU tar level 1', `${(median(changedBytes) / median(tarChangedBytes)).toFixed(2)}x`);

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
      table.heading(`whole-tree restore of the full snapshot (${freshFileSystems ? 'each onto a new ext4 file system: BENCH_FRESH_FS=1' : 'into the temporary folder; BENCH_FRESH_FS=1, as root, gives each a new file system'})`);
      const tarWhole = median(tarWholeRestores);
      table.row('GNU tar --xattrs --acls -xf, then sync -f', time(tarWhole), `rounds ${tarWholeRestores.map(time).join(' / ')}`);
      table.row('  of which sync -f', time(median(tarWholeSyncs)), `rounds ${tarWholeSyncs.map(time).join(' / ')}`);
      const whole = table.timed("dormouse restore (every file's hash checked, one syncfs)", wholeRestores);
      table.target('ratio dormouse / GNU tar -xf + sync -f', `${(whole / tarWhole).toFixed(2)}x`, '≤ 1.20x', whole <= 1.2 * tarWhole);
      table.memory('whole-tree restore', wholeRestores);
    }

    table.heading(`restic and borg on the same tree (one round each; the 1% change edits round 1's files again, with new bytes)`);
    console.log(`bench: ${tree.title}: restic and borg…`);
    const otherTree = { source: tree.source, files, oneFile: tree.oneFile, changeOffset: 0, wholeRestore: tree.wholeRestore };
    await otherToolRows(table, 'restic', work, otherTree);
    await otherToolRows(table, 'borg', work, otherTree);

    if (tree.hourly) {
      table.heading(`${hourlySnapshots} hourly snapshots after a full backup, each after its own 1% change (every 100th file from a new offset), on this tree: bytes each destination grew by`);
      console.log(`bench: ${tree.title}: ${hourlySnapshots} hourly snapshots…`);
      await hourlyRows(table, work, { source: tree.source, files }, (line) => console.log(`bench: ${tree.title}: ${line}`));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  table.print();
}

/** Refuses (with what is needed and where) when the disk cannot hold the tree, the archives and a restore. */
function checkFreeSpace(treeMissingBytes: number, contentBytes: number, wholeRestore: boolean, hourly: boolean): void {
  const tree = freeBytes(scaleRoot);
  const work = freeBytes(tmpdir());
  // At once: a Dormouse archive of the tree beside its incremental, and GNU tar's or restic's or
  // borg's copy (or a restored tree), plus a margin; for the hourly snapshots all four full backups.
  const workNeeds = Math.ceil(contentBytes * (hourly ? 4.5 : wholeRestore ? 3 : 2.2)) + 2e9;
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
  const hourlyAtScale = process.env.BENCH_SCALE_HOURLY === '1';
  const shape = scaleTreeShape(scaleFiles);
  const stamp = join(scaleRoot, '.scale-tree.json');
  checkFreeSpace(existsSync(stamp) ? 0 : scaleTreeDiskBytes(shape), scaleTreeContentBytes(shape), wholeRestoreAtScale, hourlyAtScale);
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
    hourly: hourlyAtScale,
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
    hourly: true,
  });
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
