import { dirname } from 'node:path';
import type { DestinationCheck } from '../destinations/destination-probe';
import { backupTimeoutMs } from '../destinations/destination-probe';
import { archivesFolderName, joinLocation, machineLabel, scheduleFolderName } from '../destinations/destination-layout';
import { S3Storage } from '../destinations/s3-storage';
import { storageOf } from '../destinations/storage-of';
import { abortLeftoverUploads } from '../s3/leftover-uploads';
import { S3Error } from '../s3/s3-errors';
import { isS3Path, keyOfPath } from '../s3/s3-location';
import { listDestinations, type DestinationRecord } from '../store/destination-store';
import { thisMachine } from '../store/machine-store';
import type { Db } from '../store/open-store';
import { findScheduleById } from '../store/schedule-store';
import { activeJobs } from './job-store';
import { counted } from '../../shared/format';

/** The keys of the schedule folders on `destination` that a queued or running job (of any process) may be uploading into now. */
function busyFolders(db: Db, destination: DestinationRecord, machineFolder: string): Set<string> {
  const busy = new Set<string>();
  for (const job of activeJobs(db)) {
    if (job.view.archivePath !== null && isS3Path(job.view.archivePath)) busy.add(keyOfPath(dirname(job.view.archivePath)));
    const schedule = findScheduleById(db, job.view.scheduleId);
    if (schedule && schedule.destinationId === destination.id) busy.add(keyOfPath(joinLocation(machineFolder, scheduleFolderName(schedule))));
  }
  return busy;
}

/**
 * At the start of the app or the daemon: aborts the multipart uploads this machine's backups left
 * on each S3 destination that answers (a worker killed, a laptop that lost power mid-upload), so
 * they stop costing storage without waiting for their schedule's next backup. Only this machine's
 * folder is looked at (another laptop's uploads are its own), and an upload in the folder of a
 * schedule with a queued or running job (a `dormouse run` in another process) is left alone, as the
 * catalog says right before each abort. Network work only: never blocks the caller's event loop;
 * failures are logged, never thrown.
 */
export async function sweepLeftoverUploads(db: Db, check: (destination: DestinationRecord) => Promise<DestinationCheck>, options: { signal: AbortSignal; log: (line: string) => void }): Promise<void> {
  for (const destination of listDestinations(db).filter((record) => record.kind === 's3')) {
    if (options.signal.aborted) return;
    try {
      const state = await check(destination);
      if (state.state !== 'available') continue;
      const storage = storageOf(db, destination);
      if (!(storage instanceof S3Storage)) continue;
      const machineFolder = joinLocation(destination.path, archivesFolderName, machineLabel(thisMachine(db)));
      const prefix = `${keyOfPath(machineFolder)}/`;
      const answer = await storage.within(
        () =>
          abortLeftoverUploads(storage.client, prefix, new Date(Date.now() + 86_400_000), {
            signal: options.signal,
            spare: (upload) => busyFolders(db, destination, machineFolder).has(upload.key.slice(0, upload.key.lastIndexOf('/'))),
          }),
        backupTimeoutMs,
      );
      if (answer.timedOut) options.log(`destination "${destination.name}": looking for uploads a stopped backup left did not finish within ${backupTimeoutMs / 1000} s; the next backup of each schedule looks again`);
      else if (answer.value.length > 0) {
        options.log(`destination "${destination.name}": aborted ${counted(answer.value.length, 'upload')} a stopped backup left (${answer.value.map((upload) => upload.key).join(', ')})`);
      }
    } catch (error) {
      if (options.signal.aborted || (error instanceof S3Error && error.kind === 'cancelled')) return;
      options.log(`destination "${destination.name}": could not abort the uploads a stopped backup left (${(error as Error).message}); the next backup of each schedule tries again`);
    }
  }
}
