import { useCallback, useEffect, useState } from 'react';
import type { DormouseEvent } from '../../../shared/contract';
import { displayName } from '../../../shared/display-name';
import { counted, formatBytes } from '../../../shared/format';
import type { RestoreReport, SnapshotListing, SnapshotView, TaskProgress, VerifyReport } from '../../../shared/types';
import { call, EngineError } from '../bridge';
import { useEngineData, useEngineEvents } from '../use-engine';
import { usePassphraseDialog } from '../passphrase-dialog';
import { withPassphrase } from '../passphrase-memory';
import { RestoreReportView } from './restore-report';

/** Which snapshots the list shows: this laptop's (the default), every machine's, or one other machine's by its name. */
type MachineChoice = { kind: 'this' } | { kind: 'all' } | { kind: 'other'; name: string };

function choiceValue(choice: MachineChoice): string {
  return choice.kind === 'other' ? `other:${choice.name}` : choice.kind;
}

function choiceOf(value: string): MachineChoice {
  if (value === 'this' || value === 'all') return { kind: value };
  return { kind: 'other', name: value.slice('other:'.length) };
}

function shows(choice: MachineChoice, snapshot: SnapshotView): boolean {
  if (choice.kind === 'all') return true;
  if (choice.kind === 'this') return snapshot.machine.current;
  return !snapshot.machine.current && snapshot.machine.name === choice.name;
}

/** A machine as the choice names it: its name, or words for archives made before machines were told apart. */
function machineWords(name: string): string {
  return name === 'unknown' ? 'Unknown machine (older archives)' : name;
}

/** "from vm-3f9a1c2e": said beside a snapshot another machine made; nothing for this laptop's own. */
function fromMachine(snapshot: SnapshotView): string {
  return snapshot.machine.current ? '' : `from ${snapshot.machine.id === null ? 'an unknown machine' : snapshot.machine.name}`;
}

