import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { decideRetention, type RetainedSnapshot, type RetentionDecision, type RetentionRules } from '../../src-main/jobs/retention';
import { describeResult, workspace, type Job, type Snapshot, type Workspace } from '../helpers/trees';
import { snapshotRows, updateSnapshotRow, type PruneReport } from './restore-kit';

/**
 * Retention: decideRetention (pure) in a fixed time zone, where days, ISO weeks and months are
 * local; and through the CLI: the rules on schedules, `prune --dry-run`, `prune`, pruning after
 * every backup, never while the destination is unplugged, and finishing a deletion a crash cut short.
 */

// Local days, weeks and months are Berlin's in this file (and in the CLI processes it starts).
process.env.TZ = 'Europe/Berlin';

const cleanups: (() => void)[] = [];
const scope = { after: (fn: () => void) => cleanups.push(fn) };
after(() => cleanups.reverse().forEach((fn) => fn()));

const noRules: RetentionRules = { keepLast: null, keepDaily: null, keepWeekly: null, keepMonthly: null };

function snap(id: number, iso: string, baseId: number | null = null): RetainedSnapshot {
  const createdAt = Date.parse(iso);
  assert.ok(!Number.isNaN(createdAt), iso);
  return { id, createdAt, baseId };
}

function keptIds(decisions: RetentionDecision[]): number[] {
  return decisions.filter((decision) => decision.keep).map((decision) => decision.id);
}

function reasonsOf(decisions: RetentionDecision[], id: number): string[] {
  return decisions.find((decision) => decision.id === id)?.reasons ?? [];
}

test('the test runs in Europe/Berlin', () => {
  assert.equal(new Date('2026-01-10T12:00:00Z').getTimezoneOffset(), -60);
  assert.equal(new Date('2026-07-10T12:00:00Z').getTimezoneOffset(), -120);
});

test('decideRetention: no rule at all keeps every snapshot; nothing in, nothing out', () => {
  const snapshots = [snap(1, '2025-01-01T10:00:00+01:00'), snap(2, '2025-06-01T10:00:00+02:00'), snap(3, '2026-01-01T10:00:00+01:00')];
  const decisions = decideRetention(snapshots, noRules);
  assert.deepEqual(keptIds(decisions), [3, 2, 1]);
  for (const decision of decisions) assert.ok(decision.reasons.some((reason) => /keep all/.test(reason)), JSON.stringify(decision));
  assert.ok(reasonsOf(decisions, 3).includes('the newest snapshot'));
  assert.deepEqual(decideRetention([], { ...noRules, keepLast: 2 }), []);
});

test('decideRetention: keep-last N keeps the newest N, decisions newest first', () => {
  const snapshots = [1, 2, 3, 4, 5, 6, 7].map((id) => snap(id, `2026-01-0${id}T10:00:00+01:00`));
  const decisions = decideRetention([...snapshots].reverse().slice(3).concat([...snapshots].reverse().slice(0, 3)), { ...noRules, keepLast: 3 });
  assert.deepEqual(
    decisions.map((decision) => decision.id),
    [7, 6, 5, 4, 3, 2, 1],
    'newest first, whatever the input order',
  );
  assert.deepEqual(keptIds(decisions), [7, 6, 5]);
  assert.deepEqual(reasonsOf(decisions, 6), ['one of the last 3']);
  assert.deepEqual(reasonsOf(decisions, 7), ['the newest snapshot', 'one of the last 3']);
  for (const id of [4, 3, 2, 1]) assert.deepEqual(reasonsOf(decisions, id), [], `${id} has no reason to stay`);
});

