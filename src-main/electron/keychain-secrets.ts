import type { SafeStorage } from 'electron';
import { join } from 'node:path';
import type { SecretStore, SecretStoreAvailability } from '../common/secret-store';
import { SealedSecretsFile } from '../store/sealed-secrets-file';

/** The file in the data folder that holds the sealed secrets (0600); the key that opens them stays in the OS keychain. */
export const secretsFileName = 'keychain-secrets.json';

/** The part of Electron's safeStorage this uses (the synchronous API of Electron 45, main process only). */
export type KeychainApi = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString' | 'getSelectedStorageBackend'>;

/**
 * Whether safeStorage protects anything here. Not before the app is ready, nor without a keychain
 * (isEncryptionAvailable false). On Linux, the `basic_text` backend (no GNOME Keyring, KWallet or other
 * secret service) encrypts with a password written into Chromium itself: a copy of the file would
 * give the passphrase away, so Dormouse treats it as no keychain at all and does not offer to remember.
 */
export function keychainAvailability(safeStorage: KeychainApi, platform: NodeJS.Platform = process.platform): SecretStoreAvailability {
  if (platform === 'linux') {
    const backend = safeStorage.getSelectedStorageBackend();
    if (backend === 'basic_text') {
      return {
        available: false,
        reason: 'this desktop has no keyring Dormouse can use (such as GNOME Keyring or KWallet): a remembered passphrase would be stored under a key anyone can find, so it is not offered',
      };
    }
    if (backend === 'unknown') return { available: false, reason: 'the system keyring is not ready yet; try again in a moment' };
  }
  if (!safeStorage.isEncryptionAvailable()) return { available: false, reason: 'the system keychain is not available (locked, or refused to Dormouse)' };
  return { available: true };
}

/**
 * The app's SecretStore: secrets sealed with Electron's safeStorage (the macOS Keychain, Windows
 * DPAPI, a Linux secret service) and kept in `<data>/keychain-secrets.json`, mode 0600.
 */
export function keychainSecretStore(dataDir: string, safeStorage: KeychainApi, platform: NodeJS.Platform = process.platform): SecretStore {
  return new SealedSecretsFile(join(dataDir, secretsFileName), {
    availability: () => keychainAvailability(safeStorage, platform),
    seal: (secret) => safeStorage.encryptString(secret),
    open: (sealed) => safeStorage.decryptString(sealed),
  });
}
