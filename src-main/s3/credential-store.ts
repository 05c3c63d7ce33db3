import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { DormouseError } from '../../shared/errors';
import { writeFileAtomically } from '../common/write-file-atomically';
import type { S3Credentials } from './s3-settings';

/**
 * Where S3 destinations' keys are kept for unattended backups, by destination id: never in the
 * catalog, never printed, never logged. The file store below is the default; the tray app can plug
 * in one backed by the OS keychain (Electron safeStorage) with `useCredentialStore`.
 */
export interface CredentialStore {
  /** The keys of a destination, or null when none are stored. */
  get(destinationId: string): S3Credentials | null;
  set(destinationId: string, credentials: S3Credentials): Promise<void>;
  remove(destinationId: string): Promise<void>;
}

/** The file beside the catalog that holds S3 keys (0600). */
export const credentialFileName = 's3-credentials.json';

const credentialsSchema = z.strictObject({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1), sessionToken: z.string().min(1).optional() });
const fileSchema = z.strictObject({ dormouse: z.literal('s3-credentials'), format: z.literal(1), destinations: z.record(z.string(), credentialsSchema) });
type CredentialFile = z.infer<typeof fileSchema>;

/** Keys in a JSON file readable by its owner only (0600, written atomically) in the data folder. */
export class FileCredentialStore implements CredentialStore {
  constructor(private readonly file: string) {}

  get(destinationId: string): S3Credentials | null {
    return this.read().destinations[destinationId] ?? null;
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

  private read(): CredentialFile {
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

  private async write(content: CredentialFile): Promise<void> {
    await writeFileAtomically(this.file, `${JSON.stringify(content, null, 2)}\n`);
  }
}

let override: ((dataDir: string) => CredentialStore) | null = null;

/** Makes every later lookup use another store (the OS keychain in the tray app). */
export function useCredentialStore(factory: ((dataDir: string) => CredentialStore) | null): void {
  override = factory;
}

/** The credential store of the data folder that holds `catalogFile`. */
export function credentialStoreFor(catalogFile: string): CredentialStore {
  const dataDir = dirname(catalogFile);
  return override ? override(dataDir) : new FileCredentialStore(join(dataDir, credentialFileName));
}
