import { defaultSettings, settingsSchema, type Settings } from '../../shared/settings';
import type { Db } from './open-store';

/**
 * Reads every setting, falling back to its default where a stored value is missing or no longer
 * valid (a value written by another version is never trusted blindly).
 */
export function readSettings(db: Db): Settings {
  const rows = db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
  const settings: Record<string, unknown> = { ...defaultSettings };
  for (const row of rows) {
    if (!(row.key in defaultSettings)) continue;
    try {
      const candidate = { ...settings, [row.key]: JSON.parse(row.value) };
      if (settingsSchema.safeParse(candidate).success) settings[row.key] = candidate[row.key];
    } catch {
      // unreadable value: keep the default
    }
  }
  return settings as Settings;
}

/** Saves the given settings (already validated) in one transaction. */
export function writeSettings(db: Db, changes: Partial<Settings>, now: number): void {
  const upsert = db.prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at');
  db.transaction(() => {
    for (const [key, value] of Object.entries(changes)) {
      if (value !== undefined) upsert.run(key, JSON.stringify(value), now);
    }
  }).immediate();
}
