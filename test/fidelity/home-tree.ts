import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, ftruncateSync, linkSync, lutimesSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noise } from '../helpers/trees';

/**
 * A home-like tree for the fidelity suite (issue #14): every kind of thing a home folder holds that
 * a backup must give back as it was. Built with the system's own tools (touch for nanosecond times,
 * setfattr, setfacl, mkfifo), never with Dormouse's code.
 */

const GiB = 1024 * 1024 * 1024;
const KiB = 1024;

/** The sparse file: 1 GiB, two 16 KiB data islands, a hole at its end. */
export const sparseFile = { path: 'big.sparse', size: GiB, islands: [64 * 1024 * 1024, 640 * 1024 * 1024], islandSize: 16 * KiB };

/** The three names of one hard-link group, in three folders (the full backup's tree). */
export const linkNames = ['docs/linked.txt', 'photos/linked.txt', 'music/linked.txt'];

/** A file whose content appears nowhere else (the damage test flips a byte of it). */
export const damageTarget = { path: 'docs/damage-me.dat', marker: 'dormouse-fidelity-damage-target:' };

/** The setuid and setgid regular files (a restore by another user clears these bits). */
export const privilegedFiles = ['special/setuid-tool', 'special/setgid-tool'];

/** A 255-byte name (the longest Linux allows), in its folder. */
export const longName = `names/${'n'.repeat(251)}.txt`;

/** Names that are not valid UTF-8: a file, a folder with a file in it, and a symlink whose target is not UTF-8 either. */
export const binaryNames = {
  file: Buffer.from('names/latin1-\xe9t\xe9-\xff.txt', 'latin1'),
  folder: Buffer.from('names/dir-\xfe', 'latin1'),
  inFolder: Buffer.from('names/dir-\xfe/inside.txt', 'latin1'),
  link: Buffer.from('names/link-\xfd', 'latin1'),
  linkTarget: Buffer.from('target-\xfc-nowhere', 'latin1'),
};

/** Seconds since the epoch with nine decimals, as `touch -d @…` takes them. */
const times = {
  everyday: '1714979289.123456789',
  lastNanosecond: '1685622896.999999999',
  in1960: '-309015570', // 1960-03-15T10:20:30Z, a whole second (bsdtar 3.6 misreads negative fractions)
  in2100: '4107542400.250000000', // 2100-03-01T00:00:00.25Z
  folderNs: '1700000000.123456789',
  symlinkNs: '1600000000.500000001',
};

/** The tree's mtimes that the suite names: path → seconds, as the source has them. */
export const namedTimes: Record<string, string> = {
  'times/last-nanosecond.txt': times.lastNanosecond,
  'times/1960.txt': times.in1960,
  'times/2100.txt': times.in2100,
  times: times.folderNs,
  'links/relative': times.symlinkNs,
};

/** Whether the run has root's powers (chown to another uid, restore ownership). */
export const isRoot = process.getuid?.() === 0;



/** A path inside `root` from a name given as bytes. */
export function rawPath(root: string, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${root}/`), name]);
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr || result.error?.message}`);
}

/** Sets an mtime (and atime) to the nanosecond, on the entry itself (a symlink is not followed). */
export function setTime(path: string, seconds: string): void {
  run('touch', ['-h', '-d', `@${seconds}`, path]);
}

function sparse(path: string): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, sparseFile.size);
    sparseFile.islands.forEach((offset, index) => writeSync(fd, noise(sparseFile.islandSize, 100 + index), 0, sparseFile.islandSize, offset));
  } finally {
    closeSync(fd);
  }
}

/**
 * Why the fidelity suite cannot run here (a missing tool, or user xattrs/ACLs refused by the
 * temporary folder's file system), or null when it can.
 */
