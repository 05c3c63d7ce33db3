import type { Command } from 'commander';
import { DormouseError } from '../../shared/errors';
import type { Engine } from '../engine/engine';
import { ExitCode, exitCodes, withoutUndefined, wholeNumber, type Cli } from './cli-context';
import * as text from './text-output';

/** Adds `run`, `jobs` and `cancel`. */
export function addJobCommands(program: Command, cli: Cli): void {
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
      // The text shows each job's schedule by name; a removed schedule's jobs are gone with it.
      const names = new Map((await cli.engine(this).handle('schedules:list', {})).map((schedule) => [schedule.id, schedule.name]));
      await cli.call(this, 'jobs:list', withoutUndefined({ schedule: options.schedule, limit: options.limit }), (list) => list, (list) => text.jobsText(list, names));
    });

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
