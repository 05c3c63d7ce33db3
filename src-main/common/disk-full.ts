import { statfsSync, type StatsFs } from 'node:fs';
import { dirname } from 'node:path';
import { formatBytes } from '../../shared/format';

/** Free inodes below this count, on a disk with space left, mean it is out of room for files, not bytes. */
const fewInodes = 64;

/** Whether a file-system error means there was no room: the disk full, out of room for more files, or the user's quota used up. */
export function isNoSpace(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * Says which of the three kinds of "no room" the disk holding `path` is in (its space, its room
 * for more files, or the user's quota there), since ENOSPC stands for the first two and each is
 * freed differently. For an error isNoSpace accepts.
 */
export function noSpaceWords(path: string, error: unknown): string {
  if ((error as NodeJS.ErrnoException).code === 'EDQUOT') return `your disk quota on the disk holding ${path} is used up`;
  const space = fileSystemOf(path);
  if (space === null) return `the disk holding ${path} ran out of space`;
  const free = space.bavail * space.bsize;
  // A disk with room left but no free inodes (ext4 full of small files) says ENOSPC too. What failed was removed since, which may have freed an inode or two.
  if (space.ffree < fewInodes && free >= 1024 * 1024) return `the disk holding ${path} has no room for more files (no free inodes, though ${formatBytes(free)} is free)`;
  // What failed to fit was removed, so what is free now may be more than was free then.
  return `the disk holding ${path} ran out of space (${formatBytes(free)} free now)`;
}

/** The statfs of the file system holding `path`, from its nearest existing folder; null when none can be read. */
function fileSystemOf(path: string): StatsFs | null {
  for (let at = path; ; at = dirname(at)) {
    try {
      return statfsSync(at);
    } catch {
      if (dirname(at) === at) return null;
    }
  }
}
