import type { Command } from 'commander';
import { Option } from 'commander';
import { DormouseError } from '../../shared/errors';
import type { ScheduleFieldsInput } from '../../shared/schemas';
import { collect, keepLast, wholeNumber, type Cli } from './cli-context';
import * as text from './text-output';

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
  if (options.source !== undefined) changes.sources = options.source.map((source) => cli.absolute(source, '--source'));
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

/** Adds `schedule add|edit|remove|enable|disable|list` and `cron`. */
export function addScheduleCommands(program: Command, cli: Cli): void {
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
}
