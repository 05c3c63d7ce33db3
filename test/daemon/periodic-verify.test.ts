import { spawn } from 'node:child_process';
import { mkdirSync, openSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src-main/store/open-store';
import { readSettings, writeSettings } from '../../src-main/store/settings-store';
import { databaseFile } from '../../src-main/store/data-dir';
import { dormouse, expectOk, repoRoot, temporaryFolder } from '../helpers/cli';

test('with the periodic verify setting, the scheduling process re-reads every archive and says which are damaged', async (t) => {
  const root = temporaryFolder(t);
  const data = join(root, 'data');
  const source = join(root, 'documents');
  const drive = join(root, 'drive');
  mkdirSync(source);
  mkdirSync(drive);
  writeFileSync(join(source, 'letter.txt'), 'Dear reader,\n'.repeat(100));
  expectOk(dormouse(['destination', 'add', '--name', 'usb', '--path', drive, '--json', '--data-dir', data]));
  expectOk(dormouse(['schedule', 'add', '--name', 'Documents', '--source', source, '--destination', 'usb', '--cron', '0 9 * * *', '--json', '--data-dir', data]));
  const job = expectOk<{ archivePath: string }>(dormouse(['run', 'Documents', '--json', '--data-dir', data]));
  const fd = openSync(job.archivePath, 'r+');
  writeSync(fd, Buffer.from('XXXX'), 0, 4, 600);
  closeSync(fd);
  const db = openDatabase(databaseFile(data));
  writeSettings(db, { verifyEveryDays: 1 }, Date.now());
  db.close();

  const daemon = spawn(process.execPath, [join(repoRoot, 'bin', 'dormouse.cjs'), 'daemon', '--settle-seconds', '3600', '--data-dir', data], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => daemon.kill('SIGKILL'));
  let log = '';
  daemon.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (!/periodic verify: (DAMAGED|\d+ snapshot)/.test(log) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
  assert.match(log, /periodic verify: re-reading every snapshot/);
  assert.match(log, /periodic verify: DAMAGED snapshot 1/, log);
  daemon.kill('SIGTERM');
  await new Promise((resolve) => daemon.once('exit', resolve));

  const after = openDatabase(databaseFile(data));
  t.after(() => after.close());
  assert.ok(readSettings(after).lastVerifiedAt !== null, 'the time of the periodic verify is kept, so it is not repeated every tick');
  assert.equal(after.prepare('SELECT verify_ok FROM snapshots WHERE id = 1').pluck().get(), 0, 'the damaged snapshot is marked, so the next backup is a full one');
});
