import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { DormouseError } from '../../shared/errors';
import type { TaskProgress, RestoreReport, VerifyReport } from '../../shared/types';
import type { ToWorker } from '../archive-worker/archive-protocol';
import type { InspectedArchive } from '../archive-worker/inspect-archive';
import type { VerifyResult } from '../archive-worker/verify-archive';
import * as jobStore from '../jobs/job-store';
import { snapshotVerdicts } from '../jobs/verify-verdicts';
import { holdSnapshots } from '../jobs/snapshot-readers';
import type { WorkerLauncher } from '../jobs/worker-launcher';
import { runWorkerTask } from '../jobs/worker-task';
import type { Db } from '../store/open-store';
import { identityForSnapshot } from './destination-keys';
import { archiveNameKind } from '../destinations/destination-layout';
import { snapshotDestinationId } from '../jobs/snapshot-store';
import type { PassphraseMemory } from './remembered-passphrases';
import { s3Accesses } from '../destinations/s3-access';

/**
 * What the engine asks of archive workers about snapshots that already exist: verifying, restoring
 * and inspecting them, each in a worker process that can be cancelled, and the chain of archives an
 * incremental's file list and data live in. The engine keeps to requests and bookkeeping.
 */
export class SnapshotTasks {
  /** Restores and verifications running in workers, so they can be cancelled. */
  private readonly tasks = new Set<AbortController>();

  constructor(
    private readonly db: () => Db,
    private readonly launchWorker: WorkerLauncher,
    private readonly now: () => number,
    private readonly onTaskProgress?: (progress: TaskProgress) => void,
    /** The passphrases the app remembers, tried when a request brings none. */
    private readonly memory?: PassphraseMemory,
  ) {}

  /** Where the window restores a snapshot by default: a new "Restored <date>" folder in the home folder. */
  suggestTarget(snapshotId: number): { target: string } {
    const created = new Date(this.requireSnapshot(snapshotId).createdAt);
    const pad = (value: number) => String(value).padStart(2, '0');
    const stamp = `${created.getFullYear()}-${pad(created.getMonth() + 1)}-${pad(created.getDate())} ${pad(created.getHours())}.${pad(created.getMinutes())}`;
    return { target: join(homedir(), `Restored ${stamp}`) };
  }

  /** Cancels every restore and verification this engine is running (Ctrl-C on the CLI). */
  cancelWorkerTasks(): void {
    for (const task of this.tasks) task.abort();
  }

  private async workerTask(task: ToWorker) {
    const controller = new AbortController();
    this.tasks.add(controller);
    try {
      const kind = task.type === 'restore' ? 'restore' : 'verify';
      return await runWorkerTask(this.launchWorker, task, (progress) => this.onTaskProgress?.({ task: kind, ...progress }), controller.signal);
    } finally {
      this.tasks.delete(controller);
    }
  }

  /** Runs a worker task that restores from these snapshots' archives, with retention keeping them meanwhile (holdSnapshots). */
  private async whileRestoring<T>(ids: readonly number[], read: () => Promise<T>): Promise<T> {
    const release = holdSnapshots(this.db(), ids, 'restore', this.now());
    try {
      return await read();
    } finally {
      release();
    }
  }

  /** Reads archives found on a destination in a worker: their manifests, and their SHA-256 when a sidecar is missing. */
  readonly inspectArchives = async (archivePaths: string[], identity?: string): Promise<InspectedArchive[]> => {
    const answer = await this.workerTask({ type: 'inspect', archivePaths, s3: s3Accesses(this.db(), archivePaths), ...(identity === undefined ? {} : { identity }) });
    if (answer.type !== 'inspected') throw new DormouseError('INTERNAL', answer.type === 'error' ? `reading the archives failed: ${answer.message}` : 'the worker did not read the archives');
    return answer.archives;
  };

  /** A snapshot of the catalog, or NOT_FOUND. */
  requireSnapshot(id: number) {
    const snapshot = jobStore.findSnapshot(this.db(), id);
    if (!snapshot) throw new DormouseError('NOT_FOUND', `no snapshot ${id}; see \`dormouse snapshots\``);
    return snapshot;
  }

