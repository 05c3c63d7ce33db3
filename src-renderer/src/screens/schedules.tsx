import { useEffect, useState, type FormEvent } from 'react';
import { clockText, cronToPreset, parseClock, presetToCron, type FrequencyPreset } from '../../../shared/cron-presets';
import type { CronPreview, ScheduleView } from '../../../shared/types';
import { call, EngineError } from '../bridge';
import { useEngineData } from '../use-engine';
import type { Screen } from '../app';

const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

interface Draft {
  name: string;
  sources: string[];
  excludes: string;
  destination: string;
  preset: FrequencyPreset;
  compression: 'none' | 'gzip';
  keepLast: string;
  keepDaily: string;
  keepWeekly: string;
  keepMonthly: string;
  enabled: boolean;
}

/** Time Machine-like retention: the last day's backups, one a day for a month, one a week for a year. */
const timeMachineLike = { keepLast: '24', keepDaily: '30', keepWeekly: '52', keepMonthly: '' };

const countText = (value: number | null) => (value === null ? '' : String(value));
const countValue = (text: string) => (text.trim() === '' ? null : Number(text));

function draftFrom(schedule: ScheduleView | null, firstDestination: string): Draft {
  if (!schedule) return { name: '', sources: [''], excludes: '', destination: firstDestination, preset: { kind: 'hourly', minute: 0 }, compression: 'none', ...timeMachineLike, enabled: true };
  return {
    name: schedule.name,
    sources: schedule.sources,
    excludes: schedule.excludes.join('\n'),
    destination: schedule.destination,
    preset: cronToPreset(schedule.cron),
    compression: schedule.compression,
    keepLast: countText(schedule.keepLast),
    keepDaily: countText(schedule.keepDaily),
    keepWeekly: countText(schedule.keepWeekly),
    keepMonthly: countText(schedule.keepMonthly),
    enabled: schedule.enabled,
  };
}

function FrequencyFields({ preset, onChange }: { preset: FrequencyPreset; onChange: (preset: FrequencyPreset) => void }) {
  const time = preset.kind === 'daily' || preset.kind === 'weekly' ? clockText(preset.hour, preset.minute) : '12:00';
  const setKind = (kind: FrequencyPreset['kind']) => {
    const clock = parseClock(time) ?? { hour: 12, minute: 0 };
    if (kind === 'hourly') onChange({ kind, minute: 0 });
    else if (kind === 'daily') onChange({ kind, ...clock });
    else if (kind === 'weekly') onChange({ kind, weekday: 1, ...clock });
    else onChange({ kind, expression: presetToCron(preset) });
  };
  const setTime = (text: string) => {
    const clock = parseClock(text);
    if (clock && (preset.kind === 'daily' || preset.kind === 'weekly')) onChange({ ...preset, ...clock });
  };
  return (
    <fieldset>
      <legend>Frequency</legend>
      <label>
        How often
        <select value={preset.kind} onChange={(event) => setKind(event.target.value as FrequencyPreset['kind'])}>
          <option value="hourly">Hourly</option>
          <option value="daily">Daily</option>
          <option value="weekly">Weekly</option>
          <option value="custom">Custom (cron)</option>
        </select>
      </label>
      {preset.kind === 'weekly' && (
        <label>
          On
          <select value={preset.weekday} onChange={(event) => onChange({ ...preset, weekday: Number(event.target.value) })}>
            {weekdays.map((day, index) => (
              <option key={day} value={index}>
                {day}
              </option>
            ))}
          </select>
        </label>
      )}
      {(preset.kind === 'daily' || preset.kind === 'weekly') && (
        <label>
          At
          <input type="time" value={time} onChange={(event) => setTime(event.target.value)} required />
        </label>
      )}
      {preset.kind === 'custom' && (
        <label>
          Cron expression
          <input value={preset.expression} onChange={(event) => onChange({ kind: 'custom', expression: event.target.value })} placeholder="0 9 * * 1-5" spellCheck={false} />
        </label>
      )}
    </fieldset>
  );
}

