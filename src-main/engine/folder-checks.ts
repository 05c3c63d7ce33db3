import { readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { DormouseError } from '../../shared/errors';
import { answerWithin } from '../common/files';
import { leadsNowhere } from '../common/make-folders';
import { viewTimeoutMs } from '../destinations/destination-probe';

/** Why a folder could not be checked: it did not answer in time (a share out of reach, a drive that hangs). */
export function notAnswering(role: string, path: string): DormouseError {
  // Not the caller's mistake (the path may be right): the operation failed, as a backup would.
  return new DormouseError(role === 'source' ? 'SOURCE_MISSING' : 'DESTINATION_UNAVAILABLE', `${role} "${path}" did not answer within ${viewTimeoutMs / 1000} s: a network share out of reach, or a drive that hangs; try again once it answers`);
}

/**
 * A folder's real path, read off the event loop so a share that stopped answering cannot freeze
 * the owner; after a few seconds (or when it cannot be resolved) the path as written.
 */
export async function realOrResolved(path: string): Promise<string> {
  const real = await answerWithin(path, () => realpath(path).catch(() => resolve(path)), viewTimeoutMs);
  return real.timedOut ? resolve(path) : real.value;
}

/** Checks that a path names an existing folder, off the event loop and within a few seconds. */
export async function requireFolder(path: string, role: string, hint: string): Promise<string> {
  if (!isAbsolute(path)) throw new DormouseError('INVALID_INPUT', `${role} "${path}" must be an absolute path`);
  const checked = await answerWithin(path, () => stat(path).catch(() => null), viewTimeoutMs);
  if (checked.timedOut) throw notAnswering(role, path);
  if (checked.value === null) {
    // A symlink to a folder that is gone (an unmounted share's): say where it leads.
    const link = await answerWithin(path, () => readlink(path).catch(() => null), viewTimeoutMs);
    const why = !link.timedOut && link.value !== null ? leadsNowhere(link.value) : 'does not exist';
    throw new DormouseError('INVALID_INPUT', `${role} "${path}" ${why}; ${hint}`);
  }
  if (!checked.value.isDirectory()) throw new DormouseError('INVALID_INPUT', `${role} "${path}" is not a folder; ${hint}`);
  return resolve(path);
}
