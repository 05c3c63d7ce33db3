import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Mounts a small tmpfs the test owns (these machines run tests as root) and unmounts it when the
 * test ends. Returns null where mounting is not allowed, so the test can skip with a reason.
 */
export function mountSmallDisk(t: { after: (fn: () => void) => void }, sizeMiB: number): string | null {
  const mountPoint = mkdtempSync(join(tmpdir(), 'dormouse-small-disk-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0700`, 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    rmdirSync(mountPoint);
    return null;
  }
  t.after(() => {
    spawnSync('umount', ['-l', mountPoint]);
    rmdirSync(mountPoint);
  });
  return mountPoint;
}
