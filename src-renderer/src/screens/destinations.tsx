import { useRef, useState, type FormEvent } from 'react';
import { formatBytes } from '../../../shared/format';
import { call, EngineError } from '../bridge';
import { useEngineData } from '../use-engine';
import type { DestinationState, DestinationUsage, DestinationView } from '../../../shared/types';
import { DestinationUsagePanel } from './destination-usage';
import { EncryptionFields, encryptionProblem, encryptionRequest, noEncryption } from '../encryption-fields';
import { EncryptedDestinationPanel } from './encrypted-destination-panel';
import { noS3, S3DestinationFields, s3Request } from './s3-destination-fields';

/** The chip beside a destination's name: a share that does not answer asks something else of the user than an unplugged drive. */
const destinationChip: Record<DestinationState, string> = { available: 'Connected', missing: 'Not connected', 'not-answering': 'Not answering' };

/** What a new destination is: a folder (a drive, a NAS share) or a bucket on S3-compatible storage. */
type DestinationKind = DestinationView['kind'];

/** Said under the switch when a new S3 destination is not to be encrypted. */
const unencryptedS3Warning = 'Not encrypted: whoever can read the bucket (the storage provider, anyone who gets its keys) can read every file in these backups.';

/** Where a destination is, in words: an S3 destination says so, since it has no free space to show. */
function whereText(destination: DestinationView): string {
  if (destination.kind === 's3') return `S3-compatible storage: ${destination.path}`;
  return `${destination.path}${destination.freeBytes !== null ? ` — ${formatBytes(destination.freeBytes)} free` : ''}`;
}

/** Where backups go: each destination, whether it is connected, and its free space. */
export function DestinationsScreen() {
  const destinations = useEngineData(() => call('destinations:list', {}), ['schedules-changed', 'job-finished']);
  const usage = useEngineData(() => call('destinations:usage', {}), ['schedules-changed', 'job-finished']);
  const spaceOf = (name: string) => usage.data?.find((each) => each.destination === name);
  const keychain = useEngineData(() => call('passphrases:status', {}), ['schedules-changed']);
  const keyStorage = useEngineData(() => call('destinations:s3-key-storage', {}), ['schedules-changed']);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<DestinationKind>('folder');
  const [path, setPath] = useState('');
  const [s3, setS3] = useState(noS3);
  const secretRef = useRef<HTMLInputElement>(null);
  const [encryption, setEncryption] = useState(noEncryption);
  const [error, setError] = useState<string | null>(null);
  const [warnings, setWarnings] = useState<string[]>([]);
  const canPick = typeof window.dormouse !== 'undefined';

  const add = async (event: FormEvent) => {
    event.preventDefault();
    setError(encryptionProblem(encryption));
    setWarnings([]);
    if (encryptionProblem(encryption)) return;
    try {
      // S3 is encrypted by default in the engine: say so either way.
      const target = kind === 's3' ? { s3: s3Request(s3, secretRef.current?.value ?? ''), encrypt: encryption.encrypt } : { path };
      const added = await call('destinations:add', { name, ...target, ...encryptionRequest(encryption) });
      setName('');
      setPath('');
      setS3(noS3);
      if (secretRef.current) secretRef.current.value = '';
      setEncryption({ ...noEncryption, encrypt: kind === 's3' });
      setWarnings(added.warnings);
      destinations.reload();
      usage.reload();
    } catch (failure) {
      setError(failure instanceof EngineError ? failure.message : String(failure));
    }
  };
  const choose = (next: DestinationKind) => {
    setKind(next);
    setError(null);
    setEncryption({ ...encryption, encrypt: next === 's3' });
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
                <div className="muted">{whereText(destination)}</div>
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
        <fieldset>
          <legend>Where the backups go</legend>
          <label className="check">
            <input type="radio" name="destination-kind" checked={kind === 'folder'} onChange={() => choose('folder')} /> A folder (drive, NAS share)
          </label>
          <label className="check">
            <input type="radio" name="destination-kind" checked={kind === 's3'} onChange={() => choose('s3')} /> S3-compatible storage
          </label>
        </fieldset>
        <label>
          Name
          <input value={name} onChange={(event) => setName(event.target.value)} required placeholder="usb-drive" />
        </label>
        {kind === 'folder' ? (
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
        ) : (
          <S3DestinationFields choice={s3} onChange={setS3} secretRef={secretRef} keyStorage={keyStorage.data ?? null} />
        )}
        <EncryptionFields choice={encryption} onChange={setEncryption} offWarning={kind === 's3' ? unencryptedS3Warning : undefined} />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {warnings.length > 0 && (
          <div role="status">
            <ul className="warnings">
              {warnings.map((warning) => (
                <li key={warning}>{warning}</li>
              ))}
            </ul>
          </div>
        )}
        <button type="submit">Add destination</button>
      </form>
    </section>
  );
}
