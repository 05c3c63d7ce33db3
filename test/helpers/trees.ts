import Database from 'better-sqlite3';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, writeFileSync, truncateSync } from 'node:fs';
import { join, relative } from 'node:path';
import { dormouse, repoRoot, temporaryFolder, type CliResult } from './cli';
import type { JobView as Job, SnapshotView as Snapshot } from '../../shared/types';
export type { Job, Snapshot };



export function describeResult(result: CliResult): string {
  return `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

/**
 * A workspace for backup tests: a data folder, a destination folder "usb" and a source folder,
 * each in its own real temporary folder; every CLI call gets `--data-dir`.
 */
export interface Workspace {
  root: string;
  dataDir: string;
  dest: string;
  src: string;
  /** Runs the real CLI with `--data-dir` on this workspace. */
  cli(args: string[]): CliResult;
  /** Runs the real CLI with `--json` and asserts exit 0; returns the parsed document. */
  ok<T>(args: string[]): T;
  /** Adds a schedule (sources default to the workspace's source folder). */
  addSchedule(name: string, extra?: string[], sources?: string[]): void;
  /** The catalog file. */
  catalog: string;
}

export function workspace(t: { after: (fn: () => void) => void }): Workspace {
  const root = temporaryFolder(t, 'dormouse-jobs-');
  const dataDir = join(root, 'data');
  const dest = join(root, 'drive');
  const src = join(root, 'src');
  for (const folder of [dest, src]) mkdirSync(folder, { recursive: true });
  const cli = (args: string[]) => dormouse(['--data-dir', dataDir, ...args]);
  const ok = <T>(args: string[]): T => {
    const result = cli([...args, '--json']);
    if (result.code !== 0) throw new Error(`dormouse ${args.join(' ')} failed: ${describeResult(result)}`);
    return result.json<T>();
  };
  ok(['destination', 'add', '--name', 'usb', '--path', dest]);
  return {
    root,
    dataDir,
    dest,
    src,
    cli,
    ok,
    catalog: join(dataDir, 'dormouse.sqlite'),
    addSchedule(name, extra = [], sources = [src]) {
      ok(['schedule', 'add', '--name', name, ...sources.flatMap((source) => ['--source', source]), '--destination', 'usb', '--cron', '0 3 * * *', ...extra]);
    },
  };
}

/** What one path of a tree is, as a person comparing two copies would check it. */
export interface TreeEntry {
  type: 'file' | 'directory' | 'symlink' | 'other';
  mode: number;
  size: number;
  mtimeSeconds: number;
  sha256?: string;
  linkTarget?: string;
}

/** Every path under a folder (relative, '/'-separated) with its type, mode, size, mtime, content hash and link target. */
export function describeTree(folder: string, options: { skip?: (relativePath: string) => boolean } = {}): Map<string, TreeEntry> {
  const entries = new Map<string, TreeEntry>();
  const visit = (path: string) => {
    for (const name of readdirSync(path).sort()) {
      const child = join(path, name);
      const rel = relative(folder, child);
      if (options.skip?.(rel)) continue;
      const stats = lstatSync(child);
      const type = stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : stats.isSymbolicLink() ? 'symlink' : 'other';
      const entry: TreeEntry = { type, mode: stats.mode & 0o7777, size: type === 'file' ? stats.size : 0, mtimeSeconds: Math.floor(stats.mtimeMs / 1000) };
      if (type === 'file') entry.sha256 = sha256File(child);
      if (type === 'symlink') {
        entry.linkTarget = readlinkSync(child);
        entry.mode = 0;
        entry.mtimeSeconds = 0;
      }
      entries.set(rel, entry);
      if (type === 'directory') visit(child);
    }
  };
  visit(folder);
  return entries;
}

/** The XXH3-128 of a file as Debian's xxh128sum prints it: what a format 4 manifest records, computed by another program. */
export function xxh128File(path: string): string {
  const result = spawnSync('xxh128sum', ['--', path], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`xxh128sum ${path} failed (apt-get install xxhash): ${result.stderr}${result.error?.message ?? ''}`);
  return result.stdout.split(' ')[0] as string;
}

/** The SHA-256 of a file, read in chunks. */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      hash.update(buffer.subarray(0, read));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Every file below a folder whose name ends with `.partial`. */
export function partialFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return (readdirSync(folder, { recursive: true }) as string[]).filter((name) => name.endsWith('.partial')).map((name) => join(folder, name));
}

/** Every archive (`.tar`, `.tar.gz`) below a folder. */
export function archiveFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return (readdirSync(folder, { recursive: true }) as string[])
    .filter((name) => name.endsWith('.tar') || name.endsWith('.tar.gz'))
    .map((name) => join(folder, name))
    .sort();
}

/**
 * Makes a file of `size` bytes whose blocks are allocated (fallocate) but never written: reading
 * gives zeros at once, so a backup has real bytes to copy without the test writing them first. A
 * sparse file would not do: backups store only a sparse file's data, so there would be nothing to copy.
 */
export function allocatedFile(file: string, size: number, firstLine = ''): void {
  writeFileSync(file, firstLine);
  const result = spawnSync('fallocate', ['-o', String(Buffer.byteLength(firstLine)), '-l', String(Math.max(1, size - Buffer.byteLength(firstLine))), file]);
  if (result.status !== 0) throw new Error(`fallocate ${file}: ${String(result.stderr)}`);
  truncateSync(file, size);
}

/** Writes `count` allocated files of `size` bytes each (see allocatedFile), so a backup has gigabytes to read without the test writing them. With gzip the archive stays small. */
export function zeroFiles(folder: string, count: number, size: number, prefix = 'big'): void {
  for (let index = 0; index < count; index += 1) allocatedFile(join(folder, `${prefix}-${String(index).padStart(4, '0')}.bin`), size, `file ${index}\n`);
}

/** Polls until `check` returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | null, timeoutMs = 20_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A running `dormouse` child process with its output collected. */
export interface RunningCli {
  child: ChildProcess;
  /** Resolves when the process has exited. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts the real CLI without waiting for it (the long-running `dormouse run` of cancel and crash tests). */
export function startDormouse(args: string[], options: { ownProcessGroup?: boolean } = {}): RunningCli {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'dormouse.cjs'), ...args], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, like a command started in a terminal: Ctrl-C signals the whole group.
    detached: options.ownProcessGroup === true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Pids of a process's direct children (`pgrep -P`). */
export function childPids(pid: number): number[] {
  const result = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  return result.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map(Number);
}

/** The command line of a process, from /proc. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** A row of the jobs table, read straight from the catalog. */
export interface JobRow {
  id: number;
  schedule_id: number;
  status: string;
  archive_path: string | null;
  owner_pid: number | null;
  owner_hostname: string | null;
  [column: string]: unknown;
}

/** Reads the jobs table directly (read-only), for watching another process's job. */
export function readJobs(catalog: string): JobRow[] {
  const db = new Database(catalog, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare('SELECT * FROM jobs ORDER BY id').all() as JobRow[];
  } finally {
    db.close();
  }
}

/** The pid of a process that has exited: a pid no live process has. */
export function deadPid(): number {
  const result = spawnSync('true');
  const pid = result.pid;
  if (!pid) throw new Error('could not start `true`');
  return pid;
}

/** A deterministic, incompressible-looking content of `size` bytes, different per `seed`. */
export function noise(size: number, seed: number): Buffer {
  const buffer = Buffer.alloc(size);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let index = 0; index < size; index += 1) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    buffer[index] = state & 0xff;
  }
  return buffer;
}

/** Whether a process runs: signalled without error and not a zombie waiting to be reaped. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}