function CronPreviewLine({ expression, onProblem }: { expression: string; onProblem: (problem: string | null) => void }) {
  const [preview, setPreview] = useState<CronPreview | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      call('cron:preview', { expression, count: 3 }).then(
        (value) => live && (setPreview(value), setProblem(null), onProblem(null)),
        (error: unknown) => live && (setPreview(null), setProblem((error as Error).message), onProblem((error as Error).message)),
      );
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [expression, onProblem]);
  if (problem) return <p className="error" role="alert" id="cron-problem">{problem}</p>;
  if (!preview) return null;
  return (
    <div className="preview" aria-live="polite">
      <p>
        <strong>{preview.description}</strong>
      </p>
      <p className="muted">Next runs: {preview.next.map((time) => new Date(time).toLocaleString()).join(' · ')}</p>
    </div>
  );
}

function ScheduleEditor({ schedule, destinations, onDone }: { schedule: ScheduleView | null; destinations: string[]; onDone: () => void }) {
  const [draft, setDraft] = useState<Draft>(() => draftFrom(schedule, destinations[0] ?? ''));
  const [error, setError] = useState<string | null>(null);
  const [cronProblem, setCronProblem] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const cron = presetToCron(draft.preset);
  const update = (changes: Partial<Draft>) => {
    setDraft((current) => ({ ...current, ...changes }));
    setError(null);
  };

  const pick = async (index: number) => {
    const picked = await call('folders:pick', {});
    if (picked.path) update({ sources: draft.sources.map((source, at) => (at === index ? (picked.path as string) : source)) });
  };
  /** The native folder picker exists only in the app; in a browser the path field is the way. */
  const canPick = typeof window.dormouse !== 'undefined';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    const fields = {
      name: draft.name,
      sources: draft.sources.map((source) => source.trim()).filter((source) => source !== ''),
      excludes: draft.excludes.split('\n').map((line) => line.trim()).filter((line) => line !== ''),
      destination: draft.destination,
      cron,
      compression: draft.compression,
      keepLast: countValue(draft.keepLast),
      keepDaily: countValue(draft.keepDaily),
      keepWeekly: countValue(draft.keepWeekly),
      keepMonthly: countValue(draft.keepMonthly),
      enabled: draft.enabled,
    };
    try {
      if (schedule) await call('schedules:edit', { schedule: schedule.name, changes: fields });
      else await call('schedules:add', fields);
      onDone();
    } catch (failure) {
      setError(failure instanceof EngineError ? failure.message : String(failure));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="editor" onSubmit={(event) => void submit(event)} aria-label={schedule ? `Edit ${schedule.name}` : 'New schedule'}>
      <h3>{schedule ? `Edit ${schedule.name}` : 'New schedule'}</h3>
      <label>
        Name
        <input value={draft.name} onChange={(event) => update({ name: event.target.value })} required maxLength={100} placeholder="Documents" />
      </label>
      <fieldset>
        <legend>Folders to back up</legend>
        {draft.sources.map((source, index) => (
          <div className="row" key={index}>
            <input aria-label={`Source folder ${index + 1}`} value={source} onChange={(event) => update({ sources: draft.sources.map((value, at) => (at === index ? event.target.value : value)) })} placeholder="/home/you/Documents" spellCheck={false} />
            {canPick && (
              <button type="button" onClick={() => void pick(index)}>
                Choose…
              </button>
            )}
            {draft.sources.length > 1 && (
              <button type="button" onClick={() => update({ sources: draft.sources.filter((_, at) => at !== index) })} aria-label={`Remove source folder ${index + 1}`}>
                Remove
              </button>
            )}
          </div>
        ))}
        <button type="button" onClick={() => update({ sources: [...draft.sources, ''] })}>
          Add another folder
        </button>
      </fieldset>
      <label>
        Leave out (one pattern per line)
        <textarea value={draft.excludes} onChange={(event) => update({ excludes: event.target.value })} rows={3} placeholder={'**/node_modules\n*.tmp'} spellCheck={false} />
      </label>
      <label>
        Destination
        <select value={draft.destination} onChange={(event) => update({ destination: event.target.value })} required>
          {destinations.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <FrequencyFields preset={draft.preset} onChange={(preset) => update({ preset })} />
      <CronPreviewLine expression={cron} onProblem={setCronProblem} />
      <div className="row">
        <label>
          Compression
          <select value={draft.compression} onChange={(event) => update({ compression: event.target.value as 'none' | 'gzip' })}>
            <option value="none">None (fastest)</option>
            <option value="gzip">gzip (smaller)</option>
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={draft.enabled} onChange={(event) => update({ enabled: event.target.checked })} />
          Run on schedule
        </label>
      </div>
      <fieldset>
        <legend>Keep old backups (empty: no limit)</legend>
        <div className="row">
          <label>
            The newest
            <input type="number" min={1} value={draft.keepLast} onChange={(event) => update({ keepLast: event.target.value })} placeholder="all" />
          </label>
          <label>
            One a day, for days
            <input type="number" min={1} value={draft.keepDaily} onChange={(event) => update({ keepDaily: event.target.value })} />
          </label>
          <label>
            One a week, for weeks
            <input type="number" min={1} value={draft.keepWeekly} onChange={(event) => update({ keepWeekly: event.target.value })} />
          </label>
          <label>
            One a month, for months
            <input type="number" min={1} value={draft.keepMonthly} onChange={(event) => update({ keepMonthly: event.target.value })} />
          </label>
        </div>
        <button type="button" onClick={() => update(timeMachineLike)}>
          Like Time Machine
        </button>
      </fieldset>
      {error && error !== cronProblem && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="row">
        <button type="submit" disabled={saving}>
          {schedule ? 'Save changes' : 'Add schedule'}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** What is backed up, where and when: the list of schedules and their editor. */
export function SchedulesScreen({ navigate }: { navigate: (screen: Screen) => void }) {
  const schedules = useEngineData(() => call('schedules:list', {}), ['schedules-changed', 'job-finished']);
  const destinations = useEngineData(() => call('destinations:list', {}), ['schedules-changed']);
  const [editing, setEditing] = useState<ScheduleView | 'new' | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!schedules.data || !destinations.data) return <p className="muted">Loading…</p>;
  const names = destinations.data.map((destination) => destination.name);
  const done = () => {
    setEditing(null);
    schedules.reload();
  };
  const remove = async (schedule: ScheduleView) => {
    if (!window.confirm(`Remove the schedule ${schedule.name}? Its archives stay on the destination.`)) return;
    try {
      await call('schedules:remove', { name: schedule.name });
      schedules.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return (
    <section aria-labelledby="schedules-title">
      <h2 id="schedules-title">Schedules</h2>
      {error && <p className="error">{error}</p>}
      {editing !== null ? (
        <ScheduleEditor schedule={editing === 'new' ? null : editing} destinations={names} onDone={done} />
      ) : names.length === 0 ? (
        <div className="empty">
          <p>Add a destination first: the drive, share or folder where backups go.</p>
          <button type="button" onClick={() => navigate('destinations')}>
            Add a destination
          </button>
        </div>
      ) : (
        <>
          <button type="button" onClick={() => setEditing('new')}>
            New schedule
          </button>
          {schedules.data.length === 0 ? (
            <p className="empty">No schedules yet. A schedule says which folders to back up, to which destination, and when.</p>
          ) : (
            <ul className="list">
              {schedules.data.map((schedule) => (
                <li key={schedule.id}>
                  <div>
                    <strong>{schedule.name}</strong> — {schedule.description} to {schedule.destination}
                    {!schedule.enabled && <span className="chip">Disabled</span>}
                    <div className="muted">{schedule.sources.join(', ')}</div>
                  </div>
                  <div className="row">
                    <button type="button" onClick={() => setEditing(schedule)} aria-label={`Edit ${schedule.name}`}>
                      Edit
                    </button>
                    <button type="button" onClick={() => void remove(schedule)} aria-label={`Remove ${schedule.name}`}>
                      Remove
                    </button>
                  </div>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
