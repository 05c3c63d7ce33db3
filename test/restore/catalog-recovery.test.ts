import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dormouse } from '../helpers/cli';
import { describeResult, describeTree, sha256File, workspace, type Job, type TreeEntry, type Workspace } from '../helpers/trees';
import { buildRichTree, handMadeArchive, type ImportReport, type Listing, type RestoreReport, type VerifyReport } from './restore-kit';
import type { SnapshotView, ScheduleView } from '../../shared/types';

/**
 * A lost catalog rebuilt from the destination: `destination add` on a new, empty data folder imports
 * the archives it finds (read from their own manifests), `dormouse import` re-scans, the imported
 * snapshots can be listed, verified and restored, and files that are not Dormouse archives (or of a
 * newer format) are reported and left alone. The lost catalog's machine id went with it, so to the
 * new catalog its archives are another machine's: listed apart, never adopted by a schedule of the
 * same name, never a base, never pruned.
 */

const cleanups: (() => void)[] = [];
const scope = { after: (fn: () => void) => cleanups.push(fn) };
after(() => cleanups.reverse().forEach((fn) => fn()));



let ws: Workspace;
let docs: string;
let photos: string;
/** The catalog that was lost: what it knew. */
let original: SnapshotView[];
let originalDestinationId: string;
/** The Docs tree as each of its two backups saw it. */
let docsAtFirst: Map<string, TreeEntry>;
let docsAtSecond: Map<string, TreeEntry>;
let photosTree: Map<string, TreeEntry>;
let junk: string;
let future: string;
let recovered: string;
let added: { id: string; name: string; path: string; importedSnapshots: number };
let targetCount = 0;

/** The CLI on the new, rebuilt catalog. */
function fresh(args: string[]) {
  return dormouse(['--data-dir', recovered, ...args]);
}

function freshOk<T>(args: string[]): T {
  const result = fresh([...args, '--json']);
  assert.equal(result.code, 0, `dormouse ${args.join(' ')}: ${describeResult(result)}`);
  return result.json<T>();
}

function run(schedule: string): Job {
  const result = ws.cli(['run', schedule, '--json']);
  assert.equal(result.code, 0, describeResult(result));
  const job = result.json<Job>();
  assert.equal(job.status, 'succeeded', describeResult(result));
  return job;
}

before(() => {
  ws = workspace(scope);
  docs = join(ws.src, 'Documents');
  photos = join(ws.src, 'Photos');
  buildRichTree(docs, join(ws.root, 'outside'));
  mkdirSync(join(photos, '2025'), { recursive: true });
  writeFileSync(join(photos, '2025', 'lake.jpg'), randomBytes(1_500_000));
  writeFileSync(join(photos, 'index.txt'), 'photos\n');
  // A cron whose last expected run (1 January, midnight) is long before the backups: not overdue once adopted.
  ws.ok(['schedule', 'add', '--name', 'Docs', '--source', docs, '--destination', 'usb', '--cron', '0 0 1 1 *']);
  ws.ok(['schedule', 'add', '--name', 'Photos', '--source', photos, '--destination', 'usb', '--cron', '0 0 1 1 *', '--compression', 'gzip']);
  run('Docs');
  docsAtFirst = describeTree(docs);
  writeFileSync(join(docs, 'docs', 'report.txt'), 'the report, rewritten\n');
  writeFileSync(join(docs, 'new file.txt'), 'added before the second backup\n');
  unlinkSync(join(docs, 'empty.txt'));
  run('Docs');
  docsAtSecond = describeTree(docs);
  run('Photos');
  photosTree = describeTree(photos);
  original = ws.ok<SnapshotView[]>(['snapshots']);
  const docsFolder = dirname(original.find((snapshot) => snapshot.scheduleName === 'Docs')?.archivePath as string);
  const photosFolder = dirname(original.find((snapshot) => snapshot.scheduleName === 'Photos')?.archivePath as string);
  originalDestinationId = ws.ok<{ id: string; name: string }[]>(['destination', 'list'])[0]?.id as string;

  // Not Dormouse archives: junk named like one, and one in a format newer than this Dormouse reads.
  junk = join(docsFolder, 'junk.tar');
  writeFileSync(junk, randomBytes(10_000));
  future = join(photosFolder, '20990101T000000Z-full-ffffffff.tar');
  writeFileSync(future, handMadeArchive([{ path: 'from-the-future.txt', type: 'file', content: 'hello\n' }], { scheduleName: 'Photos', createdAt: '2099-01-01T00:00:00.000Z' }, { format: 99 }));
  writeFileSync(join(docsFolder, 'README.txt'), 'not an archive at all\n');

  // The laptop is lost: a new, empty data folder, the same drive.
  recovered = join(ws.root, 'new-laptop-data');
  const result = fresh(['destination', 'add', '--name', 'found', '--path', ws.dest, '--json']);
  assert.equal(result.code, 0, describeResult(result));
  added = result.json();
});

