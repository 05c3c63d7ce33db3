import { parentPort, workerData } from 'node:worker_threads';
import { runReadThread, type ReadThreadData } from './s3-read-thread';
import { runUploadThread, type UploadThreadData } from './s3-upload-thread';

/**
 * The archive worker's S3 threads, one bundle (dist/main/s3-thread.cjs): an upload thread sends an
 * archive being written as a multipart upload; a read thread serves the worker's synchronous ranged
 * reads. Which one is in `workerData.role`.
 */
const data = workerData as UploadThreadData | ReadThreadData | null;
if (parentPort && data?.role === 'upload') runUploadThread(data);
else if (parentPort && data?.role === 'read') runReadThread(data, parentPort);
