import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { DormouseEvent } from '../../../shared/contract';
import { clockText, parseClock, presetToCron, type FrequencyPreset } from '../../../shared/cron-presets';
import { counted, formatBytes } from '../../../shared/format';
import { formatWhen } from '../../../shared/human-time';
import type { CronPreview, JobProgress, JobView } from '../../../shared/types';
import { call, EngineError } from '../bridge';
import { useEngineData, useEngineEvents } from '../use-engine';
import type { Screen } from '../app';
import { EncryptionFields, encryptionProblem, encryptionRequest, noEncryption } from '../encryption-fields';
import { EncryptedDestinationPanel } from './encrypted-destination-panel';
import './setup.css';

const newDestination = '';

/** The next runs of the chosen preset in words ("tomorrow at 09:00"), or the problem with it. */
function NextRuns({ expression }: { expression: string }) {
  const [preview, setPreview] = useState<CronPreview | null>(null);
  useEffect(() => {
    let live = true;
    call('cron:preview', { expression, count: 3 }).then(
      (value) => live && setPreview(value),
      () => live && setPreview(null),
    );
    return () => {
      live = false;
    };
  }, [expression]);
  if (!preview) return null;
  const now = Date.now();
  return (
    <p className="muted" aria-live="polite">
      {preview.description}. Next runs: {preview.next.map((time) => formatWhen(Date.parse(time), now)).join(', ')}.
    </p>
  );
}

/** How far the first backup has come, then how it ended. */
function FirstBackup({ job, progress, navigate }: { job: JobView; progress: JobProgress | null; navigate: (screen: Screen, jobId?: number) => void }) {
  if (job.status === 'queued' || job.status === 'running') {
    const percent = progress && progress.totalBytes > 0 ? Math.min(100, Math.floor((100 * progress.bytes) / progress.totalBytes)) : 0;
    return (
      <div className="setup-progress" role="status">
        <p>Backing up… {progress ? `${progress.files.toLocaleString('en-US')} of ${progress.totalFiles.toLocaleString('en-US')} files, ${formatBytes(progress.bytes)} of ${formatBytes(progress.totalBytes)}` : 'starting'}</p>
        <progress max={100} value={percent} aria-label="First backup">
          {percent}%
        </progress>
      </div>
    );
  }
  if (job.status === 'succeeded') {
    return (
      <div className="setup-progress" role="status">
        <p>
          <strong>Your first backup is done:</strong> {counted(job.files, 'file')}, {formatBytes(job.bytes)}.
        </p>
        <button type="button" onClick={() => navigate('overview')}>
          Go to the overview
        </button>
      </div>
    );
  }
  return (
    <div className="setup-progress" role="alert">
      <p className="error">The first backup did not finish ({job.status}).</p>
      <button type="button" onClick={() => navigate('history', job.id)}>
        See what went wrong
      </button>
    </div>
  );
}

/**
 * First run: what to back up, where to, and when, then the first backup with its progress, on one
 * short page. Folders come from the native picker in the app, or a path field with the home
 * folder's common folders offered in a browser.
 */
