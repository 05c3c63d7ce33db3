import { formatBytes } from '../../../shared/format';
import { call } from '../bridge';
import { useEngineData } from '../use-engine';

/** The way back to your files: the snapshots there are; browsing and restoring them arrive with the restore work. */
export function RestoreScreen() {
  const snapshots = useEngineData(() => call('snapshots:list', {}), ['job-finished']);
  return (
    <section aria-labelledby="restore-title">
      <h2 id="restore-title">Restore</h2>
      <p>Pick a snapshot to restore files from. Until browsing arrives here, every archive is a plain tar file that any archive tool opens.</p>
      {snapshots.data && snapshots.data.length === 0 && <p className="empty">No snapshots yet: once a backup has succeeded, it can be restored from here.</p>}
      {snapshots.data && snapshots.data.length > 0 && (
        <ul className="list">
          {snapshots.data.map((snapshot) => (
            <li key={snapshot.id}>
              <div>
                <strong>{new Date(snapshot.createdAt).toLocaleString()}</strong> — {snapshot.files.toLocaleString('en-US')} files, {formatBytes(snapshot.bytes)}
                <div className="muted path">{snapshot.archivePath}</div>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
