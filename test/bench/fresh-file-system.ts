import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Where one whole-tree restore lands, and how to clear it away. */
export interface RestoreTarget {
  /** A folder that does not exist yet, for the restore to make. */
  path: string;
  remove(): void;
}

/** Whether each restore gets a file system of its own (BENCH_FRESH_FS=1). */
export const freshFileSystems = process.env.BENCH_FRESH_FS === '1';

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`BENCH_FRESH_FS=1 needs root, losetup and mkfs.ext4: \`${command} ${args.join(' ')}\` failed (${(result.stderr || result.error?.message || '').trim()})`);
  return result.stdout.trim();
}

/**
 * A place for a whole-tree restore. With BENCH_FRESH_FS=1 (as root), a freshly made ext4 file system
 * on a loop device (direct I/O, inode tables written at once), one per restore: ext4 makes files
 * slowly near ones deleted shortly before, and in the same folder of the machine's own disk the tool
 * going second would pay for the first one's clean-up, or its writeback. Otherwise a folder in `work`.
 */
export function restoreTarget(work: string, name: string, bytes: number, inodes: number): RestoreTarget {
  if (!freshFileSystems) {
    const path = join(work, name);
    return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
  }
  const image = join(work, `${name}.ext4`);
  const mountPoint = mkdtempSync(join(work, `${name}-mount-`));
  run('truncate', ['-s', String(Math.ceil(bytes / 2 ** 20) * 2 ** 20), image]);
  const device = run('losetup', ['--direct-io=on', '-f', '--show', image]);
  try {
    run('mkfs.ext4', ['-q', '-F', '-N', String(inodes), '-E', 'lazy_itable_init=0,lazy_journal_init=0', device]);
    run('mount', [device, mountPoint]);
  } catch (error) {
    spawnSync('losetup', ['-d', device]);
    rmSync(image, { force: true });
    throw error;
  }
  return {
    path: join(mountPoint, 'restored'),
    remove: () => {
      spawnSync('umount', [mountPoint]);
      spawnSync('losetup', ['-d', device]);
      rmSync(image, { force: true });
      rmSync(mountPoint, { recursive: true, force: true });
    },
  };
}
