import type { S3Settings } from '../s3/s3-settings';
import { DormouseError } from '../../shared/errors';
import type { SnapshotListing } from '../../shared/types';
import { readingErrorCodes, type FromWorker } from '../archive-worker/archive-protocol';
import type { WorkerHandle, WorkerLauncher } from './worker-launcher';

interface Pending {
  resolve: (listing: SnapshotListing) => void;
  reject: (error: Error) => void;
}

/**
 * Lists snapshot folders through one worker that stays up for a short while after its last
 * listing: the restore screen asks folder after folder of the same snapshot, and the worker keeps
 * that manifest parsed, so only the first click pays for reading it. The owner never parses a
 * manifest itself.
 */
export class SnapshotBrowser {
  private worker: WorkerHandle | null = null;
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly launch: WorkerLauncher,
    private readonly idleMs = 30_000,
  ) {}

  /**
   * One folder of a snapshot (the top level when `path` is undefined), listed from its chain's
   * manifests (`archives`: snapshot id → archive); `identity` opens an encrypted destination's archives.
   */
  list(archivePath: string, archives: Record<string, string>, snapshotId: number, path: string | undefined, identity?: string, s3: S3Settings[] = []): Promise<SnapshotListing> {
    const next = this.queue.then(() => this.ask(archivePath, archives, snapshotId, path, identity, s3));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Ends the worker (the engine is closing). */
  close(): void {
    this.stop();
  }

  private ask(archivePath: string, archives: Record<string, string>, snapshotId: number, path: string | undefined, identity: string | undefined, s3: S3Settings[]): Promise<SnapshotListing> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const worker = this.worker ?? this.start();
    worker.keepAlive(true);
    return new Promise<SnapshotListing>((resolve, reject) => {
      this.pending = { resolve, reject };
      worker.send({ type: 'list', archivePath, archives, snapshotId, s3, ...(path === undefined ? {} : { path }), ...(identity === undefined ? {} : { identity }) });
    }).finally(() => {
      this.pending = null;
      if (this.worker !== worker) return;
      worker.keepAlive(false);
      this.idleTimer = setTimeout(() => this.stop(), this.idleMs);
      this.idleTimer.unref();
    });
  }

  private start(): WorkerHandle {
    const worker = this.launch();
    this.worker = worker;
    worker.onMessage((message: FromWorker) => {
      const pending = this.pending;
      if (!pending || message.type === 'progress') return;
      if (message.type === 'listed') pending.resolve(message.listing);
      else if (message.type === 'error' && readingErrorCodes.has(message.code)) pending.reject(new DormouseError(message.code as 'NOT_FOUND', message.message));
      else pending.reject(new DormouseError('INTERNAL', message.type === 'error' ? `reading the snapshot failed: ${message.message}` : `the worker answered a listing with '${message.type}'`));
    });
    worker.onExit((code, signal) => {
      if (this.worker === worker) this.worker = null;
      this.pending?.reject(new DormouseError('WORKER_CRASHED', `the worker reading the snapshot ${signal ? `was killed (${signal})` : `exited with code ${code}`} before it answered`));
    });
    return worker;
  }

  private stop(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const worker = this.worker;
    this.worker = null;
    worker?.kill();
  }
}
