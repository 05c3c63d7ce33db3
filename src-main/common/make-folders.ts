import { mkdirSync, readlinkSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

function problem(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/**
 * `mkdir -p` that always ends: makes a folder and the missing ones above it, one mkdir each, and
 * returns the first it made (undefined when the folder was there). Node's own recursive mkdir spins
 * forever, at full CPU, when a folder's parent exists but making the folder there fails with ENOENT
 * (a symlink on the way to a folder that is gone, such as an unmounted share's; anything under
 * /proc): here that mkdir's error is thrown. A file in the way, or such a symlink, is named in words.
 * `toFs` turns the path as the caller spells it into the one the system calls take (byte names).
 */
export function makeFolders(path: string, mode = 0o777, toFs: (path: string) => string | Buffer = (same) => same): string | undefined {
  const missing: string[] = [];
  let at = path;
  for (;;) {
    try {
      if (statSync(toFs(at)).isDirectory()) break;
      throw problem(missing.length === 0 ? 'EEXIST' : 'ENOTDIR', `${at} is a file, not a folder`);
    } catch (error) {
      // ENOTDIR: a file above it, found (and named) on the way up.
      if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') throw error;
      const parent = dirname(at);
      if (parent === at) throw error;
      missing.unshift(at);
      at = parent;
    }
  }
  for (const folder of missing) {
    try {
      mkdirSync(toFs(folder), { mode });
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
      let link: string | null = null;
      try {
        link = readlinkSync(toFs(folder), 'utf8');
      } catch {
        // not a symlink: something else was made there meanwhile
      }
      if (link !== null && !statSync(toFs(folder), { throwIfNoEntry: false })) throw problem('ENOENT', `${folder} is a symbolic link to ${link}, which does not exist (a drive or share not connected?)`);
      if (!statSync(toFs(folder)).isDirectory()) throw problem('ENOTDIR', `${folder} is a file, not a folder`);
    }
  }
  return missing[0];
}
