// A restore over a tree that is there already: hardlinks. Another name of a file that is as in the
// snapshot is unchanged; once that file was edited (every name of it shows the edit), the file is a
// conflict and its other name is not restored either, never "unchanged" for sharing its inode. A
// sparse file restored before is unchanged too; one byte changed in its data, or written into a hole,
// makes it a conflict. So does a file with the same bytes whose mode or time was changed since.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, closeSync, linkSync, openSync, statSync, unlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { expectOk } from '../helpers/cli';
import { workspace } from '../helpers/trees';

interface Report {
  files: number;
  conflicts: string[];
  unchanged: number;
  refused: string[];
}

for (const compression of ['none', 'gzip'] as const) {
  test(`hardlinked names over an existing tree (compression ${compression}): unchanged while the file is as in the snapshot; once it was edited, a conflict, and its other name not restored`, (t) => {
    const ws = workspace(t);
    const documents = ws.src;
    writeFileSync(join(documents, 'a-original.txt'), 'shared content\n');
    linkSync(join(documents, 'a-original.txt'), join(documents, 'b-second-name.txt'));
    writeFileSync(join(documents, 'c-alone.txt'), 'alone\n');
    ws.addSchedule('Documents', ['--compression', compression]);
    const cli = (args: string[]) => ws.cli([...args, '--json']);
    expectOk(cli(['run', 'Documents']));
    const target = join(ws.root, 'back');
    expectOk(cli(['restore', '1', '--to', target]));
    const restored = join(target, documents);
    assert.equal(statSync(join(restored, 'a-original.txt')).ino, statSync(join(restored, 'b-second-name.txt')).ino, 'restored as links');

    const same = cli(['restore', '1', '--to', target]);
    assert.equal(same.code, 0, same.stderr);
    assert.deepEqual(same.json<Report>(), { ...same.json<Report>(), files: 0, conflicts: [], unchanged: 3 });

    // A name gone since: linked again to the file that is there as in the snapshot.
    unlinkSync(join(restored, 'b-second-name.txt'));
    const relinked = cli(['restore', '1', '--to', target]);
    assert.equal(relinked.code, 0, relinked.stderr);
    assert.deepEqual([relinked.json<Report>().conflicts, relinked.json<Report>().unchanged], [[], 2]);
    assert.equal(statSync(join(restored, 'b-second-name.txt')).ino, statSync(join(restored, 'a-original.txt')).ino);

    writeFileSync(join(restored, 'a-original.txt'), 'edited through one name\n');
    const edited = cli(['restore', '1', '--to', target]);
    assert.equal(edited.code, 1, edited.stderr);
    const report = edited.json<Report>();
    assert.deepEqual([report.files, report.conflicts, report.unchanged], [0, [`${documents}/a-original.txt`], 1]);
    assert.deepEqual(report.refused, [`${documents}/b-second-name.txt: not restored, the file it is another name of (${documents}/a-original.txt) was not restored`]);
  });
}

test('a sparse file over its earlier restore is unchanged; a byte changed in its data or written into a hole makes it a conflict', (t) => {
  const ws = workspace(t);
  const image = join(ws.src, 'disk.img');
  const fd = openSync(image, 'w');
  writeSync(fd, Buffer.alloc(16 * 1024, 7), 0, 16 * 1024, 8 * 1024 * 1024);
  writeSync(fd, Buffer.alloc(1, 1), 0, 1, 64 * 1024 * 1024 - 1);
  closeSync(fd);
  ws.addSchedule('Documents');
  const cli = (args: string[]) => ws.cli([...args, '--json']);
  expectOk(cli(['run', 'Documents']));
  const target = join(ws.root, 'back');
  expectOk(cli(['restore', '1', '--to', target]));
  const restored = join(target, image);
  assert.ok(statSync(restored).blocks * 512 < 1024 * 1024, 'restored with its holes');

  const same = cli(['restore', '1', '--to', target]);
  assert.equal(same.code, 0, same.stdout + same.stderr);
  assert.deepEqual([same.json<Report>().files, same.json<Report>().conflicts, same.json<Report>().unchanged], [0, [], 1]);

  const poke = (offset: number, value: number) => {
    const out = openSync(restored, 'r+');
    writeSync(out, Buffer.from([value]), 0, 1, offset);
    closeSync(out);
  };
  poke(8 * 1024 * 1024 + 100, 8);
  const changed = cli(['restore', '1', '--to', target]);
  assert.equal(changed.code, 1);
  assert.deepEqual(changed.json<Report>().conflicts, [image]);

  expectOk(cli(['restore', '1', '--to', target, '--overwrite']));
  poke(32 * 1024 * 1024, 9);
  const inHole = cli(['restore', '1', '--to', target]);
  assert.equal(inHole.code, 1);
  assert.deepEqual(inHole.json<Report>().conflicts, [image]);
});

test('a file with the bytes of the snapshot but another mode or modification time is a conflict, not "already as in the snapshot"; --overwrite puts both back', (t) => {
  const ws = workspace(t);
  writeFileSync(join(ws.src, 'id_ed25519'), 'a private key\n', { mode: 0o600 });
  writeFileSync(join(ws.src, 'notes.txt'), 'notes\n');
  writeFileSync(join(ws.src, 'plan.txt'), 'plan\n');
  ws.addSchedule('Documents');
  const cli = (args: string[]) => ws.cli([...args, '--json']);
  expectOk(cli(['run', 'Documents']));
  const target = join(ws.root, 'back');
  expectOk(cli(['restore', '1', '--to', target]));
  const restored = (name: string) => join(target, ws.src, name);
  const timeOfNotes = statSync(restored('notes.txt')).mtimeMs;

  chmodSync(restored('id_ed25519'), 0o644);
  utimesSync(restored('notes.txt'), new Date(), new Date(timeOfNotes + 60_000));
  const changed = cli(['restore', '1', '--to', target]);
  assert.equal(changed.code, 1, changed.stdout);
  assert.deepEqual([changed.json<Report>().conflicts, changed.json<Report>().unchanged], [[restored('id_ed25519').slice(target.length), restored('notes.txt').slice(target.length)], 1]);

  expectOk(cli(['restore', '1', '--to', target, '--overwrite']));
  assert.equal(statSync(restored('id_ed25519')).mode & 0o777, 0o600, 'the mode of the snapshot is back');
  assert.equal(statSync(restored('notes.txt')).mtimeMs, timeOfNotes, 'the time of the snapshot is back');
  const same = cli(['restore', '1', '--to', target]);
  assert.equal(same.code, 0, same.stdout);
  assert.deepEqual([same.json<Report>().conflicts, same.json<Report>().unchanged], [[], 3]);
});
