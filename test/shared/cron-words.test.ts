import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronShapeProblem, describeCron } from '../../shared/cron-words';

test('the presets the schedule editor offers read naturally', () => {
  assert.equal(describeCron('0 9 * * *'), 'Every day at 09:00');
  assert.equal(describeCron('30 18 * * 1-5'), 'Every weekday at 18:30');
  assert.equal(describeCron('15 8 * * 1'), 'Every Monday at 08:15');
  assert.equal(describeCron('0 10 * * 0'), 'Every Sunday at 10:00');
  assert.equal(describeCron('0 * * * *'), 'Every hour');
  assert.equal(describeCron('20 * * * *'), 'Every hour at 20 minutes past');
  assert.equal(describeCron('0 0 9 * * *'), 'Every day at 09:00');
});

test('other expressions are described by cronstrue in 24-hour time', () => {
  assert.equal(describeCron('*/15 * * * *'), 'Every 15 minutes, every hour, every day');
  assert.equal(describeCron('0 0 1 * *'), 'At 00:00, on day 1 of the month');
});

test('an expression that is not cron is described as such, not guessed at', () => {
  assert.equal(describeCron('every day please'), 'Not a valid cron expression');
});

test('only 5 or 6 fields make a cron expression', () => {
  assert.equal(cronShapeProblem('0 9 * * *'), null);
  assert.equal(cronShapeProblem('  0  0 9 * * * '), null);
  assert.match(cronShapeProblem('0 9 * *') ?? '', /has 4/);
  assert.match(cronShapeProblem('0 0 9 * * * 2026') ?? '', /has 7/);
  assert.match(cronShapeProblem('') ?? '', /has 0/);
});
