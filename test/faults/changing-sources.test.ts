// Sources that change under a running backup, and sources Dormouse may not read. Files vanish,
// grow, shrink or turn into links and folders while `dormouse run` is writing; a busy program churns
// a folder through a full and an incremental backup; an unprivileged user backs up a tree with a
// chmod-000 file and folder. Every backup must succeed with warnings naming what it could not take
// as it was, and its archive must extract cleanly with GNU tar. (A FIFO, a socket and an unreadable
// file under a non-root user are in test/jobs/job-lifecycle.test.ts; that last one skips as root,
// which is why this file switches to an unprivileged user.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporaryFolder } from '../helpers/cli';
import { childPids, commandLine, describeResult, describeTree, readJobs, zeroFiles, startDormouse, workspace, type Job, type Snapshot } from '../helpers/trees';
import { openOffset, openToOthers, startChurn, tarExtract, unprivilegedUser, until } from './fault-kit';

/** Every regular file below a folder, as paths relative to it. */
function filesBelow(folder: string): string[] {
  return (readdirSync(folder, { recursive: true }) as string[]).filter((name) => statSync(join(folder, name)).isFile()).sort();
}

function warningsFor(job: Job, path: string): string[] {
  return job.warnings.filter((warning) => warning.startsWith(`${path}:`));
}

test('files that vanish, grow, shrink, become a symlink or a folder while dormouse run writes them: the job succeeds, a warning names each, and tar -xf extracts the archive cleanly', async (t) => {
  const ws = workspace(t);
  const src = ws.src;
  mkdirSync(join(src, 'a-many'));
  for (let index = 0; index < 800; index += 1) writeFileSync(join(src, 'a-many', `n-${String(index).padStart(3, '0')}.txt`), `note ${index}\n`.repeat(10));
  // Two big sparse files that take the worker a moment each to read (gzip keeps the archive small).
  zeroFiles(src, 1, 96 * 1024 * 1024, 'm-grow');
  zeroFiles(src, 1, 96 * 1024 * 1024, 'n-shrink');
  const grow = join(src, 'm-grow-0000.bin');
  const shrink = join(src, 'n-shrink-0000.bin');
  const vanishing = [join(src, 'zz-vanish-1.txt'), join(src, 'zz-vanish-2.txt'), join(src, 'zz-vanish-folder', 'x.txt'), join(src, 'zz-vanish-folder', 'y.txt')];
  mkdirSync(join(src, 'zz-vanish-folder'));
  for (const file of vanishing) writeFileSync(file, `soon gone: ${file}\n`);
  const toLink = join(src, 'zz-swap-to-link.txt');
  const toFolder = join(src, 'zz-swap-to-folder.txt');
  const stable = join(src, 'zz-stable.txt');
  writeFileSync(toLink, 'an ordinary file\n');
  writeFileSync(toFolder, 'an ordinary file\n');
  writeFileSync(stable, 'I do not change\n');
  const secret = join(ws.root, 'secret.txt');
  writeFileSync(secret, 'TOP-SECRET-OUTSIDE-THE-SOURCE\n');
  ws.addSchedule('Moving', ['--compression', 'gzip']);

  const run = startDormouse(['--data-dir', ws.dataDir, 'run', 'Moving', '--json']);
  t.after(() => run.child.kill('SIGKILL'));
  let exited = false;
  void run.done.then(() => (exited = true));
  // The partial archive exists once the first pass over the tree (totals, free space) is over; the
  // writing pass looks at each entry (lstat) just before writing it.
  const row = await until('the backup to be writing', () => {
    if (exited) throw new Error('dormouse run ended before its backup was seen writing');
    const found = existsSync(ws.catalog) && readJobs(ws.catalog).find((job) => job.status === 'running' && job.archive_path);
    return found && existsSync(`${found.archive_path}.partial`) ? found : undefined;
  }, 20_000, 2);
  const worker = await until('the archive worker', () => childPids(run.child.pid as number).find((pid) => commandLine(pid).includes('archive-worker')), 5000, 2);
  assert.equal(openOffset(worker, join(src, 'zz-stable.txt')), null, 'the worker has not reached the zz- files yet');

  // While the worker is reading m-grow, the source folder's names are listed and the zz- entries not
  // yet looked at: they vanish or change type now. m-grow grows meanwhile; n-shrink shrinks while read.
  await until('the worker to be reading m-grow', () => (openOffset(worker, grow) ?? 0) > 0, 20_000, 2);
  for (const file of vanishing) unlinkSync(file);
  rmSync(join(src, 'zz-vanish-folder'), { recursive: true });
  unlinkSync(toLink);
  symlinkSync(secret, toLink);
  unlinkSync(toFolder);
  mkdirSync(toFolder);
  writeFileSync(join(toFolder, 'inside.txt'), 'inside\n');
  appendFileSync(grow, 'grown while being read\n'.repeat(1000));
  await until('the worker to be reading n-shrink', () => (openOffset(worker, shrink) ?? 0) > 64 * 1024, 20_000, 2);
  truncateSync(shrink, 4096);
  t.diagnostic(`job ${row.id}: m-grow grew and n-shrink shrank while the worker had them open`);

  const ended = await run.done;
  assert.equal(ended.code, 0, `exit ${ended.code}\nstdout: ${ended.stdout}\nstderr: ${ended.stderr}`);
  const job = JSON.parse(ended.stdout) as Job;
  assert.equal(job.status, 'succeeded');
  assert.equal(job.error, null);
  for (const file of vanishing.slice(0, 2)) assert.match(warningsFor(job, file).join('\n'), /vanished during the backup/, `${file} is named as vanished: ${JSON.stringify(job.warnings)}`);
  // The folder's contents were never listed: the folder itself is named.
  assert.match(warningsFor(job, join(src, 'zz-vanish-folder')).join('\n'), /vanished during the backup/, `the vanished folder is named: ${JSON.stringify(job.warnings)}`);
  assert.match(warningsFor(job, grow).join('\n'), /changed while it was being backed up/, `m-grow: ${JSON.stringify(job.warnings)}`);
  assert.match(warningsFor(job, shrink).join('\n'), /changed while it was being backed up/, `n-shrink: ${JSON.stringify(job.warnings)}`);
  // What had become a symlink or a folder when the walk reached it is backed up as what it then was.
  assert.deepEqual(warningsFor(job, toLink), []);
  assert.deepEqual(warningsFor(job, toFolder), []);
  assert.deepEqual(warningsFor(job, stable), []);
  assert.equal(job.warnings.length, 5, `one warning each, nothing else: ${JSON.stringify(job.warnings, null, 1)}`);

  // GNU tar extracts the whole archive without a complaint.
  const out = temporaryFolder(t, 'dormouse-faults-extract-');
  const extracted = tarExtract(job.archivePath as string, out);
  assert.equal(extracted.code, 0, `tar -xf: ${extracted.stderr}`);
  const inside = join(out, src.slice(1));
  assert.equal(readFileSync(join(inside, 'zz-stable.txt'), 'utf8'), 'I do not change\n');
  assert.equal(statSync(join(inside, 'm-grow-0000.bin')).size, 96 * 1024 * 1024, 'm-grow as it was when the worker opened it');
  assert.equal(statSync(join(inside, 'n-shrink-0000.bin')).size, 96 * 1024 * 1024, 'n-shrink padded to the size its header promised');
  assert.equal(readlinkSync(join(inside, 'zz-swap-to-link.txt')), secret, 'the file that became a symlink is stored as that link, not followed');
  assert.equal(readFileSync(join(inside, 'zz-swap-to-folder.txt', 'inside.txt'), 'utf8'), 'inside\n', 'the file that became a folder is stored as that folder');
  const leaked = spawnSync('grep', ['-r', '-l', 'TOP-SECRET-OUTSIDE-THE-SOURCE', out], { encoding: 'utf8' });
  assert.equal(leaked.stdout, '', 'the symlink’s target never reached the archive');
  assert.equal(filesBelow(join(inside, 'a-many')).length, 800);
  for (const file of vanishing) assert.ok(!existsSync(join(out, file.slice(1))), `${file} is not in the archive`);

  // The archive agrees with its own manifest and checksum.
  const [snapshot] = ws.ok<Snapshot[]>(['snapshots']);
  const verify = ws.cli(['verify', String(snapshot?.id), '--json']);
  assert.equal(verify.code, 0, describeResult(verify));
});

