// A restore over a tree that is there already: hardlinks. Another name of a file that is as in the
// snapshot is unchanged; once that file was edited (every name of it shows the edit), the file is a
// conflict and its other name is not restored either, never "unchanged" for sharing its inode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
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
