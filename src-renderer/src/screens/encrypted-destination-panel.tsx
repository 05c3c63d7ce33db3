import { useState, type FormEvent } from 'react';
import type { DestinationView, RecoveryKitSaved } from '../../../shared/types';
import { call, EngineError } from '../bridge';

function message(failure: unknown): string {
  return failure instanceof EngineError ? failure.message : String(failure);
}

/**
 * What an encrypted destination's row adds: the warning, in plain words, that a lost passphrase
 * means lost backups; saving a recovery kit (the locked key and the instructions) to a folder away
 * from the drive; and, when the app remembers its passphrase, forgetting it.
 */
export function EncryptedDestinationPanel({ destination, remembered, onForgotten }: { destination: DestinationView; remembered: boolean; onForgotten: () => void }) {
  const [folder, setFolder] = useState('');
  const [saved, setSaved] = useState<RecoveryKitSaved | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const canPick = typeof window.dormouse !== 'undefined';

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      setSaved(await call('destinations:recovery-kit', { name: destination.name, to: folder }));
    } catch (failure) {
      setError(message(failure));
    } finally {
      setBusy(false);
    }
  };
  const pick = async () => {
    const picked = await call('folders:pick', {});
    if (picked.path) setFolder(picked.path);
  };
  const forget = async () => {
    setError(null);
    try {
      await call('passphrases:forget', { name: destination.name });
      onForgotten();
    } catch (failure) {
      setError(message(failure));
    }
  };

  return (
    <div className="encrypted-panel">
      <p>
        <strong>If the passphrase of {destination.name} is lost, its backups are lost:</strong> nobody, Dormouse included, can open them without it. Save a recovery kit (its key, still locked with the passphrase, and how to restore
        without Dormouse) somewhere other than this destination.
      </p>
      <form className="row" onSubmit={(event) => void save(event)} aria-label={`Recovery kit of ${destination.name}`}>
        <label className="grow">
          Save the recovery kit in
          <input value={folder} onChange={(event) => setFolder(event.target.value)} required placeholder="/media/you/USB-stick" spellCheck={false} />
        </label>
        {canPick && (
          <button type="button" onClick={() => void pick()}>
            Choose…
          </button>
        )}
        <button type="submit" disabled={busy}>
          Save recovery kit
        </button>
      </form>
      {saved && (
        <p role="status">
          Saved the recovery kit in {saved.folder}: {saved.files.join(' and ')}. Keep it away from the drive; it still needs the passphrase.
        </p>
      )}
      {remembered && (
        <p>
          This computer remembers its passphrase.{' '}
          <button type="button" onClick={() => void forget()} aria-label={`Forget the passphrase of ${destination.name}`}>
            Forget passphrase
          </button>
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
