import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dormouse, type CliResult } from '../helpers/cli';
import type { S3Server } from '../helpers/s3-server';

/** A passphrase long enough for a new encrypted destination. */
export const passphrase = 'a bucket far from the flood';

/** The CLI on one data folder, with the test user's S3 keys in the environment (as a person would export them). */
export function s3Cli(server: S3Server, dataDir: string, env: NodeJS.ProcessEnv = {}): (args: string[]) => CliResult {
  return (args) =>
    dormouse(['--data-dir', dataDir, '--json', ...args], {
      env: { AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey, AWS_SHARED_CREDENTIALS_FILE: join(dataDir, 'no-aws-file'), ...env },
    });
}

/** Writes the passphrase into a file for --passphrase-file and returns its path. */
export function passphraseFile(folder: string, text = passphrase): string {
  const file = join(folder, `passphrase-${text.length}.txt`);
  writeFileSync(file, `${text}\n`);
  return file;
}

/** `destination add` arguments for an S3 destination on the test server (path-style, as Ceph wants on loopback). */
export function s3AddArgs(server: S3Server, name: string, url: string, endpoint = server.endpoint): string[] {
  return ['destination', 'add', '--name', name, '--s3', url, '--endpoint', endpoint, '--path-style'];
}
