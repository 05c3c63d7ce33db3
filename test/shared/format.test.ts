import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes } from '../../shared/format';

test('formatBytes shows small counts in bytes', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1), '1 B');
  assert.equal(formatBytes(999), '999 B');
});

test('formatBytes uses decimal units as file managers do', () => {
  assert.equal(formatBytes(1000), '1.0 kB');
  assert.equal(formatBytes(1024), '1.0 kB');
  assert.equal(formatBytes(1500), '1.5 kB');
  assert.equal(formatBytes(12_345), '12.3 kB');
  assert.equal(formatBytes(123_456), '123 kB');
  assert.equal(formatBytes(1_000_000), '1.0 MB');
  assert.equal(formatBytes(2_300_000_000), '2.3 GB');
  assert.equal(formatBytes(3_221_225_475), '3.2 GB');
  assert.equal(formatBytes(1_000_000_000_000), '1.0 TB');
  assert.equal(formatBytes(4_500_000_000_000_000), '4.5 PB');
});

test('formatBytes keeps one decimal below 100 and none from 100 up', () => {
  assert.equal(formatBytes(99_000), '99.0 kB');
  assert.equal(formatBytes(100_000), '100 kB');
  assert.equal(formatBytes(512_000_000), '512 MB');
  assert.equal(formatBytes(55_500_000_000), '55.5 GB');
});

test('formatBytes stops at PB for huge counts', () => {
  assert.equal(formatBytes(1e18), '1000 PB');
  assert.equal(formatBytes(Number.MAX_SAFE_INTEGER), '9.0 PB');
});

test('formatBytes shows a dash for counts that are not sizes', () => {
  for (const value of [-1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    assert.equal(formatBytes(value), '—', String(value));
  }
});

test('formatBytes never shows 1000 of a unit when the next unit exists (999,999 bytes is 1.0 MB)', () => {
  assert.equal(formatBytes(999_499), '999 kB');
  assert.equal(formatBytes(999_999), '1.0 MB');
  assert.equal(formatBytes(999_600), '1.0 MB');
  assert.equal(formatBytes(999_999_999), '1.0 GB');
  assert.equal(formatBytes(999_999_999_999), '1.0 TB');
});

test('formatBytes rounds up to 100 without a decimal (99,960 bytes is 100 kB, not 100.0 kB)', () => {
  assert.equal(formatBytes(99_949), '99.9 kB');
  assert.equal(formatBytes(99_960), '100 kB');
  assert.equal(formatBytes(99_960_000), '100 MB');
});

test('formatBytes has the number and unit for every power of ten up to a petabyte', () => {
  for (let exponent = 0; exponent <= 15; exponent += 1) {
    const text = formatBytes(10 ** exponent);
    assert.match(text, /^\d+(\.\d)? (B|kB|MB|GB|TB|PB)$/, text);
    const number = Number(text.split(' ')[0]);
    assert.ok(number >= 1 && number < 1000, `${10 ** exponent} → ${text}`);
  }
});
