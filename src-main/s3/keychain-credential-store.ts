import { DormouseError } from '../../shared/errors';
import type { S3KeyStorage } from '../../shared/types';
import type { SecretStoreAvailability } from '../common/secret-store';
import type { SealedSecretsFile } from '../store/sealed-secrets-file';
import { parseSealedCredentials, sealedCredentialsName, type CredentialFile, type CredentialStore } from './credential-store';
import type { S3Credentials } from './s3-settings';

/**
 * The tray app's store of S3 keys: sealed by the OS keychain (Electron safeStorage) in the data
 * folder's file of sealed secrets, beside the remembered passphrases, when the keychain protects
 * something; where it does not (a Linux desktop without a keyring, a keychain not ready or refused),
 * in the 0600 file, as the CLI keeps them. Keys found sealed are always read from the keychain; keys
 * the CLI (or an older Dormouse) put in the 0600 file are read from there and stay there, since the
 * command line and the daemon, which cannot open the keychain, back up with them too.
 */
export class KeychainCredentialStore implements CredentialStore {
  constructor(
    /** The app's one sealed-secrets file of this data folder (shared with the passphrases, so changes are made in turn). */
    private readonly sealed: SealedSecretsFile,
    private readonly plain: CredentialFile,
    /** Whether the keychain protects anything now, in the words of S3 keys. */
    private readonly keychain: () => SecretStoreAvailability,
  ) {}

  get(destinationId: string): S3Credentials | null {
    const kept = this.sealed.readNow(sealedCredentialsName(destinationId));
    if (!kept.kept) return this.plain.get(destinationId);
    if (kept.secret !== null) return parseSealedCredentials(kept.secret);
    const availability = this.keychain();
    if (!availability.available) {
      throw new DormouseError('KEYCHAIN_UNAVAILABLE', `its S3 keys are sealed by the system keychain, which cannot open them now (${availability.reason}); unlock it and try again`);
    }
    throw new DormouseError(
      'KEYCHAIN_UNAVAILABLE',
      'its S3 keys were sealed by a system keychain that can no longer open them (the keychain was reset, or the data folder comes from another computer); remove the destination and add it again with its keys',
    );
  }

  async set(destinationId: string, credentials: S3Credentials): Promise<void> {
    if (!this.keychain().available) {
      await this.plain.set(destinationId, credentials);
      return;
    }
    await this.sealed.set(sealedCredentialsName(destinationId), JSON.stringify(credentials));
    await this.plain.remove(destinationId);
  }

  async remove(destinationId: string): Promise<void> {
    await this.sealed.delete(sealedCredentialsName(destinationId));
    await this.plain.remove(destinationId);
  }

  storage(): S3KeyStorage {
    const availability = this.keychain();
    if (availability.available) return { keychain: true, where: 'sealed by the system keychain, for this user on this computer' };
    return { keychain: false, where: `in ${this.plain.file}, readable only by your user account: ${availability.reason}, so they are not in the system keychain` };
  }
}