test('destination add on a new catalog imports the archives on the drive, keeping the destination id', () => {
  assert.equal(original.length, 3);
  assert.equal(added.importedSnapshots, 3, 'the three archives Dormouse wrote, not the junk nor the future one');
  assert.equal(added.id, originalDestinationId, 'the marker already there keeps its id');
  assert.deepEqual(freshOk<SnapshotView[]>(['snapshots']), [], "by default only this machine's snapshots, and the new catalog is a new machine");
  const imported = freshOk<SnapshotView[]>(['snapshots', '--machine', 'all']);
  assert.equal(imported.length, 3);
  const lostMachine = original[0]?.machine;
  assert.ok(lostMachine?.id && lostMachine.current, 'the lost catalog listed its own snapshots as this machine\'s');
  for (const before of original) {
    const found = imported.find((snapshot) => snapshot.archivePath === before.archivePath);
    assert.ok(found, `${before.archivePath} is in the new catalog`);
    assert.equal(found.scheduleName, before.scheduleName);
    assert.equal(found.scheduleId, null, 'no schedule of that name exists yet');
    assert.equal(found.jobId, null);
    assert.equal(found.sha256, before.sha256, 'the SHA-256 from the sidecar');
    assert.equal(found.compression, before.compression);
    assert.equal(Date.parse(found.createdAt), Date.parse(before.createdAt), 'created when the backup was taken');
    assert.equal(found.files, before.files);
    assert.equal(found.bytes, before.bytes);
    assert.equal(found.kind, before.kind);
    assert.deepEqual(found.machine, { ...lostMachine, current: false }, "the lost catalog's machine, from the archive's manifest: another machine here");
  }
  const docsImported = imported.filter((snapshot) => snapshot.scheduleName === 'Docs').sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  const docsOriginal = original.filter((snapshot) => snapshot.scheduleName === 'Docs').sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  assert.deepEqual(
    docsOriginal.map((snapshot) => snapshot.kind),
    ['full', 'incremental'],
  );
  assert.equal(docsImported[1]?.baseId, docsImported[0]?.id, 'the incremental is linked to its imported base');
  assert.ok(!imported.some((snapshot) => snapshot.archivePath === junk || snapshot.archivePath === future));
});

test('imported snapshots can be listed, verified and restored', () => {
  const imported = freshOk<SnapshotView[]>(['snapshots', '--machine', 'all']);
  const docsSnapshots = imported.filter((snapshot) => snapshot.scheduleName === 'Docs').sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  const photosSnapshot = imported.find((snapshot) => snapshot.scheduleName === 'Photos') as SnapshotView;
  const [first, second] = docsSnapshots as [SnapshotView, SnapshotView];

  assert.deepEqual(freshOk<Listing>(['ls', String(second.id)]).entries.map((entry) => entry.path), [docs]);
  assert.deepEqual(
    freshOk<Listing>(['ls', String(second.id), docs]).entries.map((entry) => entry.name).sort(),
    [...docsAtSecond.keys()].filter((rel) => !rel.includes('/')).sort(),
  );
  assert.deepEqual(freshOk<Listing>(['ls', String(photosSnapshot.id), photos]).entries.map((entry) => entry.name).sort(), ['2025', 'index.txt']);

  const verified = fresh(['verify', '--all', '--json']);
  assert.equal(verified.code, 0, describeResult(verified));
  const report = verified.json<VerifyReport>();
  assert.deepEqual(report.snapshots.map((snapshot) => snapshot.snapshotId).sort(), imported.map((snapshot) => snapshot.id).sort());
  assert.ok(report.snapshots.every((snapshot) => snapshot.ok), JSON.stringify(report));

  for (const [snapshot, source, expected] of [
    [second, docs, docsAtSecond],
    [first, docs, docsAtFirst],
    [photosSnapshot, photos, photosTree],
  ] as const) {
    targetCount += 1;
    const target = join(ws.root, `restored-${targetCount}`);
    const restored = fresh(['restore', String(snapshot.id), '--to', target, '--json']);
    assert.equal(restored.code, 0, describeResult(restored));
    const result = restored.json<RestoreReport>();
    assert.deepEqual(result.conflicts, []);
    assert.deepEqual(result.refused, []);
    const actual = describeTree(join(target, source.replace(/^\/+/, '')));
    assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `snapshot ${snapshot.id}: the same paths`);
    for (const [rel, want] of expected) assert.deepEqual(actual.get(rel), want, `snapshot ${snapshot.id}: ${rel}`);
  }
});

