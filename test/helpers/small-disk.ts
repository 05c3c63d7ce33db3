import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Mounts a small file system the test owns (these machines run tests as root) and unmounts it when
 * the test ends: tmpfs by default, or ext4 on a loop device (a file system that takes direct I/O,
 * as a USB drive does). Returns null where mounting is not allowed, so the test can skip with a reason.
 */
export function mountSmallDisk(t: { after: (fn: () => void) => void }, sizeMiB: number, fileSystem: 'tmpfs' | 'ext4' = 'tmpfs'): string | null {
  const mountPoint = mkdtempSync(join(tmpdir(), 'dormouse-small-disk-'));
  const image = `${mountPoint}.img`;
  const mount = (): boolean => {
    if (fileSystem === 'tmpfs') return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0700`, 'tmpfs', mountPoint]).status === 0;
    if (spawnSync('truncate', ['-s', `${sizeMiB}M`, image]).status !== 0) return false;
    if (spawnSync('mkfs.ext4', ['-q', '-F', '-m', '0', image]).status !== 0) return false;
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
