import { Command, CommanderError } from 'commander';
import { DormouseError, isInputError } from '../../shared/errors';
import { Cli, ExitCode, exitCodes, oneLine, wholeNumber, type CliIo } from './cli-context';
import * as text from './text-output';
import { addDestinationCommands } from './destination-commands';
import { addScheduleCommands } from './schedule-commands';
import { addJobCommands } from './job-commands';
import { addSnapshotsCommand } from './snapshots-command';
import { addSnapshotOperations } from './snapshot-operations';
import { addCoverageCommand } from './coverage-command';

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
  addScheduleCommands(program, cli);
  addJobCommands(program, cli);
  addSnapshotsCommand(program, cli);
  addCoverageCommand(program, cli);
  addSnapshotOperations(program, cli);

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
