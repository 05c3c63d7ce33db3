import { answerWithin, removeQuietlyInTurn } from '../common/files';
import { ownerAlive, processMark } from '../common/processes';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { CatchUpCause } from '../../shared/coverage';
import { DormouseError } from '../../shared/errors';
import type { JobProgress, JobTrigger, JobView } from '../../shared/types';
import { archiveFormatVersion, partialPaths, sidecarPath } from '../archive-worker/archive-manifest';
import type { FromWorker } from '../archive-worker/archive-protocol';
import { DestinationProbe, backupTimeoutMs, viewTimeoutMs, type DestinationCheck } from '../destinations/destination-probe';
import type { DestinationStorage } from '../destinations/destination-storage';
import { storageOf } from '../destinations/storage-of';
import { removeJobLeftovers } from './job-leftovers';
import { s3AccessOf, type S3Access } from '../destinations/s3-access';
import { isS3Path } from '../s3/s3-location';
import type { DestinationRecord } from '../store/destination-store';
import type { Db } from '../store/open-store';
import { findScheduleById, type ScheduleRecord } from '../store/schedule-store';
import { archiveRequestFor, prepareBackup, type Preflight, type PreflightContext } from './backup-preflight';
import { removeStaleManifestPartials } from './manifest-partials';
import { latestSnapshot } from './snapshot-store';
import { pruneSchedule } from './prune';
import * as jobs from './job-store';
import type { JobOwner } from './job-store';
import type { WorkerHandle, WorkerLauncher } from './worker-launcher';

/** What the runner tells its owner about: progress while a job runs, and each job's end. */
export interface JobEvents {
  started?(job: JobView): void;
  progress?(progress: JobProgress): void;
  finished?(job: JobView): void;
}

const cancelPollMs = 500;
const cancelGraceMs = 3000;

/**
 * Runs backup jobs: records each in SQLite, checks everything it can before a byte is written,
 * hands the archive to a worker process, and records how it ended, whatever happens to the worker.
 */
export class JobRunner {
  private readonly owner: JobOwner = { pid: process.pid, hostname: hostname(), mark: processMark(process.pid) };
  private readonly running = new Map<number, { worker: WorkerHandle; cancel: () => void }>();
  /** Jobs started whose destination is being checked, before their worker starts. */
  private readonly preparing = new Set<number>();
  /** Checks destinations without blocking the event loop; the engine's views and the scheduler use it too. */
  readonly probe = new DestinationProbe();
  private readonly listeners = new Set<JobEvents>();
  /** Tells every listener; a listener that throws does not stop the others or the job's bookkeeping. */
  private readonly events: Required<JobEvents> = {
    started: (job) => this.notify((listener) => listener.started?.(job)),
    progress: (progress) => this.notify((listener) => listener.progress?.(progress)),
    finished: (job) => this.notify((listener) => listener.finished?.(job)),
  };

  private notify(call: (listener: JobEvents) => void): void {
    for (const listener of this.listeners) {
      try {
        call(listener);
      } catch (error) {
        process.emitWarning(`a job listener failed: ${(error as Error).message}`);
      }
    }
  }

  /** What a backup's checks before its worker starts need of this runner. */
  private readonly preflight: PreflightContext = {
    db: () => this.db(),
    now: () => this.now(),
    destinationTimeoutMs: () => this.destinationTimeoutMs,
    checkDestination: (destination, timeoutMs) => this.checkDestination(destination, timeoutMs),
    end: (jobId, outcome) => this.end(jobId, outcome),
  };

  constructor(
    private readonly db: () => Db,
    private readonly launchWorker: WorkerLauncher,
    private readonly now: () => number = Date.now,
    /** How long a backup waits for its destination to answer. */
    private readonly destinationTimeoutMs = backupTimeoutMs,
  ) {}

