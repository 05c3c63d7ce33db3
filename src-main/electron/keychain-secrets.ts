import type { SafeStorage } from 'electron';
import { join } from 'node:path';
import type { SecretStoreAvailability } from '../common/secret-store';
import { SealedSecretsFile, sealedSecretsFileName } from '../store/sealed-secrets-file';

/** The part of Electron's safeStorage this uses (the synchronous API of Electron 45, main process only). */
export type KeychainApi = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString' | 'getSelectedStorageBackend'>;

/** Why safeStorage protects nothing here, or null when it does. */
type KeychainProblem = 'no-keyring' | 'not-ready' | 'unavailable' | null;

function keychainProblem(safeStorage: KeychainApi, platform: NodeJS.Platform): KeychainProblem {
  if (platform === 'linux') {
    const backend = safeStorage.getSelectedStorageBackend();
    if (backend === 'basic_text') return 'no-keyring';
    if (backend === 'unknown') return 'not-ready';
  }
  return safeStorage.isEncryptionAvailable() ? null : 'unavailable';
}

/**
 * Whether safeStorage protects anything here. Not before the app is ready, nor without a keychain
 * (isEncryptionAvailable false). On Linux, the `basic_text` backend (no GNOME Keyring, KWallet or other
 * secret service) encrypts with a password written into Chromium itself: a copy of the file would
 * give the passphrase away, so Dormouse treats it as no keychain at all and does not offer to remember.
 */
export function keychainAvailability(safeStorage: KeychainApi, platform: NodeJS.Platform = process.platform): SecretStoreAvailability {
  switch (keychainProblem(safeStorage, platform)) {
    case 'no-keyring':
      return {
        available: false,
        reason: 'this desktop has no keyring Dormouse can use (such as GNOME Keyring or KWallet): a remembered passphrase would be stored under a key anyone can find, so it is not offered',
      };
    case 'not-ready':
      return { available: false, reason: 'the system keyring is not ready yet; try again in a moment' };
    case 'unavailable':
      return { available: false, reason: 'the system keychain is not available (locked, or refused to Dormouse)' };
    case null:
      return { available: true };
  }
}

/** The same question for S3 keys, in the words the S3 form and errors use (they fall back to a 0600 file, not to asking). */
export function s3KeychainAvailability(safeStorage: KeychainApi, platform: NodeJS.Platform = process.platform): SecretStoreAvailability {
  switch (keychainProblem(safeStorage, platform)) {
    case 'no-keyring':
      return { available: false, reason: 'this desktop has no keyring Dormouse can use (such as GNOME Keyring or KWallet)' };
    case 'not-ready':
      return { available: false, reason: 'the system keyring is not ready yet' };
    case 'unavailable':
      return { available: false, reason: 'the system keychain is not available (locked, or refused to Dormouse)' };
    case null:
      return { available: true };
  }
}

/**
 * The app's store of sealed secrets (remembered passphrases, S3 keys): sealed with Electron's
 * safeStorage (the macOS Keychain, Windows DPAPI, a Linux secret service) and kept in
 * `<data>/keychain-secrets.json`, mode 0600. One instance per data folder, so its changes are made in turn.
 */
export function keychainSecretStore(dataDir: string, safeStorage: KeychainApi, platform: NodeJS.Platform = process.platform): SealedSecretsFile {
  return new SealedSecretsFile(join(dataDir, sealedSecretsFileName), {
    availability: () => keychainAvailability(safeStorage, platform),
    seal: (secret) => safeStorage.encryptString(secret),
    open: (sealed) => safeStorage.decryptString(sealed),
  });
}
