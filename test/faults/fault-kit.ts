// Helpers shared by the fault-injection tests in test/faults/: a real `dormouse daemon` child,
// process states from /proc, an unprivileged user to run the CLI as, a seeded random generator,
// tar extraction, and small waits. No mocks: everything here starts or inspects real processes.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { dormouse, type CliResult } from '../helpers/cli';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export { startDaemon, type DaemonProcess } from '../helpers/daemon';

/** The one-letter state of a process from /proc (R, S, D, Z, T…), or null when there is no such process. */
export function processState(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').charAt(0);
  } catch {
    return null;
  }
}

/** Gone, or a zombie waiting for its new parent to reap it: either way it runs no more code. */
export function processStopped(pid: number): boolean {
  const state = processState(pid);
  return state === null || state === 'Z' || state === 'X';
}

/** Whether a process has a file open, and at what offset (from /proc/PID/fd and fdinfo). */
export function openOffset(pid: number, file: string): number | null {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== file) continue;
      const info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      const pos = /^pos:\s+(\d+)/m.exec(info);
      return pos ? Number(pos[1]) : 0;
    } catch {
      // the fd closed meanwhile
    }
  }
  return null;
}

/** Polls (every intervalMs, async) until check returns a value, or throws after timeoutMs. */
export async function until<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 20_000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** A 6-field cron (seconds first) firing every day at the local wall-clock time of `at`. */
export function dailyCronAt(at: Date): string {
  return `${at.getSeconds()} ${at.getMinutes()} ${at.getHours()} * * *`;
}

/** mulberry32: a small seeded generator, so a failing soak run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** Extracts an archive with GNU tar; answers its exit code and stderr. */
export function tarExtract(archive: string, into: string): { code: number | null; stderr: string } {
  const result = spawnSync('tar', ['-xf', archive, '-C', into], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: result.status, stderr: result.stderr };
}

/** Every file below a folder whose name ends with `.sha256`. */
export function sidecarFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return (readdirSync(folder, { recursive: true }) as string[]).filter((name) => name.endsWith('.sha256')).map((name) => join(folder, name));
}

/**
 * The unprivileged user the permission tests run the CLI as (nobody/nogroup through setpriv, else
 * runuser), or the reason there is none: chmod 000 does not stop root, so those tests need one.
 */
export interface Unprivileged {
  uid: number;
  gid: number;
  /** The command prefix that runs a program as that user. */
  prefix: string[];
  /** Gives the user a path (chown), so it may use it. */
  give(path: string): void;
  /** Runs the built CLI as that user. */
  dormouse(args: string[]): CliResult;
}

export function unprivilegedUser(): Unprivileged | string {
  if (process.getuid?.() !== 0) return 'not running as root: cannot switch to an unprivileged user (and chmod already binds this user)';
  const ids = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
  const group = spawnSync('getent', ['group', 'nogroup'], { encoding: 'utf8' });
  if (ids.status !== 0) return 'there is no user "nobody" here';
  const uid = Number(ids.stdout.trim());
  const gid = group.status === 0 ? Number(group.stdout.split(':')[2]) : uid;
  const candidates = [
    ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups'],
    ['runuser', '-u', 'nobody', '--'],
  ];
  for (const prefix of candidates) {
    const probe = spawnSync(prefix[0] as string, [...prefix.slice(1), process.execPath, '-e', 'process.stdout.write(String(process.getuid()))'], { encoding: 'utf8' });
    if (probe.status === 0 && probe.stdout === String(uid)) {
      return {
        uid,
        gid,
        prefix,
        give(path) {
          chownSync(path, uid, gid);
        },
        dormouse(args) {
          return dormouse(args, { env: { HOME: '/nonexistent' }, cwd: '/', prefix });
        },
      };
    }
  }
  return 'neither setpriv nor runuser can switch to the user nobody here';
}

/** Lets every user traverse a folder (the temporary folders are 0700), so an unprivileged user can reach what is inside. */
export function openToOthers(folder: string): void {
  chmodSync(folder, 0o755);
}

/** Whether a folder is a mount point now (`mountpoint -q`). */
export function isMountPoint(folder: string): boolean {
  return spawnSync('mountpoint', ['-q', folder]).status === 0;
}

/**
 * Bind-mounts `from` (the "drive") at `at` (its mount point on the laptop). Answers how to plug and
 * unplug it, and release() to unmount it for good (before its parent folder is removed), or null
 * where mounting fails.
 */
export function bindMount(from: string, at: string): { plug(): void; unplug(lazy?: boolean): void; release(): void } | null {
  const plug = () => {
    const result = spawnSync('mount', ['--bind', from, at], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`mount --bind ${from} ${at} failed: ${result.stderr}`);
  };
  const first = spawnSync('mount', ['--bind', from, at], { encoding: 'utf8' });
  if (first.status !== 0) return null;
  return {
    plug,
    release() {
      for (let attempt = 0; attempt < 5 && isMountPoint(at); attempt += 1) spawnSync('umount', ['-l', at]);
    },
    unplug(lazy = false) {
      const result = spawnSync('umount', lazy ? ['-l', at] : [at], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`umount ${at} failed: ${result.stderr}`);
    },
  };
}

/** A background process changing a folder as fast as it can, as a busy program would. */
export interface Churn {
  /** Stops it; answers how many changes it made. */
  stop(): Promise<number>;
}

const churnScript = `
const fs = require('node:fs');
const path = require('node:path');
const [folder, seedText] = process.argv.slice(1);
let state = Number(seedText) >>> 0;
const random = () => { state = (state + 0x6d2b79f5) >>> 0; let v = state; v = Math.imul(v ^ (v >>> 15), v | 1); v ^= v + Math.imul(v ^ (v >>> 7), v | 61); return ((v ^ (v >>> 14)) >>> 0) / 4294967296; };
const pick = (n) => Math.floor(random() * n);
let changes = 0;
let stopping = false;
process.on('SIGTERM', () => { stopping = true; });
const name = () => path.join(folder, 'sub-' + pick(4), 'file-' + pick(40) + '.txt');
function step() {
  const file = name();
  try {
    switch (pick(7)) {
      case 0: fs.mkdirSync(path.dirname(file), { recursive: true }); fs.writeFileSync(file, 'x'.repeat(pick(20000))); break;
      case 1: fs.appendFileSync(file, 'more '.repeat(1 + pick(2000))); break;
      case 2: fs.truncateSync(file, pick(100)); break;
      case 3: fs.unlinkSync(file); break;
      case 4: fs.renameSync(file, name()); break;
      case 5: fs.rmSync(path.dirname(file), { recursive: true, force: true }); break;
      default: fs.mkdirSync(path.dirname(file), { recursive: true }); fs.writeFileSync(file, 'y'.repeat(pick(300000))); break;
    }
    changes += 1;
  } catch {}
}
(function loop() {
  if (stopping) { process.stdout.write(String(changes)); process.exit(0); }
  for (let i = 0; i < 20; i += 1) step();
  setImmediate(loop);
})();
`;

export function startChurn(folder: string, seed: number): Churn {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, ['-e', churnScript, folder, String(seed)], { stdio: ['ignore', 'pipe', 'inherit'], env });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      return Number(out) || 0;
    },
  };
}