  /** Whether a destination is there (its marker, read through its storage, off the event loop); a destination whose storage cannot be made (no S3 keys stored) is missing, saying why. */
  async checkDestination(destination: DestinationRecord, timeoutMs = viewTimeoutMs): Promise<DestinationCheck> {
    let storage: DestinationStorage;
    try {
      storage = storageOf(this.db(), destination);
    } catch (error) {
      return { state: 'missing', freeBytes: null, reason: (error as Error).message };
    }
    return this.probe.check(storage, destination.id, timeoutMs);
  }

  /** Listens to progress and job ends (the CLI's progress line, the scheduler's retries, the tray); returns how to stop. */
  subscribe(listener: JobEvents): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Marks as interrupted every job left queued or running by a process on this machine that is
   * gone, removing its partial archive. A live process's jobs are never touched.
   */
  recoverInterruptedJobs(): JobView[] {
    const recovered: JobView[] = [];
    for (const job of jobs.activeJobs(this.db())) {
      if (!job.owner || job.owner.hostname !== this.owner.hostname) continue;
      // This process's own jobs are alive while it runs them, checks their destination, or keeps them queued.
      const mine = jobs.sameOwner(job.owner, this.owner) && (this.running.has(job.view.id) || this.preparing.has(job.view.id) || job.view.status === 'queued');
      if (mine || (!jobs.sameOwner(job.owner, this.owner) && ownerAlive(job.owner.pid, job.owner.mark))) continue;
      // Off the event loop: the destination may be a share that stopped answering.
      if (job.archivePath && !isS3Path(job.archivePath)) {
        const partial = partialPaths(job.archivePath);
        void answerWithin(dirname(job.archivePath), () => removeQuietlyInTurn([partial.archive, partial.manifest]), this.destinationTimeoutMs);
      }
      const ended = jobs.finishJob(
        this.db(),
        job.view.id,
        { status: 'interrupted', error: { code: 'INTERRUPTED', message: `the process running this backup (pid ${job.owner.pid}) stopped before it finished; the partial archive was removed` } },
        this.now(),
      );
      if (ended) recovered.push(jobs.findJob(this.db(), job.view.id)?.view as JobView);
    }
    // The manifests dead workers were gathering in the data folder (plaintext names, on the laptop).
    removeStaleManifestPartials(this.db());
    return recovered;
  }

  /** Starts a backup of a schedule now; resolves with the job once it has ended, however it ended. */
  async run(schedule: ScheduleRecord, trigger: JobTrigger): Promise<JobView> {
    const job = this.enqueue(schedule, trigger);
    return this.execute(schedule, job.id);
  }

  /** Records a queued job for a schedule (ALREADY_RUNNING when it has one), to be started with `start`; a catch-up says what woke it. */
  enqueue(schedule: ScheduleRecord, trigger: JobTrigger, cause: CatchUpCause | null = null): JobView {
    return jobs.insertQueuedJob(this.db(), schedule.id, trigger, this.owner, this.now(), cause).view;
  }

  /** Starts a job this process queued; resolves once it has ended. */
  async start(schedule: ScheduleRecord, jobId: number): Promise<JobView> {
    if (jobs.isCancelRequested(this.db(), jobId)) return this.end(jobId, { status: 'cancelled', error: { code: 'CANCELLED', message: 'cancelled before it started' } });
    jobs.setWaitingReason(this.db(), jobId, null);
    return this.execute(schedule, jobId);
  }

  /** Jobs this process has queued and not started, oldest first. */
  queuedJobs(): JobView[] {
    return jobs.activeJobs(this.db()).filter((job) => job.view.status === 'queued' && jobs.sameOwner(job.owner, this.owner)).map((job) => job.view);
  }

  /** Says why a queued job waits ("on battery power"), or clears it. */
  setWaitingReason(jobId: number, reason: string | null): void {
    jobs.setWaitingReason(this.db(), jobId, reason);
  }

