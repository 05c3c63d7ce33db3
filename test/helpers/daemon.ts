// A real `dormouse daemon` child process for the tests that need one (daemon end to end, faults).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './cli';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A running `dormouse daemon`, killed when the test ends if it is still running. */
export interface DaemonProcess {
  child: ChildProcess;
  pid: number;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  /** Sends a signal and waits (at most timeoutMs) for the exit. */
  stop(signal: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the built `dormouse daemon --settle-seconds 1 --data-dir DIR` as a real child process. */
export function startDaemon(t: { after: (fn: () => void | Promise<void>) => void }, dataDir: string, extraArgs: string[] = []): DaemonProcess {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'dormouse.cjs'), 'daemon', '--settle-seconds', '1', '--data-dir', dataDir, ...extraArgs], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const running = () => child.exitCode === null && child.signalCode === null;
  const output = () => stdout + (stderr ? `\n[stderr]\n${stderr}` : '');
  t.after(async () => {
    if (running()) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return {
    child,
    pid: child.pid as number,
    output,
    running,
    exited,
    async waitForOutput(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(stdout)) {
        if (Date.now() > deadline) throw new Error(`daemon ${child.pid} did not print ${pattern} within ${timeoutMs} ms:\n${output()}`);
        if (!running()) throw new Error(`daemon ${child.pid} exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
        await sleep(50);
      }
    },
    async stop(signal, timeoutMs = 15_000) {
      if (running()) child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([exited, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)))]);
      clearTimeout(timer);
      if (!ended) throw new Error(`daemon ${child.pid} did not exit within ${timeoutMs} ms of ${signal}:\n${output()}`);
      return ended;
    },
  };
}