test('decideRetention: keep-daily counts local days (Berlin), not UTC days, across midnight and daylight saving', () => {
  const winter = [
    snap(1, '2026-01-08T10:00:00+01:00'),
    snap(2, '2026-01-09T09:00:00+01:00'),
    snap(3, '2026-01-09T23:30:00+01:00'), // 22:30 UTC on the 9th
    snap(4, '2026-01-10T00:30:00+01:00'), // 23:30 UTC on the 9th, but the 10th in Berlin
    snap(5, '2026-01-10T12:00:00+01:00'),
    snap(6, '2026-01-11T08:00:00+01:00'),
  ];
  const decisions = decideRetention(winter, { ...noRules, keepDaily: 3 });
  assert.deepEqual(keptIds(decisions), [6, 5, 3], 'the newest of each of the last 3 local days');
  assert.ok(reasonsOf(decisions, 3).includes('the newest of its day (keep 3 days)'), JSON.stringify(reasonsOf(decisions, 3)));
  assert.deepEqual(keptIds(decideRetention(winter, { ...noRules, keepDaily: 10 })), [6, 5, 3, 1], 'fewer days with snapshots than N: one per day');

  // The night the clocks go forward (29 March 2026): a 23-hour local day.
  const spring = [
    snap(11, '2026-03-28T23:50:00+01:00'),
    snap(12, '2026-03-29T00:30:00+01:00'),
    snap(13, '2026-03-29T23:30:00+02:00'), // 21:30 UTC
    snap(14, '2026-03-30T00:10:00+02:00'), // 22:10 UTC on the 29th
  ];
  assert.deepEqual(keptIds(decideRetention(spring, { ...noRules, keepDaily: 2 })), [14, 13]);
});

test('decideRetention: keep-weekly counts ISO weeks (Monday first) in local time, across a year boundary', () => {
  const snapshots = [
    snap(1, '2026-01-04T12:00:00+01:00'), // Sunday, 2026-W01
    snap(2, '2026-01-05T00:30:00+01:00'), // Monday, 2026-W02 (still Sunday in UTC)
    snap(3, '2026-01-11T23:30:00+01:00'), // Sunday, 2026-W02
    snap(4, '2026-01-12T00:15:00+01:00'), // Monday, 2026-W03 (still Sunday in UTC)
  ];
  const decisions = decideRetention(snapshots, { ...noRules, keepWeekly: 2 });
  assert.deepEqual(keptIds(decisions), [4, 3]);
  assert.ok(reasonsOf(decisions, 3).includes('the newest of its week (keep 2 weeks)'), JSON.stringify(reasonsOf(decisions, 3)));
  assert.deepEqual(keptIds(decideRetention(snapshots, { ...noRules, keepWeekly: 3 })), [4, 3, 1]);

  // 28 December 2026 (Monday) to 3 January 2027 (Sunday) are one ISO week: 2026-W53.
  const newYear = [
    snap(21, '2026-12-27T18:00:00+01:00'), // Sunday, 2026-W52
    snap(22, '2026-12-28T10:00:00+01:00'), // Monday, 2026-W53
    snap(23, '2026-12-31T23:00:00+01:00'), // Thursday, 2026-W53
    snap(24, '2027-01-03T20:00:00+01:00'), // Sunday, 2026-W53
  ];
  assert.deepEqual(keptIds(decideRetention(newYear, { ...noRules, keepWeekly: 1 })), [24], 'one week, whatever the calendar year');
  assert.deepEqual(keptIds(decideRetention(newYear, { ...noRules, keepWeekly: 2 })), [24, 21]);
});

test('decideRetention: keep-monthly counts local months', () => {
  const snapshots = [
    snap(1, '2025-12-15T12:00:00+01:00'),
    snap(2, '2026-01-31T12:00:00+01:00'),
    snap(3, '2026-01-31T23:30:00+01:00'),
    snap(4, '2026-02-01T00:30:00+01:00'), // still January in UTC
  ];
  const decisions = decideRetention(snapshots, { ...noRules, keepMonthly: 2 });
  assert.deepEqual(keptIds(decisions), [4, 3]);
  assert.ok(reasonsOf(decisions, 3).includes('the newest of its month (keep 2 months)'));
  assert.deepEqual(keptIds(decideRetention(snapshots, { ...noRules, keepMonthly: 12 })), [4, 3, 1]);
});

