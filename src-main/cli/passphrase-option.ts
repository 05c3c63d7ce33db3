import { Option } from 'commander';
import { DormouseError } from '../../shared/errors';
import { passphraseVariable, readPassphrase } from '../encryption/passphrase-source';

/**
 * The passphrase of an encrypted destination on the command line: `--passphrase-file FILE`, else
 * DORMOUSE_PASSPHRASE, else (only when the destination turns out to be encrypted) the terminal.
 */

/** The `--passphrase-file` option, for every command that may open an encrypted destination's key. */
export function passphraseFileOption(): Option {
  return new Option('--passphrase-file <file>', `an encrypted destination's passphrase, on one line (else ${passphraseVariable}, else asked on the terminal)`);
}

/** Where a command's passphrase may come from. */
export interface PassphraseSources {
  passphraseFile: string | undefined;
  env: NodeJS.ProcessEnv;
}

/** The passphrase given without asking (the file, else the environment variable), or undefined. */
export async function givenPassphrase(sources: PassphraseSources, purpose: string): Promise<string | undefined> {
  if (sources.passphraseFile === undefined && sources.env[passphraseVariable] === undefined) return undefined;
  return readPassphrase({ passphraseFile: sources.passphraseFile, isNew: false, purpose, env: sources.env });
}

/**
 * Runs a request that needs a passphrase only when its destination is encrypted: with the one given,
 * else without one, and when the engine answers that one is needed, once more with the passphrase
 * typed on the terminal (or the error saying how to give it, when there is no terminal).
 */
export async function withPassphrase<T>(sources: PassphraseSources, purpose: string, run: (passphrase: string | undefined) => Promise<T>): Promise<T> {
  const given = await givenPassphrase(sources, purpose);
  if (given !== undefined) return run(given);
  try {
    return await run(undefined);
  } catch (error) {
    if (!(error instanceof DormouseError) || error.code !== 'PASSPHRASE_NEEDED') throw error;
    if (!process.stdin.isTTY) throw error;
  }
  return run(await readPassphrase({ isNew: false, purpose, env: sources.env }));
}

/** A new passphrase (a new key): the file, else the environment variable, else typed twice on the terminal; at least 12 characters. */
export function newPassphrase(sources: PassphraseSources, purpose: string): Promise<string> {
  return readPassphrase({ passphraseFile: sources.passphraseFile, isNew: true, purpose, env: sources.env });
}
