// The stand-in `electron` module's utilityProcess (see fake-electron.ts): the real archive worker as a Node child.
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { constants } from 'node:os';

/** A utility process, backed by a Node child of the same script (the worker then talks over process.send). */
export class FakeUtilityProcess extends EventEmitter {
  readonly child: ChildProcess;
  /** The child's output streams when their mode is 'pipe', else null (as Electron's). */
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  exitCode: number | null = null;

  constructor(
    readonly modulePath: string,
    readonly args: string[],
    readonly options: { serviceName?: string; stdio?: string | string[]; execArgv?: unknown; [key: string]: unknown },
  ) {
    super();
    // As Electron: one mode for stdout and stderr, or [stdin, stdout, stderr] with stdin only 'ignore'; 'inherit' by default.
    const modes = Array.isArray(options.stdio) ? options.stdio : [options.stdio ?? 'inherit', options.stdio ?? 'inherit', options.stdio ?? 'inherit'];
    if (Array.isArray(options.stdio) && modes[0] !== 'ignore') throw new Error('utilityProcess: stdin can only be ignore');
    const mode = (value: string | undefined): 'ignore' | 'pipe' | 'inherit' => (value === 'ignore' || value === 'pipe' ? value : 'inherit');
    // As Electron: execArgv is a list of strings given to the executable; the parent's flags never pass on.
    const execArgv = options.execArgv ?? [];
    if (!Array.isArray(execArgv) || execArgv.some((flag) => typeof flag !== 'string')) throw new TypeError('utilityProcess: execArgv must be an array of strings');
    // As Electron: env is an object of strings, the parent's environment when absent.
    const env = options.env ?? process.env;
    if (typeof env !== 'object' || env === null || Object.values(env).some((value) => typeof value !== 'string')) throw new TypeError('utilityProcess: env must be an object of strings');
    this.child = fork(modulePath, args, { stdio: ['ignore', mode(modes[1]), mode(modes[2]), 'ipc'], serialization: 'advanced', execArgv: execArgv as string[], env: env as NodeJS.ProcessEnv });
    this.stdout = this.child.stdout;
    this.stderr = this.child.stderr;
    this.child.on('message', (message: unknown) => this.emit('message', message));
    this.child.on('spawn', () => this.emit('spawn'));
    this.child.on('exit', (code, signal) => {
      // Electron reports a number: waitpid's code, or 128 + the signal for a killed process.
      this.exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
      this.emit('exit', this.exitCode);
    });
  }

  get pid(): number | undefined {
    return this.exitCode === null ? this.child.pid : undefined;
  }

  postMessage(message: unknown): void {
    if (this.child.connected) this.child.send(message as never);
  }

  kill(): boolean {
    return this.child.kill('SIGTERM');
  }
}

export class FakeUtilityProcessModule {
  readonly forks: FakeUtilityProcess[] = [];

  fork(modulePath: string, args: string[] = [], options: FakeUtilityProcess['options'] = {}): FakeUtilityProcess {
    const child = new FakeUtilityProcess(modulePath, args, options);
    this.forks.push(child);
    return child;
  }
}

/** dialog: records showOpenDialog calls and answers what the test set in `nextOpenResult`; records showErrorBox calls. */
