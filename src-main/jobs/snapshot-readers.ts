import { DormouseError } from '../../shared/errors';
import { ownerAlive, processMark } from '../common/processes';
import type { Db } from '../store/open-store';

/** What reads a snapshot's archives for a while and needs them to the end: a restore (a verification does not hold what it reads: SnapshotTasks.verify). */
export type ReadingTask = 'restore';

/** A live reader of a snapshot: what it does, and which process does it. */
export interface SnapshotReader {
  task: ReadingTask;
  pid: number;
}

/**
 * Records that this process reads the given snapshots (a snapshot and every archive of its chain)
 * until the returned release is called, so retention run meanwhile by any Dormouse process (the
 * app's own, the daemon's) leaves them alone: a long restore never loses an archive it has not
 * opened yet (a bucket's objects, a gzip archive read after the pass). In one transaction with the
 * check that none of them is being deleted already, as prune marks a snapshot in one with its check
 * for readers, so one of the two always sees the other.
 */
export function holdSnapshots(db: Db, ids: readonly number[], task: ReadingTask, now: number): () => void {
  const deleting = db.prepare('SELECT deleting_at FROM snapshots WHERE id = ?').pluck();
  const insert = db.prepare('INSERT INTO snapshot_readers (snapshot_id, task, pid, mark, started_at) VALUES (?, ?, ?, ?, ?)');
  const mark = processMark(process.pid);
  const rows = db.transaction(() => {
    for (const id of ids) {
      if (deleting.get(id) !== null) throw new DormouseError('NOT_FOUND', `snapshot ${id} is being deleted (its schedule's retention no longer keeps it); see \`dormouse snapshots\``);
    }
    return ids.map((id) => Number(insert.run(id, task, process.pid, mark, now).lastInsertRowid));
  }).immediate();
  return () => {
    const remove = db.prepare('DELETE FROM snapshot_readers WHERE id = ?');
    db.transaction(() => rows.forEach((row) => remove.run(row)))();
  };
}

/** The live readers of each snapshot read now; rows left by a process that is gone are removed. */
export function liveReaders(db: Db): Map<number, SnapshotReader> {
  const rows = db.prepare('SELECT id, snapshot_id, task, pid, mark FROM snapshot_readers').all() as { id: number; snapshot_id: number; task: ReadingTask; pid: number; mark: string | null }[];
  const readers = new Map<number, SnapshotReader>();
  const gone: number[] = [];
  for (const row of rows) {
    if (ownerAlive(row.pid, row.mark)) readers.set(row.snapshot_id, { task: row.task, pid: row.pid });
    else gone.push(row.id);
  }
  if (gone.length > 0) {
    const remove = db.prepare('DELETE FROM snapshot_readers WHERE id = ?');
    db.transaction(() => gone.forEach((id) => remove.run(id)))();
  }
  return readers;
}

/** Why a snapshot read now is kept, in the words prune's report gives. */
export function readerReason(reader: SnapshotReader): string {
  return `being read by a ${reader.task} (process ${reader.pid}); deleted by a later prune`;
}
