import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { dormouse, temporaryFolder } from '../helpers/cli';
import { describeTree } from '../helpers/trees';

/**
 * The addon speeds up the walk and the reading of small files, and keeps what Node cannot read
 * (xattrs, ACLs, holes). Where it cannot load (DORMOUSE_NATIVE_FS=off stands in for a build
 * without a C compiler), a backup takes the plain Node path: the same files, the same contents,
 * and one warning that says what is not kept. Files below and above the size read in one call
 * (64 KiB), empty files, links and nested folders.
 */

type Job = { status: string; warnings: string[]; files: number };
type Snapshot = { id: string };

function makeTree(source: string): void {
  mkdirSync(join(source, 'a', 'b'), { recursive: true });
  writeFileSync(join(source, 'empty'), '');
  writeFileSync(join(source, 'small.bin'), randomBytes(1000));
  writeFileSync(join(source, 'a', 'exactly-64k.bin'), randomBytes(64 * 1024));
  writeFileSync(join(source, 'a', 'b', 'large.bin'), randomBytes(300_000));
  symlinkSync('../small.bin', join(source, 'a', 'link'));
}

for (const addon of ['off', 'on'] as const) {
  test(`a backup and restore with the native addon ${addon} give back every file as it was`, (t) => {
    const root = temporaryFolder(t, 'dormouse-no-addon-');
    const source = join(root, 'source');
    const drive = join(root, 'drive');
    mkdirSync(drive);
    makeTree(source);
    const env = { DORMOUSE_NATIVE_FS: addon };
    const cli = (args: string[]) => {
      const result = dormouse(['--data-dir', join(root, 'data'), ...args, '--json'], { env });
      assert.ok(result.code === 0 || args[0] === 'run', `dormouse ${args.join(' ')}: ${result.stderr}`);
      return result.json<unknown>();
    };
    cli(['destination', 'add', '--name', 'drive', '--path', drive]);
    cli(['schedule', 'add', '--name', 'S', '--source', source, '--destination', 'drive', '--cron', '0 3 * * *']);
    const job = cli(['run', 'S']) as Job;
    assert.equal(job.status, 'succeeded');
    assert.equal(job.files, 4);
    const notKept = job.warnings.filter((warning) => warning.includes('not kept by this build'));
    assert.equal(notKept.length, addon === 'off' ? 1 : 0, JSON.stringify(job.warnings));
    const [snapshot] = cli(['snapshots']) as Snapshot[];
    const target = join(root, 'restored');
    const report = cli(['restore', snapshot!.id, '--to', target]) as { damaged: unknown[] };
    assert.deepEqual(report.damaged, []);
    const restored = describeTree(join(target, source.slice(1)));
    assert.deepEqual(restored, describeTree(source));
  });
}
