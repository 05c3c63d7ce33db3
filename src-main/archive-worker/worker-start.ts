import { deferExtraCertificates } from '../common/extra-certificates';

/**
 * How the archive worker process starts, the same under plain Node's fork and Electron's
 * utilityProcess: its flags and its environment. Each backup, restore and verify starts one, so
 * what its start costs is paid by every command that uses it.
 */

/**
 * The Node flags the archive worker process starts with: `gc` for keepHeapTrimmed. The young
 * generation keeps V8's size: 8 MB semi-spaces instead of 16 cost a full backup of a million files
 * 1.7 s more in scavenges.
 */
export const workerExecArgv: readonly string[] = ['--expose-gc'];

/**
 * The environment the archive worker process starts with: its parent's, with glibc's malloc held to
 * two arenas unless the user chose otherwise, and NODE_EXTRA_CA_CERTS handed on to be read when the
 * worker first speaks HTTPS (extra-certificates.ts), not as it starts.
 *
 * Each of the worker's threads (a restore's file threads, a backup's output threads) otherwise grew
 * an arena of its own that kept its freed blocks: a 100,000-file restore's worker crept 10 MB higher
 * than with the threads sharing two, at the same speed (125,000-file restores and backups measured
 * both ways). Other allocators ignore the variable.
 */
export function workerEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...deferExtraCertificates(base), MALLOC_ARENA_MAX: base.MALLOC_ARENA_MAX ?? '2' };
}