test('decideRetention: rules add up, each kept snapshot says every reason it is kept', () => {
  const snapshots = [
    snap(1, '2025-11-20T10:00:00+01:00'),
    snap(2, '2025-12-20T10:00:00+01:00'),
    snap(3, '2025-12-28T10:00:00+01:00'),
    snap(4, '2026-01-05T10:00:00+01:00'),
    snap(5, '2026-01-05T18:00:00+01:00'),
    snap(6, '2026-01-06T09:00:00+01:00'),
  ];
  const decisions = decideRetention(snapshots, { keepLast: 1, keepDaily: 2, keepWeekly: null, keepMonthly: 3 });
  assert.deepEqual(keptIds(decisions), [6, 5, 3, 1]);
  assert.deepEqual(reasonsOf(decisions, 6), ['the newest snapshot', 'one of the last 1', 'the newest of its day (keep 2 days)', 'the newest of its month (keep 3 months)']);
  assert.deepEqual(reasonsOf(decisions, 5), ['the newest of its day (keep 2 days)']);
  assert.deepEqual(reasonsOf(decisions, 3), ['the newest of its month (keep 3 months)']);
  assert.deepEqual(reasonsOf(decisions, 4), []);
});

test('decideRetention: the newest snapshot is always kept, also on a tie and whatever the input order', () => {
  const snapshots = [snap(3, '2026-01-01T10:00:00+01:00'), snap(9, '2026-01-02T10:00:00+01:00'), snap(7, '2026-01-02T10:00:00+01:00'), snap(1, '2025-01-01T10:00:00+01:00')];
  for (const rules of [
    { ...noRules, keepLast: 1 },
    { ...noRules, keepDaily: 1 },
    { ...noRules, keepWeekly: 1 },
    { ...noRules, keepMonthly: 1 },
  ]) {
    const decisions = decideRetention(snapshots, rules);
    assert.equal(decisions[0]?.id, 9, 'the higher id wins a tie on time');
    assert.equal(decisions[0]?.keep, true);
    assert.ok(reasonsOf(decisions, 9).includes('the newest snapshot'));
    assert.deepEqual(keptIds(decisions), [9], JSON.stringify(rules));
  }
});

test("decideRetention: a kept snapshot's whole base chain is kept, past the rules", () => {
  const snapshots = [
    snap(10, '2025-11-01T10:00:00+01:00'), // an old full nobody depends on
    snap(11, '2025-12-01T10:00:00+01:00'), // full
    snap(12, '2025-12-02T10:00:00+01:00', 11),
    snap(13, '2025-12-03T10:00:00+01:00', 12), // the newest of December
    snap(14, '2026-01-01T10:00:00+01:00'), // full
    snap(15, '2026-01-02T10:00:00+01:00', 14),
    snap(16, '2026-01-03T10:00:00+01:00', 15),
  ];
  const lastOne = decideRetention(snapshots, { ...noRules, keepLast: 1 });
  assert.deepEqual(keptIds(lastOne), [16, 15, 14], 'the newest and everything it is built on');
  assert.deepEqual(reasonsOf(lastOne, 15), ['the base of kept snapshot 16']);
  assert.deepEqual(reasonsOf(lastOne, 14), ['the base of kept snapshot 16']);
  const monthly = decideRetention(snapshots, { ...noRules, keepLast: 1, keepMonthly: 2 });
  assert.deepEqual(keptIds(monthly), [16, 15, 14, 13, 12, 11], "December's newest and its chain too; the old full goes");
  assert.ok(reasonsOf(monthly, 11).includes('the base of kept snapshot 13'), JSON.stringify(reasonsOf(monthly, 11)));
  // A base that is no longer there (already deleted) is no obstacle.
  const orphan = decideRetention([snap(20, '2026-02-01T10:00:00+01:00', 19)], { ...noRules, keepLast: 1 });
  assert.deepEqual(keptIds(orphan), [20]);
});

// ---------------------------------------------------------------------------------------------
// Through the CLI

function setSetting(catalog: string, key: string, value: unknown): void {
  const db = new Database(catalog, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value), Date.now());
  } finally {
    db.close();
  }
}

/** A workspace whose every backup is a full one (no incrementals), so that retention alone decides. */
function fullsWorkspace(): Workspace {
  const ws = workspace(scope);
  writeFileSync(join(ws.src, 'file.txt'), 'content\n');
  ws.ok(['schedule', 'list']); // makes the catalog
  setSetting(ws.catalog, 'incrementalsPerFull', 0);
  return ws;
}

function backup(ws: Workspace, schedule: string): Job {
  writeFileSync(join(ws.src, 'file.txt'), `content at ${process.hrtime.bigint()}\n`);
  const result = ws.cli(['run', schedule, '--json']);
  assert.equal(result.code, 0, describeResult(result));
  const job = result.json<Job>();
  assert.equal(job.status, 'succeeded', describeResult(result));
  return job;
}