  /**
   * Cancels a job. A job this process runs is stopped at once; another live process's job is
   * flagged and that process stops it; a job whose process is gone is marked interrupted.
   */
  cancel(jobId: number): JobView {
    const job = jobs.findJob(this.db(), jobId);
    if (!job) throw new DormouseError('NOT_FOUND', `no job ${jobId}; see \`dormouse jobs\``);
    if (job.view.status !== 'queued' && job.view.status !== 'running') {
      throw new DormouseError('NOT_CANCELLABLE', `job ${jobId} has already ended (${job.view.status}); nothing to cancel`);
    }
    jobs.requestCancel(this.db(), jobId, this.now());
    const local = this.running.get(jobId);
    const mine = jobs.sameOwner(job.owner, this.owner);
    if (local) local.cancel();
    else if (mine) this.end(jobId, { status: 'cancelled', error: { code: 'CANCELLED', message: 'cancelled before it started' } });
    else this.recoverInterruptedJobs();
    return (jobs.findJob(this.db(), jobId) as jobs.JobRecord).view;
  }

  /** Prunes a schedule after a successful backup; a prune that cannot run is a warning on the job, never a failure. */
  private async applyRetention(scheduleId: number, jobId: number): Promise<void> {
    const schedule = findScheduleById(this.db(), scheduleId);
    if (!schedule) return;
    try {
      await pruneSchedule(this.db(), schedule, { dryRun: false, now: this.now(), check: (destination) => this.checkDestination(destination) });
    } catch (error) {
      jobs.addWarningToFinished(this.db(), jobId, `old snapshots were not pruned: ${(error as Error).message}`);
    }
  }

  /** Adds a note to the warnings of every job this process is running ("the laptop slept during this backup"). */
  noteOnRunningJobs(note: string): void {
    for (const jobId of this.running.keys()) jobs.addWarning(this.db(), jobId, note);
  }

  /** Ids of the jobs this process is running now (checking their destination, or in a worker). */
  runningJobIds(): number[] {
    return [...this.preparing, ...this.running.keys()];
  }

  private end(jobId: number, outcome: jobs.JobOutcome): JobView {
    jobs.finishJob(this.db(), jobId, outcome, this.now());
    const view = (jobs.findJob(this.db(), jobId) as jobs.JobRecord).view;
    this.events.finished(view);
    return view;
  }

