// Folders that cannot be made: a restore target, or a data folder, behind a symlink to a share that
// is not mounted, or under /proc, or with a file in the way, or on a read-only file system. Node's own recursive mkdir spins at full
// CPU forever on the first two (the parent exists, the child says ENOENT); Dormouse says what is
// wrong and stops, and nothing is made anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFolders } from '../../src-main/common/make-folders';
import { dormouse, temporaryFolder } from '../helpers/cli';
import { workspace } from '../helpers/trees';
import { mountSmallDisk } from '../helpers/small-disk';

function thrown(work: () => unknown): NodeJS.ErrnoException {
  try {
    work();
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
  assert.fail('it did not throw');
}

test('makeFolders makes what is missing and returns the first it made; what it cannot make it refuses at once, in words', (t) => {
  const root = temporaryFolder(t);
  assert.equal(makeFolders(join(root, 'a', 'b', 'c')), join(root, 'a'));
  assert.ok(existsSync(join(root, 'a', 'b', 'c')));
  assert.equal(makeFolders(join(root, 'a', 'b')), undefined, 'nothing to make');

  // A share's mount point that is empty today, reached through a symlink from the home folder.
  symlinkSync(join(root, 'nas', 'backups'), join(root, 'Backups'));
  const dangling = thrown(() => makeFolders(join(root, 'Backups', 'restored', 'today')));
  assert.equal(dangling.code, 'ENOENT');
  assert.equal(dangling.message, `${join(root, 'Backups')} is a symbolic link to ${join(root, 'nas', 'backups')}, which does not exist (a drive or share not connected?)`);
  assert.equal(existsSync(join(root, 'nas')), false, 'nothing was made behind the link');

  writeFileSync(join(root, 'notes'), 'a file\n');
  assert.equal(thrown(() => makeFolders(join(root, 'notes'))).message, `${join(root, 'notes')} is a file, not a folder`);
  const under = thrown(() => makeFolders(join(root, 'notes', 'x', 'y')));
  assert.deepEqual([under.code, under.message], ['ENOTDIR', `${join(root, 'notes')} is a file, not a folder`]);

  if (existsSync('/proc/self')) assert.equal(thrown(() => makeFolders('/proc/dormouse-nowhere/restored')).code, 'ENOENT');
});

test('a restore into a folder behind a symlink to a share that is not mounted, or into a file, stops saying why (exit 1, its JSON printed); a destination, a source or a data folder there is refused saying where the link leads', (t) => {
  const ws = workspace(t);
  const { root, cli } = ws;
  writeFileSync(join(ws.src, 'letter.txt'), 'Dear Ana,\n');
  ws.addSchedule('Documents');
  ws.ok(['run', 'Documents']);
  symlinkSync(join(root, 'nas', 'backups'), join(root, 'Backups'));

  const behindLink = cli(['restore', '1', '--to', join(root, 'Backups', 'restored'), '--json']);
  assert.equal(behindLink.code, 1, behindLink.stderr);
  const report = behindLink.json<{ files: number; refused: string[] }>();
  assert.equal(report.files, 0);
  assert.deepEqual(report.refused, [`the restore stopped: ${join(root, 'Backups')} is a symbolic link to ${join(root, 'nas', 'backups')}, which does not exist (a drive or share not connected?); what is not listed as restored was not restored`]);
  assert.equal(existsSync(join(root, 'nas')), false);

  writeFileSync(join(root, 'notes'), 'a file\n');
  const intoFile = cli(['restore', '1', '--to', join(root, 'notes'), '--json']);
  assert.equal(intoFile.code, 1, intoFile.stderr);
  assert.deepEqual(intoFile.json<{ refused: string[] }>().refused, [`the restore stopped: ${join(root, 'notes')} is a file, not a folder; what is not listed as restored was not restored`]);

  const leadsNowhere = `"${join(root, 'Backups')}" is a symbolic link to ${join(root, 'nas', 'backups')}, which does not exist (a drive or share not connected?)`;
  const destination = cli(['destination', 'add', '--name', 'nas', '--path', join(root, 'Backups')]);
  assert.deepEqual([destination.code, destination.stderr], [2, `error: destination folder ${leadsNowhere}; create it, or connect the drive, and try again\n`]);
  const source = cli(['schedule', 'add', '--name', 'Share', '--source', join(root, 'Backups'), '--destination', 'usb', '--cron', '@daily']);
  assert.deepEqual([source.code, source.stderr], [2, `error: source ${leadsNowhere}; check the path, or create the folder first\n`]);

  const dataBehindLink = dormouse(['schedule', 'list', '--data-dir', join(root, 'Backups', 'Dormouse')]);
  assert.equal(dataBehindLink.code, 1);
  assert.match(dataBehindLink.stderr, /^error: cannot create the data folder .* is a symbolic link to .*nas\/backups, which does not exist \(a drive or share not connected\?\)\)/);
  assert.deepEqual(readdirSync(root).sort(), ['Backups', 'data', 'drive', 'notes', 'src']);
});

test('a restore onto a read-only file system stops saying so, in words, whether it fails making a folder or writing a file', (t) => {
  const ws = workspace(t);
  writeFileSync(join(ws.src, 'letter.txt'), 'Dear Ana,\n');
  ws.addSchedule('Documents');
  ws.ok(['run', 'Documents']);
  ws.addSchedule('Zipped', ['--compression', 'gzip']);
  ws.ok(['run', 'Zipped']);
  const disk = mountSmallDisk(t, 1);
  if (disk === null) return t.skip('mounting a tmpfs needs root');
  // Its folders made before the file system turns read-only: the restore then fails writing the file itself.
  makeFolders(join(disk, 'ready', ws.src));
  assert.equal(spawnSync('mount', ['-o', 'remount,ro', disk]).status, 0);
  const made = thrown(() => makeFolders(join(disk, 'restored')));
  assert.deepEqual([made.code, made.message], ['EROFS', `${disk} is on a read-only file system`]);
  const restore = ws.cli(['restore', '1', '--to', join(disk, 'restored'), '--json']);
  assert.equal(restore.code, 1, restore.stderr);
  assert.deepEqual(restore.json<{ refused: string[] }>().refused, [`the restore stopped: ${disk} is on a read-only file system; what is not listed as restored was not restored`]);
  const intoFolders = ws.cli(['restore', '1', '--to', join(disk, 'ready'), '--json']);
  assert.equal(intoFolders.code, 1, intoFolders.stderr);
  const readOnly = [`the restore stopped: cannot write ${join(disk, 'ready', ws.src, 'letter.txt')} (the file system is read-only); what is not listed as restored was not restored`];
  assert.deepEqual(intoFolders.json<{ refused: string[] }>().refused, readOnly);
  // From a gzip archive too, never blamed on the archive ("cannot be read past this point").
  const fromGzip = ws.cli(['restore', '2', '--to', join(disk, 'ready'), '--json']);
  assert.equal(fromGzip.code, 1, fromGzip.stderr);
  assert.deepEqual([fromGzip.json<{ refused: string[]; damaged: string[] }>().refused, fromGzip.json<{ damaged: string[] }>().damaged], [readOnly, []]);
});
