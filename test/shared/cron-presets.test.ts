import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clockText, cronToPreset, parseClock, presetToCron, type FrequencyPreset } from '../../shared/cron-presets';
import { describeCron } from '../../shared/cron-words';

describe('presetToCron', () => {
  test('writes each preset as a plain five-field cron expression', () => {
    assert.equal(presetToCron({ kind: 'hourly', minute: 0 }), '0 * * * *');
    assert.equal(presetToCron({ kind: 'hourly', minute: 45 }), '45 * * * *');
    assert.equal(presetToCron({ kind: 'daily', hour: 9, minute: 30 }), '30 9 * * *');
    assert.equal(presetToCron({ kind: 'daily', hour: 0, minute: 0 }), '0 0 * * *');
    assert.equal(presetToCron({ kind: 'weekly', weekday: 1, hour: 8, minute: 5 }), '5 8 * * 1');
    assert.equal(presetToCron({ kind: 'weekly', weekday: 0, hour: 23, minute: 59 }), '59 23 * * 0');
  });

  test('passes a custom expression through untouched', () => {
    for (const expression of ['0 9 * * 1-5', '*/15 * * * *', '0 0 9 * * *', '  7 7 * * *  ', '']) {
      assert.equal(presetToCron({ kind: 'custom', expression }), expression);
    }
  });

  test('the presets read in words the way the editor describes them', () => {
    assert.equal(describeCron(presetToCron({ kind: 'hourly', minute: 0 })), 'Every hour');
    assert.equal(describeCron(presetToCron({ kind: 'hourly', minute: 5 })), 'Every hour at 05 minutes past');
    assert.equal(describeCron(presetToCron({ kind: 'daily', hour: 9, minute: 30 })), 'Every day at 09:30');
    assert.equal(describeCron(presetToCron({ kind: 'weekly', weekday: 3, hour: 18, minute: 0 })), 'Every Wednesday at 18:00');
  });
});

describe('cronToPreset', () => {
  test('every hourly, daily and weekly preset survives a round trip through its cron expression', () => {
    const presets: FrequencyPreset[] = [];
    for (let minute = 0; minute < 60; minute += 1) presets.push({ kind: 'hourly', minute });
    for (let hour = 0; hour < 24; hour += 1) {
      for (let minute = 0; minute < 60; minute += 1) presets.push({ kind: 'daily', hour, minute });
    }
    for (let weekday = 0; weekday < 7; weekday += 1) {
      for (const [hour, minute] of [
        [0, 0],
        [8, 5],
        [12, 30],
        [23, 59],
      ] as const) {
        presets.push({ kind: 'weekly', weekday, hour, minute });
      }
    }
    for (const preset of presets) assert.deepEqual(cronToPreset(presetToCron(preset)), preset, JSON.stringify(preset));
    assert.equal(presets.length, 60 + 24 * 60 + 7 * 4);
  });

  test('recognises presets written with extra white space or leading zeros', () => {
    assert.deepEqual(cronToPreset('  30   9 * * *  '), { kind: 'daily', hour: 9, minute: 30 });
    assert.deepEqual(cronToPreset('05 * * * *'), { kind: 'hourly', minute: 5 });
    assert.deepEqual(cronToPreset('0 07 * * 06'), { kind: 'weekly', weekday: 6, hour: 7, minute: 0 });
    assert.deepEqual(cronToPreset('0\t9\t*\t*\t*'), { kind: 'daily', hour: 9, minute: 0 });
  });

  test('anything the presets cannot say opens as a custom expression, unchanged', () => {
    const custom = [
      '0 9 * * 1-5',
      '*/15 * * * *',
      '0 */2 * * *',
      '0 9 1 * *',
      '0 9 * 1 *',
      '0 9 * * 1,3',
      '0 9 * * 7',
      '0 9 * * MON',
      '0 0 9 * * *',
      '60 * * * *',
      '0 24 * * *',
      '007 * * * *',
      '* * * * *',
      '0 9 * *',
      '0 9 * * * * *',
      '',
      'every day',
    ];
    for (const expression of custom) {
      assert.deepEqual(cronToPreset(expression), { kind: 'custom', expression }, expression);
      assert.equal(presetToCron(cronToPreset(expression)), expression);
    }
  });

  test('a custom preset that happens to be a preset expression reads back as that preset', () => {
    assert.deepEqual(cronToPreset(presetToCron({ kind: 'custom', expression: '15 6 * * 2' })), { kind: 'weekly', weekday: 2, hour: 6, minute: 15 });
  });
});

describe('clock text', () => {
  test('parseClock reads what a time input gives', () => {
    assert.deepEqual(parseClock('09:30'), { hour: 9, minute: 30 });
    assert.deepEqual(parseClock('00:00'), { hour: 0, minute: 0 });
    assert.deepEqual(parseClock('23:59'), { hour: 23, minute: 59 });
    assert.deepEqual(parseClock('9:05'), { hour: 9, minute: 5 });
    assert.deepEqual(parseClock(' 18:00 '), { hour: 18, minute: 0 });
  });

  test('parseClock refuses what is not a time of day', () => {
    for (const text of ['', ' ', '24:00', '12:60', '99:99', '12:5', '123:00', '12-30', '12:30:00', 'noon', '-1:00', '12:3a', '１２:００']) {
      assert.equal(parseClock(text), null, JSON.stringify(text));
    }
  });

  test('clockText pads to HH:MM and parseClock reads it back for every minute of the day', () => {
    assert.equal(clockText(9, 5), '09:05');
    assert.equal(clockText(0, 0), '00:00');
    assert.equal(clockText(23, 59), '23:59');
    for (let hour = 0; hour < 24; hour += 1) {
      for (let minute = 0; minute < 60; minute += 1) {
        assert.deepEqual(parseClock(clockText(hour, minute)), { hour, minute });
      }
    }
  });
});
