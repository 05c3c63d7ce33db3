import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../src-main/engine/engine';
import { forkWorkerLauncher } from '../../src-main/jobs/worker-launcher';
import { writeSettings } from '../../src-main/store/settings-store';
import { repoRoot, temporaryFolder } from '../helpers/cli';

/**
 * Retention on an encrypted destination: pruning deletes an encrypted archive, its `.sha256` and its
 * local manifest copy together, and an incremental built on a kept full backup reads that backup's
 * copy, with no passphrase anywhere.
 */

const workerScript = join(repoRoot, 'dist', 'main', 'archive-worker.cjs');

test('pruning an encrypted destination removes each deleted archive, its .sha256 and its local manifest copy; the kept chain still builds incrementals without a passphrase', async (t) => {
  const work = temporaryFolder(t, 'dormouse-encrypted-retention-');
  const drive = join(work, 'drive');
  const source = join(work, 'home');
  mkdirSync(drive);
  mkdirSync(source);
  writeFileSync(join(source, 'notes.txt'), 'first\n');
  const dataDir = join(work, 'data');
  const engine = Engine.forDataDir(dataDir, { launchWorker: forkWorkerLauncher(workerScript) });
  t.after(() => engine.close());
  await engine.handle('destinations:add', { name: 'drive', path: drive, encrypt: true, passphrase: 'a passphrase for the drive' });
  await engine.handle('schedules:add', { name: 'Home', sources: [source], destination: 'drive', cron: '0 9 * * *', keepLast: 1 });
  writeSettings(engine.db, { incrementalsPerFull: 0 }, Date.now()); // full backups, so retention may delete any but the newest

  const copies = () => readdirSync(join(dataDir, 'manifest-copies')).sort();
  const first = await engine.handle('jobs:run', { name: 'Home' });
  assert.equal(first.status, 'succeeded');
  assert.equal(copies().length, 1);
  writeFileSync(join(source, 'notes.txt'), 'second\n');
  const second = await engine.handle('jobs:run', { name: 'Home' });
  assert.equal(second.status, 'succeeded');
  assert.equal(existsSync(first.archivePath as string), false, 'the older encrypted archive was pruned');
  assert.equal(existsSync(`${first.archivePath as string}.sha256`), false, 'and its .sha256');
  const [kept] = await engine.handle('snapshots:list', {});
  assert.equal(copies().length, 1, 'only the kept snapshot keeps a local manifest copy');
  assert.ok(kept && copies()[0]?.startsWith(kept.archivePath.match(/-full-([0-9a-f]{8})\.tar\.age$/)?.[1] ?? 'no match'), `the copy is the kept snapshot's: ${copies().join(', ')}`);

  writeSettings(engine.db, { incrementalsPerFull: 30 }, Date.now());
  writeFileSync(join(source, 'later.txt'), 'third\n');
  const third = await engine.handle('jobs:run', { name: 'Home' });
  assert.equal(third.status, 'succeeded');
  assert.match(third.archivePath as string, /-incr-[0-9a-f]{8}\.tar\.age$/, 'an incremental on the kept full backup, read from its local copy');
  assert.deepEqual(third.warnings, []);
});

test('a schedule moved from a plain destination to an encrypted one starts with a full backup there: the drive and its passphrase restore everything', async (t) => {
  const work = temporaryFolder(t, 'dormouse-encrypted-move-');
  const plain = join(work, 'plain');
  const drive = join(work, 'drive');
  const source = join(work, 'home');
  for (const folder of [plain, drive, source]) mkdirSync(folder);
  writeFileSync(join(source, 'notes.txt'), 'kept on both\n');
  const engine = Engine.forDataDir(join(work, 'data'), { launchWorker: forkWorkerLauncher(workerScript) });
  t.after(() => engine.close());
  await engine.handle('destinations:add', { name: 'plain', path: plain });
  await engine.handle('destinations:add', { name: 'drive', path: drive, encrypt: true, passphrase: 'a passphrase for the drive' });
  await engine.handle('schedules:add', { name: 'Home', sources: [source], destination: 'plain', cron: '0 9 * * *' });
  assert.match((await engine.handle('jobs:run', { name: 'Home' })).archivePath as string, /-full-[0-9a-f]{8}\.tar$/);
  await engine.handle('schedules:edit', { schedule: 'Home', changes: { destination: 'drive' } });
  const moved = await engine.handle('jobs:run', { name: 'Home' });
  assert.equal(moved.status, 'succeeded');
  assert.ok((moved.archivePath as string).startsWith(drive));
  assert.match(moved.archivePath as string, /-full-[0-9a-f]{8}\.tar\.age$/, 'a full backup, depending on nothing outside the encrypted drive');
  const next = await engine.handle('jobs:run', { name: 'Home' });
  assert.match(next.archivePath as string, /-incr-[0-9a-f]{8}\.tar\.age$/, 'then incrementals on it');
});