/** The files in a schedule's archive folder, in this laptop's machine folder (`Dormouse/<machine>/<schedule>`; one machine here). */
function archivesOf(ws: Workspace, schedule: string): string[] {
  const root = join(ws.dest, 'Dormouse');
  const machines = existsSync(root) ? readdirSync(root) : [];
  assert.ok(machines.length <= 1, `one machine folder: ${machines.join(', ')}`);
  const folder = join(root, machines[0] ?? 'none', schedule);
  return existsSync(folder) ? readdirSync(folder).sort() : [];
}

interface ScheduleView {
  name: string;
  keepLast: number | null;
  keepDaily: number | null;
  keepWeekly: number | null;
  keepMonthly: number | null;
}

test('schedule add and edit take --keep-last, --keep-daily, --keep-weekly and --keep-monthly ("all" clears one); bad counts exit 2', () => {
  const ws = workspace(scope);
  const added = ws.ok<ScheduleView>(['schedule', 'add', '--name', 'Docs', '--source', ws.src, '--destination', 'usb', '--cron', '0 3 * * *', '--keep-last', '3', '--keep-daily', '7', '--keep-weekly', '4', '--keep-monthly', '12']);
  assert.deepEqual([added.keepLast, added.keepDaily, added.keepWeekly, added.keepMonthly], [3, 7, 4, 12]);
  const edited = ws.ok<ScheduleView>(['schedule', 'edit', 'Docs', '--keep-daily', 'all', '--keep-weekly', '2']);
  assert.deepEqual([edited.keepLast, edited.keepDaily, edited.keepWeekly, edited.keepMonthly], [3, null, 2, 12], 'only the rules given change');
  const listed = ws.ok<ScheduleView[]>(['schedule', 'list']).find((schedule) => schedule.name === 'Docs');
  assert.deepEqual([listed?.keepLast, listed?.keepDaily, listed?.keepWeekly, listed?.keepMonthly], [3, null, 2, 12], 'and they are saved');
  const cleared = ws.ok<ScheduleView>(['schedule', 'edit', 'Docs', '--keep-last', 'all', '--keep-weekly', 'all', '--keep-monthly', 'all']);
  assert.deepEqual([cleared.keepLast, cleared.keepDaily, cleared.keepWeekly, cleared.keepMonthly], [null, null, null, null]);
  for (const bad of [
    ['--keep-last', '0'],
    ['--keep-daily', '-1'],
    ['--keep-weekly', 'x'],
    ['--keep-monthly', '1.5'],
  ]) {
    const result = ws.cli(['schedule', 'edit', 'Docs', ...bad, '--json']);
    assert.equal(result.code, 2, `${bad.join(' ')}: ${describeResult(result)}`);
  }
  const after = ws.ok<ScheduleView[]>(['schedule', 'list']).find((schedule) => schedule.name === 'Docs');
  assert.deepEqual([after?.keepLast, after?.keepDaily, after?.keepWeekly, after?.keepMonthly], [null, null, null, null], 'nothing saved by a refused edit');
});

