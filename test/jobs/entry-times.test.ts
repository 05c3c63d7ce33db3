import { test } from 'node:test';
import assert from 'node:assert/strict';
import { millisecondsOf, millisecondsOfText, mtimeTextOf } from '../../src-main/archive-worker/source-walk';

/**
 * An incremental compares every walked entry's modification time with its manifest line's, and
 * reads every line's time, without BigInts where it can (#15). The shortcuts must give exactly
 * what the manifest writer writes (a BigInt's decimal) and what Node's Stats give (mtimeMs).
 */

/** Times as the system gives them (seconds, nanoseconds), each with its nanoseconds written out by hand. */
const times: [number, number, string][] = [
  [0, 0, '0'],
  [0, 5, '5'],
  [1, 0, '1000000000'],
  [1, 999_999_999, '1999999999'],
  [1_733_480_000, 123_456_789, '1733480000123456789'],
  [1_733_480_000, 7, '1733480000000000007'],
  [4_102_444_800, 999_999_999, '4102444800999999999'], // 2100, after 2038
  [99_999_999_999, 1, '99999999999000000001'], // past 18 digits
  [-1, 999_999_999, '-1'], // a nanosecond before 1970
  [-315_619_200, 500_000_000, '-315619199500000000'], // 1960
];

test("an entry's time in decimal is the manifest's, for times before 1970, at it, and after 2038", () => {
  for (const [mtimeSec, mtimeNsec, written] of times) assert.equal(mtimeTextOf({ mtimeSec, mtimeNsec }), written, `${mtimeSec} s ${mtimeNsec} ns`);
});

test("a manifest line's time in milliseconds is exactly Node's mtimeMs", () => {
  for (const [, , written] of times) assert.equal(millisecondsOfText(written), millisecondsOf(BigInt(written)), written);
  assert.equal(millisecondsOfText('1733480000123456789'), 1733480000123.4568);
});
