import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAgo, formatDuration, formatWhen, startOfTomorrow } from '../../shared/human-time';
import { day, hour, minute, withTimeZone } from './state-builders';

const second = 1000;

describe('formatAgo', () => {
  const now = Date.UTC(2025, 10, 21, 13, 0, 0);

  test('under a minute is "just now", including times a little in the future (clock skew)', () => {
    assert.equal(formatAgo(now, now), 'just now');
    assert.equal(formatAgo(now - 59 * second, now), 'just now');
    assert.equal(formatAgo(now + 5 * minute, now), 'just now');
  });

  test('minutes, hours and days, singular and plural, rounded down', () => {
    assert.equal(formatAgo(now - minute, now), '1 minute ago');
    assert.equal(formatAgo(now - 12 * minute, now), '12 minutes ago');
    assert.equal(formatAgo(now - (59 * minute + 59 * second), now), '59 minutes ago');
    assert.equal(formatAgo(now - hour, now), '1 hour ago');
    assert.equal(formatAgo(now - (2 * hour + 59 * minute), now), '2 hours ago');
    assert.equal(formatAgo(now - (23 * hour + 59 * minute), now), '23 hours ago');
    assert.equal(formatAgo(now - day, now), '1 day ago');
    assert.equal(formatAgo(now - 45 * day, now), '45 days ago');
  });

  test('does not depend on the time zone', () => {
    for (const zone of ['Europe/Berlin', 'Pacific/Chatham', 'America/St_Johns']) {
      withTimeZone(zone, () => assert.equal(formatAgo(now - 3 * hour, now), '3 hours ago', zone));
    }
  });
});

describe('formatDuration', () => {
  test('seconds, minutes and seconds, hours and minutes', () => {
    assert.equal(formatDuration(0), '0 s');
    assert.equal(formatDuration(45 * second), '45 s');
    assert.equal(formatDuration(72 * second), '1 min 12 s');
    assert.equal(formatDuration(2 * minute), '2 min');
    assert.equal(formatDuration(59 * minute + 59 * second), '59 min 59 s');
    assert.equal(formatDuration(hour), '1 h');
    assert.equal(formatDuration(2 * hour + 5 * minute), '2 h 5 min');
    assert.equal(formatDuration(2 * hour + 5 * minute + 40 * second), '2 h 5 min');
    assert.equal(formatDuration(26 * hour), '26 h');
  });

  test('rounds to the nearest second, carrying into the next unit', () => {
    assert.equal(formatDuration(400), '0 s');
    assert.equal(formatDuration(1500), '2 s');
    assert.equal(formatDuration(59_500), '1 min');
    assert.equal(formatDuration(hour - 400), '1 h');
  });

  test('a negative duration (a clock set back mid-backup) is 0 s', () => {
    assert.equal(formatDuration(-5 * second), '0 s');
  });
});

describe('formatWhen (local time)', () => {
  test('today, tomorrow, yesterday and another day, in Berlin', () => {
    withTimeZone('Europe/Berlin', () => {
      const now = Date.UTC(2025, 10, 21, 13, 0); // Friday 21 November 2025, 14:00 CET
      assert.equal(formatWhen(Date.UTC(2025, 10, 21, 14, 0), now), 'today at 15:00');
      assert.equal(formatWhen(Date.UTC(2025, 10, 20, 23, 0), now), 'today at 00:00');
      assert.equal(formatWhen(Date.UTC(2025, 10, 21, 22, 59), now), 'today at 23:59');
      assert.equal(formatWhen(Date.UTC(2025, 10, 21, 23, 0), now), 'tomorrow at 00:00');
      assert.equal(formatWhen(Date.UTC(2025, 10, 22, 8, 5), now), 'tomorrow at 09:05');
      assert.equal(formatWhen(Date.UTC(2025, 10, 20, 8, 0), now), 'yesterday at 09:00');
      assert.equal(formatWhen(Date.UTC(2025, 10, 24, 8, 0), now), 'Mon 24 Nov at 09:00');
      assert.equal(formatWhen(Date.UTC(2025, 11, 1, 7, 30), now), 'Mon 1 Dec at 08:30');
      assert.equal(formatWhen(Date.UTC(2025, 10, 18, 17, 0), now), 'Tue 18 Nov at 18:00');
    });
  });

  test('the same instant reads differently in another zone', () => {
    const now = Date.UTC(2025, 10, 21, 13, 0);
    const then = Date.UTC(2025, 10, 22, 2, 0);
    assert.equal(withTimeZone('Europe/Berlin', () => formatWhen(then, now)), 'tomorrow at 03:00');
    assert.equal(withTimeZone('America/New_York', () => formatWhen(then, now)), 'today at 21:00');
    assert.equal(withTimeZone('Asia/Tokyo', () => formatWhen(then, now)), 'tomorrow at 11:00');
  });

  test('days are counted in calendar days across daylight-saving changes', () => {
    withTimeZone('Europe/Berlin', () => {
      // Clocks go forward on Sunday 30 March 2025: Saturday 12:00 CET to Sunday 12:00 CEST is 23 hours.
      const saturdayNoon = Date.UTC(2025, 2, 29, 11, 0);
      assert.equal(formatWhen(Date.UTC(2025, 2, 30, 10, 0), saturdayNoon), 'tomorrow at 12:00');
      assert.equal(formatWhen(Date.UTC(2025, 2, 30, 1, 0), saturdayNoon), 'tomorrow at 03:00');
      // Clocks go back on Sunday 26 October 2025: Saturday 23:30 CEST to Monday 00:30 CET is 26 hours.
      const saturdayLate = Date.UTC(2025, 9, 25, 21, 30);
      assert.equal(formatWhen(Date.UTC(2025, 9, 26, 22, 59), saturdayLate), 'tomorrow at 23:59');
      assert.equal(formatWhen(Date.UTC(2025, 9, 26, 23, 30), saturdayLate), 'Mon 27 Oct at 00:30');
    });
  });

  test('24-hour clock with leading zeros', () => {
    withTimeZone('UTC', () => {
      const now = Date.UTC(2025, 0, 1, 0, 0);
      assert.equal(formatWhen(Date.UTC(2025, 0, 1, 7, 5), now), 'today at 07:05');
      assert.equal(formatWhen(Date.UTC(2025, 0, 1, 19, 45), now), 'today at 19:45');
    });
  });
});

