import { useEffect, useState } from 'react';
import type { Settings } from '../../../shared/settings';
import { call, EngineError } from '../bridge';

/** The person's settings, saved as they change them. */
export function SettingsScreen() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    call('settings:get', {}).then(setSettings, (failure: unknown) => setError((failure as Error).message));
  }, []);
  if (!settings) return error ? <p className="error">{error}</p> : <p className="muted">Loading…</p>;
  const change = async (changes: Partial<Settings>) => {
    setError(null);
    setSaved(false);
    try {
      setSettings(await call('settings:set', changes));
      setSaved(true);
    } catch (failure) {
      setError(failure instanceof EngineError ? failure.message : String(failure));
    }
  };
  const whole = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));
  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <form className="editor" onSubmit={(event) => event.preventDefault()}>
        <label className="check">
          <input type="checkbox" checked={settings.openAtLogin} onChange={(event) => void change({ openAtLogin: event.target.checked })} />
          Open Dormouse at login
        </label>
        <label className="check">
          <input type="checkbox" checked={settings.notifyOnSuccess} onChange={(event) => void change({ notifyOnSuccess: event.target.checked })} />
          Notify me when a backup completes (failures always notify)
        </label>
        <label>
          Wait after waking before catching up (seconds)
          <input type="number" min={0} max={3600} defaultValue={settings.settleSeconds} onBlur={(event) => void change({ settleSeconds: whole(event.target.value) })} />
        </label>
        <label>
          Upload speed limit for S3 destinations (KB/s)
          <input
            type="number"
            min={16}
            defaultValue={settings.uploadLimitKbPerSecond ?? ''}
            placeholder="no limit"
            onBlur={(event) => void change({ uploadLimitKbPerSecond: event.target.value.trim() === '' ? null : whole(event.target.value) })}
          />
        </label>
        <label className="check">
          <input type="checkbox" checked={settings.skipOnBattery} onChange={(event) => void change({ skipOnBattery: event.target.checked })} />
          Don't back up on battery power
        </label>
        <label>
          Don't back up below this battery level (%)
          <input
            type="number"
            min={1}
            max={100}
            defaultValue={settings.minBatteryPercent ?? ''}
            placeholder="no limit"
            onBlur={(event) => void change({ minBatteryPercent: event.target.value.trim() === '' ? null : whole(event.target.value) })}
            aria-describedby="battery-level-note"
          />
          <small id="battery-level-note" className="muted">
            Dormouse reads the battery level on Linux. On macOS and Windows it only knows whether the laptop is on battery, so this limit does not apply there.
          </small>
        </label>
        <label>
          Verify every backup archive every (days; empty: only when I ask)
          <input
            type="number"
            min={1}
            max={365}
            defaultValue={settings.verifyEveryDays ?? ''}
            placeholder="never"
            onBlur={(event) => void change({ verifyEveryDays: event.target.value.trim() === '' ? null : whole(event.target.value) })}
          />
        </label>
        <label>
          Warn me when a schedule has had no successful backup for (days)
          <input type="number" min={1} max={365} defaultValue={settings.overdueWarningDays} onBlur={(event) => void change({ overdueWarningDays: whole(event.target.value) })} />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {saved && !error && (
          <p className="muted" role="status">
            Saved.
          </p>
        )}
      </form>
    </section>
  );
}
