import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { DormouseError } from '../../shared/errors';
import { formatBytes } from '../../shared/format';

/** Below this much free space, a catalog that cannot be opened or written is taken to be on a full disk. */
const fullBelowBytes = 1024 * 1024;

/** The free space of the disk holding the data folder, or null when it cannot be told. */
function freeBytesBeside(file: string): number | null {
  try {
    const space = statfsSync(dirname(file));
    return space.bavail * space.bsize;
  } catch {
    return null;
  }
}

/**
 * Says in words what a SQLite error from the catalog means and what to do, or null for other
 * errors: damaged, busy, on a full disk (SQLite says only "disk I/O error" when it cannot even make
 * its shared-memory file there), or not writable.
 */
export function catalogError(error: unknown, file: string): DormouseError | null {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return null;
  const reason = (error as Error).message;
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new DormouseError('DATABASE_UNREADABLE', `the catalog ${file} is damaged (${reason}); move it aside (your archives are safe on their destinations) and add the destination again to rebuild it`);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new DormouseError('DATABASE_UNREADABLE', `the catalog ${file} is busy: another program kept it locked for too long (${reason}); try again`);
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_PERM') || code === 'SQLITE_FULL') {
    const free = freeBytesBeside(file);
    if (code === 'SQLITE_FULL' || (free !== null && free < fullBelowBytes)) {
      const left = free === null ? '' : ` (${formatBytes(free)} free)`;
      return new DormouseError('INSUFFICIENT_SPACE', `the disk holding the catalog ${file} is full${left}; free some space there and try again (the catalog was left as it was), or pass --data-dir`);
    }
    return new DormouseError('DATABASE_UNREADABLE', `cannot open or write the catalog ${file} (${reason}); check the data folder's permissions (it must be writable) or pass --data-dir`);
  }
  return null;
}
