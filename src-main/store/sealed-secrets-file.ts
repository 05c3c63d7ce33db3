import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { DormouseError } from '../../shared/errors';
import type { SecretStore, SecretStoreAvailability } from '../common/secret-store';
import { writeFileAtomically } from '../common/write-file-atomically';

/** The file in the data folder that holds the app's sealed secrets (0600); the key that opens them stays in the OS keychain. */
export const sealedSecretsFileName = 'keychain-secrets.json';

/** What seals and opens secrets (the OS keychain's key, in the app); the file only keeps the sealed bytes. */
export interface Sealer {
  availability(): SecretStoreAvailability;
  seal(secret: string): Buffer;
  /** Throws when the bytes were sealed with another key (another user, a reset keychain). */
  open(sealed: Buffer): string;
}

/** The file's content: sealed secrets by name, base64. */
interface SealedFile {
  dormouse: 'sealed-secrets';
  version: 1;
  secrets: Record<string, string>;
}

/**
 * A SecretStore kept in one file (mode 0600, replaced atomically), holding only what the sealer
 * sealed: the file alone, copied off the laptop, gives nothing away. Changes are made one at a time.
 */
export class SealedSecretsFile implements SecretStore {
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly sealer: Sealer,
  ) {}

  availability(): SecretStoreAvailability {
    return this.sealer.availability();
  }

  async get(name: string): Promise<string | null> {
    const sealed = (await this.read()).secrets[name];
    if (sealed === undefined) return null;
    try {
      return this.sealer.open(Buffer.from(sealed, 'base64'));
    } catch {
      return null;
    }
  }

  set(name: string, secret: string): Promise<void> {
    const availability = this.availability();
    if (!availability.available) return Promise.reject(new DormouseError('KEYCHAIN_UNAVAILABLE', availability.reason));
    return this.change((secrets) => {
      secrets[name] = this.sealer.seal(secret).toString('base64');
      return true;
    }).then(() => undefined);
  }

  delete(name: string): Promise<boolean> {
    return this.change((secrets) => {
      if (secrets[name] === undefined) return false;
      delete secrets[name];
      return true;
    });
  }

  async names(): Promise<string[]> {
    return Object.keys((await this.read()).secrets).sort();
  }

  /**
   * At once, for callers that cannot wait (the S3 keys a backup's storage is made with): whether a
   * secret is kept under the name, and the secret when the sealer can open it now (null when it
   * cannot: a locked keychain, or bytes sealed by another one).
   */
  readNow(name: string): { kept: false } | { kept: true; secret: string | null } {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kept: false };
      throw error;
    }
    const sealed = this.parse(text).secrets[name];
    if (sealed === undefined) return { kept: false };
    try {
      return { kept: true, secret: this.sealer.open(Buffer.from(sealed, 'base64')) };
    } catch {
      return { kept: true, secret: null };
    }
  }

  /** Reads, changes and writes the file in turn with other changes; writes only when `edit` changed something. */
  private change(edit: (secrets: Record<string, string>) => boolean): Promise<boolean> {
    const next = this.turn.then(async () => {
      const content = await this.read();
      if (!edit(content.secrets)) return false;
      await writeFileAtomically(this.file, `${JSON.stringify(content)}\n`);
      return true;
    });
    this.turn = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<SealedFile> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { dormouse: 'sealed-secrets', version: 1, secrets: {} };
      throw error;
    }
    return this.parse(text);
  }

  private parse(text: string): SealedFile {
    let parsed: Partial<SealedFile> | null;
    try {
      parsed = JSON.parse(text) as Partial<SealedFile> | null;
    } catch {
      parsed = null;
    }
    if (parsed === null || parsed.dormouse !== 'sealed-secrets' || typeof parsed.secrets !== 'object' || parsed.secrets === null) {
      throw new DormouseError('INTERNAL', `${this.file} is not Dormouse's file of remembered secrets; move it away, remember the passphrases again and add the S3 destinations whose keys were in it again`);
    }
    return { dormouse: 'sealed-secrets', version: 1, secrets: { ...parsed.secrets } };
  }
}
