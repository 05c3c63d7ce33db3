import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The file systems a test can mount: tmpfs, or a drive's file system on a loop device. */
export type SmallDiskKind = 'tmpfs' | 'ext4' | 'xfs' | 'btrfs';

/** The smallest size each drive file system's mkfs accepts (XFS wants 300 MiB); the image file is sparse. */
const smallestMiB: Record<SmallDiskKind, number> = { tmpfs: 1, ext4: 1, xfs: 300, btrfs: 120 };

const mkfsArguments: Record<Exclude<SmallDiskKind, 'tmpfs'>, string[]> = {
  ext4: ['mkfs.ext4', '-q', '-F', '-m', '0'],
  xfs: ['mkfs.xfs', '-q', '-f'],
  btrfs: ['mkfs.btrfs', '-q', '-f'],
};

/**
 * Mounts a small file system the test owns (these machines run tests as root) and unmounts it when
 * the test ends: tmpfs by default, or ext4, XFS or Btrfs on a loop device (file systems that take
 * direct I/O, as a USB drive does). Returns null where mounting is not allowed or the file system's
 * tools are missing, so the test can skip with a reason. `inodes` caps how many files a tmpfs holds.
 */
export function mountSmallDisk(t: { after: (fn: () => void) => void }, sizeMiB: number, fileSystem: SmallDiskKind = 'tmpfs', inodes?: number): string | null {
  const mountPoint = mkdtempSync(join(tmpdir(), 'dormouse-small-disk-'));
  const image = `${mountPoint}.img`;
  const mount = (): boolean => {
    if (fileSystem === 'tmpfs') return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0700${inodes === undefined ? '' : `,nr_inodes=${inodes}`}`, 'tmpfs', mountPoint]).status === 0;
    if (spawnSync('truncate', ['-s', `${Math.max(sizeMiB, smallestMiB[fileSystem])}M`, image]).status !== 0) return false;
    const [mkfs, ...options] = mkfsArguments[fileSystem];
    if (spawnSync(mkfs as string, [...options, image]).status !== 0) return false;
    return spawnSync('mount', ['-o', 'loop', image, mountPoint]).status === 0;
  };
  if (!mount()) {
    rmdirSync(mountPoint);
    rmSync(image, { force: true });
    return null;
  }
  t.after(() => {
    spawnSync('umount', ['-l', mountPoint]);
    rmdirSync(mountPoint);
    rmSync(image, { force: true });
  });
  return mountPoint;
}
