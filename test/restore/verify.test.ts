import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeResult, sha256File, workspace, type Job, type Snapshot, type Workspace } from '../helpers/trees';
import { assembleArchive, buildRichTree, entryBlocks, flipByte, readLayout, tarStream, updateSnapshotRow, type ManifestEntry, type VerifyReport } from './restore-kit';

/**
 * `dormouse verify SNAPSHOT_ID | --all`: re-reads archives in a worker process and exits 1 with a
 * report that says what is wrong when an archive is truncated, has a flipped byte in a file's
 * content or in a header, lacks an entry its manifest lists, or is a gzip archive with a damaged member.
 */

const cleanups: (() => void)[] = [];
const scope = { after: (fn: () => void) => cleanups.push(fn) };
after(() => cleanups.reverse().forEach((fn) => fn()));

let ws: Workspace;
let tree: string;
let treeName: string;
let scheduleCount = 0;

before(() => {
  ws = workspace(scope);
  tree = join(ws.src, 'home');
  buildRichTree(tree, join(ws.root, 'outside'));
  // Incompressible content: a gzip archive of several 1 MiB members.
  writeFileSync(join(tree, 'docs', 'random.bin'), randomBytes(3 * 1024 * 1024 + 12345));
  treeName = tree.replace(/^\/+/, '');
});

/** A fresh schedule's first backup: a full archive of the tree. */
function fullBackup(compression: 'none' | 'gzip', workspaceToUse: Workspace = ws): Snapshot {
  scheduleCount += 1;
  const name = `S${scheduleCount}-${compression}`;
  workspaceToUse.addSchedule(name, ['--compression', compression], [tree]);
  const result = workspaceToUse.cli(['run', name, '--json']);
  assert.equal(result.code, 0, describeResult(result));
  const job = result.json<Job>();
  assert.equal(job.status, 'succeeded', describeResult(result));
  const snapshot = workspaceToUse.ok<Snapshot[]>(['snapshots', '--schedule', name]).find((candidate) => candidate.jobId === job.id);
  assert.ok(snapshot);
  return snapshot;
}

function verify(snapshotId: number, workspaceToUse: Workspace = ws): { code: number; report: VerifyReport; text: string; stderr: string } {
  const result = workspaceToUse.cli(['verify', String(snapshotId), '--json']);
  assert.ok(result.code === 0 || result.code === 1, describeResult(result));
  const text = workspaceToUse.cli(['verify', String(snapshotId)]);
  assert.equal(text.code, result.code, 'the same exit code with and without --json');
  return { code: result.code, report: result.json<VerifyReport>(), text: text.stdout, stderr: result.stderr };
}

/** Exit 1, the snapshot reported damaged, its problems listed (also in the text output); returns the problems. */
function assertDamaged(snapshot: Snapshot): string[] {
  const { code, report, text } = verify(snapshot.id);
  assert.equal(code, 1, `verify exits 1: ${JSON.stringify(report)}`);
  assert.equal(report.ok, false);
  const mine = report.snapshots.find((candidate) => candidate.snapshotId === snapshot.id);
  assert.ok(mine, JSON.stringify(report));
  assert.equal(mine.ok, false);
  assert.equal(mine.archivePath, snapshot.archivePath);
  assert.ok(mine.problems.length > 0, 'the problems are listed');
  assert.match(text, new RegExp(`Snapshot ${snapshot.id}: DAMAGED`), `the text report says so: ${text}`);
  for (const problem of mine.problems) assert.ok(text.includes(problem), `the text report lists "${problem}"`);
  return mine.problems;
}

function entryOf(archivePath: string, rel: string): ManifestEntry {
  const entry = readLayout(archivePath).manifest.entries.find((candidate) => candidate.path === `${treeName}/${rel}`);
  assert.ok(entry, `${rel} is in the manifest`);
  return entry;
}

for (const compression of ['none', 'gzip'] as const) {
  test(`a good ${compression === 'none' ? 'uncompressed' : 'gzip'} archive verifies: exit 0, ok, no problems`, () => {
    const snapshot = fullBackup(compression);
    const { code, report, text } = verify(snapshot.id);
    assert.equal(code, 0, JSON.stringify(report));
    assert.deepEqual(report, { ok: true, snapshots: [{ snapshotId: snapshot.id, archivePath: snapshot.archivePath, ok: true, problems: [], damaged: [], contentsChecked: true }] });
    assert.match(text, new RegExp(`Snapshot ${snapshot.id}: OK`));
  });

  test(`a truncated ${compression === 'none' ? 'uncompressed' : 'gzip'} archive fails verify, saying it is truncated`, () => {
    const snapshot = fullBackup(compression);
    const size = statSync(snapshot.archivePath).size;
    truncateSync(snapshot.archivePath, Math.floor(size * 0.6));
    const problems = assertDamaged(snapshot);
    assert.ok(problems.some((problem) => /truncated/i.test(problem)), `a problem says "truncated": ${JSON.stringify(problems)}`);
    assert.ok(problems.some((problem) => /SHA-256/.test(problem)), `the SHA-256 differs: ${JSON.stringify(problems)}`);
  });
}

