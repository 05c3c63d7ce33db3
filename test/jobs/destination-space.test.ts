import { fork, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, mkdirSync, readdirSync, writeFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FromWorker } from '../../src-main/archive-worker/archive-protocol';
import { dormouse, repoRoot, temporaryFolder } from '../helpers/cli';
import { mountSmallDisk } from '../helpers/small-disk';

function listRecursive(folder: string): string[] {
  return readdirSync(folder, { recursive: true }).map(String).sort();
}

test('a backup larger than the free space fails before writing a byte, naming what it needs and what is free', async (t) => {
  const work = temporaryFolder(t);
  const disk = mountSmallDisk(t, 8);
  if (disk === null) {
    t.skip('mounting a tmpfs is not allowed here');
    return;
  }
  const source = join(work, 'photos');
  mkdirSync(source);
  writeFileSync(join(source, 'small.txt'), 'hello');
  writeFileSync(join(source, 'huge.raw'), '');
  truncateSync(join(source, 'huge.raw'), 50 * 1024 * 1024);
  const data = join(work, 'data');
  assert.equal(dormouse(['destination', 'add', '--name', 'tiny', '--path', disk, '--data-dir', data]).code, 0);
  assert.equal(dormouse(['schedule', 'add', '--name', 'Photos', '--source', source, '--destination', 'tiny', '--cron', '0 9 * * *', '--data-dir', data]).code, 0);
  const before = listRecursive(disk);

  const run = dormouse(['run', 'Photos', '--json', '--data-dir', data]);
  assert.equal(run.code, 1);
  const job = run.json<{ status: string; error: { code: string; message: string }; archivePath: string | null }>();
  assert.equal(job.status, 'failed');
  assert.equal(job.error.code, 'INSUFFICIENT_SPACE');
  assert.match(job.error.message, /needs about .*\(\d+ bytes\).* only .*\(\d+ bytes\) are free/);
  assert.equal(job.archivePath, null);
  assert.deepEqual(listRecursive(disk), before, 'nothing was written to the destination');
});

for (const fileSystem of ['tmpfs', 'ext4'] as const) {
  test(`running out of space mid-write on ${fileSystem} ends INSUFFICIENT_SPACE with no partial file and older archives intact`, async (t) => {
    const work = temporaryFolder(t);
    // ext4 takes direct I/O, so the archive is written around the page cache there; tmpfs does not.
    const disk = mountSmallDisk(t, 40, fileSystem);
    if (disk === null) {
      t.skip(`mounting a small ${fileSystem} is not allowed here`);
      return;
    }
    const source = join(work, 'projects');
    mkdirSync(join(source, 'many'), { recursive: true });
    for (let i = 0; i < 4000; i += 1) writeFileSync(join(source, 'many', `note-${String(i).padStart(4, '0')}.txt`), `note ${i}\n`.repeat(200));
    writeFileSync(join(source, 'zzz-growing.log'), 'start\n');
    const older = join(disk, 'older-archive.tar');
    writeFileSync(older, 'an older backup that must survive');

    const worker = fork(join(repoRoot, 'dist', 'main', 'archive-worker.cjs'), [], { serialization: 'advanced', stdio: 'ignore' });
    const messages: FromWorker[] = [];
    let grown = false;
    worker.on('message', (message: FromWorker) => {
      messages.push(message);
      if (message.type === 'progress' && !grown) {
        // Past the space check and still in the small notes: held still while the last file grows, so
        // a fast worker cannot reach that file first.
        grown = true;
        worker.kill('SIGSTOP');
        appendFileSync(join(source, 'zzz-growing.log'), Buffer.alloc(60 * 1024 * 1024, 1));
        worker.kill('SIGCONT');
      }
    });
    const archivePath = join(disk, 'Dormouse', 'Projects', 'archive.tar');
    worker.send({
      type: 'start',
      request: { sources: [source], excludes: [], archivePath, compression: 'none', snapshot: { id: 'space-test', scheduleName: 'Projects', createdAt: new Date().toISOString(), kind: 'full', baseId: null } },
    });
    await once(worker, 'exit');
    const last = messages.at(-1);
    assert.equal(last?.type, 'error');
    assert.equal(last?.type === 'error' && last.code, 'INSUFFICIENT_SPACE');
    assert.match(last?.type === 'error' ? last.message : '', /ran out of space/);
    assert.deepEqual(listRecursive(disk).filter((name) => name.endsWith('.partial') || name.endsWith('.tar')), ['older-archive.tar']);
    assert.equal(spawnSync('cat', [older], { encoding: 'utf8' }).stdout, 'an older backup that must survive');
  });
}

test('a destination with space left but no room for more files fails saying so, and leaves no partial archive', (t) => {
  const work = temporaryFolder(t);
  const disk = mountSmallDisk(t, 64, 'tmpfs', 6);
  if (disk === null) return t.skip('mounting a tmpfs is not allowed here');
  const source = join(work, 'notes');
  mkdirSync(source);
  writeFileSync(join(source, 'note.txt'), 'hello');
  const data = join(work, 'data');
  assert.equal(dormouse(['destination', 'add', '--name', 'few', '--path', disk, '--data-dir', data]).code, 0);
  assert.equal(dormouse(['schedule', 'add', '--name', 'Notes', '--source', source, '--destination', 'few', '--cron', '0 9 * * *', '--data-dir', data]).code, 0);
  const run = dormouse(['run', 'Notes', '--json', '--data-dir', data]);
  assert.equal(run.code, 1, run.stdout);
  const job = JSON.parse(run.stdout) as { status: string; error: { code: string; message: string } };
  assert.equal(job.error.code, 'INSUFFICIENT_SPACE');
  assert.match(job.error.message, /has no room for more files \(no free inodes, though 6\d(\.\d)? MB is free\) while .*\.tar was being written; the partial archive was removed/);
  assert.deepEqual(listRecursive(disk).filter((name) => name.includes('.tar')), [], 'no archive, partial or whole');
});
