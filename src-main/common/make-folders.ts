import { mkdirSync, readlinkSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

type ToFs = (path: string) => string | Buffer;

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

function problem(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/** Where a symlink to a folder that is gone leads, in words: said wherever a folder is made or checked. */
export function leadsNowhere(link: string): string {
  return `is a symbolic link to ${link}, which does not exist (a drive or share not connected?)`;
}

/** Why something already at `path` is not a folder to make things in: a file, or a symlink that leads nowhere. */
function notAFolder(path: string, toFs: ToFs): NodeJS.ErrnoException | null {
  const stats = statSync(toFs(path), { throwIfNoEntry: false });
  if (stats?.isDirectory()) return null;
  if (stats) return problem('ENOTDIR', `${path} is a file, not a folder`);
  let link = '';
  try {
    link = readlinkSync(toFs(path), 'utf8');
  } catch {
    return problem('ENOENT', `${path} could not be made (it is there, yet not there: removed meanwhile?)`);
  }
  return problem('ENOENT', `${path} ${leadsNowhere(link)}`);
}

/** The file on the way to `path` that keeps a folder from being made there, named. */
function fileOnTheWay(path: string, toFs: ToFs, error: unknown): NodeJS.ErrnoException {
  for (let at = dirname(path); dirname(at) !== at; at = dirname(at)) {
    let stats;
    try {
      stats = statSync(toFs(at), { throwIfNoEntry: false });
    } catch {
      continue;
    }
    if (stats && !stats.isDirectory()) return problem('ENOTDIR', `${at} is a file, not a folder`);
  }
  return error as NodeJS.ErrnoException;
}

/**
 * `mkdir -p` that always ends: makes a folder and the missing ones above it and returns the first it
 * made (undefined when the folder was there), with one mkdir where its parent exists. Node's own
 * recursive mkdir spins forever, at full CPU, when a folder's parent exists but making the folder
 * there fails with ENOENT (a symlink on the way to a folder that is gone, such as an unmounted
 * share's; anything under /proc): here that error is thrown. A file in the way, such a symlink, a
 * folder the user may not write in and a read-only file system are named in words. `toFs` turns the path as the caller spells it into the one the system calls
 * take (byte names).
 */
export function makeFolders(path: string, mode = 0o777, toFs: ToFs = (same) => same): string | undefined {
  try {
    mkdirSync(toFs(path), { mode });
    return path;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EEXIST') {
      const refusal = notAFolder(path, toFs);
      if (refusal) throw refusal;
      return undefined;
    }
    if (code === 'ENOTDIR') throw fileOnTheWay(path, toFs, error);
    if (code === 'EACCES' || code === 'EPERM') throw problem(code, `${dirname(path)} does not let you make a folder in it (permission denied)`);
    if (code === 'EROFS') throw problem(code, `${dirname(path)} is on a read-only file system`);
    if (code !== 'ENOENT') throw error;
    const parent = dirname(path);
    // The parent is there, yet the folder cannot be made in it: where Node's recursive mkdir loops.
    if (parent === path || statSync(toFs(parent), { throwIfNoEntry: false })?.isDirectory()) throw error;
    const first = makeFolders(parent, mode, toFs);
    makeFolders(path, mode, toFs);
    return first ?? path;
  }
}
