import type { DestinationState } from '../../shared/types';
import { withinTime } from '../common/files';
import { S3Error } from '../s3/s3-errors';
import { readMarkerFrom, type MarkerReading } from './destination-marker';
import type { DestinationStorage } from './destination-storage';

/** What a probe found, with the free space when the destination is available (null where there is no such thing), and why it is not when it can tell. */
export interface DestinationCheck {
  state: DestinationState;
  freeBytes: number | null;
  /** Why an S3 destination is missing or not answering (the keys refused, no such bucket…); absent for folders. */
  reason?: string;
}

/** How long the tray and the lists wait for a destination before showing it as not answering. */
export const viewTimeoutMs = 3_000;
/** How long a backup waits for its destination: a USB disk asleep can take several seconds to spin up. */
export const backupTimeoutMs = 30_000;

type Answer = { reading: MarkerReading; freeBytes: number | null } | { refused: string; unreachable: boolean };

function checkOf(answer: Answer, id: string): DestinationCheck {
  if ('refused' in answer) return { state: answer.unreachable ? 'not-answering' : 'missing', freeBytes: null, reason: answer.refused };
  if (answer.reading.kind !== 'valid' || answer.reading.marker.id !== id) return { state: 'missing', freeBytes: null };
  return { state: 'available', freeBytes: answer.freeBytes };
}

/**
 * Checks destinations without ever blocking the event loop of the process that owns the tray: a NAS
 * share that stops answering after the laptop wakes on another network, a drive that hangs, or an
 * S3 endpoint out of reach costs one read and a "not answering" answer after a timeout, never a
 * frozen tray. While a destination's read is still out, later checks wait on the same read instead
 * of starting more.
 */
export class DestinationProbe {
  private readonly pending = new Map<string, Promise<Answer>>();
  /** The last answer of each destination, or 'not-answering' once one timed out, for views that must not wait (the tray). */
  private readonly lastKnown = new Map<string, Answer | 'not-answering'>();

  /** Whether the destination holds the marker of destination `id`, and its free space; "not-answering" after `timeoutMs`. */
  async check(storage: DestinationStorage, id: string, timeoutMs = viewTimeoutMs): Promise<DestinationCheck> {
    const where = storage.location;
    // A check of this destination still out is shared, not repeated; otherwise a new read starts once
    // any other read of it has answered.
    const pending = this.pending.get(where);
    const result = pending ? await withinTime(pending, timeoutMs) : await storage.within(() => this.startRead(storage), timeoutMs);
    if (result.timedOut) {
      this.lastKnown.set(where, 'not-answering');
      return { state: 'not-answering', freeBytes: null };
    }
    return checkOf(result.value, id);
  }

  /** What the last check of a destination found, without reading anything; null before the first answer. */
  known(location: string, id: string): DestinationCheck | null {
    const last = this.lastKnown.get(location);
    if (last === undefined) return null;
    return last === 'not-answering' ? { state: 'not-answering', freeBytes: null } : checkOf(last, id);
  }

  private startRead(storage: DestinationStorage): Promise<Answer> {
    const where = storage.location;
    const existing = this.pending.get(where);
    if (existing) return existing;
    const answer = this.read(storage);
    this.pending.set(where, answer);
    void answer.finally(() => {
      if (this.pending.get(where) === answer) this.pending.delete(where);
    });
    return answer;
  }

  private async read(storage: DestinationStorage): Promise<Answer> {
    let answer: Answer;
    try {
      const reading = await readMarkerFrom(storage);
      let free: number | null = null;
      if (reading.kind === 'valid') {
        try {
          free = await storage.freeBytes();
        } catch {
          free = null;
        }
      }
      answer = { reading, freeBytes: free };
    } catch (error) {
      if (!(error instanceof S3Error)) throw error;
      answer = { refused: error.message, unreachable: error.kind === 'not-answering' || error.kind === 'connection-lost' };
    }
    this.lastKnown.set(storage.location, answer);
    return answer;
  }
}
