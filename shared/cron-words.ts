import cronstrue from 'cronstrue';

const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** A person's input, shortened for an error message (a 100 KB string is never echoed back whole). */
export function shortQuote(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** Splits a cron expression into its fields the way cron does: on any run of white space. */
export function cronFields(expression: string): string[] {
  return expression.trim().split(/\s+/).filter((field) => field.length > 0);
}

/** The nicknames Vixie cron and cronie take for the common schedules, and the five fields each stands for. */
const cronNicknames: Readonly<Record<string, string>> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

/** An expression as a schedule keeps it: a nickname people know from crontab (`@daily`) as its five fields, anything else as given. */
export function expandCronNickname(expression: string): string {
  return cronNicknames[expression.trim().toLowerCase()] ?? expression;
}

/**
 * Checks the shape every front end can check without the engine: 5 fields, or 6 with seconds first,
 * or a crontab nickname (`@daily`). Returns a message saying what to fix, or null when the shape is right.
 */
export function cronShapeProblem(expression: string): string | null {
  const fields = cronFields(expandCronNickname(expression));
  if (fields.length === 1 && fields[0]?.startsWith('@')) {
    if (fields[0].toLowerCase() === '@reboot') return '"@reboot" is not a schedule Dormouse keeps: it backs up what a laptop missed when it wakes or starts anyway; give a schedule such as @daily or "0 9 * * *"';
    return `"${shortQuote(fields[0])}" is not a cron nickname; use one of ${Object.keys(cronNicknames).join(', ')}, or 5 fields such as "0 9 * * *"`;
  }
  const count = fields.length;
  if (count === 5 || count === 6) return null;
  return `a cron expression has 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first; "${shortQuote(expression)}" has ${count}`;
}

function isNumber(field: string | undefined, max: number): field is string {
  return field !== undefined && /^\d{1,2}$/.test(field) && Number(field) <= max;
}

function clock(hour: string, minute: string): string {
  return `${hour.padStart(2, '0')}:${minute.padStart(2, '0')}`;
}

/**
 * Describes a cron expression in words for schedule lists and previews: the presets the settings
 * window offers read naturally ("Every day at 09:00"), anything else is described by cronstrue.
 */
export function describeCron(expression: string): string {
  const fields = cronFields(expression);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields.length === 6 ? fields.slice(1) : fields;
  const secondsAreZero = fields.length === 5 || fields[0] === '0';
  if (fields.length >= 5 && secondsAreZero && dayOfMonth === '*' && month === '*') {
    if (isNumber(minute, 59) && hour === '*' && dayOfWeek === '*') {
      return minute === '0' ? 'Every hour' : `Every hour at ${minute.padStart(2, '0')} minutes past`;
    }
    if (isNumber(minute, 59) && isNumber(hour, 23)) {
      if (dayOfWeek === '*') return `Every day at ${clock(hour, minute)}`;
      if (dayOfWeek === '1-5') return `Every weekday at ${clock(hour, minute)}`;
      if (isNumber(dayOfWeek, 7)) return `Every ${weekdays[Number(dayOfWeek)]} at ${clock(hour, minute)}`;
    }
  }
  try {
    return cronstrue.toString(expression, { use24HourTimeFormat: true, verbose: true });
  } catch {
    return 'Not a valid cron expression';
  }
}
