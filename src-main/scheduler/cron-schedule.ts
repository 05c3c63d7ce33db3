import { CronExpressionParser } from 'cron-parser';
import { cronShapeProblem, shortQuote } from '../../shared/cron-words';

/**
 * Returns why a cron expression cannot be used (its shape or what cron-parser says of it),
 * or null when it parses: the engine's own message, shown by every front end.
 */
export function cronProblem(expression: string): string | null {
  const shape = cronShapeProblem(expression);
  if (shape !== null) return shape;
  const problem = parseProblem(expression.trim());
  if (problem === null) return null;
  return `"${shortQuote(expression)}" is not a valid cron expression: ${fieldProblem(expression.trim()) ?? shortQuote(problem, 200)}`;
}

function parseProblem(expression: string): string | null {
  try {
    CronExpressionParser.parse(expression, { currentDate: new Date() });
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

const fieldNames = ['minute', 'hour', 'day of month', 'month', 'day of week'];

/**
 * What is wrong with the first field cron-parser refuses on its own (the others made `*`), named
 * and said in words, with the form that works; null when each field alone is fine (their mix is
 * what fails, such as 30 February) or cron-parser's words are not recognised.
 */
function fieldProblem(expression: string): string | null {
  const fields = expression.split(/\s+/);
  const names = fields.length === 6 ? ['second', ...fieldNames] : fieldNames;
  for (const [index, field] of fields.entries()) {
    const alone = parseProblem(fields.map((each, at) => (at === index ? each : '*')).join(' '));
    if (alone === null) continue;
    const which = `its ${names[index]} field ("${shortQuote(field, 40)}")`;
    const range = /got value (\S+) expected range (\d+)-(\d+)/.exec(alone);
    if (range) return `${which} has ${range[1]}, outside ${range[2]}–${range[3]}`;
    if (/cannot repeat at every 0 time/.test(alone)) return `${which} steps by 0; a step is 1 or more, as in */15`;
    const backwards = /Invalid range: (\S+), min\((\d+)\) > max\((\d+)\)/.exec(alone);
    if (backwards) return `${which} has the range ${backwards[1]}, which goes backwards; write the smaller number first`;
    if (/Invalid characters|cannot resolve alias/.test(alone)) {
      const aliases = index === fields.length - 2 ? ', or month names JAN–DEC' : index === fields.length - 1 ? ', or day names SUN–SAT' : '';
      return `${which} is not a number, a range (1-5), a list (1,15), a step (*/15) or *${aliases}`;
    }
    return `${which}: ${shortQuote(alone, 200)}`;
  }
  if (/Invalid explicit day of month definition/.test(parseProblem(expression) ?? '')) return 'that day of the month never comes in the months it names, so it would never run';
  return null;
}

/**
 * Where to start cron-parser's walk to find the fires after `fromMs`. Started within an hour after a
 * daylight-saving change, next() loses the run moved out of the skipped spring hour (from 03:00
 * CEST, "30 2 * * *" gives the next day's) and gives the repeated autumn one; so there it starts
 * from before the change, as a timer armed the evening before would, and the caller skips what
 * falls at or before `fromMs`.
 */
function walkStart(fromMs: number): number {
  const hourBefore = fromMs - 3_600_000;
  return new Date(hourBefore).getTimezoneOffset() === new Date(fromMs).getTimezoneOffset() ? fromMs : hourBefore - 1000;
}

/** The next `count` fire times after `fromMs`, in the laptop's local time zone. */
export function nextFires(expression: string, fromMs: number, count: number): number[] {
  const interval = CronExpressionParser.parse(expression.trim(), { currentDate: new Date(walkStart(fromMs)) });
  const fires: number[] = [];
  while (fires.length < count) {
    // Like take(): an expression with no more fires gives what it has.
    const [next] = interval.take(1);
    if (next === undefined) break;
    if (next.getTime() > fromMs) fires.push(next.getTime());
  }
  return fires;
}

/**
 * Every fire time from `fromMs` to `toMs` (both included), oldest first, as the cron timer follows
 * them (next(), so daylight-saving nights match what the scheduler runs); null when there would be
 * more than `limit`, so a caller never builds an unbounded list.
 */
export function firesBetween(expression: string, fromMs: number, toMs: number, limit: number): number[] | null {
  const interval = CronExpressionParser.parse(expression.trim(), { currentDate: new Date(walkStart(fromMs - 1)), endDate: new Date(toMs + 1) });
  const fires: number[] = [];
  while (interval.hasNext()) {
    const fire = interval.next().getTime();
    if (fire < fromMs) continue;
    if (fire > toMs) break;
    if (fires.length === limit) return null;
    fires.push(fire);
  }
  return fires;
}

/**
 * The most recent fire time at or before `nowMs`, or null when the expression never fired or does
 * not parse. It agrees with `nextFires` on daylight-saving nights: cron-parser's prev() returns the
 * second of a repeated autumn hour and skips a day's moved spring run, while next() (what the timer
 * follows) does neither; so step back a few fires with prev(), then walk forward with next().
 */
export function lastExpectedFire(expression: string, nowMs: number): number | null {
  if (cronProblem(expression) !== null) return null;
  try {
    const back = CronExpressionParser.parse(expression.trim(), { currentDate: new Date(nowMs + 1) });
    let start = nowMs;
    for (let step = 0; step < 3; step += 1) start = back.prev().getTime();
    const forward = CronExpressionParser.parse(expression.trim(), { currentDate: new Date(start - 1) });
    let last: number | null = null;
    for (;;) {
      const fire = forward.next().getTime();
      if (fire > nowMs) return last;
      last = fire;
    }
  } catch {
    return null;
  }
}

/**
 * A schedule is overdue when its most recent expected fire is later than its own last successful
 * backup; never backed up means overdue; an unparseable cron is never overdue.
 */
export function isOverdue(expression: string, lastSuccessAt: number | null, nowMs: number): boolean {
  const expected = lastExpectedFire(expression, nowMs);
  if (expected === null) return false;
  return lastSuccessAt === null || expected > lastSuccessAt;
}
