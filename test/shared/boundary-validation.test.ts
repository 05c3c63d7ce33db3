import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestSchemas } from '../../shared/contract';
import { DormouseError } from '../../shared/errors';
import { parseInput } from '../../shared/schemas';
import { parseIsoInstant, toLocalIso } from '../../shared/time';

function rejects(channel: keyof typeof requestSchemas, payload: unknown, pattern: RegExp): void {
  assert.throws(() => parseInput(requestSchemas[channel], payload), (error: unknown) => {
    assert.ok(error instanceof DormouseError);
    assert.equal(error.code, 'INVALID_INPUT');
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
}

test('schedule payloads are checked field by field with one readable line', () => {
  const valid = { name: 'Documents', sources: ['/home/ana/Documents'], destination: 'usb', cron: '0 9 * * *' };
  assert.deepEqual(parseInput(requestSchemas['schedules:add'], valid), {
    ...valid,
    excludes: [],
    compression: 'none',
    keepLast: null,
    keepDaily: null,
    keepWeekly: null,
    keepMonthly: null,
    enabled: true,
  });
  rejects('schedules:add', { ...valid, name: '   ' }, /^name: must not be empty$/);
  rejects('schedules:add', { ...valid, sources: [] }, /sources: name at least one source folder/);
  rejects('schedules:add', { ...valid, sources: ['/ok', 42] }, /sources\[1\]/);
  rejects('schedules:add', { ...valid, cron: '0 9 * *' }, /cron: .*has 4/);
  rejects('schedules:add', { ...valid, compression: 'zip' }, /compression/);
  rejects('schedules:add', { ...valid, keepLast: 0 }, /keepLast: must be at least 1/);
  rejects('schedules:add', { ...valid, name: 'x'.repeat(101) }, /at most 100/);
  rejects('schedules:add', { ...valid, name: 'bad\u0007name' }, /control characters/);
  rejects('schedules:add', { ...valid, isAdmin: true }, /unknown field isAdmin/);
  rejects('schedules:add', 'Documents', /expected object/);
});

test('requests with extra or missing fields never pass', () => {
  rejects('destinations:add', { name: 'usb' }, /path/);
  rejects('destinations:add', { name: 'usb', path: '/media/usb', extra: 1 }, /unknown field/);
  rejects('destinations:list', { anything: true }, /unknown field/);
  rejects('schedules:edit', { schedule: 'Documents', changes: { cron: '0 9 * * *', evil: 1 } }, /unknown field/);
  rejects('cron:preview', { expression: '0 9 * * *', count: 1000 }, /count: must be at most 100/);
  rejects('cron:preview', { expression: '0 9 * * *', from: 'tomorrow' }, /from: must be an ISO-8601/);
});

test('public times are ISO-8601 with the local offset', () => {
  const original = process.env.TZ;
  try {
    process.env.TZ = 'Europe/Berlin';
    assert.equal(toLocalIso(Date.UTC(2026, 10, 21, 8, 0, 0)), '2026-11-21T09:00:00+01:00');
    assert.equal(toLocalIso(Date.UTC(2026, 6, 1, 7, 30, 0, 250)), '2026-07-01T09:30:00.250+02:00');
    process.env.TZ = 'America/New_York';
    assert.equal(toLocalIso(Date.UTC(2026, 10, 21, 14, 0, 0)), '2026-11-21T09:00:00-05:00');
    // Years outside 0000–9999 (a drive that fills in 13,000 years at this rate, a file dated 0950)
    // take ISO's signed six-digit form, which Date.parse reads back; four digits always below 1000.
    process.env.TZ = 'UTC';
    assert.equal(toLocalIso(Date.UTC(15426, 0, 2, 3, 4, 5)), '+015426-01-02T03:04:05+00:00');
    assert.equal(Date.parse(toLocalIso(Date.UTC(15426, 0, 2, 3, 4, 5))), Date.UTC(15426, 0, 2, 3, 4, 5));
    const year950 = new Date(Date.UTC(2000, 5, 7, 8, 9, 10)).setUTCFullYear(950);
    assert.equal(toLocalIso(year950), '0950-06-07T08:09:10+00:00');
    assert.equal(Date.parse(toLocalIso(year950)), year950);
  } finally {
    process.env.TZ = original;
  }
  assert.equal(parseIsoInstant('2026-11-21T09:00:00+01:00'), Date.UTC(2026, 10, 21, 8));
  assert.equal(parseIsoInstant('next tuesday'), null);
  assert.equal(parseIsoInstant('2026-13-45T99:00:00Z'), null);
});
