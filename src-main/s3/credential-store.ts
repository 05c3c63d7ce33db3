import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { DormouseError } from '../../shared/errors';
import type { S3KeyStorage } from '../../shared/types';
import { writeFileAtomically } from '../common/write-file-atomically';
import { SealedSecretsFile, sealedSecretsFileName } from '../store/sealed-secrets-file';
import type { S3Credentials } from './s3-settings';

/**
 * Where S3 destinations' keys are kept for unattended backups, by destination id: never in the
 * catalog, never printed, never logged. Without a keychain (the CLI, the daemon, an app on a desktop
 * without a keyring) they are in a 0600 file; the tray app plugs in a store that seals them with the
 * OS keychain (keychain-credential-store.ts) with `useCredentialStore`.
 */
export interface CredentialStore {
  /** The keys of a destination, or null when none are stored; a DormouseError when they are stored but cannot be opened here (saying what to do). */
  get(destinationId: string): S3Credentials | null;
  /** Keeps a destination's keys, replacing any before. */
  set(destinationId: string, credentials: S3Credentials): Promise<void>;
  /** Forgets a destination's keys, wherever they are kept. */
  remove(destinationId: string): Promise<void>;
  /** Where the keys of a destination added now would be kept, in words for the add form. */
  storage(): S3KeyStorage;
}

/** The file beside the catalog that holds S3 keys without a keychain (0600). */
export const credentialFileName = 's3-credentials.json';

/** The name a destination's S3 keys are sealed under in the app's file of sealed secrets. */
export function sealedCredentialsName(destinationId: string): string {
  return `s3-credentials:${destinationId}`;
}

const credentialsSchema = z.strictObject({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1), sessionToken: z.string().min(1).optional() });
const fileSchema = z.strictObject({ dormouse: z.literal('s3-credentials'), format: z.literal(1), destinations: z.record(z.string(), credentialsSchema) });
type CredentialFileContent = z.infer<typeof fileSchema>;

/** Reads keys the sealed store opened; throws a clear error for bytes that are not keys. */
export function parseSealedCredentials(secret: string): S3Credentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    parsed = null;
  }
  const checked = credentialsSchema.safeParse(parsed);
  if (!checked.success) throw new DormouseError('INTERNAL', 'the S3 keys sealed in the system keychain are not keys Dormouse can read; remove the destination and add it again with its keys');
  return checked.data;
}

/** Keys in a JSON file readable by its owner only (0600, written atomically) in the data folder. */
export class CredentialFile {
  constructor(readonly file: string) {}

  get(destinationId: string): S3Credentials | null {
    return this.read().destinations[destinationId] ?? null;
  }

  /** The destinations whose keys are in the file. */
  ids(): string[] {
    return Object.keys(this.read().destinations);
  }

  async set(destinationId: string, credentials: S3Credentials): Promise<void> {
    const content = this.read();
    content.destinations[destinationId] = credentials;
    await this.write(content);
  }

  async remove(destinationId: string): Promise<void> {
    const content = this.read();
    if (!(destinationId in content.destinations)) return;
    delete content.destinations[destinationId];
    await this.write(content);
  }

  private read(): CredentialFileContent {
    if (!existsSync(this.file)) return { dormouse: 's3-credentials', format: 1, destinations: {} };
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (error) {
      throw new DormouseError('INTERNAL', `cannot read the stored S3 keys in ${this.file} (${(error as Error).message}); move it aside and add the S3 destinations again`);
    }
    const checked = fileSchema.safeParse(parsed);
    if (!checked.success) throw new DormouseError('INTERNAL', `${this.file} is not a Dormouse S3 key file; move it aside and add the S3 destinations again`);
    return checked.data;
  }

  private async write(content: CredentialFileContent): Promise<void> {
    await writeFileAtomically(this.file, `${JSON.stringify(content, null, 2)}\n`);
  }
}

/** Said when keys sealed by the app are asked for where there is no keychain. */
const sealedByTheApp =
  "its S3 keys are sealed in the Dormouse app's system keychain, which the command line and `dormouse daemon` cannot open; run this from the Dormouse app (its window, Back Up Now in the tray, or its schedule)";

/**
 * The store without a keychain, for the CLI and `dormouse daemon`: keys in `s3-credentials.json`.
 * Keys the app sealed in the keychain (`keychain-secrets.json`) are recognised by name, without
 * opening anything, so asking for them says to use the app, and removing the destination forgets them.
 */
export class FileCredentialStore implements CredentialStore {
  private readonly plain: CredentialFile;
  private readonly sealed: SealedSecretsFile;

  constructor(dataDir: string) {
    this.plain = new CredentialFile(join(dataDir, credentialFileName));
    const reason = 'only the Dormouse app has a keychain';
    this.sealed = new SealedSecretsFile(join(dataDir, sealedSecretsFileName), {
      availability: () => ({ available: false, reason }),
      seal: () => {
        throw new Error(reason);
      },
      open: () => {
        throw new Error(reason);
      },
    });
  }

  get(destinationId: string): S3Credentials | null {
    const plain = this.plain.get(destinationId);
    if (plain) return plain;
    if (this.sealed.readNow(sealedCredentialsName(destinationId)).kept) throw new DormouseError('KEYCHAIN_UNAVAILABLE', sealedByTheApp);
    return null;
  }

  set(destinationId: string, credentials: S3Credentials): Promise<void> {
    return this.plain.set(destinationId, credentials);
  }

  async remove(destinationId: string): Promise<void> {
    await this.plain.remove(destinationId);
    await this.sealed.delete(sealedCredentialsName(destinationId));
  }

  storage(): S3KeyStorage {
    return { keychain: false, where: `in ${this.plain.file}, readable only by your user account (only the Dormouse app keeps them in the system keychain)` };
  }
}

let override: ((dataDir: string) => CredentialStore | null) | null = null;

/** Makes every later lookup ask `factory` first (the OS keychain in the tray app); it answers null for a data folder it does not serve. */
export function useCredentialStore(factory: ((dataDir: string) => CredentialStore | null) | null): void {
  override = factory;
}

/** The credential store of the data folder that holds `catalogFile`. */
export function credentialStoreFor(catalogFile: string): CredentialStore {
  const dataDir = resolve(dirname(catalogFile));
  return override?.(dataDir) ?? new FileCredentialStore(dataDir);
}
