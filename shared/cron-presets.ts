import { cronFields } from './cron-words';

/** The frequencies the schedule editor offers, each a plain cron expression underneath. */
export type FrequencyPreset =
  | { kind: 'hourly'; minute: number }
  | { kind: 'daily'; hour: number; minute: number }
  | { kind: 'weekly'; weekday: number; hour: number; minute: number }
  | { kind: 'custom'; expression: string };

/** The cron expression a preset stands for. */
export function presetToCron(preset: FrequencyPreset): string {
  switch (preset.kind) {
    case 'hourly':
      return `${preset.minute} * * * *`;
    case 'daily':
      return `${preset.minute} ${preset.hour} * * *`;
    case 'weekly':
      return `${preset.minute} ${preset.hour} * * ${preset.weekday}`;
    case 'custom':
      return preset.expression;
  }
}

function small(field: string | undefined, max: number): number | null {
  return field !== undefined && /^\d{1,2}$/.test(field) && Number(field) <= max ? Number(field) : null;
}

/** Recognises a preset in an existing expression, so editing a schedule opens on the right choice. */
export function cronToPreset(expression: string): FrequencyPreset {
  const fields = cronFields(expression);
  if (fields.length === 5 && fields[2] === '*' && fields[3] === '*') {
    const minute = small(fields[0], 59);
    const hour = small(fields[1], 23);
    const weekday = small(fields[4], 6);
    if (minute !== null && fields[1] === '*' && fields[4] === '*') return { kind: 'hourly', minute };
    if (minute !== null && hour !== null && fields[4] === '*') return { kind: 'daily', hour, minute };
    if (minute !== null && hour !== null && weekday !== null) return { kind: 'weekly', weekday, hour, minute };
  }
  return { kind: 'custom', expression };
}

/** "HH:MM" for a time input. */
export function clockText(hour: number, minute: number): string {
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

/** Reads a time input's "HH:MM"; null when it is not one. */
export function parseClock(text: string): { hour: number; minute: number } | null {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!match) return null;
  const hour = Number(match[1]);
  const minute = Number(match[2]);
  return hour <= 23 && minute <= 59 ? { hour, minute } : null;
}
