import { DormouseError } from '../../shared/errors';
import type { ScheduleFields } from '../../shared/schemas';
import { isSameOrInside } from '../common/files';
import { describeCron } from '../../shared/cron-words';
import { toLocalIso } from '../../shared/time';
import type { CronPreview } from '../../shared/types';
import { cronProblem, nextFires } from '../scheduler/cron-schedule';
import type { DestinationRecord } from '../store/destination-store';
import type { Db } from '../store/open-store';
import * as schedules from '../store/schedule-store';
import type { ScheduleDefinition } from '../store/schedule-store';
import { realOrResolved, requireFolder } from './folder-checks';

/**
 * Checks a complete schedule definition (its destination already found) against the file system and the catalog. Sources are
 * checked for existence when they are being set, so a schedule whose folder vanished can still be
 * disabled or edited.
 */
export async function resolveDefinition(db: Db, destination: DestinationRecord, fields: ScheduleFields, excludingId: number | null, checkSources: boolean): Promise<ScheduleDefinition> {
  const clash = schedules.findScheduleByName(db, fields.name);
  if (clash && clash.id !== excludingId) {
    throw new DormouseError('CONFLICT', `a schedule named "${clash.name}" already exists; choose another name`);
  }
  const problem = cronProblem(fields.cron);
  if (problem !== null) throw new DormouseError('INVALID_INPUT', problem);
  // The destination's real path is read off the event loop: a share that stopped answering must not
  // freeze the owner; after 3 s its path is taken as written.
  const target = await realOrResolved(destination.path);
  const sources = checkSources
    ? await Promise.all(fields.sources.map((source) => requireFolder(source, 'source', 'check the path, or create the folder first')))
    : fields.sources;
  const realSources = await Promise.all(sources.map(realOrResolved));
  realSources.forEach((source, index) => {
    realSources.forEach((other, otherIndex) => {
      if (index !== otherIndex && isSameOrInside(source, other) && (source !== other || index > otherIndex)) {
        throw new DormouseError('INVALID_INPUT', `source ${sources[index]} is already covered by source ${sources[otherIndex]}; list it once`);
      }
    });
  });
  realSources.forEach((source, index) => {
    if (isSameOrInside(target, source)) {
      throw new DormouseError('INVALID_INPUT', `destination "${destination.name}" (${destination.path}) is inside source ${sources[index]}: the backup would swallow itself; choose a destination outside your sources`);
    }
    if (isSameOrInside(source, target)) {
      throw new DormouseError('INVALID_INPUT', `source ${sources[index]} is inside destination "${destination.name}" (${destination.path}): the backup would swallow itself; choose a source outside the destination`);
    }
  });
  return {
    name: fields.name,
    destinationId: destination.id,
    cron: fields.cron.trim().replace(/\s+/g, ' '),
    enabled: fields.enabled,
    compression: fields.compression,
    keepLast: fields.keepLast,
    keepDaily: fields.keepDaily,
    keepWeekly: fields.keepWeekly,
    keepMonthly: fields.keepMonthly,
    sources,
    excludes: [...new Set(fields.excludes)],
  };
}

/** A cron expression in words and its next `count` times from `start`, in local time; INVALID_INPUT saying what is wrong with it. */
export function previewCron(expression: string, start: number, count: number): CronPreview {
  const problem = cronProblem(expression);
  if (problem !== null) throw new DormouseError('INVALID_INPUT', problem);
  return { expression: expression.trim(), description: describeCron(expression), next: nextFires(expression, start, count).map(toLocalIso) };
}
