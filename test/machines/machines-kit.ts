import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ArchiveRequest, ArchiveResult, FromWorker } from '../../src-main/archive-worker/archive-protocol';
import { describeResult, dormouse, repoRoot, type CliResult } from '../helpers/cli';
import type { JobView as Job, SnapshotView as Snapshot } from '../../shared/types';
export type { Job, Snapshot };

/**
 * Helpers for machines sharing a destination: each "laptop" is its own data folder (its own catalog,
 * so its own machine id) running the real CLI against one destination folder, and an "older
 * Dormouse" archive is written by the real worker from the request Dormouse sent before machines
 * were told apart (no `machine`), at the old place `Dormouse/<schedule>/`.
 */

/** One laptop: a data folder of its own on a destination other laptops use too. */
export interface Laptop {
  dataDir: string;
  catalog: string;
  cli(args: string[]): CliResult;
  /** Runs with `--json`, asserts exit 0 and an empty stderr, returns the document. */
  ok<T>(args: string[]): T;
  /** `dormouse run SCHEDULE`: asserts success, returns the job and its snapshot (by archive path). */
  backup(schedule: string): { job: Job; snapshot: Snapshot };
  /** The machine id its catalog keeps, read straight from SQLite. */
  machineId(): string;
}

export function laptop(root: string, name: string): Laptop {
  const dataDir = join(root, `${name}-data`);
  const cli = (args: string[]) => dormouse(['--data-dir', dataDir, ...args]);
  const ok = <T>(args: string[]): T => {
    const result = cli([...args, '--json']);
    assert.equal(result.code, 0, `${name}: dormouse ${args.join(' ')}\n${describeResult(result)}`);
    assert.equal(result.stderr, '', `${name}: dormouse ${args.join(' ')}\n${describeResult(result)}`);
    return result.json<T>();
  };
  const catalog = join(dataDir, 'dormouse.sqlite');
  return {
    dataDir,
    catalog,
    cli,
    ok,
    backup(schedule) {
      const job = ok<Job>(['run', schedule]);
      assert.equal(job.status, 'succeeded', JSON.stringify(job));
      const snapshot = ok<Snapshot[]>(['snapshots']).find((candidate) => candidate.archivePath === job.archivePath);
      assert.ok(snapshot, `${name}: the snapshot of job ${job.id} is listed as this machine's`);
      return { job, snapshot };
    },
    machineId() {
      const db = new Database(catalog, { readonly: true, fileMustExist: true });
      try {
        return db.prepare('SELECT machine_id FROM this_machine').pluck().get() as string;
      } finally {
        db.close();
      }
    },
  };
}

/** Writes an archive as Dormouse did before machines were told apart: the real worker, a request with no machine. */
export async function olderDormouseArchive(request: ArchiveRequest): Promise<ArchiveResult> {
  assert.equal(request.snapshot.machine, undefined, 'an older Dormouse sent no machine');
  mkdirSync(join(request.archivePath, '..'), { recursive: true });
  const worker = fork(join(repoRoot, 'dist', 'main', 'archive-worker.cjs'), [], { serialization: 'advanced', stdio: 'ignore' });
  const messages: FromWorker[] = [];
  worker.on('message', (message: FromWorker) => messages.push(message));
  worker.send({ type: 'start', request });
  await once(worker, 'exit');
  const last = messages.at(-1);
  assert.equal(last?.type, 'done', JSON.stringify(last));
  return (last as Extract<FromWorker, { type: 'done' }>).result;
}

/** Every regular file under a folder, relative, with its content: what a restore must give back. */
export function contents(folder: string): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (path: string) => {
    for (const name of readdirSync(path).sort()) {
      const child = join(path, name);
      if (statSync(child).isDirectory()) visit(child);
      else found.set(relative(folder, child), readFileSync(child, 'utf8'));
    }
  };
  visit(folder);
  return found;
}

/** What a restore of `source` into `target` put back, as `contents` of the source itself. */
export function restoredContents(target: string, source: string): Map<string, string> {
  return contents(join(target, source.replace(/^\/+/, '')));
}

/** Every file under a destination's `Dormouse` folder, relative to it: which archives are still there. */
export function archivesOnDestination(destination: string): string[] {
  const root = join(destination, 'Dormouse');
  return (readdirSync(root, { recursive: true }) as string[]).filter((path) => /\.tar(\.gz)?$/.test(path)).sort();
}
