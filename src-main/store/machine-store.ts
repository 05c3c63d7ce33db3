import { hostname } from 'node:os';
import type { Db } from './open-store';

/** A machine that makes backups: its stable id (kept in its catalog) and its hostname. */
export interface Machine {
  id: string;
  name: string;
}

/**
 * This machine: the id its catalog made once (migration 6) and the hostname it has now. The id
 * decides whose an archive is; the hostname only helps people tell machines apart, and may change.
 */
export function thisMachine(db: Db, currentHostname: string = hostname()): Machine {
  const id = db.prepare('SELECT machine_id FROM this_machine WHERE id = 1').pluck().get() as string | undefined;
  if (id === undefined) throw new Error('the catalog has no machine id (its migration 6 row is missing)');
  return { id, name: currentHostname };
}
