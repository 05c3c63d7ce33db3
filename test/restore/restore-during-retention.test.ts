// A restore that is still running when a backup's retention would delete its snapshot: retention
// keeps it (saying why) until the restore ends, the restore gives back the whole tree, and the next
// prune deletes it. A reader that died (killed with the worker) holds nothing. A verification holds
// nothing: a snapshot deleted while it is verified is left out of the report, not called damaged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expectOk } from '../helpers/cli';
import { alive, childPids, startDormouse, waitFor, workspace, zeroFiles, type Workspace } from '../helpers/trees';

interface Kept {
  snapshotId: number;
  reasons: string[];
}
interface PruneReport {
  kept: Kept[];
  deleted: { snapshotId: number }[];
}

/** A schedule keeping only its newest snapshot, every backup a full one (so retention may delete any older one), backed up once. */
function oneSnapshot(t: { after: (fn: () => void) => void }, big = false): Workspace {
  const ws = workspace(t);
  for (let index = 0; index < 20; index += 1) writeFileSync(join(ws.src, `letter-${index}.txt`), `letter ${index}\n`);
  // Enough to read that a verification is caught with the archive open.
  if (big) zeroFiles(ws.src, 1, 512 * 1024 * 1024);
  ws.addSchedule('Letters', ['--keep-last', '1']);
  const db = new Database(ws.catalog);
  db.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('incrementalsPerFull', '0', ?)").run(Date.now());
  db.close();
  expectOk(ws.cli(['run', 'Letters', '--json']));
  return ws;
}

/** Starts `dormouse restore 1`, and stops its worker once the restore has told the catalog it reads snapshot 1. */
async function pausedRestore(ws: Workspace, target: string) {
  const restore = startDormouse(['--data-dir', ws.dataDir, 'restore', '1', '--to', target, '--json']);
  const db = new Database(ws.catalog, { readonly: true });
  try {
    await waitFor('the restore to hold snapshot 1', () => db.prepare('SELECT count(*) FROM snapshot_readers WHERE snapshot_id = 1').pluck().get() === 1);
  } finally {
    db.close();
  }
  const workers = await waitFor('the restore worker', () => {
    const pids = childPids(restore.child.pid as number);
    return pids.length > 0 ? pids : null;
  });
  for (const pid of workers) process.kill(pid, 'SIGSTOP');
  return { restore, workers };
}

test("a backup's retention keeps the snapshot a restore is reading, says why, and deletes it once the restore has ended", async (t) => {
  const ws = oneSnapshot(t);
  const target = join(ws.root, 'back');
  const { restore, workers } = await pausedRestore(ws, target);
  t.after(() => workers.forEach((pid) => alive(pid) && process.kill(pid, 'SIGKILL')));

  expectOk(ws.cli(['run', 'Letters', '--json']));
  assert.deepEqual(expectOk<{ id: number }[]>(ws.cli(['snapshots', '--json'])).map((snapshot) => snapshot.id).sort(), [1, 2], 'snapshot 1 is still there while it is read');
  const dryRun = expectOk<PruneReport[]>(ws.cli(['prune', '--dry-run', '--json']));
  assert.deepEqual(
    dryRun.flatMap((report) => report.kept.filter((kept) => kept.snapshotId === 1).flatMap((kept) => kept.reasons)).filter((reason) => reason.startsWith('being read')),
    [`being read by a restore (process ${restore.child.pid}); deleted by a later prune`],
  );

  for (const pid of workers) process.kill(pid, 'SIGCONT');
  const ended = await restore.done;
  assert.equal(ended.code, 0, ended.stdout + ended.stderr);
  assert.equal(readFileSync(join(target, ws.src, 'letter-19.txt'), 'utf8'), 'letter 19\n', 'the restore gave back the tree');

  const pruned = expectOk<PruneReport[]>(ws.cli(['prune', '--json']));
  assert.deepEqual(pruned.flatMap((report) => report.deleted.map((deleted) => deleted.snapshotId)), [1]);
  assert.deepEqual(expectOk<{ id: number }[]>(ws.cli(['snapshots', '--json'])).map((snapshot) => snapshot.id), [2]);
});

test('a restore killed with its worker holds its snapshot no longer: the next backup deletes it', async (t) => {
  const ws = oneSnapshot(t);
  const { restore, workers } = await pausedRestore(ws, join(ws.root, 'back'));
  restore.child.kill('SIGKILL');
  for (const pid of workers) process.kill(pid, 'SIGKILL');
  await restore.done;
  expectOk(ws.cli(['run', 'Letters', '--json']));
  assert.deepEqual(expectOk<{ id: number }[]>(ws.cli(['snapshots', '--json'])).map((snapshot) => snapshot.id), [2]);
  const db = new Database(ws.catalog, { readonly: true });
  t.after(() => db.close());
  assert.equal(db.prepare('SELECT count(*) FROM snapshot_readers').pluck().get(), 0, 'the dead reader left no row');
});

test('a snapshot deleted by retention while a verification reads it is left out of the report, not called damaged', async (t) => {
  const ws = oneSnapshot(t, true);
  const [archive] = expectOk<{ archivePath: string }[]>(ws.cli(['snapshots', '--json'])).map((snapshot) => snapshot.archivePath);
  const verify = startDormouse(['--data-dir', ws.dataDir, 'verify', '--all', '--json']);
  const reading = await waitFor(
    'the worker reading the archive',
    () => childPids(verify.child.pid as number).find((pid) => {
      try {
        return readdirSync(`/proc/${pid}/fd`).some((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`) === archive);
      } catch {
        return false;
      }
    }),
    20_000,
    2,
  );
  process.kill(reading, 'SIGSTOP');
  t.after(() => alive(reading) && process.kill(reading, 'SIGKILL'));
  expectOk(ws.cli(['run', 'Letters', '--json']));
  assert.deepEqual(expectOk<{ id: number }[]>(ws.cli(['snapshots', '--json'])).map((snapshot) => snapshot.id), [2], 'a verification does not hold snapshot 1');
  process.kill(reading, 'SIGCONT');
  const ended = await verify.done;
  assert.equal(ended.code, 0, ended.stdout + ended.stderr);
  assert.deepEqual(JSON.parse(ended.stdout), { ok: true, snapshots: [] });
});
