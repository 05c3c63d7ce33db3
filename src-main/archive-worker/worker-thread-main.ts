import { parentPort, workerData } from 'node:worker_threads';
import { runReadThread, type ReadThreadData } from './s3-read-thread';
import { runUploadThread, type UploadThreadData } from './s3-upload-thread';
import { runCountThread, type CountThreadData } from './tree-count';
import { runRestoreThread, type RestoreThreadData } from './file-restore-thread';
import { preparePortableHash } from './content-hash';

/**
 * The archive worker's helper threads, one bundle (dist/main/worker-thread.cjs): an upload thread
 * sends an archive being written as a multipart upload; a read thread serves the worker's
 * synchronous ranged S3 reads; a count thread counts a first backup's tree while it is written; a
 * restore thread writes a restore's files.
 * Which one is in `workerData.role`.
 */
const data = workerData as UploadThreadData | ReadThreadData | CountThreadData | RestoreThreadData | null;
if (parentPort && data?.role === 'upload') runUploadThread(data);
else if (parentPort && data?.role === 'read') runReadThread(data, parentPort);
else if (parentPort && data?.role === 'count') runCountThread(data);
else if (parentPort && data?.role === 'restore') {
  const port = parentPort;
  // Its messages wait on the port until it listens: XXH3-128 is loaded first where the native addon is missing.
  void preparePortableHash().then(() => runRestoreThread(data, port));
}
