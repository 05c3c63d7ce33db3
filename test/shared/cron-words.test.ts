import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronShapeProblem, describeCron, expandCronNickname } from '../../shared/cron-words';

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

test('crontab nicknames stand for their five fields, in any case and with spaces around; anything else is kept as given', () => {
  assert.equal(expandCronNickname('@hourly'), '0 * * * *');
  assert.equal(expandCronNickname(' @Daily '), '0 0 * * *');
  assert.equal(expandCronNickname('@midnight'), '0 0 * * *');
  assert.equal(expandCronNickname('@weekly'), '0 0 * * 0');
  assert.equal(expandCronNickname('@MONTHLY'), '0 0 1 * *');
  assert.equal(expandCronNickname('@yearly'), '0 0 1 1 *');
  assert.equal(expandCronNickname('@annually'), '0 0 1 1 *');
  assert.equal(expandCronNickname('0 9 * * *'), '0 9 * * *');
  assert.equal(cronShapeProblem('@daily'), null);
});

test('a nickname cron has but Dormouse does not, or a misspelt one, is refused saying what to write instead', () => {
  assert.match(cronShapeProblem('@reboot') ?? '', /"@reboot" is not a schedule Dormouse keeps: it backs up what a laptop missed when it wakes or starts anyway; give a schedule such as @daily/);
  assert.match(cronShapeProblem('@dayly') ?? '', /"@dayly" is not a cron nickname; use one of @hourly, @daily, .*, or 5 fields such as "0 9 \* \* \*"/);
});
