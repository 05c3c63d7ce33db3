import { DormouseError } from '../../shared/errors';
import { encodeIdentity, encodeRecipient, parseIdentity, type AgeIdentity } from './age-keys';

/**
 * The identity as a key file in age-keygen's own layout (two comment lines, then the secret key),
 * so the decrypted `.dormouse-key.age` is a file `age -d -i` takes as it is.
 */

/** The key file text for an identity, as `age-keygen` writes it. */
export function formatKeyFile(identity: AgeIdentity, createdAt: Date = new Date()): string {
  const created = createdAt.toISOString().replace(/\.\d+Z$/, 'Z');
  return `# created: ${created}\n# public key: ${encodeRecipient(identity.recipient)}\n${encodeIdentity(identity)}\n`;
}

/** The one identity in a key file (comments and blank lines skipped, as age does); `source` names it in errors. */
export function parseKeyFile(text: string, source: string): AgeIdentity {
  const keys = text.split('\n').map((line) => line.replace(/\r$/, '').trim()).filter((line) => line !== '' && !line.startsWith('#'));
  if (keys.length !== 1) {
    throw new DormouseError('KEY_UNUSABLE', `${source} holds ${keys.length} key lines instead of one AGE-SECRET-KEY-1…; it is not a Dormouse destination key`);
  }
  try {
    return parseIdentity(keys[0] as string);
  } catch (error) {
    throw new DormouseError('KEY_UNUSABLE', `${source} does not hold a usable key: ${(error as Error).message}`);
  }
}
