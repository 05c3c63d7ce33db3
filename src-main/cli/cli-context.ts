import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import type { Channel, RequestOf, ResponseOf } from '../../shared/contract';
import { DormouseError } from '../../shared/errors';
import { Engine } from '../engine/engine';
import { forkWorkerLauncher, threadWorkerLauncher, type WorkerLauncher } from '../jobs/worker-launcher';
import { Daemon } from '../daemon/daemon';
import type { JobProgress, TaskProgress } from '../../shared/types';
import { resolveDataDir } from '../store/data-dir';
import * as text from './text-output';
import type { PassphraseSources } from './passphrase-option';
import { inOptionWords } from './option-names';

/** Where the CLI writes and what it resolves relative paths against; the real process or a test's. */
export interface CliIo {
  stdout: (chunk: string) => void;
  stderr: (chunk: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal, where `dormouse run` draws a progress line. */
  progressTerminal: boolean;
  /** Where the built archive worker script is. */
  workerScript: string;
  /** Where the built renderer is, for `daemon --ui`. */
  rendererFolder: string;
  /** How archive workers start; a forked Node child unless given (the app's `--cli` mode, where fork cannot run Node, uses Electron's utility process). */
  launchWorker?: WorkerLauncher;
}

/** The options every command takes. */
export interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
}

/** Exit codes of the `dormouse` command. */
export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Parses an option or argument that must be a whole number. */
export function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number.');
  return Number(value);
}

/** Commander turns a null option value into '', so "keep all" travels as the word until scheduleChanges. */
export function keepLast(value: string): number | 'all' {
  if (value === 'all') return 'all';
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number of at least 1, or "all".');
  return Number(value);
}

/** One run of the command line: its engine (opened on first use), its output and its progress line. */
export class Cli {
  private engineOnce: Engine | undefined;
  private progressShown = false;

  constructor(private readonly io: CliIo) {}

  close(): void {
    this.engineOnce?.close();
  }

  engine(command: Command): Engine {
    this.engineOnce ??= Engine.forDataDir(this.dataDir(command), {
      launchWorker: this.io.launchWorker ?? forkWorkerLauncher(this.io.workerScript),
      launchReader: threadWorkerLauncher(this.io.workerScript),
      events: { progress: (progress) => this.showProgress(progress) },
      onTaskProgress: (progress) => this.showProgress(progress),
    });
    return this.engineOnce;
  }

  /** Runs the headless daemon until SIGINT or SIGTERM. */
  async daemon(command: Command, settleSeconds: number | undefined, ui: { port: number } | null): Promise<void> {
    const daemon = new Daemon({
      dataDir: this.dataDir(command),
      workerScript: this.io.workerScript,
      ...(this.io.launchWorker ? { launchWorker: this.io.launchWorker } : {}),
      ...(settleSeconds === undefined ? {} : { settleSeconds }),
      log: (line) => this.io.stdout(`${line}\n`),
      ...(ui ? { ui: { rendererFolder: this.io.rendererFolder, port: ui.port } } : {}),
    });
    try {
      await daemon.start();
    } catch (error) {
      await daemon.shutdown();
      const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the port is in use; choose another --port, or --port 0' : (error as Error).message;
      throw new DormouseError('INVALID_INPUT', `cannot serve the settings window: ${reason}`);
    }
    await new Promise<void>((resolveStop) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void daemon.shutdown().then(resolveStop);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  }

  /** Runs a restore or a verification so that Ctrl-C (or SIGTERM) cancels its worker cleanly. */
  async whileCancellable<T>(command: Command, work: () => Promise<T>): Promise<T> {
    const engine = this.engine(command);
    const stop = () => engine.cancelWorkerTasks();
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    signals.forEach((signal) => process.on(signal, stop));
    try {
      return await work();
    } finally {
      signals.forEach((signal) => process.off(signal, stop));
    }
  }

  /** Runs one request through the engine and prints its answer as JSON or as text. */
  async call<C extends Channel, S>(command: Command, channel: C, request: RequestOf<C>, render: (response: ResponseOf<C>) => S, asText: (shown: S) => string): Promise<S> {
    let response: ResponseOf<C>;
    try {
      response = await this.engine(command).handle(channel, request);
    } catch (error) {
      if (error instanceof DormouseError && error.code === 'INVALID_INPUT') throw new DormouseError('INVALID_INPUT', inOptionWords(error.message));
      throw error;
    }
    const shown = render(response);
    this.clearProgress();
    this.io.stdout(command.optsWithGlobals<GlobalOptions>().json ? `${JSON.stringify(shown, null, 2)}\n` : `${asText(shown)}\n`);
    return shown;
  }

  private showProgress(progress: JobProgress | TaskProgress): void {
    if (!this.io.progressTerminal) return;
    this.progressShown = true;
    this.io.stderr(`\r\x1b[K${text.progressText(progress).slice(0, 120)}`);
  }

  private clearProgress(): void {
    if (this.progressShown) this.io.stderr('\r\x1b[K');
    this.progressShown = false;
  }

  /** A path typed for `option`, made absolute from the working folder; an empty one is refused (it would mean the working folder). */
  absolute(path: string, option: string): string {
    if (path.trim() === '') throw new DormouseError('INVALID_INPUT', `${option}: must not be empty`);
    return resolve(this.io.cwd, path);
  }

  /** The data folder the command uses: --data-dir (never empty), else DORMOUSE_DATA_DIR, else the OS app-data folder. */
  private dataDir(command: Command): string {
    const given = command.optsWithGlobals<GlobalOptions>().dataDir;
    return resolveDataDir(given === undefined ? undefined : this.absolute(given, '--data-dir'), this.io.env);
  }

  /** The environment the command runs in (AWS keys, passphrases). */
  get env(): NodeJS.ProcessEnv {
    return this.io.env;
  }

  /** Where this command's passphrase may come from: its `--passphrase-file` (resolved here), else the environment. */
  passphraseSources(passphraseFile: string | undefined): PassphraseSources {
    return { passphraseFile: passphraseFile === undefined ? undefined : this.absolute(passphraseFile, '--passphrase-file'), env: this.io.env };
  }
}


/** Leaves out options that were not given, so the schemas' defaults apply. */
export function withoutUndefined<T extends Record<string, unknown>>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}

/** Ends the command with an exit code after its output has been printed. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** An error message on one line, as the command prints it. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
