import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeResult, dormouse, temporaryFolder, type CliResult } from '../helpers/cli';
import { describeTree, sha256File, xxh128File } from '../helpers/trees';
import { entryBlocks, flipByte, readLayout, restoreTemporaries, tarStream } from './restore-kit';

/**
 * Format 4 records each file's XXH3-128, computed by the native addon; where the addon is missing
 * (DORMOUSE_NATIVE_FS=off stands in for Windows or a build without a C compiler) a backup records
 * SHA-256 as format 3 did, and a restore or verify checks XXH3-128 with hash-wasm's WebAssembly. A
 * chain may hold both: a full made without the addon under an incremental made with it. Every way
 * round, each file is checked against what its own entry records, and a flipped byte is caught.
 */

type Snapshot = { id: number; kind: string; archivePath: string };
type Report = { files: number; damaged: string[]; refused: string[] };

function chain(t: Parameters<typeof temporaryFolder>[0], compression: 'none' | 'gzip') {
  const root = temporaryFolder(t, 'dormouse-content-hash-');
  const source = join(root, 'home');
  mkdirSync(join(source, 'docs'), { recursive: true });
  mkdirSync(join(root, 'drive'));
  // 3 MiB: read, hashed and restored in more than one piece.
  writeFileSync(join(source, 'docs', 'video.bin'), randomBytes(3 * 1024 * 1024));
  writeFileSync(join(source, 'docs', 'note.txt'), 'kept as it was\n');
  writeFileSync(join(source, 'todo.txt'), 'before\n');
  const cli = (args: string[], addon: 'on' | 'off'): CliResult => dormouse(['--data-dir', join(root, 'data'), ...args, '--json'], { env: { DORMOUSE_NATIVE_FS: addon } });
  const ok = <T>(args: string[], addon: 'on' | 'off'): T => {
    const result = cli(args, addon);
    assert.equal(result.code, 0, `dormouse ${args.join(' ')}: ${describeResult(result)}`);
    return result.json<T>();
  };
  ok(['destination', 'add', '--name', 'drive', '--path', join(root, 'drive')], 'on');
  ok(['schedule', 'add', '--name', 'Home', '--source', source, '--destination', 'drive', '--cron', '0 3 * * *', '--compression', compression], 'on');
  assert.equal(ok<{ status: string }>(['run', 'Home'], 'off').status, 'succeeded');
  writeFileSync(join(source, 'todo.txt'), 'after, and longer\n');
  utimesSync(join(source, 'todo.txt'), new Date('2025-01-02T03:04:05Z'), new Date('2025-01-02T03:04:05Z'));
  assert.equal(ok<{ status: string }>(['run', 'Home'], 'on').status, 'succeeded');
  const snapshots = ok<Snapshot[]>(['snapshots'], 'on');
  const full = snapshots.find((snapshot) => snapshot.kind === 'full') as Snapshot;
  const incremental = snapshots.find((snapshot) => snapshot.kind === 'incremental') as Snapshot;
  const entryOf = (snapshot: Snapshot, rel: string) => readLayout(snapshot.archivePath).manifest.entries.find((entry) => entry.path === `${source.slice(1)}/${rel}`);
  return { root, source, cli, ok, full, incremental, entryOf };
}

for (const compression of ['none', 'gzip'] as const) {
  test(`a full without the addon records SHA-256, an incremental with it XXH3-128, and the chain restores whole with the addon and without it (${compression})`, (t) => {
    const { root, source, ok, full, incremental, entryOf } = chain(t, compression);
    const video = entryOf(full, 'docs/video.bin');
    assert.equal(video?.sha256, sha256File(join(source, 'docs', 'video.bin')), 'made without the addon: the SHA-256 sha256sum gives');
    assert.equal(video?.xxh128, undefined);
    assert.equal(readLayout(full.archivePath).manifest.format, 4);
    const todo = entryOf(incremental, 'todo.txt');
    assert.equal(todo?.xxh128, xxh128File(join(source, 'todo.txt')), 'made with the addon: the XXH3-128 xxh128sum gives');
    assert.equal(todo?.sha256, undefined);

    for (const addon of ['on', 'off'] as const) {
      const target = join(root, `back-${addon}`);
      const report = ok<Report>(['restore', String(incremental.id), '--to', target], addon);
      assert.deepEqual([report.files, report.damaged, report.refused], [3, [], []], `restored with the addon ${addon}`);
      assert.deepEqual(describeTree(join(target, source.slice(1))), describeTree(source), `the tree as it is, with the addon ${addon}`);
      const again = ok<{ unchanged: number; conflicts: string[] }>(['restore', String(incremental.id), '--to', target], addon);
      assert.deepEqual([again.unchanged, again.conflicts], [3, []], `restored over itself with the addon ${addon}: each file found as in the snapshot by its own hash`);
    }
  });
}

test('a flipped byte under either hash is caught with the addon and without it: restore lists the file as damaged, verify names it with its hash', (t) => {
  const { root, source, cli, full, incremental, entryOf } = chain(t, 'none');
  const video = entryOf(full, 'docs/video.bin');
  const todo = entryOf(incremental, 'todo.txt');
  assert.ok(video && todo);
  flipByte(full.archivePath, entryBlocks(tarStream(full.archivePath), video.offset).content + 2_000_000);
  flipByte(incremental.archivePath, entryBlocks(tarStream(incremental.archivePath), todo.offset).content + 3);
  const damaged = [`${source}/docs/video.bin`, `${source}/todo.txt`];

  for (const addon of ['on', 'off'] as const) {
    const target = join(root, `back-${addon}`);
    const restored = cli(['restore', String(incremental.id), '--to', target], addon);
    assert.equal(restored.code, 1, describeResult(restored));
    const report = restored.json<Report>();
    assert.deepEqual([...report.damaged].sort(), damaged, `with the addon ${addon}`);
    assert.equal(report.files, 1, 'the one intact file is restored');
    assert.ok(!existsSync(join(target, source.slice(1), 'todo.txt')) && !existsSync(join(target, source.slice(1), 'docs', 'video.bin')), 'nothing under a damaged name');
    assert.deepEqual(restoreTemporaries(target), [], 'no temporary left');

    const verified = cli(['verify', String(incremental.id)], addon);
    assert.equal(verified.code, 1, describeResult(verified));
    const problems = verified.json<{ snapshots: { problems: string[] }[] }>().snapshots.flatMap((snapshot) => snapshot.problems);
    assert.ok(problems.includes(`${source.slice(1)}/docs/video.bin: its content does not match the SHA-256 recorded at backup time (damaged)`), JSON.stringify(problems));
    assert.ok(problems.includes(`${source.slice(1)}/todo.txt: its content does not match the XXH3-128 recorded at backup time (damaged)`), JSON.stringify(problems));
  }
});
