// The scale bench's measuring and printing, shared by its parts: whole commands run to their end with
// the peak RSS of every process involved (polled from /proc every 20 ms), and the table that prints
// each row with its rounds, peaks and targets.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const repoRoot = join(__dirname, '..', '..');
const cliScript = join(repoRoot, 'bin', 'dormouse.cjs');
/** A megabyte, as the table prints sizes. */
export const MB = 1e6;
/** Issue #15: peak RSS of any Dormouse process, for a full backup, a no-change incremental, `ls` and a one-file restore. */
export const rssTarget = 300 * MB;

/** The highest resident set size seen of each kind of process a command ran (the CLI, its worker, tar…). */
export type Peaks = Map<string, number>;

/** One whole command, run to its end. */
export interface Measured {
  elapsed: number;
  code: number | null;
  stdout: string;
  stderr: string;
  peaks: Peaks;
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A pid and all its descendants, from each thread's `children` list. */
function processTree(root: number): number[] {
  const found = [root];
  for (let index = 0; index < found.length; index += 1) {
    const pid = found[index] as number;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      for (const child of (readProc(`/proc/${pid}/task/${task}/children`) ?? '').split(' ')) if (child.trim() !== '') found.push(Number(child));
    }
  }
  return found;
}

const ownCommandLine = readProc('/proc/self/cmdline');

/**
 * What a process is, from its command line: the Dormouse CLI, its archive worker, or the program's
 * name. Undefined for a child not yet past exec (still a copy of its parent), whose VmHWM is its parent's.
 */
function processName(pid: number, parentName: string | undefined): string | undefined {
  const commandLine = readProc(`/proc/${pid}/cmdline`);
  if (commandLine === undefined || commandLine === ownCommandLine) return undefined;
  const args = commandLine.split('\0').filter((arg) => arg !== '');
  // A zombie (exited, not yet reaped) has no command line and no memory left to measure.
  if (args.length === 0) return undefined;
  if (args.some((arg) => arg.endsWith('archive-worker.cjs'))) return 'archive worker';
  if (args.some((arg) => arg.endsWith('dormouse.cjs'))) return parentName === 'dormouse CLI' ? undefined : 'dormouse CLI';
  return basename(args[0] as string);
}

/**
 * Runs a command to its end and measures it as a whole process: wall time from spawn to exit, and
 * the peak RSS (VmHWM) of it and of every descendant, read from /proc every 20 ms while they run.
 */
export function measure(command: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const peaks: Peaks = new Map();
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, cwd });
    const poll = () => {
      if (child.pid === undefined) return;
      const rootName = processName(child.pid, undefined);
      for (const pid of processTree(child.pid)) {
        // The command line is read before the status: a process seen past exec is measured past exec.
        const name = pid === child.pid ? rootName : processName(pid, rootName);
        const hwm = name === undefined ? null : /VmHWM:\s+(\d+) kB/.exec(readProc(`/proc/${pid}/status`) ?? '');
        if (name !== undefined && hwm) peaks.set(name, Math.max(peaks.get(name) ?? 0, Number(hwm[1]) * 1024));
      }
    };
    const timer = setInterval(poll, 20);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ elapsed: performance.now() - started, code, stdout, stderr, peaks });
    });
  });
}

/** Runs a command that must succeed; its stderr's first line when it does not. */
export async function measureOk(command: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<Measured> {
  const run = await measure(command, args, env, cwd);
  if (run.code !== 0) throw new Error(`${basename(command)} ${args.join(' ')} exited ${run.code}: ${run.stderr.trim().split('\n')[0]}`);
  return run;
}

/** `dormouse --data-dir DIR --json ARGS…` as a user runs it, with its answer parsed. */
export async function dormouse<T>(dataDir: string, args: string[]): Promise<{ run: Measured; answer: T }> {
  const run = await measureOk(process.execPath, [cliScript, '--data-dir', dataDir, '--json', ...args]);
  return { run, answer: JSON.parse(run.stdout) as T };
}

/** The largest peak among Dormouse's own processes (the CLI and its archive worker). */
export function dormousePeak(peaks: Peaks): number {
  return Math.max(peaks.get('dormouse CLI') ?? 0, peaks.get('archive worker') ?? 0);
}

/** The middle value (the upper one of an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** A time for the table: seconds from a second up, milliseconds below. */
export function time(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
}

/** A size for the table, in decimal units. */
export function size(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= MB) return `${(bytes / MB).toFixed(1)} MB`;
  return `${(bytes / 1e3).toFixed(1)} kB`;
}

/** The peak of each process kind, the largest of every round. */
export function mergePeaks(all: Peaks[]): Peaks {
  const merged: Peaks = new Map();
  for (const peaks of all) for (const [name, bytes] of peaks) merged.set(name, Math.max(merged.get(name) ?? 0, bytes));
  return merged;
}

/** The peaks of a row, each process kind with its largest RSS. */
export function peaksText(peaks: Peaks): string {
  return `peak RSS ${[...peaks].map(([name, bytes]) => `${name} ${size(bytes)}`).join(', ') || 'not seen (it ended within 20 ms)'}`;
}

function verdict(met: boolean): string {
  return met ? 'met' : 'NOT met';
}

/** Every `sync` before a timed run: no tool pays for the writeback of the one before. */
export function settle(): void {
  spawnSync('sync');
}

/** Apparent bytes of a folder (what a repository holds), as `du -sb` counts them. */
export function folderBytes(folder: string): number {
  const result = spawnSync('du', ['-sb', folder], { encoding: 'utf8' });
  return Number(result.stdout.split('\t')[0]);
}

/** One tree's printed table: measured rows (median and every round), peaks, and targets with their verdicts. */
export class Table {
  private readonly lines: string[] = [];

  constructor(private readonly title: string) {}

  /** A timed row: the median, every round, and the peaks of its processes over all rounds. */
  timed(label: string, runs: Measured[], extra = ''): number {
    const times = runs.map((run) => run.elapsed);
    const all = runs.length > 1 ? `rounds ${times.map(time).join(' / ')}; ` : '';
    this.row(label, time(median(times)), `${all}${peaksText(mergePeaks(runs.map((run) => run.peaks)))}${extra}`);
    return median(times);
  }

  /** A row as given: a label, a value and a note after it. */
  row(label: string, value: string, note = ''): void {
    this.lines.push(`  ${label.padEnd(60)} ${value.padStart(10)}  ${note}`);
  }

  /** A target: what was measured against what issue #15 asks, and whether it is met. */
  target(label: string, value: string, wanted: string, met: boolean): void {
    this.row(label, value, `target ${wanted}: ${verdict(met)}`);
  }

  /** A row for a memory target: the largest peak of any Dormouse process over the given runs. */
  memory(label: string, runs: Measured[]): void {
    const peak = Math.max(...runs.map((run) => dormousePeak(run.peaks)));
    this.target(`${label}: peak RSS of any Dormouse process`, size(peak), `< ${size(rssTarget)}`, peak < rssTarget);
  }

  /** A blank line and a heading that starts the next group of rows. */
  heading(text: string): void {
    this.lines.push('', text);
  }

  /** Prints the title and every row so far. */
  print(): void {
    console.log('');
    console.log(this.title);
    for (const line of this.lines) console.log(line);
  }
}