test('prune --dry-run says what would go and why the rest stays, deleting nothing; prune then deletes archives, sidecars and rows', () => {
  const ws = fullsWorkspace();
  ws.addSchedule('Docs');
  const jobs = [backup(ws, 'Docs'), backup(ws, 'Docs'), backup(ws, 'Docs'), backup(ws, 'Docs')];
  const byJob = new Map(ws.ok<Snapshot[]>(['snapshots']).map((snapshot) => [snapshot.jobId, snapshot]));
  const ids = jobs.map((job) => byJob.get(job.id)?.id as number);
  // Two snapshots on the 10th of January, one on the 11th, one on the 12th (Berlin).
  const times = ['2026-01-10T08:00:00+01:00', '2026-01-10T20:00:00+01:00', '2026-01-11T12:00:00+01:00', '2026-01-12T12:00:00+01:00'];
  ids.forEach((id, index) => updateSnapshotRow(ws.catalog, id, { created_at: Date.parse(times[index] as string) }));
  ws.ok(['schedule', 'edit', 'Docs', '--keep-last', '1', '--keep-daily', '2']);
  const filesBefore = archivesOf(ws, 'Docs');
  assert.equal(filesBefore.length, 8, `4 archives and 4 sidecars: ${filesBefore.join(', ')}`);

  const [dry] = ws.ok<PruneReport[]>(['prune', '--schedule', 'Docs', '--dry-run']);
  assert.ok(dry);
  assert.equal(dry.dryRun, true);
  assert.deepEqual(
    dry.deleted.map((gone) => gone.snapshotId).sort(),
    [ids[0], ids[1]].sort(),
    'both snapshots of the 10th would go',
  );
  assert.deepEqual(
    dry.kept.map((kept) => kept.snapshotId).sort(),
    [ids[2], ids[3]].sort(),
  );
  const newest = dry.kept.find((kept) => kept.snapshotId === ids[3]);
  assert.deepEqual(newest?.reasons, ['the newest snapshot', 'one of the last 1', 'the newest of its day (keep 2 days)']);
  assert.deepEqual(dry.kept.find((kept) => kept.snapshotId === ids[2])?.reasons, ['the newest of its day (keep 2 days)']);
  assert.equal(dry.kept.find((kept) => kept.snapshotId === ids[2])?.createdAt, '2026-01-11T12:00:00+01:00', 'times in local ISO-8601 with the offset');
  for (const gone of dry.deleted) assert.equal(gone.archivePath, byJob.get(jobs[ids.indexOf(gone.snapshotId)]?.id as number)?.archivePath);
  assert.deepEqual(archivesOf(ws, 'Docs'), filesBefore, 'a dry run deletes no file');
  assert.equal(ws.ok<Snapshot[]>(['snapshots']).length, 4, 'nor a catalog row');
  const text = ws.cli(['prune', '--schedule', 'Docs', '--dry-run']);
  assert.match(text.stdout, /would delete 2/);

  const [real] = ws.ok<PruneReport[]>(['prune', '--schedule', 'Docs']);
  assert.equal(real?.dryRun, false);
  assert.deepEqual(real?.deleted.map((gone) => gone.snapshotId).sort(), [ids[0], ids[1]].sort());
  for (const gone of real?.deleted ?? []) {
    assert.ok(!existsSync(gone.archivePath), `${gone.archivePath} is deleted`);
    assert.ok(!existsSync(`${gone.archivePath}.sha256`), `${gone.archivePath}.sha256 is deleted`);
  }
  assert.equal(archivesOf(ws, 'Docs').length, 4, 'two archives and their sidecars remain');
  assert.deepEqual(ws.ok<Snapshot[]>(['snapshots']).map((snapshot) => snapshot.id).sort(), [ids[2], ids[3]].sort());
  assert.deepEqual(snapshotRows(ws.catalog).map((row) => row.id).sort(), [ids[2], ids[3]].sort(), 'the rows are gone from the catalog');
  const [again] = ws.ok<PruneReport[]>(['prune', '--schedule', 'Docs']);
  assert.deepEqual(again?.deleted, [], 'pruning again deletes nothing more');
});

test('pruning runs after each successful backup: keep-last 2 and four backups leave two archives', () => {
  const ws = fullsWorkspace();
  ws.addSchedule('Docs', ['--keep-last', '2']);
  const jobs = [backup(ws, 'Docs'), backup(ws, 'Docs'), backup(ws, 'Docs'), backup(ws, 'Docs')];
  const snapshots = ws.ok<Snapshot[]>(['snapshots']);
  assert.deepEqual(
    snapshots.map((snapshot) => snapshot.jobId),
    [jobs[3]?.id, jobs[2]?.id],
    'the newest two remain',
  );
  const files = archivesOf(ws, 'Docs');
  assert.deepEqual(files, snapshots.flatMap((snapshot) => [snapshot.archivePath.slice(dirname(snapshot.archivePath).length + 1), `${snapshot.archivePath.slice(dirname(snapshot.archivePath).length + 1)}.sha256`]).sort(), 'two archives and their sidecars, nothing else');
});

