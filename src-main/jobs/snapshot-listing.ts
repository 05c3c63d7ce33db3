import { DormouseError, notFound } from '../../shared/errors';
import { toLocalIso } from '../../shared/time';
import type { Compression, SnapshotMachine, SnapshotView } from '../../shared/types';
import { machineLabel, shortMachineId } from '../destinations/destination-layout';
import type { Machine } from '../store/machine-store';
import type { Db } from '../store/open-store';

/** What `--machine` says for an archive that does not say whose it is (made before machines were told apart, and imported). */
export const unknownMachineName = 'unknown';

/** How a snapshot's machine is shown: its label (hostname and short id), or "unknown", and whether it is this machine. */
export function describeMachine(machineId: string | null, machineName: string | null, here: Machine): SnapshotMachine {
  if (machineId === null) return { id: null, name: unknownMachineName, current: false };
  const current = machineId === here.id;
  // Rows this catalog made before migration 6 have no recorded hostname: this machine's is the one it has now.
  return { id: machineId, name: machineLabel({ id: machineId, name: machineName ?? (current ? here.name : unknownMachineName) }), current };
}

/** Which snapshots to list: one schedule's (by name, also one this laptop does not have), of one machine or all. */
export interface SnapshotFilter {
  schedule?: string;
  /** A machine's label, hostname or id, or "all"; absent: this machine (every machine's when `schedule` is not a schedule here). */
  machine?: string;
}

interface SnapshotRow {
  id: number;
  schedule_id: number | null;
  schedule_name: string;
  job_id: number | null;
  created_at: number;
  archive_path: string;
  files: number;
  bytes: number;
  sha256: string;
  compression: Compression;
  kind: 'full' | 'incremental';
  base_id: number | null;
  machine_id: string | null;
  machine_name: string | null;
}

/**
 * The machine ids a `--machine` word names (null standing for "unknown"): it may be a machine's
 * label, its hostname, its id or the id's first 8 characters, in any case. A hostname two machines
 * share is refused as ambiguous, naming their labels.
 */
function machinesNamed(db: Db, word: string, here: Machine): (string | null)[] {
  const rows = db.prepare('SELECT DISTINCT machine_id, machine_name FROM snapshots WHERE deleting_at IS NULL').all() as { machine_id: string | null; machine_name: string | null }[];
  const known = [{ machine_id: here.id, machine_name: here.name }, ...rows];
  const wanted = word.toLowerCase();
  const matches = new Map<string | null, string>();
  for (const row of known) {
    const shown = describeMachine(row.machine_id, row.machine_name, here);
    const names = row.machine_id === null ? [shown.name] : [shown.name, row.machine_name ?? here.name, row.machine_id, shortMachineId(row.machine_id)];
    if (names.some((name) => name.toLowerCase() === wanted)) matches.set(row.machine_id, shown.name);
  }
  if (matches.size > 1) {
    throw new DormouseError('INVALID_INPUT', `"${word}" names more than one machine (${[...new Set(matches.values())].join(', ')}); name one of them as shown, or pass --machine all`);
  }
  if (matches.size === 0) {
    const labels = [...new Set(known.map((row) => describeMachine(row.machine_id, row.machine_name, here).name))];
    throw notFound('machine', word, [...labels, 'all'], 'name a machine as `dormouse snapshots --machine all` shows it');
  }
  return [...matches.keys()];
}

/**
 * Snapshots newest first, each with the machine that made it. By default only this machine's, so
 * another laptop's archives on a shared destination are listed apart; a schedule this laptop does
 * not have lists every machine's snapshots of that name.
 */
export function listSnapshots(db: Db, filter: SnapshotFilter, here: Machine): SnapshotView[] {
  const where = ['deleting_at IS NULL'];
  const values: (string | number)[] = [];
  let scheduleHere = false;
  if (filter.schedule !== undefined) {
    const scheduleId = db.prepare('SELECT id FROM schedules WHERE name = ? COLLATE NOCASE').pluck().get(filter.schedule) as number | undefined;
    scheduleHere = scheduleId !== undefined;
    // Its own snapshots (under any name it had), and unattached ones recorded under its name: imported, or of a removed schedule.
    where.push('(schedule_id = ? OR (schedule_id IS NULL AND schedule_name = ? COLLATE NOCASE))');
    values.push(scheduleId ?? -1, filter.schedule);
  }
  const machine = filter.machine ?? (filter.schedule !== undefined && !scheduleHere ? 'all' : undefined);
  if (machine === undefined) {
    where.push('machine_id = ?');
    values.push(here.id);
  } else if (machine.toLowerCase() !== 'all') {
    const ids = machinesNamed(db, machine, here);
    where.push(`(${ids.map((id) => (id === null ? 'machine_id IS NULL' : 'machine_id = ?')).join(' OR ')})`);
    values.push(...ids.filter((id): id is string => id !== null));
  }
  const rows = db.prepare(`SELECT * FROM snapshots WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC`).all(...values) as SnapshotRow[];
  if (rows.length === 0 && filter.schedule !== undefined && !scheduleHere) {
    const known = db.prepare('SELECT name FROM schedules ORDER BY name COLLATE NOCASE').pluck().all() as string[];
    throw notFound('schedule', filter.schedule, known, 'no snapshot of any machine has that schedule either; see `dormouse schedule list` and `dormouse snapshots --machine all`');
  }
  return rows.map((row) => ({
    id: row.id,
    scheduleId: row.schedule_id,
    scheduleName: row.schedule_name,
    jobId: row.job_id,
    createdAt: toLocalIso(row.created_at),
    archivePath: row.archive_path,
    files: row.files,
    bytes: row.bytes,
    sha256: row.sha256,
    compression: row.compression,
    kind: row.kind,
    baseId: row.base_id,
    machine: describeMachine(row.machine_id, row.machine_name, here),
  }));
}
