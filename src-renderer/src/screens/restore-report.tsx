import { useId, useState, type ReactNode } from 'react';
import { counted, formatBytes } from '../../../shared/format';
import type { RestoreReport, VerifyReport } from '../../../shared/types';
import { itemWarnings, splitItemWarning, splitRestoreRefused, unchangedByRestore } from '../../../shared/warning-words';
import { call, EngineError } from '../bridge';

/** "1 file was", "3 files were": a count with its noun and verb agreeing. */
/** One line of a report: a path shown apart from what is said about it when the line starts with a path; `bare`: the line is a path alone. */
function ReportLine({ line, bare }: { line: string; bare: boolean }) {
  if (bare) {
    return (
      <li>
        <span className="path">{line}</span>
      </li>
    );
  }
  if (itemWarnings([line]).length === 0) return <li>{line}</li>;
  const { path, why } = splitItemWarning(line);
  return (
    <li>
      <span className="path">{path}</span>
      {why && `: ${why}`}
    </li>
  );
}

/** A sentence about some entries, with their list one click away (a button that shows and hides it). */
function Part({ sentence, show, title, lines, bare = false, className, children }: { sentence: string; show: string; title: string; lines: string[]; bare?: boolean; className?: string; children?: ReactNode }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  return (
    <div className={className}>
      <p>{sentence}</p>
      <div className="row">
        <button type="button" className="link" aria-expanded={open} aria-controls={id} onClick={() => setOpen(!open)}>
          {open ? 'Hide' : 'Show'} {show}
        </button>
        {children}
      </div>
      <ul id={id} className="warnings" aria-label={title} hidden={!open}>
        {lines.map((line, index) => (
          <ReportLine key={index} line={line} bare={bare} />
        ))}
      </ul>
    </div>
  );
}

/** Verifies the snapshot a restore found damage in, from the restore's result, and says what verify found. */
function VerifyButton({ snapshotId }: { snapshotId: number }) {
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState<string | null>(null);
  const verify = async () => {
    setBusy(true);
    setSaid(null);
    try {
      const report: VerifyReport = await call('snapshots:verify', { snapshotId });
      const found = report.snapshots[0];
      setSaid(report.ok ? 'Verify found no damage in this snapshot now.' : `Verify found this snapshot damaged: ${found?.problems.slice(0, 3).join('; ') ?? 'see dormouse verify'}`);
    } catch (failure) {
      setSaid(`Verify could not run: ${failure instanceof EngineError ? failure.message : String(failure)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" onClick={() => void verify()} disabled={busy}>
        {busy ? 'Verifying…' : 'Verify this snapshot'}
      </button>
      {said && <p className="error">{said}</p>}
    </>
  );
}

/**
 * What a restore did, in words: how much came back, then each kind of thing that did not (damaged
 * files, items not restored, details not applied, existing files left alone), each list one click away.
 */
export function RestoreReportView({ report, replaceHint }: { report: RestoreReport; replaceHint: boolean }) {
  const { damaged, unapplied, conflicts } = report;
  const { stopped, items: refused } = splitRestoreRefused(report.refused);
  const whole = damaged.length + report.refused.length + conflicts.length === 0;
  return (
    <div className="notice" role="status">
      <p>
        Restored {counted(report.files, 'file')} ({formatBytes(report.bytes)}) into <span className="path">{report.target}</span>
        {whole ? '.' : ', but not everything:'}
      </p>
      {stopped !== null && <p className="error">{stopped}</p>}
      {report.unchanged > 0 && <p>{unchangedByRestore(report.unchanged)}</p>}
      {damaged.length > 0 && (
        <Part
          className="error"
          sentence={`${counted(damaged.length, 'file was', 'files were')} damaged in the backup and not restored: ${damaged.length === 1 ? 'its' : 'their'} content no longer matches what was backed up. Verify this snapshot to check the rest of it.`}
          show={damaged.length === 1 ? 'the damaged file' : 'the damaged files'}
          title="Damaged files, not restored"
          lines={damaged}
          bare
        >
          <VerifyButton snapshotId={report.snapshotId} />
        </Part>
      )}
      {refused.length > 0 && (
        <Part className="error" sentence={`${counted(refused.length, 'item was', 'items were')} not restored.`} show="which and why" title="Items not restored" lines={refused} />
      )}
      {conflicts.length > 0 && (
        <Part
          sentence={`${counted(conflicts.length, 'file that is already there was', 'files that are already there were')} left as ${conflicts.length === 1 ? 'it is' : 'they are'}, not replaced.${replaceHint ? ` To replace ${conflicts.length === 1 ? 'it' : 'them'}, restore again with “Replace files that exist there now”.` : ''}`}
          show={conflicts.length === 1 ? 'the file left as it is' : 'the files left as they are'}
          title="Files left as they are"
          lines={conflicts}
          bare
        />
      )}
      {unapplied.length > 0 && (
        <Part
          sentence={`${counted(unapplied.length, 'detail', 'details')} of restored items (an owner, a modification time, extended attributes) could not be set; their contents were restored.`}
          show={unapplied.length === 1 ? 'which detail' : 'which details'}
          title="Details not set"
          lines={unapplied}
        />
      )}
    </div>
  );
}