test('a folder churned by a busy program through a full and an incremental backup: both succeed, every warning is about the churned folder, both archives extract, verify and the incremental restores the rest exactly', async (t) => {
  const ws = workspace(t);
  const churned = join(ws.src, 'churn');
  const steady = join(ws.src, 'steady');
  mkdirSync(churned);
  mkdirSync(steady);
  for (let index = 0; index < 300; index += 1) writeFileSync(join(steady, `s-${index}.txt`), `steady ${index}\n`.repeat(index % 50));
  // 256 MiB of sparse zeros in the steady part stretch each full read to about a second.
  zeroFiles(steady, 1, 256 * 1024 * 1024, 'disk-image');
  ws.addSchedule('Busy', ['--compression', 'gzip']);

  const churn = startChurn(churned, 20261121);
  let churnStopped = false;
  t.after(async () => {
    if (!churnStopped) await churn.stop();
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const jobs: Job[] = [];
  for (let round = 0; round < 2; round += 1) {
    if (round === 1) appendFileSync(join(steady, 's-7.txt'), 'changed between the backups\n');
    const result = ws.cli(['run', 'Busy', '--json']);
    assert.equal(result.code, 0, describeResult(result));
    jobs.push(result.json<Job>());
  }
  const changes = await churn.stop();
  churnStopped = true;
  t.diagnostic(`the churn made ${changes} changes; warnings: ${jobs.map((job) => job.warnings.length).join(', ')}`);
  assert.ok(changes > 100, `the churn was busy during the backups (${changes} changes)`);

  for (const job of jobs) {
    assert.equal(job.status, 'succeeded');
    for (const warning of job.warnings) assert.ok(warning.startsWith(`${churned}/`), `a warning about something outside the churned folder: ${warning}`);
    const out = temporaryFolder(t, 'dormouse-faults-churn-');
    const extracted = tarExtract(job.archivePath as string, out);
    assert.equal(extracted.code, 0, `tar -xf ${job.archivePath}: ${extracted.stderr}`);
    rmSync(out, { recursive: true, force: true });
  }
  const snapshots = ws.ok<{ id: number; jobId: number; kind?: string }[]>(['snapshots']);
  assert.equal(snapshots.length, 2);
  const verify = ws.cli(['verify', '--all', '--json']);
  assert.equal(verify.code, 0, describeResult(verify));

  // The newest snapshot (an incremental on the first) restores the untouched part exactly.
  const target = join(temporaryFolder(t, 'dormouse-faults-restore-'), 'back');
  const restore = ws.cli(['restore', String(snapshots[0]?.id), '--to', target, '--path', steady, '--json']);
  assert.equal(restore.code, 0, describeResult(restore));
  assert.deepEqual(describeTree(join(target, steady.slice(1))), describeTree(steady));
});

test('as an unprivileged user, a chmod-000 file and a chmod-000 folder in the source: warnings name both, the job succeeds, and the archive extracts', (t) => {
  const user = unprivilegedUser();
  if (typeof user === 'string') {
    t.skip(user);
    return;
  }
  const root = temporaryFolder(t, 'dormouse-faults-perm-');
  openToOthers(root);
  const dataDir = join(root, 'data');
  const dest = join(root, 'drive');
  const src = join(root, 'home');
  mkdirSync(join(src, 'readable'), { recursive: true });
  mkdirSync(join(src, 'locked-folder'), { recursive: true });
  mkdirSync(dest);
  mkdirSync(dataDir);
  writeFileSync(join(src, 'readable', 'ok.txt'), 'you may read me\n');
  writeFileSync(join(src, 'locked-folder', 'inside.txt'), 'behind a locked door\n');
  writeFileSync(join(src, 'locked.txt'), 'private\n');
  for (const path of [dataDir, dest, src, join(src, 'readable'), join(src, 'readable', 'ok.txt'), join(src, 'locked-folder'), join(src, 'locked-folder', 'inside.txt'), join(src, 'locked.txt')]) user.give(path);
  chmodSync(join(src, 'locked.txt'), 0o000);
  chmodSync(join(src, 'locked-folder'), 0o000);
  const cli = (args: string[]) => user.dormouse(['--data-dir', dataDir, ...args]);
  for (const args of [
    ['destination', 'add', '--name', 'usb', '--path', dest],
    ['schedule', 'add', '--name', 'Home', '--source', src, '--destination', 'usb', '--cron', '0 3 * * *'],
  ]) {
    const result = cli([...args, '--json']);
    assert.equal(result.code, 0, describeResult(result));
  }
  // The user really cannot read them.
  const probe = spawnSync(user.prefix[0] as string, [...user.prefix.slice(1), 'cat', join(src, 'locked.txt')], { encoding: 'utf8' });
  assert.notEqual(probe.status, 0, 'the unprivileged user cannot read the chmod-000 file');

  const result = cli(['run', 'Home', '--json']);
  assert.equal(result.code, 0, describeResult(result));
  const job = result.json<Job>();
  assert.equal(job.status, 'succeeded');
  assert.equal(job.error, null);
  assert.deepEqual(
    [...job.warnings].sort(),
    [`${join(src, 'locked-folder')}: contents not backed up (permission denied)`, `${join(src, 'locked.txt')}: permission denied`],
    'one warning for the file, one for the folder, each saying why',
  );
  assert.equal(job.files, 1, 'the one readable file');
  assert.equal(readJobs(join(dataDir, 'dormouse.sqlite')).at(-1)?.status, 'succeeded');
  assert.equal(statSync(job.archivePath as string).uid, user.uid, 'the archive belongs to the user who ran the backup');

  const out = temporaryFolder(t, 'dormouse-faults-perm-extract-');
  const extracted = tarExtract(job.archivePath as string, out);
  assert.equal(extracted.code, 0, `tar -xf: ${extracted.stderr}`);
  const inside = join(out, src.slice(1));
  assert.equal(readFileSync(join(inside, 'readable', 'ok.txt'), 'utf8'), 'you may read me\n');
  assert.ok(!existsSync(join(inside, 'locked.txt')), 'the unreadable file is not in the archive');
  assert.ok(existsSync(join(inside, 'locked-folder')), 'the folder itself is (its entry could be read)');
  assert.ok(!existsSync(join(inside, 'locked-folder', 'inside.txt')), 'but not what is inside it');
  const verify = cli(['verify', '--all', '--json']);
  assert.equal(verify.code, 0, describeResult(verify));
});