export function SetupScreen({ navigate }: { navigate: (screen: Screen, jobId?: number) => void }) {
  const suggestions = useEngineData(() => call('folders:suggest', {}), []);
  const destinations = useEngineData(() => call('destinations:list', {}), ['schedules-changed']);
  const [sources, setSources] = useState<string[]>([]);
  const [typed, setTyped] = useState('');
  const [destination, setDestination] = useState<string | null>(null);
  const [destinationName, setDestinationName] = useState('Backup drive');
  const [destinationPath, setDestinationPath] = useState('');
  const [encryption, setEncryption] = useState(noEncryption);
  const [preset, setPreset] = useState<FrequencyPreset>({ kind: 'daily', hour: 12, minute: 0 });
  const [name, setName] = useState('My files');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [job, setJob] = useState<JobView | null>(null);
  const [progress, setProgress] = useState<JobProgress | null>(null);
  const canPick = typeof window.dormouse !== 'undefined';
  const chosenDestination = destination ?? destinations.data?.[0]?.name ?? newDestination;
  // Once the first backup is done, an encrypted destination's recovery kit is offered at once.
  const encryptedTarget = destinations.data?.find((each) => each.name === chosenDestination && each.encrypted) ?? null;

  useEngineEvents(
    useCallback(
      (event: DormouseEvent) => {
        if (!job) return;
        if (event.type === 'job-progress' && event.payload.jobId === job.id) setProgress(event.payload);
        if ((event.type === 'job-finished' || event.type === 'job-started') && event.payload.id === job.id) setJob(event.payload);
      },
      [job],
    ),
  );

  // Events sent before the job's id was known are lost; a slow poll makes sure the page sees the end.
  useEffect(() => {
    if (!job || (job.status !== 'queued' && job.status !== 'running')) return;
    const timer = setInterval(() => void call('jobs:get', { jobId: job.id }).then((latest) => latest.status !== job.status && setJob(latest), () => undefined), 1_000);
    return () => clearInterval(timer);
  }, [job]);

  const toggle = (path: string) => setSources((current) => (current.includes(path) ? current.filter((each) => each !== path) : [...current, path]));
  const addTyped = () => {
    const path = typed.trim();
    if (path && !sources.includes(path)) setSources([...sources, path]);
    setTyped('');
  };
  const pickInto = async (use: (path: string) => void) => {
    const picked = await call('folders:pick', {});
    if (picked.path) use(picked.path);
  };

  const start = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const folders = typed.trim() && !sources.includes(typed.trim()) ? [...sources, typed.trim()] : sources;
    if (folders.length === 0) return setError('Choose at least one folder to back up.');
    const refused = chosenDestination === newDestination ? encryptionProblem(encryption) : null;
    if (refused) return setError(refused);
    setBusy(true);
    try {
      let target = chosenDestination;
      if (target === newDestination) {
        target = (await call('destinations:add', { name: destinationName, path: destinationPath, ...encryptionRequest(encryption) })).name;
        setDestination(target);
      }
      await call('schedules:add', { name, sources: folders, destination: target, cron: presetToCron(preset) });
      setSources(folders);
      setTyped('');
      setJob(await call('jobs:start', { name }));
    } catch (failure) {
      setError(failure instanceof EngineError ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  const time = preset.kind === 'daily' ? clockText(preset.hour, preset.minute) : '12:00';
  return (
    <section aria-labelledby="setup-title" className="setup">
      <h2 id="setup-title">Set up your backups</h2>
      <p>Three choices, then Dormouse backs up on its own — and catches up on every backup the laptop slept through.</p>
      <form onSubmit={(event) => void start(event)} aria-label="Set up your backups">
        <fieldset disabled={job !== null}>
          <legend>1. What to back up</legend>
          {suggestions.data && suggestions.data.folders.length > 0 && (
            <ul className="setup-choices">
              {suggestions.data.folders.map((path) => (
                <li key={path}>
                  <label className="check">
                    <input type="checkbox" checked={sources.includes(path)} onChange={() => toggle(path)} /> <span className="path">{path}</span>
                  </label>
                </li>
              ))}
            </ul>
          )}
          {sources
            .filter((path) => !suggestions.data?.folders.includes(path))
            .map((path) => (
              <p key={path} className="setup-chosen">
                <span className="path">{path}</span>{' '}
                <button type="button" className="link" onClick={() => toggle(path)} aria-label={`Do not back up ${path}`}>
                  Remove
                </button>
              </p>
            ))}
          <div className="row">
            <label className="grow">
              Another folder
              <input value={typed} onChange={(event) => setTyped(event.target.value)} placeholder={suggestions.data ? `${suggestions.data.home}/…` : '/home/you/…'} spellCheck={false} />
            </label>
            <button type="button" onClick={addTyped} disabled={typed.trim() === ''}>
              Add
            </button>
            {canPick && (
              <button type="button" onClick={() => void pickInto((path) => !sources.includes(path) && setSources([...sources, path]))}>
                Choose…
              </button>
            )}
          </div>
        </fieldset>
        <fieldset disabled={job !== null}>
          <legend>2. Where the backups go</legend>
          {destinations.data?.map((each) => (
            <label key={each.id} className="check setup-radio">
              <input type="radio" name="destination" checked={chosenDestination === each.name} onChange={() => setDestination(each.name)} /> {each.name} <span className="muted path">{each.path}</span>
            </label>
          ))}
          {(destinations.data?.length ?? 0) > 0 && (
            <label className="check setup-radio">
              <input type="radio" name="destination" checked={chosenDestination === newDestination} onChange={() => setDestination(newDestination)} /> A new destination
            </label>
          )}
          {chosenDestination === newDestination && (
            <>
              <p className="muted">An external drive, a network share or another folder; Dormouse marks it so an unplugged drive's empty mount point is never written to.</p>
              <label>
                Name
                <input value={destinationName} onChange={(event) => setDestinationName(event.target.value)} required />
              </label>
              <div className="row">
                <label className="grow">
                  Folder
                  <input value={destinationPath} onChange={(event) => setDestinationPath(event.target.value)} required placeholder="/media/you/Backup" spellCheck={false} />
                </label>
                {canPick && (
                  <button type="button" onClick={() => void pickInto(setDestinationPath)}>
                    Choose…
                  </button>
                )}
              </div>
              <EncryptionFields choice={encryption} onChange={setEncryption} />
            </>
          )}
        </fieldset>
        <fieldset disabled={job !== null}>
          <legend>3. When</legend>
          <label className="check setup-radio">
            <input type="radio" name="when" checked={preset.kind === 'hourly'} onChange={() => setPreset({ kind: 'hourly', minute: 0 })} /> Every hour
          </label>
          <label className="check setup-radio">
            <input type="radio" name="when" checked={preset.kind === 'daily'} onChange={() => setPreset({ kind: 'daily', hour: 12, minute: 0 })} /> Every day
          </label>
          {preset.kind === 'daily' && (
            <label>
              At
              <input type="time" value={time} onChange={(event) => parseClock(event.target.value) && setPreset({ kind: 'daily', ...(parseClock(event.target.value) as { hour: number; minute: number }) })} />
            </label>
          )}
          <NextRuns expression={presetToCron(preset)} />
          <label>
            Name of this schedule
            <input value={name} onChange={(event) => setName(event.target.value)} required />
          </label>
        </fieldset>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {!job && (
          <button type="submit" disabled={busy}>
            Start the first backup
          </button>
        )}
      </form>
      {job && <FirstBackup job={job} progress={progress} navigate={navigate} />}
      {job?.status === 'succeeded' && encryptedTarget && <EncryptedDestinationPanel destination={encryptedTarget} remembered={false} onForgotten={() => undefined} />}
    </section>
  );
}
