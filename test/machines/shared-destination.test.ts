import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { temporaryFolder } from '../helpers/cli';
import { describeResult } from '../helpers/trees';
import { manifestOf, setSettings, type ImportReport, type PruneReport, type RestoreReport, type VerifyReport } from '../incremental/incremental-kit';
import { archivesOnDestination, contents, laptop, restoredContents, type Laptop, type Snapshot } from './machines-kit';

/**
 * Two laptops back up to one NAS folder, each with a schedule named "Home" (the same hostname here,
 * as two laptops both called "laptop" would have): each writes under its own machine folder, each
 * chain is its own, one laptop imports the other's archives as another machine's (listed apart,
 * restorable, never pruned, never a base), and retention on one never removes the other's archives.
 */

const cleanups: (() => void)[] = [];
const scope = { after: (fn: () => void) => cleanups.push(fn) };
after(() => cleanups.reverse().forEach((fn) => fn()));

let root: string;
let nas: string;
let a: Laptop;
let b: Laptop;
let homeA: string;
let homeB: string;
let workA: string;
/** What each laptop's Home held at each of its backups. */
const treesA: Map<string, string>[] = [];
const treesB: Map<string, string>[] = [];
/** Each laptop's own snapshots, oldest first, as its `run` made them. */
const madeA: Snapshot[] = [];
const madeB: Snapshot[] = [];

function change(folder: string, file: string, content: string): void {
  writeFileSync(join(folder, file), content);
}

before(() => {
  root = temporaryFolder(scope, 'dormouse-machines-');
  nas = join(root, 'nas');
  homeA = join(root, 'a-home');
  homeB = join(root, 'b-home');
  workA = join(root, 'a-work');
  for (const folder of [nas, homeA, homeB, workA]) mkdirSync(folder);
  change(homeA, 'letter.txt', 'from laptop A\n');
  change(homeB, 'notes.txt', 'from laptop B\n');
  change(workA, 'plan.txt', "A's work\n");
  a = laptop(root, 'a');
  b = laptop(root, 'b');
  a.ok(['destination', 'add', '--name', 'nas', '--path', nas]);
  a.ok(['schedule', 'add', '--name', 'Home', '--source', homeA, '--destination', 'nas', '--cron', '0 3 * * *', '--keep-last', '1']);
  a.ok(['schedule', 'add', '--name', 'Work', '--source', workA, '--destination', 'nas', '--cron', '0 4 * * *']);
  // One incremental per full: the third backup of each laptop starts a new chain, so retention has something to delete.
  setSettings(a.catalog, { incrementalsPerFull: 1 });
  madeA.push(a.backup('Home').snapshot);
  treesA.push(contents(homeA));
  a.backup('Work');
});

test("each catalog has its own machine id, and each archive's manifest says whose it is", () => {
  assert.match(a.machineId(), /^[0-9a-f]{32}$/);
  const [first] = madeA as [Snapshot];
  assert.deepEqual(first.machine, { id: a.machineId(), name: first.machine.name, current: true });
  assert.deepEqual(manifestOf(first.archivePath).snapshot.machine, { id: a.machineId(), name: hostname() }, 'the id from the catalog and the hostname');
  assert.ok(first.machine.name.endsWith(`-${a.machineId().slice(0, 8)}`), first.machine.name);
  assert.equal(dirname(first.archivePath), join(nas, 'Dormouse', first.machine.name, 'Home'), "Dormouse/<machine>/<schedule>");
  assert.match(basename(first.archivePath), /^\d{8}T\d{6}Z-full-[0-9a-f]{8}\.tar$/);
});

test("the second laptop's destination add imports the first one's snapshots as another machine's, listed apart", () => {
  const added = b.ok<{ importedSnapshots: number }>(['destination', 'add', '--name', 'nas', '--path', nas]);
  assert.equal(added.importedSnapshots, 2, "A's Home and Work");
  assert.notEqual(b.machineId(), a.machineId(), 'a new catalog is a new machine');
  assert.deepEqual(b.ok<Snapshot[]>(['snapshots']), [], "by default only this machine's, and B has made none");
  const all = b.ok<Snapshot[]>(['snapshots', '--machine', 'all']);
  assert.deepEqual(all.map((snapshot) => snapshot.archivePath).sort(), archivesOnDestination(nas).map((path) => join(nas, 'Dormouse', path)));
  for (const snapshot of all) {
    assert.deepEqual(snapshot.machine, { ...(madeA[0] as Snapshot).machine, current: false }, "A's machine, not this one");
    assert.equal(snapshot.scheduleId, null, "never attached to a schedule here");
  }
  b.ok(['schedule', 'add', '--name', 'Home', '--source', homeB, '--destination', 'nas', '--cron', '0 3 * * *', '--keep-last', '1']);
  setSettings(b.catalog, { incrementalsPerFull: 1 });
  const schedule = b.ok<{ name: string; lastSuccessAt: string | null; overdue: boolean }[]>(['schedule', 'list']).find((candidate) => candidate.name === 'Home');
  assert.equal(schedule?.lastSuccessAt, null, "A's backup is not B's last success");
  assert.equal(schedule?.overdue, true);
});

