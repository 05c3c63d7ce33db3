import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { RememberedPassphrases } from '../../shared/types';
import { call } from './bridge';
import type { AskPassphrase, PassphraseQuestion } from './passphrase-memory';
import './passphrase-dialog.css';

/** A question on screen, with how to settle the promise `ask` returned. */
interface Pending extends PassphraseQuestion {
  settle: (opened: boolean) => void;
  fail: (failure: unknown) => void;
}

/**
 * The small modal that asks for an encrypted destination's passphrase: a labelled password field
 * focused on open, Open and Cancel buttons, Escape cancels. A wrong passphrase keeps it open with the
 * engine's message and an empty field, ready for another try. In the app, with a keychain that
 * protects something, a box offers to remember the passphrase there; elsewhere the dialog says why not.
 */
function PassphraseDialog({ question, onDone }: { question: Pending; onDone: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const field = useRef<HTMLInputElement>(null);
  const [passphrase, setPassphrase] = useState('');
  const [problem, setProblem] = useState<string | null>(question.problem);
  const [checking, setChecking] = useState(false);
  const [remember, setRemember] = useState(false);
  const [keychain, setKeychain] = useState<RememberedPassphrases | null>(null);
  const id = useId();

  useEffect(() => {
    call('passphrases:status', {}).then(setKeychain, () => setKeychain(null));
  }, []);

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);
  // On opening, and after each refused try (the field is enabled again): the field has the focus.
  useEffect(() => {
    if (!checking) field.current?.focus();
  }, [checking]);

  const cancel = () => {
    onDone();
    question.settle(false);
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (passphrase === '' || checking) return;
    setChecking(true);
    setProblem(null);
    try {
      const refused = await question.check(passphrase, remember && keychain?.canRemember === true);
      if (refused === null) {
        onDone();
        question.settle(true);
        return;
      }
      setProblem(refused);
      setPassphrase('');
      setChecking(false);
    } catch (failure) {
      onDone();
      question.fail(failure);
    }
  };

  return (
    <dialog
      ref={dialog}
      className="passphrase-dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-what`}
      onCancel={(event) => {
        event.preventDefault();
        if (!checking) cancel();
      }}
    >
      <form onSubmit={(event) => void submit(event)}>
        <h3 id={`${id}-title`}>Passphrase for {question.destination}</h3>
        <p id={`${id}-what`}>
          {question.destination} is encrypted. Type its passphrase to {question.purpose}.{' '}
          {keychain?.canRemember ? 'It is kept in this window until it closes, unless you have this computer remember it.' : 'It is kept in this window until it closes, never saved.'}
        </p>
        {keychain && !keychain.canRemember && keychain.reason && <p className="muted">Dormouse cannot remember it here: {keychain.reason}.</p>}
        {problem && (
          <p className="error" role="alert">
            {problem}
          </p>
        )}
        <label>
          Passphrase
          <input ref={field} type="password" value={passphrase} onChange={(event) => setPassphrase(event.target.value)} autoComplete="current-password" disabled={checking} required />
        </label>
        {keychain?.canRemember && (
          <label className="check">
            <input type="checkbox" checked={remember} onChange={(event) => setRemember(event.target.checked)} disabled={checking} />
            Remember on this computer (in the system keychain)
          </label>
        )}
        <div className="row">
          <button type="submit" disabled={checking || passphrase === ''}>
            {checking ? 'Checking…' : 'Open'}
          </button>
          <button type="button" onClick={cancel} disabled={checking}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** The passphrase dialog for a screen: `ask` to pass to withPassphrase, and `dialog` to render (nothing while no question is open). */
export function usePassphraseDialog(): { ask: AskPassphrase; dialog: ReactNode } {
  const [pending, setPending] = useState<Pending | null>(null);
  const ask = useCallback<AskPassphrase>((question) => new Promise<boolean>((resolve, reject) => setPending({ ...question, settle: resolve, fail: reject })), []);
  const dialog = pending ? <PassphraseDialog question={pending} onDone={() => setPending(null)} /> : null;
  return { ask, dialog };
}
