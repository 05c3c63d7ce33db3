/**
 * Secrets the app keeps for the person between runs, by name: an encrypted destination's passphrase
 * (`destination-passphrase:<id>`), later an S3 destination's credentials. The engine sees only this
 * interface; the Electron adapter implements it with the OS keychain (src-main/electron/
 * keychain-secrets.ts). The CLI and the daemon have no keychain, and so no store.
 */

/** Whether secrets can be kept safely here; when not, why, in words for the person. */
export type SecretStoreAvailability = { available: true } | { available: false; reason: string };

/** A place to keep secrets by name, encrypted by something only this user on this computer can undo. */
export interface SecretStore {
  /** Whether `set` can keep a secret safely now (asked each time: a keychain may become available after start). */
  availability(): SecretStoreAvailability;
  /** The secret kept under this name; null when there is none, or it can no longer be decrypted here. */
  get(name: string): Promise<string | null>;
  /** Keeps a secret under a name, replacing any before it; refused when not available. */
  set(name: string, secret: string): Promise<void>;
  /** Forgets a name's secret; true when there was one. Works even when the keychain is not available. */
  delete(name: string): Promise<boolean>;
  /** The names kept, without decrypting anything. */
  names(): Promise<string[]>;
}
