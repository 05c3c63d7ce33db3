import { useState } from 'react';
import './encryption-fields.css';
import { counted } from '../../shared/format';

/** The fewest characters a new passphrase may have; the engine refuses shorter ones too (src-main/encryption/passphrase-rules.ts). */
export const minimumPassphraseLength = 12;

/** What the person chose about encrypting a new destination: the switch, and the passphrase typed twice. */
export interface EncryptionChoice {
  encrypt: boolean;
  passphrase: string;
  confirm: string;
}

/** A new destination starts unencrypted, with nothing typed. */
export const noEncryption: EncryptionChoice = { encrypt: false, passphrase: '', confirm: '' };

/** Why the chosen passphrase cannot be used, in words; null when it can (or when the switch is off). */
export function encryptionProblem(choice: EncryptionChoice): string | null {
  if (!choice.encrypt) return null;
  const length = [...choice.passphrase].length;
  if (length < minimumPassphraseLength) {
    return `The passphrase is too short: it has ${counted(length, 'character')}, and needs at least ${minimumPassphraseLength}. It is all that protects the backups on a lost drive; a few unrelated words are long enough and easy to remember.`;
  }
  if (choice.passphrase !== choice.confirm) return 'The two passphrases do not match: type the same passphrase in both fields.';
  return null;
}

/** The part of a `destinations:add` request the choice adds: nothing, or `encrypt: true` with the passphrase. */
export function encryptionRequest(choice: EncryptionChoice): { encrypt?: true; passphrase?: string } {
  return choice.encrypt ? { encrypt: true, passphrase: choice.passphrase } : {};
}

/**
 * The "Encrypt this destination" switch of a new destination and, when it is on, the passphrase
 * typed twice with the warning that a lost passphrase means lost backups; when it is off,
 * `offWarning` (if given) says in plain words what that means.
 */
export function EncryptionFields({ choice, onChange, offWarning }: { choice: EncryptionChoice; onChange: (choice: EncryptionChoice) => void; offWarning?: string }) {
  const [warningId] = useState(() => `encryption-warning-${Math.random().toString(36).slice(2)}`);
  return (
    <div className="encryption-fields">
      <label className="check">
        <input type="checkbox" role="switch" checked={choice.encrypt} onChange={(event) => onChange({ ...choice, encrypt: event.target.checked })} /> Encrypt this destination
      </label>
      {!choice.encrypt && offWarning && <p className="encryption-warning">{offWarning}</p>}
      {choice.encrypt && (
        <>
          <p id={warningId} className="encryption-warning">
            <strong>Keep this passphrase safe.</strong> If it is lost, the backups are lost: nobody, Dormouse included, can open them without it. Write it down and keep it somewhere safe, away from the drive.
          </p>
          <label>
            Passphrase
            <input type="password" value={choice.passphrase} onChange={(event) => onChange({ ...choice, passphrase: event.target.value })} autoComplete="new-password" aria-describedby={warningId} required />
          </label>
          <label>
            Passphrase again
            <input type="password" value={choice.confirm} onChange={(event) => onChange({ ...choice, confirm: event.target.value })} autoComplete="new-password" required />
          </label>
          <p className="muted">At least {minimumPassphraseLength} characters. Backups run without it; you need it to browse or restore.</p>
        </>
      )}
    </div>
  );
}