test("the other machine's snapshot restores and verifies on this laptop", () => {
  const [fromA] = b.ok<Snapshot[]>(['snapshots', '--machine', 'all', '--schedule', 'Home']);
  assert.ok(fromA);
  const target = join(root, 'b-restores-a');
  const report = b.ok<RestoreReport>(['restore', String(fromA.id), '--to', target]);
  assert.deepEqual([report.conflicts, report.refused], [[], []]);
  assert.deepEqual(restoredContents(target, homeA), treesA[0], "A's Home as A backed it up");
  const verified = b.ok<VerifyReport>(['verify', String(fromA.id)]);
  assert.equal(verified.ok, true, JSON.stringify(verified));
});

test("each laptop's first backup is a full one in its own folder, then incrementals on its own chain", () => {
  const first = b.backup('Home').snapshot;
  treesB.push(contents(homeB));
  madeB.push(first);
  assert.equal(first.kind, 'full', "never an incremental on A's full archive");
  assert.equal(first.baseId, null);
  assert.deepEqual(first.machine, { id: b.machineId(), name: first.machine.name, current: true });
  assert.notEqual(first.machine.name, (madeA[0] as Snapshot).machine.name);
  assert.equal(dirname(first.archivePath), join(nas, 'Dormouse', first.machine.name, 'Home'));
  assert.equal(manifestOf(first.archivePath).snapshot.baseId, null);

  change(homeB, 'notes.txt', 'from laptop B, edited\n');
  const second = b.backup('Home').snapshot;
  treesB.push(contents(homeB));
  madeB.push(second);
  assert.deepEqual([second.kind, second.baseId], ['incremental', first.id], "on B's own full");

  change(homeA, 'letter.txt', 'from laptop A, edited\n');
  const secondA = a.backup('Home').snapshot;
  treesA.push(contents(homeA));
  madeA.push(secondA);
  assert.deepEqual([secondA.kind, secondA.baseId], ['incremental', (madeA[0] as Snapshot).id], "on A's own full");
  assert.equal(manifestOf(secondA.archivePath).snapshot.baseId, manifestOf((madeA[0] as Snapshot).archivePath).snapshot.id);
});

test("the first laptop's import finds the second one's chain: another machine's, linked, restorable", () => {
  const report = a.ok<ImportReport>(['import', '--destination', 'nas']);
  assert.deepEqual(report.imported.map((item) => item.archivePath).sort(), madeB.map((snapshot) => snapshot.archivePath).sort());
  assert.ok(report.imported.every((item) => item.machine.id === b.machineId() && !item.machine.current), JSON.stringify(report.imported));
  assert.equal(report.alreadyKnown, 3, "A's own three archives");
  const fromB = a.ok<Snapshot[]>(['snapshots', '--machine', (madeB[0] as Snapshot).machine.name]);
  assert.deepEqual(fromB.map((snapshot) => snapshot.kind), ['incremental', 'full']);
  assert.equal(fromB[0]?.baseId, fromB[1]?.id, "B's incremental linked to B's full");
  const target = join(root, 'a-restores-b');
  a.ok<RestoreReport>(['restore', String(fromB[0]?.id), '--to', target]);
  assert.deepEqual(restoredContents(target, homeB), treesB[1], "B's newest Home, read through B's chain");
});

test("importing the other laptop's newer snapshot into a laptop that has the schedule leaves it unattached: not this schedule's last success", () => {
  const report = b.ok<ImportReport>(['import', '--destination', 'nas']);
  assert.deepEqual(report.imported.map((item) => item.archivePath), [(madeA[1] as Snapshot).archivePath], "A's second Home, newer than anything of B's");
  const fromA = b.ok<Snapshot[]>(['snapshots', '--machine', (madeA[0] as Snapshot).machine.name, '--schedule', 'Home']);
  assert.deepEqual(fromA.map((snapshot) => [snapshot.kind, snapshot.scheduleId]), [['incremental', null], ['full', null]], "A's chain, linked, attached to no schedule of B's");
  assert.equal(fromA[0]?.baseId, fromA[1]?.id);
  const home = b.ok<{ name: string; lastSuccessAt: string | null }[]>(['schedule', 'list']).find((schedule) => schedule.name === 'Home');
  assert.equal(Date.parse(home?.lastSuccessAt ?? ''), Date.parse((madeB[1] as Snapshot).createdAt), "B's own newest backup, not A's newer one");
});

