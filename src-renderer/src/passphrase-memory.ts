import { call, EngineError } from './bridge';

/**
 * Encrypted destinations' passphrases, kept in this window's memory only, by destination id: asked
 * once, used for every later listing and restore of that destination until the window closes or
 * reloads. Never written anywhere (no localStorage, no cookie).
 */
const passphrases = new Map<string, string>();

/** Which destination an archive is on, once a request on it needed a passphrase. */
const destinationOfArchive = new Map<string, { id: string; name: string }>();

/** What the passphrase dialog is asked: which destination, what for, the engine's words about a wrong try, and how to check an answer. */
export interface PassphraseQuestion {
  destination: string;
  /** What the passphrase is for, completing "Type its passphrase to …". */
  purpose: string;
  /** The engine's message about the passphrase tried last (a wrong one), or null. */
  problem: string | null;
  /**
   * Tries a passphrase: null when it opened the destination's key (and, with `remember`, the app's
   * keychain now keeps it), else the engine's message saying why not. Other failures reject.
   */
  check: (passphrase: string, remember: boolean) => Promise<string | null>;
}

/** Shows the passphrase dialog: true once a passphrase was checked good, false when cancelled. */
export type AskPassphrase = (question: PassphraseQuestion) => Promise<boolean>;

function needsPassphrase(failure: unknown): failure is EngineError {
  return failure instanceof EngineError && (failure.code === 'PASSPHRASE_NEEDED' || failure.code === 'WRONG_PASSPHRASE');
}

async function destinationOf(archivePath: string): Promise<{ id: string; name: string }> {
  const known = destinationOfArchive.get(archivePath);
  if (known) return known;
  const destinations = await call('destinations:list', {}).catch(() => []);
  const found = destinations.find((each) => archivePath.startsWith(`${each.path.replace(/\/+$/, '')}/`));
  const destination = found ? { id: found.id, name: found.name } : { id: `archive:${archivePath}`, name: 'this snapshot’s destination' };
  destinationOfArchive.set(archivePath, destination);
  return destination;
}

/**
 * Runs a request on a snapshot's archive with its destination's remembered passphrase, if any. When
 * the engine answers that a passphrase is needed (or the remembered one is wrong), asks for it in
 * the dialog, checking each answer with `check` (the request itself when none is given; a wrong
 * passphrase is refused there with the engine's message), remembers the good one for the window's
 * session, and answers the request made with it.
 * Cancelling the dialog rejects with PASSPHRASE_NEEDED in words.
 */
export async function withPassphrase<T>(
  snapshot: { archivePath: string },
  ask: AskPassphrase,
  purpose: string,
  run: (passphrase: string | undefined) => Promise<T>,
  check?: (passphrase: string) => Promise<unknown>,
): Promise<T> {
  const known = destinationOfArchive.get(snapshot.archivePath);
  const remembered = known ? passphrases.get(known.id) : undefined;
  try {
    return await run(remembered);
  } catch (failure) {
    if (!needsPassphrase(failure)) throw failure;
    const destination = await destinationOf(snapshot.archivePath);
    if (failure.code === 'WRONG_PASSPHRASE') passphrases.delete(destination.id);
    // Another snapshot on the same destination may have been opened since: its passphrase is this one's.
    const other = passphrases.get(destination.id);
    if (other !== undefined && other !== remembered) return withPassphrase(snapshot, ask, purpose, run, check);
    // Without a check of its own, the request itself is the check: its answer is kept, not asked for twice.
    let answered: { value: T } | null = null;
    const opened = await ask({
      destination: destination.name,
      purpose,
      // Wrong with none sent from here: the one the app's keychain remembered (changed elsewhere since).
      problem: failure.code === 'WRONG_PASSPHRASE' ? failure.message : null,
      check: async (passphrase, remember) => {
        try {
          if (check) await check(passphrase);
          else answered = { value: await run(passphrase) };
          passphrases.set(destination.id, passphrase);
        } catch (refused) {
          if (refused instanceof EngineError && refused.code === 'WRONG_PASSPHRASE') return refused.message;
          throw refused;
        }
        if (!remember) return null;
        try {
          await call('passphrases:remember', { name: destination.name, passphrase });
          return null;
        } catch (refused) {
          if (refused instanceof EngineError) return `The passphrase is right, but it could not be remembered: ${refused.message}. Untick the box to go on without remembering it.`;
          throw refused;
        }
      },
    });
    if (!opened) throw new EngineError('PASSPHRASE_NEEDED', `${destination.name} is encrypted: without its passphrase this snapshot cannot be opened.`);
    return answered === null ? run(passphrases.get(destination.id)) : (answered as { value: T }).value;
  }
}
