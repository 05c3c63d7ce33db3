import { useState, type FormEvent } from 'react';
import { formatBytes } from '../../../shared/format';
import { call, EngineError } from '../bridge';
import { useEngineData } from '../use-engine';
import type { DestinationState, DestinationUsage } from '../../../shared/types';
import { DestinationUsagePanel } from './destination-usage';
import { EncryptionFields, encryptionProblem, encryptionRequest, noEncryption } from '../encryption-fields';
import { EncryptedDestinationPanel } from './encrypted-destination-panel';

/** The chip beside a destination's name: a share that does not answer asks something else of the user than an unplugged drive. */
const destinationChip: Record<DestinationState, string> = { available: 'Connected', missing: 'Not connected', 'not-answering': 'Not answering' };

/** Where backups go: each destination, whether it is connected, and its free space. */
export function DestinationsScreen() {
  const destinations = useEngineData(() => call('destinations:list', {}), ['schedules-changed', 'job-finished']);
  const usage = useEngineData(() => call('destinations:usage', {}), ['schedules-changed', 'job-finished']);
  const spaceOf = (name: string) => usage.data?.find((each) => each.destination === name);
  const keychain = useEngineData(() => call('passphrases:status', {}), ['schedules-changed']);
  const [name, setName] = useState('');
  const [path, setPath] = useState('');
  const [encryption, setEncryption] = useState(noEncryption);
  const [error, setError] = useState<string | null>(null);
  const canPick = typeof window.dormouse !== 'undefined';

  const add = async (event: FormEvent) => {
    event.preventDefault();
    setError(encryptionProblem(encryption));
    if (encryptionProblem(encryption)) return;
    try {
      await call('destinations:add', { name, path, ...encryptionRequest(encryption) });
      setName('');
      setPath('');
      setEncryption(noEncryption);
      destinations.reload();
      usage.reload();
    } catch (failure) {
      setError(failure instanceof EngineError ? failure.message : String(failure));
    }
  };
  const pick = async () => {
    const picked = await call('folders:pick', {});
    if (picked.path) setPath(picked.path);
  };
  const remove = async (target: string) => {
    if (!window.confirm(`Forget the destination ${target}? Its folder and archives are left as they are.`)) return;
    try {
      await call('destinations:remove', { name: target });
      destinations.reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  return (
    <section aria-labelledby="destinations-title">
      <h2 id="destinations-title">Destinations</h2>
      {destinations.error && (
        <p className="error" role="alert">
          {destinations.error}
        </p>
      )}
      {destinations.data && destinations.data.length === 0 && <p className="empty">No destinations yet. Add the external drive, network share or folder your backups should go to.</p>}
      {destinations.data && destinations.data.length > 0 && (
        <ul className="list">
          {destinations.data.map((destination) => (
            <li key={destination.id}>
              <div>
                <strong>{destination.name}</strong> <span className={`chip ${destination.available ? 'chip-up-to-date' : 'chip-overdue'}`}>{destinationChip[destination.state]}</span>
                {destination.encrypted && <span className="chip">Encrypted</span>}
                <div className="muted">
                  {destination.path}
                  {destination.freeBytes !== null ? ` — ${formatBytes(destination.freeBytes)} free` : ''}
                </div>
                {spaceOf(destination.name) && <DestinationUsagePanel usage={spaceOf(destination.name) as DestinationUsage} now={Date.now()} />}
                {destination.encrypted && <EncryptedDestinationPanel destination={destination} remembered={keychain.data?.destinations.includes(destination.name) ?? false} onForgotten={keychain.reload} />}
              </div>
              <button type="button" onClick={() => void remove(destination.name)} aria-label={`Remove ${destination.name}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="editor" onSubmit={(event) => void add(event)} aria-label="Add a destination">
        <h3>Add a destination</h3>
        <label>
          Name
          <input value={name} onChange={(event) => setName(event.target.value)} required placeholder="usb-drive" />
        </label>
        <div className="row">
          <label className="grow">
            Folder
            <input value={path} onChange={(event) => setPath(event.target.value)} required placeholder="/media/you/Backup" spellCheck={false} />
          </label>
          {canPick && (
            <button type="button" onClick={() => void pick()}>
              Choose…
            </button>
          )}
        </div>
        <EncryptionFields choice={encryption} onChange={setEncryption} />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit">Add destination</button>
      </form>
    </section>
  );
}
