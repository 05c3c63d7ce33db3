import { DormouseError } from '../../shared/errors';
import type { RememberedPassphrases as RememberedView } from '../../shared/types';
import type { SecretStore } from '../common/secret-store';
import type { DestinationRecord } from '../store/destination-store';

/** Why nothing is remembered where there is no secret store: the CLI and the daemon. */
const noKeychain = 'only the Dormouse app remembers passphrases, in the system keychain; the command line and `dormouse daemon` have no keychain, so the passphrase is asked each time (or read from --passphrase-file or DORMOUSE_PASSPHRASE)';

/** The name an encrypted destination's passphrase is kept under in the secret store. */
function secretName(destination: { id: string }): string {
  return `destination-passphrase:${destination.id}`;
}

/**
 * Encrypted destinations' passphrases the person asked the app to remember, in the injected
 * SecretStore (the OS keychain in the app; none elsewhere, where nothing is remembered). A request
 * that comes without a passphrase is tried with the remembered one.
 */
export class PassphraseMemory {
  constructor(private readonly store: SecretStore | undefined) {}

  /** Whether passphrases can be remembered here, and which destinations' are. */
  async view(all: readonly DestinationRecord[]): Promise<RememberedView> {
    const availability = this.store?.availability() ?? { available: false as const, reason: noKeychain };
    const names = new Set(this.store ? await this.store.names() : []);
    return {
      canRemember: availability.available,
      reason: availability.available ? null : availability.reason,
      destinations: all.filter((destination) => names.has(secretName(destination))).map((destination) => destination.name),
    };
  }

  /**
   * The remembered passphrase of a destination; undefined when none is. One the keychain, while
   * available, can no longer decrypt (reset, or another computer's) is forgotten: it never will.
   */
  async recall(destination: DestinationRecord): Promise<string | undefined> {
    if (!this.store) return undefined;
    const secret = await this.store.get(secretName(destination));
    if (secret === null && this.store.availability().available) await this.store.delete(secretName(destination));
    return secret ?? undefined;
  }

  /** Keeps a passphrase the caller has checked against the destination's key. */
  async remember(destination: DestinationRecord, passphrase: string): Promise<void> {
    if (!this.store) throw new DormouseError('KEYCHAIN_UNAVAILABLE', noKeychain);
    await this.store.set(secretName(destination), passphrase);
  }

  /** Forgets a destination's passphrase; true when one was remembered. */
  async forget(destination: { id: string }): Promise<boolean> {
    return this.store ? this.store.delete(secretName(destination)) : false;
  }
}
