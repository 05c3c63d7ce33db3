import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src-main/store/open-store';
import { readSettings, writeSettings } from '../../src-main/store/settings-store';
import { databaseFile } from '../../src-main/store/data-dir';
import { expectOk, repoRoot, temporaryFolder } from '../helpers/cli';
import { clientOf, noCeph, useS3Server, type JobSeen } from './s3-kit';
import { passphraseFile, s3AddArgs, s3Cli } from './s3-destination-kit';

/**
 * The periodic verify setting (#18: "applies to S3 as well"): the daemon, unattended and without
 * the passphrase, re-reads every archive of an encrypted S3 destination, checks each one's SHA-256,
 * and says which snapshot is damaged when an object in the bucket no longer matches.
 */

const server = useS3Server();
const bucket = 'verified';

/** Runs the daemon until its periodic verify has said how it went; returns its log. */
async function periodicVerify(t: { after: (fn: () => void) => void }, data: string): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' };
  delete env.NODE_OPTIONS;
  const daemon = spawn(process.execPath, [join(repoRoot, 'bin', 'dormouse.cjs'), 'daemon', '--settle-seconds', '3600', '--data-dir', data], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => daemon.kill('SIGKILL'));
  let log = '';
  daemon.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  daemon.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!/periodic verify: (DAMAGED|\d+ snapshot)/.test(log) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
  daemon.kill('SIGTERM');
  await new Promise((resolve) => daemon.once('exit', resolve));
  return log;
}

/** Asks for a periodic verify now: every day, last done never. */
function verifyDue(data: string): void {
  const db = openDatabase(databaseFile(data));
  writeSettings(db, { verifyEveryDays: 1, lastVerifiedAt: null }, Date.now());
  db.close();
}

test('the periodic verify re-reads an encrypted S3 destination without the passphrase, and names the snapshot whose object was damaged', { skip: noCeph }, async (t) => {
  const root = temporaryFolder(t);
  const data = join(root, 'data');
  const source = join(root, 'documents');
  mkdirSync(source);
  writeFileSync(join(source, 'letter.txt'), 'Dear reader,\n'.repeat(1000));
  await clientOf(server(), bucket).createBucket();
  const cli = s3Cli(server(), data);
  expectOk(cli([...s3AddArgs(server(), 'cloud', `s3://${bucket}`), '--passphrase-file', passphraseFile(root)]));
  expectOk(cli(['schedule', 'add', '--name', 'Documents', '--source', source, '--destination', 'cloud', '--cron', '0 9 * * *']));
  const first = expectOk<JobSeen>(cli(['run', 'Documents']));
  writeFileSync(join(source, 'second.txt'), 'a later letter\n');
  const second = expectOk<JobSeen>(cli(['run', 'Documents']));
  assert.equal(first.status, 'succeeded', JSON.stringify(first.error));
  assert.equal(second.status, 'succeeded', JSON.stringify(second.error));

  verifyDue(data);
  const healthy = await periodicVerify(t, data);
  assert.match(healthy, /periodic verify: re-reading every snapshot/);
  assert.match(healthy, /periodic verify: 2 snapshots OK \(2 of them encrypted and checked by their SHA-256 only: no passphrase is kept\)/, healthy);

  // The full's object in the bucket gets four other bytes in the middle (bit rot, or a tampered copy).
  const key = (first.archivePath as string).replace(`s3://${bucket}/`, '');
  const object = await clientOf(server(), bucket).getObject(key);
  const damaged = Buffer.from(object.body);
  damaged.write('XXXX', Math.floor(damaged.length / 2), 'latin1');
  assert.notDeepEqual(damaged, object.body);
  await clientOf(server(), bucket).putObject(key, damaged);

  verifyDue(data);
  const log = await periodicVerify(t, data);
  // The incremental depends on the full: both are damaged.
  assert.match(log, /periodic verify: DAMAGED snapshots 1, 2/, log);
  const after = openDatabase(databaseFile(data));
  t.after(() => after.close());
  assert.ok(readSettings(after).lastVerifiedAt !== null, 'the time of the periodic verify is kept');
  assert.equal(after.prepare('SELECT verify_ok FROM snapshots WHERE id = 1').pluck().get(), 0, 'the damaged full is marked, so the next backup is a full one');
});
