import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeResult, dormouse, type CliResult } from '../helpers/cli';
import type { Unprivileged } from '../faults/fault-kit';
import type { JobView as Job, RestoreReport, SnapshotView as Snapshot, VerifyReport } from '../../shared/types';
import { buildHomeTree, changeHomeTree } from './home-tree';
import { compareTrees, describeDifferences } from './tree-compare';

export type { Job, Snapshot };

/**
 * The fidelity suite's workspace: a data folder, a destination "usb" and a schedule "Home" on a
 * source folder, driven through the real, built `dormouse` command; the home-like tree backed up full
 * and incremental, with `cp -a` copies of the source as it was at each backup to compare restores with.
 */

/** `restore --json` as issue #14 extends it: the damaged files and the attributes that could not be applied (absent before it). */
export type FidelityRestoreReport = Omit<RestoreReport, 'damaged' | 'unapplied'> & { damaged?: string[]; unapplied?: string[] };

/** `verify --json` as issue #14 extends it: each snapshot names its damaged files (absent before it). */
export interface FidelityVerifyReport {
  ok: boolean;
  snapshots: (Omit<VerifyReport['snapshots'][number], 'damaged'> & { damaged?: string[] })[];
}

/** One restore's outcome: the command's result, its JSON report when it printed one, and where the source folder landed. */
export interface Restored {
  result: CliResult;
  report: FidelityRestoreReport | null;
  /** The restore's target folder. */
  folder: string;
  /** The source folder inside the target (entries go under their full path). */
  inside: string;
}

/** The workspace: folders, the CLI, backups and restores. */
export interface Home {
  root: string;
  dataDir: string;
  dest: string;
  src: string;
  /** The source folder as an archive entry name (no leading slash). */
  srcEntry: string;
  cli(args: string[]): CliResult;
  /** `dormouse run Home`: asserts the job succeeded; answers it and its snapshot. */
  backup(): { job: Job; snapshot: Snapshot };
  /** `dormouse restore ID --to NEW_FOLDER [--path …] --json` (as another user with `as`), without judging the outcome; as root the folder does not exist before. */
  restore(snapshotId: number, paths?: string[], as?: Unprivileged): Restored;
  /** A new empty folder inside the workspace. */
  folder(prefix: string): string;
  /** A `cp -a` copy of the source as it is now, checked equal to it (so a difference found later is the restore's). */
  copySource(name: string): string;
  /** Removes the workspace (made writable first: a restore may leave read-only folders). */
  remove(): void;
}

/** Parses a JSON document printed by the CLI, or null when it printed none. */
function parsed<T>(result: CliResult): T | null {
  try {
    return result.stdout.trim() === '' ? null : (JSON.parse(result.stdout) as T);
  } catch {
    return null;
  }
}

