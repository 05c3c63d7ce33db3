import { InvalidArgumentError, type Command } from 'commander';
import { coverageStatuses, maxCoverageDays, statusWords, triggerWords, type CoverageSlot, type CoverageView } from '../../shared/coverage';
import { formatDuration } from '../../shared/human-time';
import { counted } from '../../shared/format';
import type { Cli } from './cli-context';

function days(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > maxCoverageDays) {
    throw new InvalidArgumentError(`expected a whole number of days from 1 to ${maxCoverageDays}, such as 7.`);
  }
  return Number(value);
}

/** A slot's time as a person reads it in a terminal: local date, hour and offset ("2026-03-29 03:00+02:00"). */
function shortTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}${iso.slice(-6)}`;
}

function lateness(run: CoverageSlot[]): string {
  const first = run[0]?.lateSeconds ?? 0;
  const last = run[run.length - 1]?.lateSeconds ?? 0;
  const words = (seconds: number) => formatDuration(seconds * 1000);
  return first === last ? `${words(first)} late` : `${words(last)} to ${words(first)} late`;
}

/** One line for a run of neighbouring slots that share a status and a job. */
function runLine(run: CoverageSlot[]): string {
  const first = run[0] as CoverageSlot;
  const last = run[run.length - 1] as CoverageSlot;
  const when = run.length === 1 ? shortTime(first.at) : `${shortTime(first.at)} to ${shortTime(last.at)} (${run.length} runs)`;
  const trigger = first.trigger === null ? '' : `, started ${triggerWords[first.trigger]}`;
  switch (first.status) {
    case 'on-time':
      return `${when}  on time: job ${first.jobId}${trigger}`;
    case 'caught-up':
      return `${when}  caught up by job ${first.jobId}, ${lateness(run)}${trigger}`;
    case 'skipped':
      return `${when}  skipped: job ${first.jobId} found the destination missing${trigger}`;
    case 'failed':
      return `${when}  failed: job ${first.jobId} did not finish (see dormouse jobs)${trigger}`;
    case 'missed':
      return `${when}  missed: not backed up yet`;
  }
}

/** The readable form of `dormouse coverage`: a count per status, then one line per run of alike slots. */
export function coverageText(view: CoverageView): string {
  const counts = coverageStatuses.map((status) => [status, view.slots.filter((slot) => slot.status === status).length] as const).filter(([, count]) => count > 0);
  const header = `${view.schedule}: ${counted(view.slots.length, 'expected run')} from ${shortTime(view.from)} to ${shortTime(view.to)}`;
  if (view.slots.length === 0) return `${header}.`;
  const lines = [`${header}: ${counts.map(([status, count]) => `${count} ${statusWords[status]}`).join(', ')}`];
  let run: CoverageSlot[] = [];
  for (const slot of view.slots) {
    const head = run[0];
    if (head && (head.status !== slot.status || head.jobId !== slot.jobId)) {
      lines.push(`  ${runLine(run)}`);
      run = [];
    }
    run.push(slot);
  }
  lines.push(`  ${runLine(run)}`);
  return lines.join('\n');
}

/** `dormouse coverage NAME [--days N]`: a schedule's expected runs and what became of each. */
export function addCoverageCommand(program: Command, cli: Cli): void {
  program
    .command('coverage')
    .description('list a schedule\'s expected runs over the last days and what became of each: on time, caught up, skipped, failed or missed')
    .argument('<name>', 'the schedule')
    .option('--days <n>', `how many days to look back (1-${maxCoverageDays}, default 7)`, days)
    .action(async function (this: Command, name: string, options: { days?: number }) {
      await cli.call(this, 'coverage:get', options.days === undefined ? { schedule: name } : { schedule: name, days: options.days }, (view) => view, coverageText);
    });
}
