import { writeFileSync } from 'node:fs';
import { DormouseError } from '../../shared/errors';
import { readPassphrase } from '../../src-main/encryption/passphrase-source';

// A stand-in for the CLI command that will ask for a passphrase: `[--new] [--passphrase-file FILE]`;
// writes {passphrase} or {error: {code, message}} as JSON to the file in PROBE_OUT (the terminal may be stdout).
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const fileAt = args.indexOf('--passphrase-file');
  const report = (value: unknown): void => writeFileSync(process.env.PROBE_OUT as string, JSON.stringify(value));
  try {
    const passphrase = await readPassphrase({ isNew: args.includes('--new'), purpose: 'for the destination "Drive"', passphraseFile: fileAt >= 0 ? args[fileAt + 1] : undefined });
    report({ passphrase });
  } catch (error) {
    if (!(error instanceof DormouseError)) throw error;
    report({ error: { code: error.code, message: error.message } });
    process.exitCode = 2;
  }
}

void main();