test('a flipped byte inside a file\'s content fails verify: the SHA-256 differs from the one recorded', () => {
  const snapshot = fullBackup('none');
  const entry = entryOf(snapshot.archivePath, 'docs/report.txt');
  const { content } = entryBlocks(tarStream(snapshot.archivePath), entry.offset);
  flipByte(snapshot.archivePath, content + 100);
  const problems = assertDamaged(snapshot);
  assert.ok(
    problems.some((problem) => problem.includes('SHA-256') && problem.includes(snapshot.sha256) && problem.includes(sha256File(snapshot.archivePath))),
    `the report names the SHA-256 found and the one recorded: ${JSON.stringify(problems)}`,
  );
});

test('a flipped byte in a tar header fails verify, naming where the damaged header is', () => {
  const snapshot = fullBackup('none');
  const entry = entryOf(snapshot.archivePath, 'docs/script.sh');
  const { header } = entryBlocks(tarStream(snapshot.archivePath), entry.offset);
  flipByte(snapshot.archivePath, header + 10); // inside the name field: the header's checksum no longer matches
  const problems = assertDamaged(snapshot);
  assert.ok(problems.some((problem) => problem.includes(String(header)) && /header/i.test(problem)), `a problem names the damaged header at byte ${header}: ${JSON.stringify(problems)}`);
});

test('an archive rewritten without one of its entries (same manifest) fails verify, naming the missing entry', () => {
  const snapshot = fullBackup('none');
  const { trailer, manifest } = readLayout(snapshot.archivePath);
  const tar = readFileSync(snapshot.archivePath);
  // The last entry before the manifest: dropping it moves no other entry.
  const last = [...manifest.entries].sort((a, b) => b.offset - a.offset)[0] as ManifestEntry;
  const body = tar.subarray(0, last.offset);
  const rewritten = assembleArchive(body, manifest.entries, { id: manifest.snapshot.id, scheduleName: manifest.snapshot.scheduleName, createdAt: manifest.snapshot.createdAt, sources: manifest.snapshot.sources });
  assert.ok(trailer.manifestOffset > last.offset);
  writeFileSync(snapshot.archivePath, rewritten);
  // Record the new file's SHA-256, so that only the missing entry can give it away.
  updateSnapshotRow(ws.catalog, snapshot.id, { sha256: sha256File(snapshot.archivePath) });
  const problems = assertDamaged(snapshot);
  assert.deepEqual(problems, [`${last.path}: in the manifest but missing from the archive`]);
});

test('a manifest out of step with the tar (an entry it lists that the tar lacks, one the tar has that it does not list) fails verify', () => {
  const snapshot = fullBackup('none');
  const { trailer, manifest } = readLayout(snapshot.archivePath);
  const tar = readFileSync(snapshot.archivePath);
  const dropped = manifest.entries.find((entry) => entry.path === `${treeName}/docs/secret.key`) as ManifestEntry;
  const ghost: ManifestEntry = { ...dropped, path: `${treeName}/docs/ghost.txt` };
  const entries = [...manifest.entries.filter((entry) => entry !== dropped), ghost];
  const rewritten = assembleArchive(tar.subarray(0, trailer.manifestOffset), entries, { id: manifest.snapshot.id, scheduleName: manifest.snapshot.scheduleName, createdAt: manifest.snapshot.createdAt, sources: manifest.snapshot.sources });
  writeFileSync(snapshot.archivePath, rewritten);
  updateSnapshotRow(ws.catalog, snapshot.id, { sha256: sha256File(snapshot.archivePath) });
  const problems = assertDamaged(snapshot);
  assert.ok(problems.includes(`${ghost.path}: in the manifest but missing from the archive`), JSON.stringify(problems));
  assert.ok(problems.includes(`${dropped.path}: in the archive but not in its manifest`), JSON.stringify(problems));
});