test('dormouse import re-scans: known archives are counted, junk and a newer format are skipped with a reason', () => {
  const report = freshOk<ImportReport>(['import', '--destination', 'found']);
  assert.equal(report.destination, 'found');
  assert.deepEqual(report.imported, []);
  assert.equal(report.alreadyKnown, 3);
  const skipped = new Map(report.skipped.map((item) => [item.archivePath, item.reason]));
  assert.deepEqual([...skipped.keys()].sort(), [future, junk].sort(), 'exactly the junk file and the newer-format archive (a .txt is not looked at)');
  assert.match(skipped.get(junk) ?? '', /not a Dormouse archive/);
  assert.match(skipped.get(future) ?? '', /format 99/);
  assert.match(skipped.get(future) ?? '', /newer/);
  assert.equal(freshOk<SnapshotView[]>(['snapshots', '--machine', 'all']).length, 3, 'nothing more in the catalog');
  const text = fresh(['import', '--destination', 'found']);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /skipped .*junk\.tar/);
});

test("a schedule of the same name (any case) does not adopt the lost catalog's snapshots: it is overdue, and its first backup is a full one in this machine's folder", () => {
  const schedule = freshOk<ScheduleView>(['schedule', 'add', '--name', 'docs', '--source', docs, '--destination', 'found', '--cron', '0 0 1 1 *']);
  assert.equal(schedule.lastSuccessAt, null, "another machine's backup is not this schedule's success");
  assert.equal(schedule.overdue, true);
  const imported = freshOk<SnapshotView[]>(['snapshots', '--machine', 'all']);
  assert.deepEqual(imported.map((snapshot) => snapshot.scheduleId), [null, null, null], 'none attached to the new schedule');
  assert.deepEqual(freshOk<SnapshotView[]>(['snapshots', '--schedule', 'Docs']), [], "this machine's snapshots of the schedule: none yet");
  const docsImported = imported.filter((snapshot) => snapshot.scheduleName === 'Docs');
  assert.deepEqual(
    freshOk<SnapshotView[]>(['snapshots', '--schedule', 'Docs', '--machine', 'all']).map((snapshot) => snapshot.id).sort(),
    docsImported.map((snapshot) => snapshot.id).sort(),
  );

  const job = freshOk<Job>(['run', 'docs']);
  assert.equal(job.status, 'succeeded', JSON.stringify(job));
  const [made] = freshOk<SnapshotView[]>(['snapshots', '--schedule', 'docs']);
  assert.equal(made?.kind, 'full', "never an incremental on another machine's archive");
  assert.equal(made?.baseId, null);
  assert.equal(made?.machine.current, true);
  assert.notEqual(dirname(dirname(made.archivePath)), dirname(dirname(docsImported[0]?.archivePath as string)), "in this machine's own folder");
});

test('an archive whose .sha256 sidecar was lost is imported with the SHA-256 read from the archive itself, and verifies', (t) => {
  const lost = workspace(t);
  writeFileSync(join(lost.src, 'letter.txt'), 'dear diary\n');
  lost.ok(['schedule', 'add', '--name', 'Letters', '--source', lost.src, '--destination', 'usb', '--cron', '0 0 1 1 *']);
  const job = lost.ok<Job>(['run', 'Letters']);
  assert.equal(job.status, 'succeeded');
  unlinkSync(`${job.archivePath as string}.sha256`);
  const dataDir = join(lost.root, 'rebuilt');
  const add = dormouse(['--data-dir', dataDir, 'destination', 'add', '--name', 'found', '--path', lost.dest, '--json']);
  assert.equal(add.code, 0, describeResult(add));
  assert.equal(add.json<{ importedSnapshots: number }>().importedSnapshots, 1);
  const [snapshot] = dormouse(['--data-dir', dataDir, 'snapshots', '--machine', 'all', '--json']).json<SnapshotView[]>();
  assert.equal(snapshot?.sha256, job.sha256, 'the same SHA-256 the backup computed while writing');
  assert.equal(snapshot?.sha256, sha256File(job.archivePath as string));
  const verify = dormouse(['--data-dir', dataDir, 'verify', '--all', '--json']);
  assert.equal(verify.code, 0, describeResult(verify));
});