  private async execute(schedule: ScheduleRecord, jobId: number): Promise<JobView> {
    // A job counts as running while it checks its destination and chain, before its worker starts.
    this.preparing.add(jobId);
    let prepared: Preflight;
    try {
      prepared = await prepareBackup(this.preflight, schedule, jobId);
    } finally {
      this.preparing.delete(jobId);
    }
    if ('ended' in prepared) return prepared.ended;
    const { destination, machine, base, createdAt, snapshotUuid, archivePath } = prepared;
    let s3: S3Access | null;
    try {
      s3 = s3AccessOf(this.db(), destination);
    } catch (error) {
      return this.end(jobId, { status: 'skipped', error: { code: 'DESTINATION_UNAVAILABLE', message: (error as Error).message } });
    }
    const previous = latestSnapshot(this.db(), schedule.id, machine.id);
    jobs.markJobRunning(this.db(), jobId, archivePath, createdAt);
    this.events.started((jobs.findJob(this.db(), jobId) as jobs.JobRecord).view);
    const request = archiveRequestFor(this.db(), schedule, prepared, s3, previous?.tree ?? null);

    let worker: WorkerHandle;
    try {
      worker = this.launchWorker();
    } catch (error) {
      return this.end(jobId, { status: 'failed', error: { code: 'WORKER_CRASHED', message: `the archive worker could not start: ${(error as Error).message}` } });
    }
    return new Promise<JobView>((resolve) => {
      let settled = false;
      /** The snapshot is recorded; only the pruning after it is left. */
      let recorded = false;
      let cancelling = false;
      let lastMessage: FromWorker | undefined;
      /** Ends the job once what it leaves on the destination is removed (off the event loop, at most the destination timeout). */
      const settle = (outcome: jobs.JobOutcome | 'success', leftovers = outcome === 'success' ? [] : Object.values(partialPaths(archivePath, request.encryption?.manifestCopy ?? request.s3?.manifestCopy))) => {
        if (settled) return;
        settled = true;
        clearInterval(poll);
        void removeJobLeftovers(this.db(), destination, archivePath, outcome !== 'success', leftovers, this.destinationTimeoutMs).then(() => {
          this.running.delete(jobId);
          if (outcome !== 'success') {
            resolve(this.end(jobId, outcome));
            return;
          }
          // Told only once the job no longer counts as running, as for every other ending.
          const view = (jobs.findJob(this.db(), jobId) as jobs.JobRecord).view;
          this.events.finished(view);
          resolve(view);
        });
      };
      const cancel = () => {
        if (cancelling) return;
        cancelling = true;
        worker.send({ type: 'cancel' });
        setTimeout(() => worker.kill(), cancelGraceMs).unref();
      };
      const poll = setInterval(() => {
        if (!cancelling && jobs.isCancelRequested(this.db(), jobId)) cancel();
      }, cancelPollMs);
      this.running.set(jobId, { worker, cancel });

      worker.onMessage((message) => {
        lastMessage = message;
        if (message.type === 'progress') {
          this.events.progress({ jobId, scheduleId: schedule.id, ...message.progress });
          if (!cancelling && jobs.isCancelRequested(this.db(), jobId)) cancel();
        } else if (message.type === 'done') {
          if (cancelling) {
            settle({ status: 'cancelled', error: { code: 'CANCELLED', message: 'cancelled before it finished' } }, [message.result.archivePath, sidecarPath(message.result.archivePath)]);
            return;
          }
          const { result } = message;
          jobs.recordSuccess(
            this.db(),
            jobId,
            {
              uuid: snapshotUuid,
              kind: result.kind,
              baseId: result.kind === 'incremental' ? (base?.id ?? null) : null,
              scheduleId: schedule.id,
              scheduleName: schedule.name,
              jobId,
              destinationId: destination.id,
              createdAt,
              archivePath: result.archivePath,
              files: result.treeFiles,
              bytes: result.treeBytes,
              archiveBytes: result.archiveBytes,
              entries: result.entries,
              sha256: result.sha256,
              compression: schedule.compression,
              formatVersion: archiveFormatVersion,
              machine,
            },
            // The job reports the whole tree the snapshot protects; what an incremental wrote is in its archive.
            { files: result.treeFiles, bytes: result.treeBytes },
            result.warnings,
            this.now(),
          );
          if (result.baseUnreadable && base) jobs.recordVerification(this.db(), base.id, false, this.now());
          recorded = true;
          // Pruning deletes old archives off the event loop; the job counts as running until it is done.
          void this.applyRetention(schedule.id, jobId).finally(() => settle('success'));
        } else if (message.type !== 'error') {
          settle({ status: 'failed', error: { code: 'INTERNAL', message: `the worker answered a backup with '${message.type}'` } });
        } else if (message.code === 'CANCELLED' || cancelling) {
          settle({ status: 'cancelled', error: { code: 'CANCELLED', message: 'cancelled before it finished; the partial archive was removed' } });
        } else {
          const code = message.code === 'INVALID_INPUT' ? 'INTERNAL' : message.code;
          settle({ status: 'failed', error: { code, message: message.message } });
        }
      });
      worker.onExit((code, signal) => {
        if (settled || recorded) return;
        if (cancelling) {
          settle({ status: 'cancelled', error: { code: 'CANCELLED', message: 'cancelled before it finished; the partial archive was removed' } });
          return;
        }
        const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
        const after = lastMessage?.type === 'progress' ? ` while writing ${lastMessage.progress.currentPath || 'the archive'}` : '';
        settle({ status: 'failed', error: { code: 'WORKER_CRASHED', message: `the archive worker ${how}${after}; the partial archive was removed and older archives are untouched` } });
      });
      worker.send({ type: 'start', request });
    });
  }
}
