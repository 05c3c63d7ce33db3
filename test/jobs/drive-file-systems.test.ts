import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArchiveOutput } from '../../src-main/archive-worker/archive-output';
import { mountSmallDisk, type SmallDiskKind } from '../helpers/small-disk';
import { describeTree, workspace, type Job, type Snapshot } from '../helpers/trees';

/**
 * Backups onto the file systems of real drives. On local disk file systems the archive's full
 * buffers are written with direct I/O; ext4, XFS and Btrfs each get a whole backup, an incremental,
 * a verify, GNU tar reading the archive back and a restore, so direct I/O is proven on each, not assumed.
 */

const driveFileSystems: SmallDiskKind[] = ['ext4', 'xfs', 'btrfs'];

/** Files whose sizes fall on and around the writer's 1 MiB buffers and the device's 4 KiB blocks, a link, an empty folder and a long non-ASCII name. */
function makeSource(source: string): void {
  mkdirSync(join(source, 'photos', 'empty'), { recursive: true });
  const sizes = [0, 1, 511, 4096, 4097, 1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1, 5 * 1024 * 1024 + 333];
  sizes.forEach((size, index) => writeFileSync(join(source, `file-${index}-${size}.bin`), randomBytes(size)));
  writeFileSync(join(source, 'photos', `${'été-à-la-mer-'.repeat(9)}.jpg`), randomBytes(300_000));
  symlinkSync('file-1-1.bin', join(source, 'link-to-small'));
}

for (const fileSystem of driveFileSystems) {
  test(`on ${fileSystem}, the archive output goes around the page cache and writes exactly what it was given`, (t) => {
    const disk = mountSmallDisk(t, 300, fileSystem);
    if (disk === null) {
      t.skip(`mounting ${fileSystem} on a loop device is not possible here (root and mkfs.${fileSystem} are needed)`);
      return;
    }
    const data = randomBytes(3 * 1024 * 1024 + 12_345);
    const output = new ArchiveOutput({ slotBytes: 256 * 1024, slots: 4 });
    output.open(join(disk, 'archive.tar'));
    for (let at = 0; at < data.length; at += 100_000) output.write(data.subarray(at, at + 100_000));
    const direct = output.direct;
    output.finish();
    assert.equal(direct, true, `${fileSystem} takes direct I/O`);
    assert.ok(readFileSync(join(disk, 'archive.tar')).equals(data), 'every byte is where it was written');
  });

  test(`a backup drive formatted ${fileSystem}: full and incremental backups verify, GNU tar reads them, and a restore gives the tree back`, (t) => {
    const disk = mountSmallDisk(t, 300, fileSystem);
    if (disk === null) {
      t.skip(`mounting ${fileSystem} on a loop device is not possible here (root and mkfs.${fileSystem} are needed)`);
      return;
    }
    const ws = workspace(t);
    const source = join(ws.src, 'Pictures');
    makeSource(source);
    ws.ok(['destination', 'add', '--name', 'drive', '--path', disk]);
    ws.ok(['schedule', 'add', '--name', 'Pictures', '--source', source, '--destination', 'drive', '--cron', '0 3 * * *']);

    const full = ws.ok<Job>(['run', 'Pictures']);
    assert.equal(full.status, 'succeeded');
    writeFileSync(join(source, 'file-6-1048576.bin'), randomBytes(1024 * 1024));
    writeFileSync(join(source, 'photos', 'new.jpg'), randomBytes(2 * 1024 * 1024 + 7));
    const incremental = ws.ok<Job>(['run', 'Pictures']);
    assert.equal(incremental.status, 'succeeded');
    const snapshots = ws.ok<Snapshot[]>(['snapshots', '--schedule', 'Pictures']);
    const newest = snapshots.find((snapshot) => snapshot.jobId === incremental.id);
    const oldest = snapshots.find((snapshot) => snapshot.jobId === full.id);
    assert.ok(newest && oldest);
    assert.equal(newest.kind, 'incremental');

    const verified = ws.ok<{ ok: boolean }>(['verify', '--all']);
    assert.equal(verified.ok, true, `both archives on ${fileSystem} verify`);

    // GNU tar, without Dormouse, extracts the full archive into the same tree as the source was then.
    const byTar = join(ws.root, 'by-gnu-tar');
    mkdirSync(byTar);
    const extracted = spawnSync('tar', ['-xf', oldest.archivePath, '-C', byTar, '--exclude', '.dormouse'], { encoding: 'utf8' });
    assert.equal(extracted.status, 0, extracted.stderr);
    const fromTar = describeTree(join(byTar, source.slice(1)));
    assert.equal(fromTar.get('file-8-5243213.bin')?.size, 5 * 1024 * 1024 + 333);
    assert.equal(fromTar.has('photos/new.jpg'), false, 'the full archive holds the tree of its moment');

    const target = join(ws.root, 'restored');
    const restored = ws.cli(['restore', String(newest.id), '--to', target, '--json']);
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(describeTree(join(target, source.slice(1))), describeTree(source), 'the newest snapshot restores as the source is now');
  });
}