  /**
   * Verifies one snapshot or all, in a worker process. An encrypted archive is read with its key
   * when a passphrase is given or remembered, else only its SHA-256 is checked, unless `contents`
   * asks for every file: then a missing passphrase is refused (PASSPHRASE_NEEDED).
   */
  async verify(snapshotId: number | null, passphrase: string | undefined, contents = false): Promise<VerifyReport> {
    const requested = snapshotId === null ? jobStore.allSnapshotArchives(this.db()).map((snapshot) => snapshot.id) : [this.requireSnapshot(snapshotId).id];
    if (requested.length === 0) return { ok: true, snapshots: [] };
    // A snapshot is verified together with every archive it depends on.
    const ids = [...new Set(requested.flatMap((id) => jobStore.chainOf(this.db(), id).map((link) => link.id)))].sort((a, b) => a - b);
    const snapshots = ids.map((id) => ({ ...this.requireSnapshot(id), uuid: jobStore.chainOf(this.db(), id)[0]?.uuid ?? null }));
    // One worker task per key: an encrypted destination's archives are read with its identity (none without a passphrase: the SHA-256 alone).
    // The key is opened once per destination (scrypt takes about a second), not once per snapshot.
    const opened = new Map<string, Promise<string | undefined>>();
    const identityFor = (snapshot: (typeof snapshots)[number]) => {
      const destination = snapshotDestinationId(this.db(), snapshot.id);
      const key = archiveNameKind(snapshot.archivePath).encrypted && destination !== null ? `destination ${destination}` : `snapshot ${snapshot.id}`;
      if (!opened.has(key)) opened.set(key, identityForSnapshot(this.db(), snapshot, passphrase, 'checking its archives\' contents', !contents, this.memory));
      return opened.get(key) as Promise<string | undefined>;
    };
    const identities = await Promise.all(snapshots.map(identityFor));
    const results = new Map<number, VerifyResult>();
    for (const identity of new Set(identities)) {
      const group = snapshots.filter((_, index) => identities[index] === identity);
      const answer = await this.workerTask({
        type: 'verify',
        archives: group.map((snapshot) => ({ id: snapshot.uuid, archivePath: snapshot.archivePath, sha256: snapshot.sha256 })),
        s3: s3Accesses(this.db(), group.map((snapshot) => snapshot.archivePath)),
        ...(identity === undefined ? {} : { identity }),
      });
      if (answer.type !== 'verified') throw new DormouseError('INTERNAL', answer.type === 'error' ? answer.message : 'the worker did not verify');
      group.forEach((snapshot, index) => answer.results[index] && results.set(snapshot.id, answer.results[index]));
    }
    const own = snapshots.map((snapshot, index) => {
      const result = results.get(snapshot.id);
      const contentsChecked = !archiveNameKind(snapshot.archivePath).encrypted || identities[index] !== undefined;
      return { snapshotId: snapshot.id, archivePath: snapshot.archivePath, ok: result?.ok ?? false, problems: result?.problems ?? ['not verified'], damaged: result?.damaged ?? [], contentsChecked };
    });
    // Retention may delete snapshots while they are read (a verification never holds them, as a restore
    // does: a periodic verify of a whole destination takes hours). Those are left out, not called damaged;
    // a kept snapshot's chain is never deleted, so the others' verdicts stand.
    const gone = new Set(snapshots.filter((snapshot) => jobStore.findSnapshot(this.db(), snapshot.id) === undefined).map((snapshot) => snapshot.id));
    if (snapshotId !== null && gone.has(snapshotId)) throw new DormouseError('NOT_FOUND', `snapshot ${snapshotId} was deleted by its schedule's retention while it was verified`);
    const verdicts = snapshotVerdicts(
      own.filter((result) => !gone.has(result.snapshotId)),
      (id) => jobStore.chainOf(this.db(), id).map((link) => link.id),
    );
    for (const result of verdicts) jobStore.recordVerification(this.db(), result.snapshotId, result.ok, this.now());
    return { ok: verdicts.every((result) => result.ok), snapshots: verdicts };
  }

  /** Restores in a worker process; the target must be an absolute path (front ends resolve a relative one). */
  async restore(snapshotId: number, to: string, paths: string[], overwrite: boolean, passphrase: string | undefined): Promise<RestoreReport> {
    if (!isAbsolute(to)) throw new DormouseError('INVALID_INPUT', `restore target "${to}" must be an absolute path`);
    const snapshot = this.requireSnapshot(snapshotId);
    const archives = this.chainArchives(snapshot.id);
    // Keys that cannot be had here are said before a passphrase is asked for.
    const s3 = s3Accesses(this.db(), [snapshot.archivePath, ...Object.values(archives)]);
    const identity = await identityForSnapshot(this.db(), snapshot, passphrase, 'restoring', false, this.memory);
    const answer = await this.whileRestoring(
      jobStore.chainOf(this.db(), snapshot.id).map((link) => link.id),
      () => this.workerTask({ type: 'restore', request: { archivePath: snapshot.archivePath, archives, target: to, paths, overwrite, s3, ...(identity === undefined ? {} : { identity }) } }),
    );
    if (answer.type === 'error') {
      if (answer.code === 'NOT_FOUND') throw new DormouseError('NOT_FOUND', answer.message);
      if (answer.code === 'KEY_UNUSABLE' || answer.code === 'DAMAGED') throw new DormouseError(answer.code, `restore failed: ${answer.message}`);
      throw new DormouseError(answer.code === 'CANCELLED' ? 'CANCELLED' : 'WRITE_FAILED', `restore failed: ${answer.message}`);
    }
    if (answer.type !== 'restored') throw new DormouseError('INTERNAL', 'the worker did not restore');
    return { snapshotId, ...answer.result };
  }

  /** The archives of a snapshot's chain by snapshot id: an incremental's file list and data live in them too. */
  chainArchives(snapshotId: number): Record<string, string> {
    return Object.fromEntries(jobStore.chainOf(this.db(), snapshotId).map((link) => [link.uuid, link.archivePath]));
  }
}
