// The stand-in `electron` module's safeStorage (see fake-electron.ts), held to what Electron 45
// documents for the synchronous API and what its Linux code does:
// - isEncryptionAvailable() is false before the app emitted 'ready' (on Linux and Windows), and false
//   without a keychain (macOS Keychain refused, no key in the Linux secret service);
// - on Linux, getSelectedStorageBackend() is 'unknown' before 'ready', and 'basic_text' when the
//   desktop has no keyring: encryption then uses a password hardcoded in Chromium, and Electron
//   reports it available only after setUsePlainTextEncryption(true);
// - encryptString throws when encryption is not available; decryptString throws on bytes it did not
//   seal with the same keychain key.
// The sealing is real (AES-256-GCM with a key this keychain holds), so a sealed secret's file does
// not contain the secret, and another keychain (resetKeychain) cannot open it.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** The Linux password stores Electron 45 names (getSelectedStorageBackend), once the app is ready. */
export type FakeStorageBackend = 'basic_text' | 'gnome_libsecret' | 'kwallet' | 'kwallet5' | 'kwallet6';

/** Electron's Linux backends have a "v11" key from the secret service; basic_text has only the hardcoded "v10" one. */
const version = Buffer.from('v11');

/** safeStorage as Electron 45's synchronous API behaves; a test plays the OS by setting keychainAvailable and linuxBackend. */
export class FakeSafeStorage {
  /** Whether the OS keychain answers (macOS Keychain allowed, a secret service key on Linux). */
  keychainAvailable = true;
  /** What Linux selected, once the app is ready. */
  linuxBackend: FakeStorageBackend = 'gnome_libsecret';
  private usePlainText = false;
  private key = randomBytes(32);
  /** Every call, in order, for tests that check what is asked before 'ready'. */
  readonly calls: string[] = [];

  constructor(private readonly appReady: () => boolean) {}

  /** As after a keychain reset or on another computer: what was sealed before can no longer be opened. */
  resetKeychain(): void {
    this.key = randomBytes(32);
  }

  isEncryptionAvailable(): boolean {
    this.calls.push('isEncryptionAvailable');
    if (process.platform === 'darwin') return this.keychainAvailable;
    if (!this.appReady()) return false;
    if (process.platform === 'linux' && this.linuxBackend === 'basic_text') return this.usePlainText;
    return this.keychainAvailable;
  }

  getSelectedStorageBackend(): FakeStorageBackend | 'unknown' {
    this.calls.push('getSelectedStorageBackend');
    return this.appReady() ? this.linuxBackend : 'unknown';
  }

  setUsePlainTextEncryption(usePlainText: boolean): void {
    this.calls.push('setUsePlainTextEncryption');
    this.usePlainText = usePlainText;
  }

  encryptString(plainText: string): Buffer {
    this.calls.push('encryptString');
    if (!this.isEncryptionAvailable()) throw new Error('Error while encrypting the text provided to safeStorage.encryptString. Encryption is not available.');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(plainText, 'utf8'), cipher.final()]);
    return Buffer.concat([version, iv, cipher.getAuthTag(), sealed]);
  }

  decryptString(encrypted: Buffer): string {
    this.calls.push('decryptString');
    if (!this.isEncryptionAvailable()) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString. Decryption is not available.');
    if (!Buffer.isBuffer(encrypted) || !encrypted.subarray(0, 3).equals(version)) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString. Ciphertext does not appear to be encrypted.');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, encrypted.subarray(3, 15));
      decipher.setAuthTag(encrypted.subarray(15, 31));
      return Buffer.concat([decipher.update(encrypted.subarray(31)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    }
  }
}
