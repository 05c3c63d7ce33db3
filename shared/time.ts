function pad(value: number, width = 2): string {
  return String(Math.trunc(Math.abs(value))).padStart(width, '0');
}

/** A year as ISO-8601 writes it: four digits, or a sign and six beyond 0000–9999 (what Date.parse reads back). */
function isoYear(year: number): string {
  if (year >= 0 && year <= 9999) return pad(year, 4);
  return `${year < 0 ? '-' : '+'}${pad(year, 6)}`;
}

/**
 * Formats an instant as ISO-8601 in the laptop's local time zone with its offset
 * ("2026-11-21T09:00:00+01:00"): the one form every public time takes in CLI output and the UI.
 */
export function toLocalIso(epochMs: number): string {
  const date = new Date(epochMs);
  const offsetMinutes = -date.getTimezoneOffset();
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const millis = date.getMilliseconds() === 0 ? '' : `.${pad(date.getMilliseconds(), 3)}`;
  return (
    `${isoYear(date.getFullYear())}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${millis}` +
    `${sign}${pad(offsetMinutes / 60)}:${pad(offsetMinutes % 60)}`
  );
}

/** The same as toLocalIso, passing null through: for optional times such as "never backed up". */
export function toLocalIsoOrNull(epochMs: number | null): string | null {
  return epochMs === null ? null : toLocalIso(epochMs);
}

const isoPattern = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Parses an ISO-8601 date or date-time given by a person (without an offset: local time); null when it is not one. */
export function parseIsoInstant(text: string): number | null {
  const trimmed = text.trim();
  if (!isoPattern.test(trimmed)) return null;
  // A date alone means local midnight, as a person means it (Date.parse would take UTC midnight).
  const value = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? `${trimmed}T00:00` : trimmed);
  return Number.isNaN(value) ? null : value;
}
