import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { resolve } from 'node:path';
import type { Channel, RequestOf, ResponseOf } from '../../shared/contract';
import { DormouseError, isInputError } from '../../shared/errors';
import type { ScheduleFieldsInput } from '../../shared/schemas';
import { Engine } from '../engine/engine';
import { forkWorkerLauncher, threadWorkerLauncher, type WorkerLauncher } from '../jobs/worker-launcher';
import { Daemon } from '../daemon/daemon';
import type { JobProgress, TaskProgress } from '../../shared/types';
import { resolveDataDir } from '../store/data-dir';
import * as text from './text-output';
import { addDestinationCommands } from './destination-commands';
import { addSnapshotsCommand } from './snapshots-command';
import { addCoverageCommand } from './coverage-command';
import { givenPassphrase, passphraseFileOption, withPassphrase, type PassphraseSources } from './passphrase-option';

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

interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
}

/** Exit codes of the `dormouse` command. */
export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number.');
  return Number(value);
}

/** Commander turns a null option value into '', so "keep all" travels as the word until scheduleChanges. */
function keepLast(value: string): number | 'all' {
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
    const options = command.optsWithGlobals<GlobalOptions>();
    this.engineOnce ??= Engine.forDataDir(resolveDataDir(options.dataDir && resolve(this.io.cwd, options.dataDir), this.io.env), {
      launchWorker: this.io.launchWorker ?? forkWorkerLauncher(this.io.workerScript),
      launchReader: threadWorkerLauncher(this.io.workerScript),
      events: { progress: (progress) => this.showProgress(progress) },
      onTaskProgress: (progress) => this.showProgress(progress),
    });
    return this.engineOnce;
  }

  /** Runs the headless daemon until SIGINT or SIGTERM. */
  async daemon(command: Command, settleSeconds: number | undefined, ui: { port: number } | null): Promise<void> {
    const options = command.optsWithGlobals<GlobalOptions>();
    const daemon = new Daemon({
      dataDir: resolveDataDir(options.dataDir && resolve(this.io.cwd, options.dataDir), this.io.env),
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
    const shown = render(await this.engine(command).handle(channel, request));
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

  absolute(path: string): string {
    return resolve(this.io.cwd, path);
  }

  /** The environment the command runs in (AWS keys, passphrases). */
  get env(): NodeJS.ProcessEnv {
    return this.io.env;
  }

  /** Where this command's passphrase may come from: its `--passphrase-file` (resolved here), else the environment. */
  passphraseSources(passphraseFile: string | undefined): PassphraseSources {
    return { passphraseFile: passphraseFile === undefined ? undefined : this.absolute(passphraseFile), env: this.io.env };
  }
}

interface ScheduleOptions {
  name?: string;
  source?: string[];
  exclude?: string[];
  clearExcludes?: boolean;
  destination?: string;
  cron?: string;
  compression?: 'none' | 'gzip';
  keepLast?: number | 'all';
  keepDaily?: number | 'all';
  keepWeekly?: number | 'all';
  keepMonthly?: number | 'all';
  disabled?: boolean;
  enabled?: boolean;
}

function scheduleChanges(cli: Cli, options: ScheduleOptions): Partial<ScheduleFieldsInput> {
  const changes: Partial<ScheduleFieldsInput> = {};
  if (options.name !== undefined) changes.name = options.name;
  if (options.source !== undefined) changes.sources = options.source.map((source) => cli.absolute(source));
  if (options.clearExcludes) changes.excludes = [];
  if (options.exclude !== undefined) changes.excludes = options.exclude;
  if (options.destination !== undefined) changes.destination = options.destination;
  if (options.cron !== undefined) changes.cron = options.cron;
  if (options.compression !== undefined) changes.compression = options.compression;
  if (options.keepLast !== undefined) changes.keepLast = options.keepLast === 'all' ? null : options.keepLast;
  if (options.keepDaily !== undefined) changes.keepDaily = options.keepDaily === 'all' ? null : options.keepDaily;
  if (options.keepWeekly !== undefined) changes.keepWeekly = options.keepWeekly === 'all' ? null : options.keepWeekly;
  if (options.keepMonthly !== undefined) changes.keepMonthly = options.keepMonthly === 'all' ? null : options.keepMonthly;
  if (options.disabled && options.enabled) throw new DormouseError('INVALID_INPUT', 'pass either --enabled or --disabled, not both');
  if (options.disabled) changes.enabled = false;
  if (options.enabled) changes.enabled = true;
  return changes;
}

function scheduleOptions(command: Command, forEdit: boolean): Command {
  const named = (flags: string, description: string) => (forEdit ? command.option(flags, description) : command.requiredOption(flags, description));
  named('--name <name>', forEdit ? 'rename the schedule' : 'a unique name, such as Documents');
  if (forEdit) command.option('--source <path>', 'replace the source folders (repeat for several)', collect);
  else command.requiredOption('--source <path>', 'a folder to back up (repeat for several)', collect);
  if (!forEdit) command.requiredOption('--destination <name>', 'the destination the archives go to');
  else command.option('--destination <name>', 'move the schedule to another destination');
  command.option('--exclude <glob>', forEdit ? 'replace the exclude patterns (repeat for several)' : 'skip paths matching a glob, such as **/node_modules (repeat for several)', collect);
  if (forEdit) command.option('--clear-excludes', 'remove every exclude pattern');
  named('--cron <expr>', 'when to run: 5 cron fields, or 6 with seconds, in local time');
  command.addOption(new Option('--compression <kind>', 'none or gzip').choices(['none', 'gzip']));
  command.option('--keep-last <n>', 'keep the newest N snapshots, or "all"', keepLast);
  command.option('--keep-daily <n>', 'also keep the newest snapshot of each of the last N days ("all": no daily rule)', keepLast);
  command.option('--keep-weekly <n>', 'also keep the newest snapshot of each of the last N weeks', keepLast);
  command.option('--keep-monthly <n>', 'also keep the newest snapshot of each of the last N months', keepLast);
  if (forEdit) command.option('--enabled', 'run on schedule');
  command.option('--disabled', forEdit ? 'stop running on schedule' : 'save it without running it on schedule yet');
  return command;
}

/** Builds the `dormouse` command tree. */
export function buildProgram(cli: Cli, io: CliIo): Command {
  const program = new Command('dormouse')
    .description('Backups for laptops that sleep: scheduled tar archives that catch up on every missed window.')
    .option('--data-dir <dir>', 'the data folder holding the catalog (default: DORMOUSE_DATA_DIR, else the OS app-data folder)')
    .option('--json', 'print one JSON document on stdout')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: (message, write) => write(`${oneLine(message)}\n`),
    });

  addDestinationCommands(program, cli);

  const schedule = program.command('schedule').description('what to back up, where, and when');
  scheduleOptions(schedule.command('add').description('add a schedule'), false).action(async function (this: Command, options: ScheduleOptions) {
    const changes = scheduleChanges(cli, options);
    await cli.call(this, 'schedules:add', changes as ScheduleFieldsInput, (s) => s, text.scheduleText);
  });
  scheduleOptions(schedule.command('edit').description('change a schedule; only the options given change').argument('<name>'), true).action(async function (this: Command, name: string, options: ScheduleOptions) {
    const changes = scheduleChanges(cli, options);
    if (Object.keys(changes).length === 0) throw new DormouseError('INVALID_INPUT', 'nothing to change; pass at least one option (see dormouse schedule edit --help)');
    await cli.call(this, 'schedules:edit', { schedule: name, changes }, (s) => s, text.scheduleText);
  });
  schedule
    .command('remove')
    .description('remove a schedule (its snapshots stay on the destination)')
    .argument('<name>')
    .action(async function (this: Command, name: string) {
      await cli.call(this, 'schedules:remove', { name }, (s) => s, (s) => `Removed schedule "${s.name}". Its archives were left on the destination.`);
    });
  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    schedule
      .command(verb)
      .description(enabled ? 'run a schedule on its cron again' : 'stop running a schedule on its cron')
      .argument('<name>')
      .action(async function (this: Command, name: string) {
        await cli.call(this, 'schedules:set-enabled', { name, enabled }, (s) => s, text.scheduleText);
      });
  }
  schedule
    .command('list')
    .description('list schedules with their next run and whether they are overdue')
    .action(async function (this: Command) {
      await cli.call(this, 'schedules:list', {}, (list) => list, text.schedulesText);
    });

  program
    .command('cron')
    .description('describe a cron expression in words and preview its next runs')
    .argument('<expr>', 'quoted, such as "0 9 * * *"')
    .option('--from <iso>', 'preview from this ISO-8601 time instead of now')
    .option('--count <n>', 'how many runs to show (1-100)', wholeNumber, 3)
    .action(async function (this: Command, expression: string, options: { from?: string; count: number }) {
      const request = options.from === undefined ? { expression, count: options.count } : { expression, from: options.from, count: options.count };
      await cli.call(this, 'cron:preview', request, (preview) => preview, text.cronPreviewText);
    });

  program
    .command('run')
    .description('back up a schedule now, in the foreground; exits 0 when the backup succeeded')
    .argument('<name>', 'the schedule')
    .action(async function (this: Command, name: string) {
      const engine = cli.engine(this);
      const stop = () => engine.jobs.runningJobIds().forEach((id) => engine.jobs.cancel(id));
      const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
      signals.forEach((signal) => process.on(signal, stop));
      try {
        const job = await cli.call(this, 'jobs:run', { name }, (view) => view, text.jobText);
        if (job.status !== 'succeeded') throw new ExitCode(exitCodes.failed);
      } finally {
        signals.forEach((signal) => process.off(signal, stop));
      }
    });

  program
    .command('jobs')
    .description('list backup jobs, newest first')
    .option('--schedule <name>', 'only this schedule')
    .option('--limit <n>', 'at most this many (default 50)', wholeNumber)
    .action(async function (this: Command, options: { schedule?: string; limit?: number }) {
      await cli.call(this, 'jobs:list', withoutUndefined({ schedule: options.schedule, limit: options.limit }), (list) => list, text.jobsText);
    });

  addSnapshotsCommand(program, cli);
  addCoverageCommand(program, cli);

  program
    .command('cancel')
    .description('cancel a queued or running backup job')
    .argument('<job-id>', 'the job, as `dormouse jobs` shows it', wholeNumber)
    .action(async function (this: Command, jobId: number) {
      const engine = cli.engine(this);
      await engine.handle('jobs:cancel', { jobId });
      const ended = await waitForJobEnd(engine, jobId, 15_000);
      await cli.call(this, 'jobs:list', { limit: 1_000 }, (list) => list.find((job) => job.id === jobId) ?? ended, text.jobText);
      if (ended.status === 'queued' || ended.status === 'running') throw new ExitCode(exitCodes.failed);
    });

  program
    .command('ls')
    .description("list a snapshot's folders and files from its manifest, without reading the archive body")
    .argument('<snapshot-id>', 'the snapshot, as `dormouse snapshots` shows it', wholeNumber)
    .argument('[path]', 'a folder inside the snapshot, as it was on the laptop (default: the folders that were backed up)')
    .addOption(passphraseFileOption())
    .action(async function (this: Command, snapshotId: number, path: string | undefined, options: { passphraseFile?: string }) {
      await withPassphrase(cli.passphraseSources(options.passphraseFile), `for snapshot ${snapshotId}'s destination`, (passphrase) =>
        cli.call(this, 'snapshots:ls', withoutUndefined({ snapshotId, path, passphrase }), (listing) => listing, text.listingText),
      );
    });

  program
    .command('import')
    .description('re-scan a destination for Dormouse archives the catalog does not know (a new laptop, a lost catalog)')
    .requiredOption('--destination <name>', 'the destination to scan')
    .addOption(passphraseFileOption())
    .action(async function (this: Command, options: { destination: string; passphraseFile?: string }) {
      await withPassphrase(cli.passphraseSources(options.passphraseFile), `for the destination "${options.destination}"`, (passphrase) =>
        cli.call(this, 'snapshots:import', withoutUndefined({ destination: options.destination, passphrase }), (report) => report, text.importText),
      );
    });

  program
    .command('prune')
    .description("delete snapshots a schedule's retention rules no longer keep (never the newest, nor one a kept snapshot depends on)")
    .option('--schedule <name>', 'only this schedule')
    .option('--dry-run', 'say what would be deleted and why the rest is kept, deleting nothing')
    .action(async function (this: Command, options: { schedule?: string; dryRun?: boolean }) {
      await cli.call(this, 'snapshots:prune', withoutUndefined({ schedule: options.schedule, dryRun: options.dryRun === true }), (reports) => reports, text.pruneText);
    });

  program
    .command('restore')
    .description('restore a snapshot, or chosen files and folders of it, into a folder; existing files are left alone unless --overwrite')
    .argument('<snapshot-id>', 'the snapshot, as `dormouse snapshots` shows it', wholeNumber)
    .requiredOption('--to <dir>', 'the folder to restore into (made if missing)')
    .option('--path <p>', 'a file or folder of the snapshot, as it was on the laptop (repeat for several; default: everything)', collect)
    .option('--overwrite', 'replace files that already exist in the target')
    .addOption(passphraseFileOption())
    .action(async function (this: Command, snapshotId: number, options: { to: string; path?: string[]; overwrite?: boolean; passphraseFile?: string }) {
      const request = { snapshotId, to: cli.absolute(options.to), paths: options.path ?? [], overwrite: options.overwrite === true };
      const report = await withPassphrase(cli.passphraseSources(options.passphraseFile), `for snapshot ${snapshotId}'s destination`, (passphrase) =>
        cli.whileCancellable(this, () => cli.call(this, 'snapshots:restore', withoutUndefined({ ...request, passphrase }), (value) => value, text.restoreText)),
      );
      if (report.conflicts.length > 0 || report.refused.length > 0 || report.damaged.length > 0) throw new ExitCode(exitCodes.failed);
    });

  program
    .command('verify')
    .description('re-read archives: their SHA-256 and every manifest entry; exits 1 when anything differs')
    .argument('[snapshot-id]', 'the snapshot to verify', wholeNumber)
    .option('--all', 'verify every snapshot in the catalog')
    .addOption(passphraseFileOption())
    .action(async function (this: Command, snapshotId: number | undefined, options: { all?: boolean; passphraseFile?: string }) {
      if ((snapshotId === undefined) === !options.all) throw new DormouseError('INVALID_INPUT', 'name one snapshot id, or pass --all');
      // Without a passphrase an encrypted archive's SHA-256 is checked; with one (never asked for), every entry too.
      const passphrase = await givenPassphrase(cli.passphraseSources(options.passphraseFile), 'for the encrypted destinations');
      const request = snapshotId === undefined ? withoutUndefined({ all: true as const, passphrase }) : withoutUndefined({ snapshotId, passphrase });
      const report = await cli.whileCancellable(this, () => cli.call(this, 'snapshots:verify', request, (value) => value, text.verifyText));
      if (!report.ok) throw new ExitCode(exitCodes.failed);
    });

  program
    .command('status')
    .description('who runs the scheduler, what is running, and every schedule')
    .action(async function (this: Command) {
      await cli.call(this, 'status:get', {}, (status) => status, text.statusText);
    });

  program
    .command('daemon')
    .description('run the scheduler and catch-up headless until SIGINT or SIGTERM (a running backup is cancelled, and caught up at the next start)')
    .option('--settle-seconds <s>', 'seconds to wait after start-up or a wake before catching up (default: the setting, 60)', wholeNumber)
    .option('--ui', 'also serve the settings window on 127.0.0.1 (prints its URL, with a per-start token)')
    .option('--port <n>', 'the port for --ui (default 0: any free port)', wholeNumber)
    .action(async function (this: Command, options: { settleSeconds?: number; ui?: boolean; port?: number }) {
      if (options.port !== undefined && !options.ui) throw new DormouseError('INVALID_INPUT', '--port goes with --ui');
      if (options.port !== undefined && options.port > 65535) throw new DormouseError('INVALID_INPUT', '--port must be at most 65535');
      await cli.daemon(this, options.settleSeconds, options.ui ? { port: options.port ?? 0 } : null);
    });

  return program;
}

