import { DormouseError } from '../../shared/errors';
import type { ArchiveProgress, FromWorker, ToWorker } from '../archive-worker/archive-protocol';
import type { WorkerLauncher } from './worker-launcher';

/**
 * Runs one task other than a backup (verify, restore) in a worker process and resolves with its
 * final message, so reading whole archives never happens in the process that owns the tray.
 */
export function runWorkerTask(
  launch: WorkerLauncher,
  task: ToWorker,
  onProgress: (progress: ArchiveProgress) => void = () => undefined,
  signal?: AbortSignal,
): Promise<Exclude<FromWorker, { type: 'progress' }>> {
  const worker = launch();
  signal?.addEventListener('abort', () => {
    worker.send({ type: 'cancel' });
    setTimeout(() => worker.kill(), 3000).unref();
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    worker.onMessage((message) => {
      if (message.type === 'progress') {
        onProgress(message.progress);
        return;
      }
      settled = true;
      resolve(message);
    });
    worker.onExit((code, signal) => {
      if (!settled) reject(new DormouseError('WORKER_CRASHED', `the worker ${signal ? `was killed (${signal})` : `exited with code ${code}`} before it finished`));
    });
    worker.send(task);
  });
}
