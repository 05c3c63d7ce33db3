import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The repository root, where the built `bin/dormouse.cjs` lives. */
export const repoRoot = join(__dirname, '..', '..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON document `--json` promises. */
  json<T = unknown>(): T;
}

/** Runs the real, built `dormouse` command in a child process (through `prefix`, such as setpriv, to run it as another user). */
export function dormouse(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; prefix?: string[] } = {}): CliResult {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  delete env.NODE_OPTIONS;
  const [command, ...before] = [...(options.prefix ?? []), process.execPath];
  const result = spawnSync(command as string, [...before, join(repoRoot, 'bin', 'dormouse.cjs'), ...args], {
    cwd: options.cwd ?? repoRoot,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return {
    code: result.status ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    json<T>() {
      return JSON.parse(result.stdout) as T;
    },
  };
}

/** A temporary folder removed when the test ends. */
export function temporaryFolder(t: { after: (fn: () => void) => void }, prefix = 'dormouse-test-'): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

/** A CLI result in full, for assertion messages. */
export function describeResult(result: CliResult): string {
  return `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

/** Asserts a command succeeded quietly and returns its `--json` document. */
export function expectOk<T>(result: CliResult): T {
  assert.equal(result.code, 0, describeResult(result));
  assert.equal(result.stderr, '', describeResult(result));
  return result.json<T>();
}

/** The error convention: the exit code, nothing on stdout, and exactly one `error: ` line on stderr (saying what, when given). */
export function expectError(result: CliResult, code: 1 | 2, says?: RegExp): void {
  assert.equal(result.code, code, describeResult(result));
  assert.equal(result.stdout, '', describeResult(result));
  assert.match(result.stderr, /^error: [^\n]+\n$/, describeResult(result));
  if (says) assert.match(result.stderr, says, describeResult(result));
}