test('a gzip archive with a corrupt member fails verify: the member cannot be read, and the SHA-256 differs', () => {
  const snapshot = fullBackup('gzip');
  const { manifest } = readLayout(snapshot.archivePath);
  const members = manifest.gzipMembers ?? [];
  assert.ok(members.length >= 3, `several gzip members (${members.length})`);
  const second = members[1] as { compressedOffset: number };
  const third = members[2] as { compressedOffset: number };
  // Damage the middle of the second member's compressed data.
  for (let index = 0; index < 16; index += 1) flipByte(snapshot.archivePath, Math.floor((second.compressedOffset + third.compressedOffset) / 2) + index);
  const problems = assertDamaged(snapshot);
  assert.ok(problems.some((problem) => /SHA-256/.test(problem)), JSON.stringify(problems));
  assert.ok(
    problems.some((problem) => !/SHA-256/.test(problem) && /cannot be read|damaged|truncated|invalid|incorrect|check/i.test(problem)),
    `besides the SHA-256, reading the archive finds the damage: ${JSON.stringify(problems)}`,
  );
});

test('verifying an incremental snapshot checks the archives it depends on too: a damaged full fails it', () => {
  scheduleCount += 1;
  const name = `Chain${scheduleCount}`;
  const source = join(ws.root, `chain-${scheduleCount}`);
  buildRichTree(source, join(ws.root, `chain-outside-${scheduleCount}`));
  ws.addSchedule(name, [], [source]);
  const runOnce = (): Snapshot & { kind?: string } => {
    const result = ws.cli(['run', name, '--json']);
    assert.equal(result.code, 0, describeResult(result));
    const job = result.json<Job>();
    return ws.ok<(Snapshot & { kind?: string })[]>(['snapshots', '--schedule', name]).find((candidate) => candidate.jobId === job.id) as Snapshot & { kind?: string };
  };
  const full = runOnce();
  writeFileSync(join(source, 'docs', 'nested', 'deep', 'note.txt'), 'changed for the incremental\n');
  const incremental = runOnce();
  assert.equal(incremental.kind, 'incremental');
  const good = verify(incremental.id);
  assert.equal(good.code, 0, JSON.stringify(good.report));
  assert.deepEqual(good.report.snapshots.map((snapshot) => snapshot.snapshotId).sort((a, b) => a - b), [full.id, incremental.id], 'the incremental and the full it is built on');
  // Damage a file the incremental takes from the full (unchanged since then).
  const entry = readLayout(full.archivePath).manifest.entries.find((candidate) => candidate.path.endsWith('/docs/report.txt')) as ManifestEntry;
  flipByte(full.archivePath, entryBlocks(tarStream(full.archivePath), entry.offset).content + 10);
  const damaged = verify(incremental.id);
  assert.equal(damaged.code, 1, JSON.stringify(damaged.report));
  assert.equal(damaged.report.snapshots.find((snapshot) => snapshot.snapshotId === full.id)?.ok, false, 'the damaged full is reported');
  assert.ok((damaged.report.snapshots.find((snapshot) => snapshot.snapshotId === full.id)?.problems ?? []).some((problem) => /SHA-256/.test(problem)));
});

test('verify --all checks every snapshot and exits 1 when any one is damaged', () => {
  const own = workspace(scope);
  const good = fullBackup('none', own);
  const goodZipped = fullBackup('gzip', own);
  const damaged = fullBackup('none', own);
  const allGood = own.cli(['verify', '--all', '--json']);
  assert.equal(allGood.code, 0, describeResult(allGood));
  assert.equal(allGood.json<VerifyReport>().snapshots.length, 3);
  truncateSync(damaged.archivePath, statSync(damaged.archivePath).size - 4096);
  const result = own.cli(['verify', '--all', '--json']);
  assert.equal(result.code, 1, describeResult(result));
  const report = result.json<VerifyReport>();
  assert.equal(report.ok, false);
  const byId = new Map(report.snapshots.map((snapshot) => [snapshot.snapshotId, snapshot]));
  assert.deepEqual([...byId.keys()].sort((a, b) => a - b), [good.id, goodZipped.id, damaged.id].sort((a, b) => a - b), 'every snapshot is checked');
  assert.equal(byId.get(good.id)?.ok, true);
  assert.equal(byId.get(goodZipped.id)?.ok, true);
  assert.equal(byId.get(damaged.id)?.ok, false);
  assert.ok((byId.get(damaged.id)?.problems.length ?? 0) > 0);
});

test('verify with neither a snapshot id nor --all, with both, or with an unknown id exits 2', () => {
  const snapshotId = String(ws.ok<Snapshot[]>(['snapshots'])[0]?.id ?? 1);
  for (const args of [['verify'], ['verify', snapshotId, '--all'], ['verify', '987654']]) {
    const result = ws.cli([...args, '--json']);
    assert.equal(result.code, 2, `${args.join(' ')}: ${describeResult(result)}`);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^error: .+\n$/);
  }
});
