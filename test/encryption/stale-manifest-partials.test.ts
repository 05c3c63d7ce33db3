import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dormouse, temporaryFolder } from '../helpers/cli';
import { alive, childPids, commandLine, describeResult, readJobs, startDormouse, waitFor, zeroFiles, type Job } from '../helpers/trees';

/**
 * An encrypted backup gathers its manifest (the backed-up names, in plaintext) in
 * `<data>/manifest-copies/<uuid>.tail.partial`. When the process running it dies with its worker
 * (a power cut, the whole app killed), that file stays on the laptop; the next command that opens
 * the catalog, or the next backup, removes it, and never one a running backup is writing.
 */

const passphrase = 'correct horse battery staple';

/** The CLI on one data folder, expecting success and answering its JSON. */
function dormouseIn(data: string): { ok<T>(args: string[]): T } {
  return {
    ok<T>(args: string[]): T {
      const result = dormouse(['--data-dir', data, ...args, '--json']);
      if (result.code !== 0) throw new Error(`dormouse ${args.join(' ')} failed: ${describeResult(result)}`);
      return result.json<T>();
    },
  };
}

function partials(data: string): string[] {
  const folder = join(data, 'manifest-copies');
  return existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.partial')) : [];
}

test('a backup to an encrypted destination killed with its worker (SIGKILL to both) leaves a manifest partial in the data folder, which the next command removes', async (t) => {
  const root = temporaryFolder(t, 'dormouse-stale-manifest-');
  const data = join(root, 'data');
  const drive = join(root, 'drive');
  const source = join(root, 'home');
  mkdirSync(drive);
  mkdirSync(join(source, 'big'), { recursive: true });
  writeFileSync(join(source, 'plans-for-the-garden.txt'), 'tulips\n');
  zeroFiles(join(source, 'big'), 24, 32 * 1024 * 1024);
  const passphraseFile = join(root, 'passphrase.txt');
  writeFileSync(passphraseFile, `${passphrase}\n`);
  const cli = dormouseIn(data);
  cli.ok(['destination', 'add', '--name', 'vault', '--path', drive, '--encrypt', '--passphrase-file', passphraseFile]);
  cli.ok(['schedule', 'add', '--name', 'Home', '--source', source, '--destination', 'vault', '--cron', '0 3 * * *', '--compression', 'gzip']);

  const run = startDormouse(['--data-dir', data, 'run', 'Home', '--json'], { ownProcessGroup: true });
  t.after(() => {
    if (alive(run.child.pid as number)) process.kill(-(run.child.pid as number), 'SIGKILL');
  });
  await waitFor('the manifest being gathered in the data folder', () => partials(data).length > 0, 30_000);
  const workers = childPids(run.child.pid as number).filter((pid) => commandLine(pid).includes('archive-worker'));
  assert.equal(workers.length, 1, 'one archive worker');
  // The whole process group at once, as a power cut would: nobody is left to clean up.
  process.kill(-(run.child.pid as number), 'SIGKILL');
  assert.equal((await run.done).signal, 'SIGKILL');
  await waitFor('the worker to be gone', () => !alive(workers[0] as number), 10_000);
  const left = partials(data);
  assert.equal(left.length, 1, 'the dead backup left its manifest in the data folder');

  const jobs = cli.ok<Job[]>(['jobs']);
  assert.equal(jobs[0]?.status, 'interrupted');
  assert.deepEqual(partials(data), [], 'the next command removed it');
  assert.deepEqual(readdirSync(join(data, 'manifest-copies')), [], 'and nothing else was there');
});

test('a backup starting while another schedule backs up to the same encrypted destination leaves the running one its manifest partial', async (t) => {
  const root = temporaryFolder(t, 'dormouse-live-manifest-');
  const data = join(root, 'data');
  const drive = join(root, 'drive');
  const slow = join(root, 'slow');
  const quick = join(root, 'quick');
  mkdirSync(drive);
  mkdirSync(join(slow, 'big'), { recursive: true });
  mkdirSync(quick);
  zeroFiles(join(slow, 'big'), 24, 32 * 1024 * 1024);
  writeFileSync(join(quick, 'note.txt'), 'quick\n');
  const passphraseFile = join(root, 'passphrase.txt');
  writeFileSync(passphraseFile, `${passphrase}\n`);
  const cli = dormouseIn(data);
  cli.ok(['destination', 'add', '--name', 'vault', '--path', drive, '--encrypt', '--passphrase-file', passphraseFile]);
  cli.ok(['schedule', 'add', '--name', 'Slow', '--source', slow, '--destination', 'vault', '--cron', '0 3 * * *', '--compression', 'gzip']);
  cli.ok(['schedule', 'add', '--name', 'Quick', '--source', quick, '--destination', 'vault', '--cron', '0 3 * * *']);

  const run = startDormouse(['--data-dir', data, 'run', 'Slow', '--json']);
  t.after(() => {
    if (alive(run.child.pid as number)) run.child.kill('SIGKILL');
  });
  await waitFor('the slow backup gathering its manifest', () => partials(data).length > 0, 30_000);
  const writing = partials(data);
  assert.equal(cli.ok<Job>(['run', 'Quick']).status, 'succeeded');
  assert.ok(readJobs(join(data, 'dormouse.sqlite')).some((row) => row.status === 'running'), 'the slow backup was still running');
  assert.deepEqual(partials(data).filter((name) => writing.includes(name)), writing, 'its manifest partial is still there');
  const ended = await run.done;
  assert.equal(ended.code, 0, ended.stderr);
  assert.equal((JSON.parse(ended.stdout) as Job).status, 'succeeded', 'and it finished well');
  assert.deepEqual(partials(data), []);
});