test('snapshots --machine all lists both machines; a machine is named by its name, its short id, or its hostname when that is not ambiguous', () => {
  const all = a.ok<Snapshot[]>(['snapshots', '--machine', 'all']);
  const machines = new Map(all.map((snapshot) => [snapshot.machine.id, snapshot.machine]));
  assert.deepEqual([...machines.keys()].sort(), [a.machineId(), b.machineId()].sort());
  assert.equal(machines.get(a.machineId())?.current, true);
  assert.equal(machines.get(b.machineId())?.current, false);
  assert.deepEqual(
    a.ok<Snapshot[]>(['snapshots', '--machine', b.machineId().slice(0, 8)]).map((snapshot) => snapshot.id),
    all.filter((snapshot) => snapshot.machine.id === b.machineId()).map((snapshot) => snapshot.id),
  );
  assert.deepEqual(
    a.ok<Snapshot[]>(['snapshots']).map((snapshot) => snapshot.id),
    all.filter((snapshot) => snapshot.machine.current).map((snapshot) => snapshot.id),
    'the default is this machine',
  );
  const ambiguous = a.cli(['snapshots', '--machine', hostname(), '--json']);
  assert.equal(ambiguous.code, 2, describeResult(ambiguous));
  assert.match(ambiguous.stderr, /^error: .*more than one machine/);
  for (const machine of machines.values()) assert.ok(ambiguous.stderr.includes(machine.name), `names ${machine.name}: ${ambiguous.stderr}`);
  const unknown = a.cli(['snapshots', '--machine', 'nobody']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^error: no machine named "nobody"; known: .*all/);
  const text = a.cli(['snapshots', '--machine', 'all']);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /MACHINE/);
  assert.ok(text.stdout.includes(`${machines.get(a.machineId())?.name} (this one)`), text.stdout);
});

test('snapshots --schedule finds the snapshots of a schedule this laptop does not have; an unknown name is still refused', () => {
  const work = b.ok<Snapshot[]>(['snapshots', '--schedule', 'work']);
  assert.equal(work.length, 1);
  assert.equal(work[0]?.scheduleName, 'Work');
  assert.equal(work[0]?.machine.id, a.machineId());
  const missing = b.cli(['snapshots', '--schedule', 'Holidays']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^error: no schedule named "Holidays"; known: Home;/);
});

test("retention on one laptop deletes its own old chain and never the other's archives", () => {
  const before = archivesOnDestination(nas);
  // B's newest is an incremental: its full is its base, so a prune keeps both; A's archives are not B's to judge.
  const dry = b.ok<PruneReport[]>(['prune', '--dry-run']);
  assert.deepEqual(dry.flatMap((report) => report.deleted), []);
  assert.deepEqual(dry.flatMap((report) => report.kept.map((kept) => kept.snapshotId)).sort(), madeB.map((snapshot) => snapshot.id).sort(), "only B's own snapshots are judged");

  // A's third backup starts a new chain; keep-last 1 then deletes A's first chain, and only that.
  change(homeA, 'letter.txt', 'from laptop A, third\n');
  const thirdA = a.backup('Home').snapshot;
  assert.equal(thirdA.kind, 'full');
  const afterA = archivesOnDestination(nas);
  const goneA = before.filter((path) => !afterA.includes(path));
  assert.deepEqual(goneA.map((path) => join(nas, 'Dormouse', path)).sort(), madeA.map((snapshot) => snapshot.archivePath).sort(), "A's own first chain, nothing else");
  for (const snapshot of madeB) assert.ok(existsSync(snapshot.archivePath), `B's ${snapshot.archivePath} is still there`);
  assert.deepEqual(a.ok<PruneReport[]>(['prune']).flatMap((report) => report.deleted), [], 'a prune on A has nothing more to delete: B is never its to prune');

  // B's third backup does the same on B's side.
  change(homeB, 'notes.txt', 'from laptop B, third\n');
  const thirdB = b.backup('Home').snapshot;
  assert.equal(thirdB.kind, 'full');
  for (const snapshot of madeB) assert.ok(!existsSync(snapshot.archivePath), `B's old ${snapshot.archivePath} was pruned`);
  assert.ok(existsSync(thirdA.archivePath), "A's newest is untouched by B's retention");
  assert.ok(existsSync(a.ok<Snapshot[]>(['snapshots', '--schedule', 'Work'])[0]?.archivePath as string), "A's Work is untouched");
  const remaining = archivesOnDestination(nas).map((path) => join(nas, 'Dormouse', path)).sort();
  assert.deepEqual(remaining, [thirdA.archivePath, thirdB.archivePath, a.ok<Snapshot[]>(['snapshots', '--schedule', 'Work'])[0]?.archivePath as string].sort());
});
