import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dormouse, temporaryFolder, type CliResult } from '../helpers/cli';

interface Preview {
  expression: string;
  description: string;
  next: string[];
}

const localIsoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?[+-]\d{2}:\d{2}$/;

function describe(result: CliResult): string {
  return `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

/** Runs `dormouse --json cron …` in a time zone, with a data folder that must never be created. */
function cron(t: { after: (fn: () => void) => void }, args: string[], timeZone = 'Europe/Berlin'): { result: CliResult; dataDir: string } {
  const dataDir = join(temporaryFolder(t), 'data');
  const result = dormouse(['--data-dir', dataDir, '--json', 'cron', ...args], { env: { TZ: timeZone } });
  return { result, dataDir };
}

function preview(t: { after: (fn: () => void) => void }, args: string[], timeZone = 'Europe/Berlin'): Preview {
  const { result, dataDir } = cron(t, args, timeZone);
  assert.equal(result.code, 0, describe(result));
  assert.equal(result.stderr, '', describe(result));
  assert.ok(!existsSync(dataDir), 'a cron preview does not create the data folder');
  return result.json<Preview>();
}

test('cron describes the expression and lists the next three runs in local time with the offset', (t) => {
  assert.deepEqual(preview(t, ['0 9 * * *', '--from', '2026-11-21T10:00:00+01:00']), {
    expression: '0 9 * * *',
    description: 'Every day at 09:00',
    next: ['2026-11-22T09:00:00+01:00', '2026-11-23T09:00:00+01:00', '2026-11-24T09:00:00+01:00'],
  });
});

test('cron --count sets how many runs are listed', (t) => {
  const from = ['--from', '2026-11-21T10:00:00+01:00'];
  assert.deepEqual(preview(t, ['*/15 * * * *', ...from, '--count', '1']).next, ['2026-11-21T10:15:00+01:00']);
  assert.deepEqual(preview(t, ['*/15 * * * *', ...from, '--count', '5']).next, [
    '2026-11-21T10:15:00+01:00',
    '2026-11-21T10:30:00+01:00',
    '2026-11-21T10:45:00+01:00',
    '2026-11-21T11:00:00+01:00',
    '2026-11-21T11:15:00+01:00',
  ]);
  const hundred = preview(t, ['0 * * * *', ...from, '--count', '100']).next;
  assert.equal(hundred.length, 100);
  assert.equal(hundred[0], '2026-11-21T11:00:00+01:00');
  assert.equal(hundred[99], '2026-11-25T14:00:00+01:00');
});

test('cron follows daylight saving time: the offset changes with the season', (t) => {
  assert.deepEqual(preview(t, ['0 9 * * *', '--from', '2026-03-28T10:00:00+01:00']).next, [
    '2026-03-29T09:00:00+02:00',
    '2026-03-30T09:00:00+02:00',
    '2026-03-31T09:00:00+02:00',
  ]);
  assert.deepEqual(preview(t, ['0 9 * * *', '--from', '2026-10-24T10:00:00+02:00']).next, [
    '2026-10-25T09:00:00+01:00',
    '2026-10-26T09:00:00+01:00',
    '2026-10-27T09:00:00+01:00',
  ]);
});

test('cron shows times in the laptop\'s own time zone, whatever offset --from is written in', (t) => {
  // 08:30 UTC is 09:30 in Berlin: today's 09:00 has passed.
  assert.deepEqual(preview(t, ['0 9 * * *', '--from', '2026-11-21T08:30:00Z', '--count', '1']).next, ['2026-11-22T09:00:00+01:00']);
  // The same instant is 03:30 in New York: today's 09:00 is still ahead.
  assert.deepEqual(preview(t, ['0 9 * * *', '--from', '2026-11-21T08:30:00Z', '--count', '1'], 'America/New_York').next, [
    '2026-11-21T09:00:00-05:00',
  ]);
  assert.deepEqual(preview(t, ['0 9 * * *', '--from', '2026-11-21T10:00:00-05:00'], 'America/New_York').next, [
    '2026-11-22T09:00:00-05:00',
    '2026-11-23T09:00:00-05:00',
    '2026-11-24T09:00:00-05:00',
  ]);
});

test('cron accepts 6 fields with seconds first', (t) => {
  assert.deepEqual(preview(t, ['30 15 9 * * *', '--from', '2026-11-21T10:00:00+01:00', '--count', '2']).next, [
    '2026-11-22T09:15:30+01:00',
    '2026-11-23T09:15:30+01:00',
  ]);
  assert.deepEqual(preview(t, ['*/20 * * * * *', '--from', '2026-11-21T10:00:00+01:00']).next, [
    '2026-11-21T10:00:20+01:00',
    '2026-11-21T10:00:40+01:00',
    '2026-11-21T10:01:00+01:00',
  ]);
  assert.equal(preview(t, ['0 0 9 * * *', '--from', '2026-11-21T10:00:00+01:00']).description, 'Every day at 09:00');
});

test('cron describes common schedules in words', (t) => {
  const from = ['--from', '2026-11-21T10:00:00+01:00'];
  assert.equal(preview(t, ['0 * * * *', ...from]).description, 'Every hour');
  assert.equal(preview(t, ['30 18 * * 1-5', ...from]).description, 'Every weekday at 18:30');
  assert.equal(preview(t, ['0 22 * * 0', ...from]).description, 'Every Sunday at 22:00');
  assert.deepEqual(preview(t, ['0 22 * * 0', ...from]).next, ['2026-11-22T22:00:00+01:00', '2026-11-29T22:00:00+01:00', '2026-12-06T22:00:00+01:00']);
});

test('cron without --from previews from now: three future times, in order', (t) => {
  const before = Date.now();
  const shown = preview(t, ['*/5 * * * *']);
  assert.equal(shown.next.length, 3);
  for (const time of shown.next) assert.match(time, localIsoPattern);
  const times = shown.next.map((time) => Date.parse(time));
  assert.ok((times[0] as number) > before - 1000, `${shown.next[0]} is not in the past`);
  assert.ok((times[0] as number) <= before + 5 * 60 * 1000 + 1000, `${shown.next[0]} is within five minutes`);
  assert.deepEqual(times.slice(1).map((time, index) => time - (times[index] as number)), [300_000, 300_000]);
});

test('cron --from with a date only starts at midnight of that day in local time', (t) => {
  assert.deepEqual(preview(t, ['0 20 * * *', '--from', '2026-11-21', '--count', '1'], 'America/New_York').next, ['2026-11-21T20:00:00-05:00']);
});

for (const [label, args, says] of [
  ['a cron with 4 fields', ['0 9 * *'], /0 9 \* \*/],
  ['a cron with 7 fields', ['0 0 9 * * * *'], /7/],
  ['an out-of-range minute', ['61 * * * *'], /: its minute field \("61"\) has 61, outside 0–59$/m],
  ['an out-of-range hour', ['0 24 * * *'], /: its hour field \("24"\) has 24, outside 0–23$/m],
  ['an out-of-range second', ['70 0 9 * * *'], /: its second field \("70"\) has 70, outside 0–59$/m],
  ['a step of 0', ['*/0 * * * *'], /: its minute field \("\*\/0"\) steps by 0; a step is 1 or more, as in \*\/15$/m],
  ['a range that goes backwards', ['0 17-9 * * *'], /: its hour field \("17-9"\) has the range 17-9, which goes backwards; write the smaller number first$/m],
  ['a day name that is not one', ['0 9 * * MON-FRY'], /: its day of week field \("MON-FRY"\) is not a number, a range \(1-5\), a list \(1,15\), a step \(\*\/15\) or \*, or day names SUN–SAT$/m],
  ['30 February', ['0 9 30 2 *'], /: that day of the month never comes in the months it names, so it would never run$/m],
  ['words instead of a cron', ['every day'], /every day/],
  ['an empty expression', [''], /cron|expression/],
  ['a --from that is not a time', ['0 9 * * *', '--from', 'yesterday'], /from/],
  ['a --from with a month 13', ['0 9 * * *', '--from', '2026-13-01T10:00:00+01:00'], /from/],
  ['--count 0', ['0 9 * * *', '--count', '0'], /count/],
  ['--count 101', ['0 9 * * *', '--count', '101'], /count/],
  ['--count abc', ['0 9 * * *', '--count', 'abc'], /count/],
  ['--count -1', ['0 9 * * *', '--count', '-1'], /count/],
  ['a missing expression', [], /expr/],
] as const) {
  test(`cron refuses ${label} with exit 2 and one error line`, (t) => {
    const { result, dataDir } = cron(t, [...args]);
    assert.equal(result.code, 2, describe(result));
    assert.equal(result.stdout, '', describe(result));
    assert.match(result.stderr, /^error: [^\n]+\n$/, describe(result));
    assert.match(result.stderr, says, describe(result));
    assert.ok(!existsSync(dataDir), 'a refused preview does not create the data folder');
  });
}

test('cron never creates the data folder, whether it comes from --data-dir or DORMOUSE_DATA_DIR', (t) => {
  const root = temporaryFolder(t);
  const fromOption = join(root, 'option-data');
  const fromEnv = join(root, 'env-data');

  const viaOption = dormouse(['cron', '0 9 * * *', '--data-dir', fromOption]);
  assert.equal(viaOption.code, 0, describe(viaOption));
  const viaEnv = dormouse(['--json', 'cron', '0 9 * * *'], { env: { DORMOUSE_DATA_DIR: fromEnv } });
  assert.equal(viaEnv.code, 0, describe(viaEnv));

  assert.ok(!existsSync(fromOption), `${fromOption} was not created`);
  assert.ok(!existsSync(fromEnv), `${fromEnv} was not created`);
});

test('cron without --json prints the description and the next runs as text', (t) => {
  const dataDir = join(temporaryFolder(t), 'data');
  const result = dormouse(['--data-dir', dataDir, 'cron', '0 9 * * *', '--from', '2026-11-21T10:00:00+01:00'], { env: { TZ: 'Europe/Berlin' } });
  assert.equal(result.code, 0, describe(result));
  assert.match(result.stdout, /Every day at 09:00/);
  for (const time of ['2026-11-22T09:00:00+01:00', '2026-11-23T09:00:00+01:00', '2026-11-24T09:00:00+01:00']) assert.ok(result.stdout.includes(time), result.stdout);
});

test('cron takes a crontab nickname and shows the five fields it stands for', (t) => {
  assert.deepEqual(preview(t, ['@weekly', '--from', '2026-11-21T10:00:00+01:00', '--count', '1']), {
    expression: '0 0 * * 0',
    description: 'Every Sunday at 00:00',
    next: ['2026-11-22T00:00:00+01:00'],
  });
});