test('with incremental backups (the default), keep-last 2 keeps the chain the newest snapshot is built on, and says why', () => {
  const ws = workspace(scope);
  writeFileSync(join(ws.src, 'file.txt'), 'content\n');
  ws.addSchedule('Docs', ['--keep-last', '2']);
  for (let run = 0; run < 4; run += 1) backup(ws, 'Docs');
  const snapshots = ws.ok<(Snapshot & { kind: string; baseId: number | null })[]>(['snapshots']);
  assert.deepEqual(
    snapshots.map((snapshot) => snapshot.kind),
    ['incremental', 'incremental', 'incremental', 'full'],
    'one full backup, then incrementals (newest first)',
  );
  assert.equal(snapshots.length, 4, 'every snapshot of the chain stays: the newest depends on all of them');
  const [dry] = ws.ok<PruneReport[]>(['prune', '--dry-run']);
  assert.deepEqual(dry?.deleted, []);
  const full = dry?.kept.find((kept) => kept.snapshotId === snapshots[3]?.id);
  assert.deepEqual(full?.reasons, [`the base of kept snapshot ${snapshots[0]?.id}`], 'the dry run says why the full backup stays');
  for (const snapshot of snapshots) assert.ok(existsSync(snapshot.archivePath), `${snapshot.archivePath} is still there`);
});

test('pruning while the destination is unplugged (marker gone) deletes nothing', () => {
  const ws = fullsWorkspace();
  ws.addSchedule('Docs');
  for (let run = 0; run < 3; run += 1) backup(ws, 'Docs');
  ws.ok(['schedule', 'edit', 'Docs', '--keep-last', '1']);
  const marker = join(ws.dest, '.dormouse-destination.json');
  const markerText = readFileSync(marker, 'utf8');
  const filesBefore = archivesOf(ws, 'Docs');
  unlinkSync(marker);

  const pruned = ws.cli(['prune', '--json']);
  assert.equal(pruned.code, 1, `prune fails while the destination is not connected: ${describeResult(pruned)}`);
  assert.match(pruned.stderr, /^error: .*(connect|unavailable|not available)/im);
  const backedUp = ws.cli(['run', 'Docs', '--json']);
  assert.notEqual(backedUp.code, 0, 'no backup, so no pruning after it either');
  assert.deepEqual(archivesOf(ws, 'Docs'), filesBefore, 'no archive or sidecar deleted');
  assert.equal(snapshotRows(ws.catalog).length, 3, 'no catalog row deleted');
  assert.ok(snapshotRows(ws.catalog).every((row) => row.deleting_at === null), 'no row marked for deletion');
  const [dry] = ws.ok<PruneReport[]>(['prune', '--dry-run']);
  assert.equal(dry?.deleted.length, 2, 'a dry run still says what would go');

  writeFileSync(marker, markerText);
  const [real] = ws.ok<PruneReport[]>(['prune']);
  assert.equal(real?.deleted.length, 2, 'plugged back in, the prune runs');
  assert.equal(archivesOf(ws, 'Docs').length, 2);
});

for (const archiveAlreadyGone of [false, true]) {
  test(`a deletion cut short by a crash (row marked, archive ${archiveAlreadyGone ? 'already deleted' : 'still there'}) is finished by the next CLI start`, () => {
    const ws = fullsWorkspace();
    ws.addSchedule('Docs');
    for (let run = 0; run < 3; run += 1) backup(ws, 'Docs');
    const [victim, ...others] = snapshotRows(ws.catalog);
    assert.ok(victim);
    updateSnapshotRow(ws.catalog, victim.id, { deleting_at: Date.now() - 1000 });
    if (archiveAlreadyGone) rmSync(victim.archive_path);
    assert.equal(existsSync(`${victim.archive_path}.sha256`), true);

    const listed = ws.ok<Snapshot[]>(['snapshots']);
    assert.deepEqual(listed.map((snapshot) => snapshot.id).sort(), others.map((row) => row.id).sort(), 'the half-deleted snapshot is gone from the list');
    assert.deepEqual(snapshotRows(ws.catalog).map((row) => row.id).sort(), others.map((row) => row.id).sort(), 'and its row from the catalog');
    assert.ok(!existsSync(victim.archive_path), 'its archive is deleted');
    assert.ok(!existsSync(`${victim.archive_path}.sha256`), 'its sidecar is deleted');
    for (const row of others) assert.ok(existsSync(row.archive_path), `${row.archive_path} is untouched`);
  });
}