describe('startOfTomorrow', () => {
  test('is the next local midnight', () => {
    withTimeZone('Europe/Berlin', () => {
      assert.equal(startOfTomorrow(Date.UTC(2025, 10, 21, 13, 0)), Date.UTC(2025, 10, 21, 23, 0));
      // At exactly midnight it is the following midnight, a whole day away.
      assert.equal(startOfTomorrow(Date.UTC(2025, 10, 21, 23, 0)), Date.UTC(2025, 10, 22, 23, 0));
      // A minute before midnight it is a minute away.
      assert.equal(startOfTomorrow(Date.UTC(2025, 10, 21, 22, 59)), Date.UTC(2025, 10, 21, 23, 0));
    });
    withTimeZone('America/New_York', () => {
      assert.equal(startOfTomorrow(Date.UTC(2025, 10, 21, 13, 0)), Date.UTC(2025, 10, 22, 5, 0));
    });
  });

  test('across the turn of the year and month', () => {
    withTimeZone('Asia/Tokyo', () => {
      assert.equal(startOfTomorrow(Date.UTC(2025, 11, 31, 3, 0)), Date.UTC(2025, 11, 31, 15, 0)); // 31 Dec 12:00 → 1 Jan 00:00 JST
      assert.equal(startOfTomorrow(Date.UTC(2024, 1, 28, 3, 0)), Date.UTC(2024, 1, 28, 15, 0)); // 28 Feb 12:00 → 29 Feb 00:00 JST (leap year)
      assert.equal(startOfTomorrow(Date.UTC(2024, 1, 29, 3, 0)), Date.UTC(2024, 1, 29, 15, 0)); // 29 Feb 12:00 → 1 Mar 00:00 JST
    });
  });

  test('on days that are 23 or 25 hours long', () => {
    withTimeZone('Europe/Berlin', () => {
      // Saturday 29 March 2025 noon → Sunday 00:00 CET; Sunday noon (CEST) → Monday 00:00 CEST.
      assert.equal(startOfTomorrow(Date.UTC(2025, 2, 29, 11, 0)), Date.UTC(2025, 2, 29, 23, 0));
      assert.equal(startOfTomorrow(Date.UTC(2025, 2, 30, 10, 0)), Date.UTC(2025, 2, 30, 22, 0));
      // Sunday 26 October 2025 noon (CET) → Monday 00:00 CET.
      assert.equal(startOfTomorrow(Date.UTC(2025, 9, 26, 11, 0)), Date.UTC(2025, 9, 26, 23, 0));
    });
  });

  test('where midnight itself is skipped (Chile springs forward at 24:00), it is the first instant of the next day', () => {
    withTimeZone('America/Santiago', () => {
      const saturdayNoon = Date.UTC(2024, 8, 7, 16, 0); // Saturday 7 September 2024, 12:00 -04
      const start = startOfTomorrow(saturdayNoon);
      assert.equal(start, Date.UTC(2024, 8, 8, 4, 0)); // Sunday 8 September, 01:00 -03
      assert.equal(new Date(start).getDate(), 8);
      assert.equal(new Date(start - 1).getDate(), 7);
      assert.equal(formatWhen(start, saturdayNoon), 'tomorrow at 01:00');
    });
  });
});
