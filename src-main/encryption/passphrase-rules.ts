import { DormouseError } from '../../shared/errors';
import { counted } from '../../shared/format';

/** The fewest characters a new passphrase may have: it is all that stands between a lost drive and its contents. */
export const minimumPassphraseLength = 12;

/** Refuses a new passphrase that is too short, saying why; existing passphrases are never judged, only tried. */
export function checkNewPassphrase(passphrase: string): void {
  const length = [...passphrase].length;
  if (length < minimumPassphraseLength) {
    throw new DormouseError(
      'INVALID_INPUT',
      `the passphrase has ${counted(length, 'character')}; use at least ${minimumPassphraseLength}: anyone who finds the drive can try short ones quickly, and it is all that protects the backups (a few unrelated words are easy to remember)`,
    );
  }
}
