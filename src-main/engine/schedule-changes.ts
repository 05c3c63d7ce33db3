import { describeCron } from '../../shared/cron-words';
import { DormouseError, notFound } from '../../shared/errors';
import type { ScheduleFields } from '../../shared/schemas';
import { toLocalIso, toLocalIsoOrNull } from '../../shared/time';
import type { ScheduleView } from '../../shared/types';
import { adoptOrphanSnapshots } from '../destinations/catalog-import';
import { cronProblem, isOverdue, nextFires } from '../scheduler/cron-schedule';
import type { Db } from '../store/open-store';
import * as schedules from '../store/schedule-store';
import type { ScheduleRecord } from '../store/schedule-store';
import { requireDestination } from './destination-views';
import { resolveDefinition } from './schedule-definition';

/** A schedule as every front end shows it: its words, its next run and whether it is overdue at `now`. */
export function scheduleView(record: ScheduleRecord, now: number): ScheduleView {
  const parses = cronProblem(record.cron) === null;
  const next = record.enabled && parses ? nextFires(record.cron, now, 1)[0] : undefined;
  return {
    id: record.id,
    name: record.name,
    cron: record.cron,
    description: describeCron(record.cron),
    enabled: record.enabled,
    sources: record.sources,
    excludes: record.excludes,
    destination: record.destinationName,
    compression: record.compression,
    keepLast: record.keepLast,
    keepDaily: record.keepDaily,
    keepWeekly: record.keepWeekly,
    keepMonthly: record.keepMonthly,
    lastSuccessAt: toLocalIsoOrNull(record.lastSuccessAt),
    nextRunAt: next === undefined ? null : toLocalIso(next),
    overdue: record.enabled && isOverdue(record.cron, record.lastSuccessAt, now),
  };
}

/** The schedule of that name, or a not-found error listing the schedules there are. */
export function requireSchedule(db: Db, name: string): ScheduleRecord {
  const record = schedules.findScheduleByName(db, name);
  if (record) return record;
  const known = schedules.listSchedules(db).map((schedule) => schedule.name);
  throw notFound('schedule', name, known, 'see `dormouse schedule list`');
}

/** Adds a schedule once its definition checks out (its sources read off the event loop), and gives it the snapshots an import found under its name. */
export async function addSchedule(db: Db, fields: ScheduleFields, now: number): Promise<ScheduleView> {
  const definition = await resolveDefinition(db, requireDestination(db, fields.destination), fields, null, true);
  const id = schedules.insertSchedule(db, definition, now);
  adoptOrphanSnapshots(db, id, definition.name);
  return scheduleView(schedules.findScheduleById(db, id) as ScheduleRecord, now);
}

/** Changes the given fields of a schedule; its sources are checked again only when they change. */
export async function editSchedule(db: Db, name: string, changes: Partial<ScheduleFields>, now: number): Promise<ScheduleView> {
  const current = requireSchedule(db, name);
  const merged: ScheduleFields = {
    name: current.name,
    sources: current.sources,
    excludes: current.excludes,
    destination: current.destinationName,
    cron: current.cron,
    compression: current.compression,
    keepLast: current.keepLast,
    keepDaily: current.keepDaily,
    keepWeekly: current.keepWeekly,
    keepMonthly: current.keepMonthly,
    enabled: current.enabled,
    ...Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)),
  };
  const definition = await resolveDefinition(db, requireDestination(db, merged.destination), merged, current.id, changes.sources !== undefined);
  schedules.updateSchedule(db, current.id, definition, now);
  return scheduleView(schedules.findScheduleById(db, current.id) as ScheduleRecord, now);
}

/** Removes a schedule with no backup queued or running; its archives stay on the destination. */
export function removeSchedule(db: Db, name: string, now: number): ScheduleView {
  const record = requireSchedule(db, name);
  if (schedules.hasActiveJob(db, record.id)) {
    throw new DormouseError('CONFLICT', `schedule "${record.name}" has a backup queued or running; cancel it or wait for it to finish first`);
  }
  const view = scheduleView(record, now);
  schedules.deleteSchedule(db, record.id);
  return view;
}
