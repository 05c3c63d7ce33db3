// Starts the real `dormouse daemon --ui` for the settings-window and web-host tests, and talks
// to its engine API over HTTP the way the renderer does.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/cli';

export interface UiDaemon {
  child: ChildProcess;
  /** The whole printed URL, with ?token=. */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  port: number;
  token: string;
  /** The printed line that carried the URL. */
  line: string;
  /** Everything the daemon printed so far. */
  output(): string;
}

export type Envelope<T = unknown> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

/** Stops for every daemon still running, so a folder is removed only after its daemon has exited. */
const running = new Set<() => Promise<void>>();

/**
 * A temporary folder removed when the test ends, after every daemon started by these helpers has
 * stopped (after-hooks run in the order they were added, and the folder comes first).
 */
export function temporaryRoot(t: { after: (fn: () => Promise<void> | void) => void }, prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  t.after(async () => {
    await Promise.all([...running].map((stop) => stop()));
    rmSync(folder, { recursive: true, force: true });
  });
  return folder;
}

const urlLine = /settings window served at (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]+))/;

/** Runs the built daemon with --ui on a free port and waits for the URL it prints; stops it when the test ends. */
export async function startUiDaemon(t: { after: (fn: () => Promise<void> | void) => void }, dataDir: string, extraArgs: string[] = [], extraEnv: NodeJS.ProcessEnv = {}): Promise<UiDaemon> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'dormouse.cjs'), 'daemon', '--ui', '--port', '0', '--settle-seconds', '1', '--data-dir', dataDir, ...extraArgs], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    running.delete(stop);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  running.add(stop);
  t.after(stop);
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the daemon printed no URL within 20 s:\n${out}`)), 20_000);
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      const found = urlLine.exec(out);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the daemon exited (${code}) before printing its URL:\n${out}`));
    });
  });
  const url = match[1] as string;
  const port = Number(match[2]);
  const line = out.split('\n').find((each) => each.includes('settings window served at')) ?? '';
  return { child, url, origin: `http://127.0.0.1:${port}`, port, token: match[3] as string, line, output: () => out };
}

/** POST /api/<channel> with the token as a bearer header; answers the HTTP status and the parsed envelope. */
export async function api<T = unknown>(daemon: UiDaemon, channel: string, body: unknown = {}): Promise<Envelope<T>> {
  const response = await fetch(`${daemon.origin}/api/${channel}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${daemon.token}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return (await response.json()) as Envelope<T>;
}

/** Like api(), but throws unless the engine answered ok. */
export async function apiValue<T = unknown>(daemon: UiDaemon, channel: string, body: unknown = {}): Promise<T> {
  const envelope = await api<T>(daemon, channel, body);
  if (!envelope.ok) throw new Error(`${channel} failed: ${envelope.error.code}: ${envelope.error.message}`);
  return envelope.value;
}

/** Where screenshots go (git-ignored). */
export function screenshotFolder(): string {
  const folder = join(repoRoot, 'test-output', 'screenshots');
  mkdirSync(folder, { recursive: true });
  return folder;
}

/** Polls until check() is truthy (or throws its last failure after timeoutMs). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