/** A new workspace in the temporary folder, with its destination and schedule. */
export function homeWorkspace(): Home {
  const root = mkdtempSync(join(tmpdir(), 'dormouse-fidelity-'));
  const dataDir = join(root, 'data');
  const dest = join(root, 'drive');
  const src = join(root, 'home');
  for (const folder of [dest, src]) mkdirSync(folder);
  const cli = (args: string[]) => dormouse(['--data-dir', dataDir, ...args]);
  for (const args of [
    ['destination', 'add', '--name', 'usb', '--path', dest],
    ['schedule', 'add', '--name', 'Home', '--source', src, '--destination', 'usb', '--cron', '0 3 * * *'],
  ]) {
    const result = cli([...args, '--json']);
    assert.equal(result.code, 0, `dormouse ${args.join(' ')}\n${describeResult(result)}`);
  }
  let folders = 0;
  const self: Home = {
    root,
    dataDir,
    dest,
    src,
    srcEntry: src.slice(1),
    cli,
    backup() {
      const result = cli(['run', 'Home', '--json']);
      assert.equal(result.code, 0, `dormouse run Home\n${describeResult(result)}`);
      const job = result.json<Job>();
      assert.equal(job.status, 'succeeded', JSON.stringify(job));
      const snapshots = cli(['snapshots', '--json']).json<Snapshot[]>();
      const snapshot = snapshots.find((one) => one.archivePath === job.archivePath);
      assert.ok(snapshot, `the snapshot of job ${job.id} is in the catalog`);
      return { job, snapshot };
    },
    folder(prefix) {
      folders += 1;
      const folder = join(root, `${prefix}-${folders}`);
      mkdirSync(folder);
      return folder;
    },
    restore(snapshotId, paths = [], as) {
      // As root into a folder that does not exist yet (the restore makes it: staged-target.ts), as another user into one made for that user.
      const folder = as ? self.folder('restore-as-user') : join(root, `restore-${(folders += 1)}`);
      const args = ['restore', String(snapshotId), '--to', folder, ...paths.flatMap((path) => ['--path', path]), '--json'];
      let result: CliResult;
      if (as) {
        const data = join(root, `data-for-${as.uid}`);
        run('cp', ['-a', dataDir, data]);
        for (const path of [data, dest, folder]) run('chown', ['-R', `${as.uid}:${as.gid}`, path]);
        run('chmod', ['755', root]);
        result = as.dormouse(['--data-dir', data, ...args]);
      } else result = cli(args);
      return { result, report: parsed<FidelityRestoreReport>(result), folder, inside: join(folder, self.srcEntry) };
    },
    copySource(name) {
      const copy = join(root, name);
      run('cp', ['-a', src, copy]);
      const differences = compareTrees(src, copy);
      assert.deepEqual(differences, [], `cp -a keeps everything the comparison checks:\n${describeDifferences(differences)}`);
      return copy;
    },
    remove() {
      spawnSync('chmod', ['-R', 'u+rwX', root]);
      rmSync(root, { recursive: true, force: true });
    },
  };
  return self;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
}

/** The tree backed up twice: the full snapshot of the tree as built, the incremental after the changes. */
export interface HomeBackups {
  home: Home;
  full: { job: Job; snapshot: Snapshot; source: string };
  incremental: { job: Job; snapshot: Snapshot; source: string };
  changes: ReturnType<typeof changeHomeTree>;
}

/** Builds the tree, backs it up full, changes it, backs it up incremental; keeps a copy of the source at each backup. */
export function homeBackups(): HomeBackups {
  const home = homeWorkspace();
  try {
    buildHomeTree(home.src);
    const fullSource = home.copySource('as-at-full');
    const full = home.backup();
    const changes = changeHomeTree(home.src);
    const incrementalSource = home.copySource('as-at-incremental');
    const incremental = home.backup();
    assert.equal(incremental.snapshot.kind, 'incremental', 'the second backup is incremental');
    return { home, full: { ...full, source: fullSource }, incremental: { ...incremental, source: incrementalSource }, changes };
  } catch (error) {
    home.remove();
    throw error;
  }
}

/** Runs an extraction command into a new folder; answers the folder, or throws with the tool's own words. */
export function extract(home: Home, tool: 'gnu-tar' | 'bsdtar', archives: string[]): string {
  const into = home.folder(tool);
  const root = process.getuid?.() === 0;
  for (const archive of archives) {
    const args =
      tool === 'gnu-tar'
        ? ['--xattrs', '--xattrs-include=*', '--acls', ...(root ? ['--same-owner'] : []), '--numeric-owner', '-xpf', archive, '-C', into]
        : ['--acls', '--xattrs', '--numeric-owner', '-xpf', archive, '-C', into];
    const result = spawnSync(tool === 'gnu-tar' ? 'tar' : 'bsdtar', args, { encoding: 'utf8' });
    assert.equal(result.status, 0, `${tool} ${args.join(' ')} failed (exit ${result.status}):\n${result.stderr}`);
  }
  return into;
}