function Browser({ snapshot, onBack }: { snapshot: SnapshotView; onBack: () => void }) {
  const [trail, setTrail] = useState<string[]>([]);
  const path = trail.at(-1);
  const [listing, setListing] = useState<SnapshotListing | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [where, setWhere] = useState<'new' | 'original'>('new');
  const [target, setTarget] = useState('');
  const [overwrite, setOverwrite] = useState(false);
  const [report, setReport] = useState<RestoreReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<TaskProgress | null>(null);
  const { ask, dialog } = usePassphraseDialog();
  useEngineEvents(
    useCallback((event: DormouseEvent) => {
      if (event.type === 'task-progress' && event.payload.task === 'restore') setProgress(event.payload);
    }, []),
  );

  useEffect(() => {
    call('snapshots:suggest-target', { snapshotId: snapshot.id }).then(
      (value) => setTarget((current) => (current === '' ? value.target : current)),
      () => undefined,
    );
  }, [snapshot.id]);
  useEffect(() => {
    withPassphrase(snapshot, ask, 'list the files in this snapshot', (passphrase) => call('snapshots:ls', { snapshotId: snapshot.id, ...(path === undefined ? {} : { path }), ...(passphrase === undefined ? {} : { passphrase }) })).then(
      (value) => (setListing(value), setError(null)),
      (failure: unknown) => setError((failure as Error).message),
    );
  }, [snapshot, path, ask]);

  const toggle = (entry: string) => {
    const next = new Set(chosen);
    if (next.has(entry)) next.delete(entry);
    else next.add(entry);
    setChosen(next);
  };
  const up = () => setTrail(trail.slice(0, -1));
  const restore = async () => {
    setBusy(true);
    setError(null);
    setReport(null);
    setProgress(null);
    try {
      const to = where === 'original' ? '/' : target;
      const request = { snapshotId: snapshot.id, to, paths: [...chosen], overwrite: where === 'original' && overwrite };
      const listTop = (passphrase: string) => call('snapshots:ls', { snapshotId: snapshot.id, passphrase });
      setReport(await withPassphrase(snapshot, ask, 'restore from this snapshot', (passphrase) => call('snapshots:restore', passphrase === undefined ? request : { ...request, passphrase }), listTop));
    } catch (failure) {
      setError(failure instanceof EngineError ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div>
      <button type="button" onClick={onBack}>
        ← All snapshots
      </button>
      <h3>
        {snapshot.scheduleName}: snapshot of {new Date(snapshot.createdAt).toLocaleString()}
        {!snapshot.machine.current && ` ${fromMachine(snapshot)}`}
      </h3>
      <p className="muted path">{displayName(listing?.path ?? '')}</p>
      {trail.length > 0 && (
        <button type="button" onClick={up}>
          Up
        </button>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <ul className="list" aria-label="Snapshot contents">
        {listing?.entries.map((entry) => (
          <li key={entry.path}>
            <label className="check">
              <input type="checkbox" checked={chosen.has(entry.path)} onChange={() => toggle(entry.path)} aria-label={`Choose ${displayName(entry.name)}`} />
              {entry.type === 'directory' ? (
                <button type="button" className="link" onClick={() => setTrail([...trail, entry.path])}>
                  {displayName(entry.name)}/
                </button>
              ) : (
                <span>
                  {displayName(entry.name)}
                  {entry.type === 'symlink' ? ` → ${displayName(entry.linkTarget ?? '')}` : ''}
                </span>
              )}
            </label>
            <span className="muted">{entry.type === 'file' ? formatBytes(entry.size) : ''}</span>
          </li>
        ))}
      </ul>
      <fieldset className="editor">
        <legend>Restore {chosen.size === 0 ? 'everything in this snapshot' : counted(chosen.size, 'chosen item')} to</legend>
        <label className="check">
          <input type="radio" name="where" checked={where === 'new'} onChange={() => setWhere('new')} />A new folder
        </label>
        {where === 'new' && (
          <label>
            New folder
            <input value={target} onChange={(event) => setTarget(event.target.value)} spellCheck={false} required />
          </label>
        )}
        <label className="check">
          <input type="radio" name="where" checked={where === 'original'} onChange={() => setWhere('original')} />
          Their original location
        </label>
        {where === 'original' && (
          <label className="check">
            <input type="checkbox" checked={overwrite} onChange={(event) => setOverwrite(event.target.checked)} />
            Replace files that exist there now
          </label>
        )}
        <button type="button" disabled={busy || (where === 'new' && target.trim() === '')} onClick={() => void restore()}>
          {busy ? 'Restoring…' : 'Restore'}
        </button>
      </fieldset>
      {busy && progress && (
        <div className="progress-block">
          <progress max={Math.max(progress.totalBytes, 1)} value={progress.bytes} aria-label="Restoring" />
          <p className="muted">
            {progress.files.toLocaleString('en-US')} of {progress.totalFiles.toLocaleString('en-US')} files, {formatBytes(progress.bytes)} of {formatBytes(progress.totalBytes)}
          </p>
        </div>
      )}
      {report && <RestoreReportView report={report} replaceHint={where === 'original' && !overwrite} />}
      {dialog}
    </div>
  );
}

/**
 * The way back to your files: pick a snapshot, browse it, restore what you need, or verify it.
 * This laptop's snapshots are listed by default; another laptop's archives on a shared destination
 * are one machine choice away, each marked with the machine that made it.
 */
export function RestoreScreen() {
  const snapshots = useEngineData(() => call('snapshots:list', { machine: 'all' }), ['job-finished']);
  const [choice, setChoice] = useState<MachineChoice>({ kind: 'this' });
  const [open, setOpen] = useState<SnapshotView | null>(null);
  const [verified, setVerified] = useState<Map<number, VerifyReport | string>>(new Map());
  const [verifying, setVerifying] = useState<number | null>(null);
  const { ask, dialog } = usePassphraseDialog();
  // Every file is checked, an encrypted snapshot's too (its passphrase asked for when not known):
  // "Verified" never stands for the encrypted file's SHA-256 alone.
  const verify = async (snapshot: SnapshotView) => {
    setVerifying(snapshot.id);
    try {
      const listTop = (passphrase: string) => call('snapshots:ls', { snapshotId: snapshot.id, passphrase });
      const report = await withPassphrase(snapshot, ask, 'check every file in this snapshot', (passphrase) => call('snapshots:verify', { snapshotId: snapshot.id, contents: true, ...(passphrase === undefined ? {} : { passphrase }) }), listTop);
      setVerified((current) => new Map(current).set(snapshot.id, report));
    } catch (failure) {
      setVerified((current) => new Map(current).set(snapshot.id, failure instanceof EngineError ? failure.message : String(failure)));
    } finally {
      setVerifying(null);
    }
  };
  const all = snapshots.data ?? [];
  const others = [...new Set(all.filter((snapshot) => !snapshot.machine.current).map((snapshot) => snapshot.machine.name))].sort((a, b) => a.localeCompare(b));
  // A machine whose snapshots are gone from the catalog (its destination removed) falls back to this laptop.
  const chosen: MachineChoice = choice.kind === 'other' && !others.includes(choice.name) ? { kind: 'this' } : choice;
  const listed = all.filter((snapshot) => shows(chosen, snapshot));
  return (
    <section aria-labelledby="restore-title">
      {dialog}
      <h2 id="restore-title">Restore</h2>
      {open ? (
        <Browser snapshot={open} onBack={() => setOpen(null)} />
      ) : (
        <>
          <p>Pick a snapshot to browse and restore from.</p>
          {snapshots.error && (
            <p className="error" role="alert">
              {snapshots.error}
            </p>
          )}
          {others.length > 0 && (
            <div className="row filters">
              <label>
                Machine
                <select value={choiceValue(chosen)} onChange={(event) => setChoice(choiceOf(event.target.value))}>
                  <option value="this">This laptop</option>
                  {others.map((name) => (
                    <option key={name} value={choiceValue({ kind: 'other', name })}>
                      {machineWords(name)}
                    </option>
                  ))}
                  <option value="all">All machines</option>
                </select>
              </label>
            </div>
          )}
          {snapshots.data && all.length === 0 && <p className="empty">No snapshots yet: once a backup has succeeded, it can be restored from here.</p>}
          {snapshots.data && all.length > 0 && listed.length === 0 && (
            <p className="empty">
              This laptop has no snapshots yet. {others.length === 1 ? 'Another machine has' : `${others.length} other machines have`} snapshots on your destinations: choose{' '}
              {others.length === 1 ? 'it' : 'one'} under Machine to restore from {others.length === 1 ? 'it' : 'them'}.
            </p>
          )}
          {listed.length > 0 && (
            <ul className="list" aria-label="Snapshots">
              {listed.map((snapshot) => {
                const report = verified.get(snapshot.id);
                return (
                  <li key={snapshot.id}>
                    <div>
                      <strong>{snapshot.scheduleName}</strong> — {new Date(snapshot.createdAt).toLocaleString()} — {counted(snapshot.files, 'file')}, {formatBytes(snapshot.bytes)}
                      {!snapshot.machine.current && <span className="chip">{fromMachine(snapshot)}</span>}
                      {typeof report === 'object' && (report.ok ? <span className="chip chip-succeeded">Verified</span> : <span className="chip chip-failed">Damaged</span>)}
                      {typeof report === 'object' && !report.ok && <div className="error">{report.snapshots[0]?.problems.slice(0, 3).join('; ')}</div>}
                      {typeof report === 'string' && (
                        <div className="error" role="alert">
                          Not verified: {report}
                        </div>
                      )}
                    </div>
                    <div className="row">
                      <button type="button" onClick={() => setOpen(snapshot)} aria-label={`Browse snapshot ${snapshot.id}`}>
                        Browse
                      </button>
                      <button type="button" onClick={() => void verify(snapshot)} disabled={verifying !== null} aria-label={`Verify snapshot ${snapshot.id}`}>
                        {verifying === snapshot.id ? 'Verifying…' : 'Verify'}
                      </button>
                    </div>
                  </li>
                );
              })}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