/** Leaves out options that were not given, so the schemas' defaults apply. */
function withoutUndefined<T extends Record<string, unknown>>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}

/** Waits for a job another process owns to reach a final state after a cancel request. */
async function waitForJobEnd(engine: Engine, jobId: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await engine.handle('jobs:list', { limit: 10_000 })).find((candidate) => candidate.id === jobId);
    if (!job) throw new DormouseError('NOT_FOUND', `no job ${jobId}`);
    if ((job.status !== 'queued' && job.status !== 'running') || Date.now() > deadline) return job;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Ends the command with an exit code after its output has been printed. */
class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/** Runs the `dormouse` command line and returns its exit code: 0 ok, 1 the operation failed, 2 invalid input or usage. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const cli = new Cli(io);
  const program = buildProgram(cli, io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof ExitCode) return error.code;
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return exitCodes.ok;
      return exitCodes.usage;
    }
    if (error instanceof DormouseError) {
      io.stderr(`error: ${oneLine(error.message)}\n`);
      return isInputError(error) ? exitCodes.usage : exitCodes.failed;
    }
    io.stderr(`error: unexpected failure: ${oneLine(error instanceof Error ? error.message : String(error))}; please report it\n`);
    return exitCodes.failed;
  } finally {
    cli.close();
  }
}
