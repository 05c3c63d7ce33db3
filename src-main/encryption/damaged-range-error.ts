import { DormouseError } from '../../shared/errors';

/**
 * A chunk of an age file that fails authentication: it names the plaintext bytes lost, so a restore
 * can mark exactly the archive entries inside them damaged and go on with the rest.
 */
export class DamagedRangeError extends DormouseError {
  /** The first plaintext byte the damaged chunk held. */
  readonly plaintextStart: number;
  /** One past the last plaintext byte the damaged chunk held. */
  readonly plaintextEnd: number;

  constructor(source: string, chunkIndex: number, plaintextStart: number, plaintextEnd: number, why: string) {
    super('DAMAGED', `${source}: chunk ${chunkIndex} (plaintext bytes ${plaintextStart}–${plaintextEnd}) ${why}; the data in it cannot be trusted, the rest of the file can`);
    this.name = 'DamagedRangeError';
    this.plaintextStart = plaintextStart;
    this.plaintextEnd = plaintextEnd;
  }
}
