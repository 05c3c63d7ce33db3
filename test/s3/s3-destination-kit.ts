import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dormouse, repoRoot, type CliResult } from '../helpers/cli';
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

/**
 * The same CLI run without blocking this process: needed when the command talks to the S3 server
 * through a fault proxy that lives in this process (spawnSync would stop it from forwarding).
 */
export function s3CliAsync(server: S3Server, dataDir: string, env: NodeJS.ProcessEnv = {}): (args: string[]) => Promise<CliResult> {
  return (args) => s3CliStart(server, dataDir, env)(args).done;
}

/** A CLI run started in the background: its process (to find its archive worker) and its result. */
export interface StartedS3Cli {
  child: ChildProcess;
  done: Promise<CliResult>;
}

/** Like s3CliAsync, but hands back the running process too. */
export function s3CliStart(server: S3Server, dataDir: string, env: NodeJS.ProcessEnv = {}): (args: string[]) => StartedS3Cli {
  return (args) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey, AWS_SHARED_CREDENTIALS_FILE: join(dataDir, 'no-aws-file'), ...env };
    delete childEnv.NODE_OPTIONS;
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'dormouse.cjs'), '--data-dir', dataDir, '--json', ...args], { cwd: repoRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const done = new Promise<CliResult>((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr, json: <T>() => JSON.parse(stdout) as T });
      });
    });
    return { child, done };
  };
}