export function fidelityUnsupported(): string | null {
  for (const [tool, pkg] of [['rsync', 'rsync'], ['setfattr', 'attr'], ['getfattr', 'attr'], ['setfacl', 'acl'], ['getfacl', 'acl'], ['mkfifo', 'coreutils'], ['tar', 'tar'], ['python3', 'python3']]) {
    if (spawnSync(tool as string, ['--version'], { stdio: 'ignore' }).error) return `${tool} is missing (apt-get install -y ${pkg})`;
  }
  const probe = mkdtempSync(join(tmpdir(), 'dormouse-fidelity-probe-'));
  try {
    const file = join(probe, 'probe');
    writeFileSync(file, '');
    if (spawnSync('setfattr', ['-n', 'user.probe', '-v', '1', file]).status !== 0) return `the temporary folder's file system (${tmpdir()}) refuses user xattrs`;
    if (spawnSync('setfacl', ['-m', 'u:1234:r', file]).status !== 0) return `the temporary folder's file system (${tmpdir()}) refuses POSIX ACLs`;
    return null;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** Builds the home-like tree in `root` (an empty folder); takes well under a second. */
export function buildHomeTree(root: string): void {
  const at = (path: string) => join(root, path);
  const file = (path: string, content: string | Buffer, mode = 0o644) => {
    writeFileSync(at(path), content);
    chmodSync(at(path), mode);
  };
  for (const folder of ['docs', 'photos', 'music', 'empty-folder', 'deep/a/b/c', 'special/shared', 'special/team', 'links', 'attrs', 'acl-folder', 'names', 'times']) mkdirSync(at(folder), { recursive: true });

  file('docs/notes.txt', 'Monday: call the plumber.\n'.repeat(40));
  file('docs/report.bin', noise(300 * KiB, 1), 0o640);
  file('docs/read-only.txt', 'do not edit\n', 0o444);
  file('docs/empty.txt', '');
  file('docs/script.sh', '#!/bin/sh\necho restored\n', 0o750);
  file(damageTarget.path, Buffer.concat([Buffer.from(damageTarget.marker), noise(64 * KiB, 2)]));
  file(linkNames[0] as string, 'one file, three names\n'.repeat(100));
  for (const name of linkNames.slice(1)) linkSync(at(linkNames[0] as string), at(name));
  file('photos/holiday.jpg', noise(200 * KiB, 3));
  file('deep/a/b/c/bottom.txt', 'at the bottom\n', 0o600);
  file('deep/a/b/inside-read-only-folder.txt', 'my folder is 0555\n');

  file('special/setuid-tool', '#!/bin/sh\necho setuid\n', 0o755);
  file('special/setgid-tool', '#!/bin/sh\necho setgid\n', 0o755);
  chmodSync(at('special/setuid-tool'), 0o4755);
  chmodSync(at('special/setgid-tool'), 0o2755);
  chmodSync(at('special/shared'), 0o1777);
  chmodSync(at('special/team'), 0o2775);
  file('special/team/plan.txt', 'the plan\n', 0o664);
  if (isRoot) {
    mkdirSync(at('owned'));
    file('owned/theirs.txt', 'belongs to uid 1234\n', 0o640);
    for (const path of ['owned', 'owned/theirs.txt', 'special/setuid-tool']) chownSync(at(path), 1234, 2345);
    chmodSync(at('special/setuid-tool'), 0o4755); // chown clears it
  }

  symlinkSync('../docs/notes.txt', at('links/relative'));
  symlinkSync('/etc/hostname', at('links/absolute'));
  symlinkSync('does/not/exist', at('links/dangling'));
  symlinkSync('../deep', at('links/to-folder'));

  sparse(at(sparseFile.path));
  run('mkfifo', ['-m', '0620', at('pipe')]);

  file('attrs/tagged.txt', 'a file with extended attributes\n');
  run('setfattr', ['-n', 'user.comment', '-v', 'holiday photos, keep', at('attrs/tagged.txt')]);
  run('setfattr', ['-n', 'user.binary', '-v', '0x00ff7f80c3280a00', at('attrs/tagged.txt')]);
  run('setfattr', ['-n', 'user.folder-colour', '-v', 'green', at('attrs')]);

  file('acl-file.txt', 'shared with uid 1234 and gid 2345\n', 0o640);
  run('setfacl', ['-m', 'u:1234:rw-,g:2345:r--', at('acl-file.txt')]);
  run('setfacl', ['-m', 'u:1234:r-x', at('acl-folder')]);
  run('setfacl', ['-d', '-m', 'u::rwx,g::r-x,o::---,u:1234:rwx,g:2345:r-x', at('acl-folder')]);
  file('acl-folder/inherits.txt', 'created under a default ACL\n'); // chmod keeps the inherited entries, the mask follows the group bits

  file(longName, 'the longest name Linux allows\n');
  writeFileSync(rawPath(root, binaryNames.file), 'a name that is not UTF-8\n');
  mkdirSync(rawPath(root, binaryNames.folder));
  writeFileSync(rawPath(root, binaryNames.inFolder), 'inside a folder whose name is not UTF-8\n');
  symlinkSync(binaryNames.linkTarget, rawPath(root, binaryNames.link));

  file('times/last-nanosecond.txt', 'one nanosecond before the next second\n');
  file('times/1960.txt', 'older than the epoch\n');
  file('times/2100.txt', 'after 2038\n');
  stampTimes(root);
  chmodSync(at('deep'), 0o750);
  chmodSync(at('deep/a'), 0o711);
  chmodSync(at('deep/a/b'), 0o555);
  chmodSync(at('deep/a/b/c'), 0o700);
}

/** Gives every entry its mtime, children before their folders: the everyday time, or the named one. */
function stampTimes(root: string): void {
  const find = spawnSync('find', [root, '-mindepth', '1', '-depth', '-print0'], { encoding: 'buffer' });
  if (find.status !== 0) throw new Error(`find ${root} failed: ${find.stderr.toString()}`);
  const paths = find.stdout.toString('latin1').split('\0').filter((path) => path !== '');
  for (const latin1 of paths) {
    const bytes = Buffer.from(latin1, 'latin1');
    const path = bytes.toString('utf8');
    if (!Buffer.from(path, 'utf8').equals(bytes)) {
      // touch takes no name that is not UTF-8: a second and a half (exact in a double) through lutimes
      lutimesSync(bytes, 1714979289.5, 1714979289.5);
      continue;
    }
    setTime(path, namedTimes[path.slice(root.length + 1)] ?? times.everyday);
  }
  setTime(root, times.everyday);
}

/**
 * The changes between the full and the incremental backup: a content, a mode, an xattr, one name of
 * the hard-link group removed and another added (in a new folder).
 */
export function changeHomeTree(root: string): { removedLink: string; addedLink: string } {
  const at = (path: string) => join(root, path);
  writeFileSync(at('docs/notes.txt'), 'Tuesday: the plumber came. The sink works again.\n'.repeat(50));
  setTime(at('docs/notes.txt'), '1717000000.000000001');
  chmodSync(at('docs/script.sh'), 0o700);
  run('setfattr', ['-n', 'user.comment', '-v', 'holiday photos, changed', at('attrs/tagged.txt')]);
  run('setfattr', ['-x', 'user.binary', at('attrs/tagged.txt')]);
  const removedLink = linkNames[2] as string;
  const addedLink = 'photos/album/linked.txt';
  unlinkSync(at(removedLink));
  mkdirSync(at('photos/album'));
  linkSync(at(linkNames[0] as string), at(addedLink));
  return { removedLink, addedLink };
}
