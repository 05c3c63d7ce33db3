import { DormouseError } from '../../shared/errors';

/** Says in words what a SQLite error from the catalog means and what to do, or null for other errors. */
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
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL') {
    return new DormouseError('DATABASE_UNREADABLE', `the catalog ${file} cannot be written (${reason}); check the data folder's permissions and free space, or pass --data-dir`);
  }
  return null;
}
