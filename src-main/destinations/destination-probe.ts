import type { DestinationState } from '../../shared/types';
import { answerWithin, withinTime } from '../common/files';
import { freeBytes, readMarkerAsync, type MarkerReading } from './destination-marker';

/** What a probe found, with the free space when the destination is available. */
export interface DestinationCheck {
  state: DestinationState;
  freeBytes: number | null;
}

/** How long the tray and the lists wait for a destination before showing it as not answering. */
export const viewTimeoutMs = 3_000;
/** How long a backup waits for its destination: a USB disk asleep can take several seconds to spin up. */
export const backupTimeoutMs = 30_000;

interface Answer {
  reading: MarkerReading;
  freeBytes: number | null;
}

function checkOf(answer: Answer, id: string): DestinationCheck {
  if (answer.reading.kind !== 'valid' || answer.reading.marker.id !== id) return { state: 'missing', freeBytes: null };
  return { state: 'available', freeBytes: answer.freeBytes };
}

/**
 * Checks destinations without ever blocking the event loop of the process that owns the tray: a NAS
 * share that stops answering after the laptop wakes on another network, or a drive that hangs, costs
 * one thread of the pool and a "not answering" answer after a timeout, never a frozen tray. While a
 * folder's read is still out, later checks wait on the same read instead of tying up more threads.
 */
export class DestinationProbe {
  private readonly pending = new Map<string, Promise<Answer>>();
  /** The last answer of each folder, or 'not-answering' once one timed out, for views that must not wait (the tray). */
  private readonly lastKnown = new Map<string, Answer | 'not-answering'>();

  /** Whether the folder holds the marker of destination `id`, and its free space; "not-answering" after `timeoutMs`. */
  async check(folder: string, id: string, timeoutMs = viewTimeoutMs): Promise<DestinationCheck> {
    // A check of this folder still out is shared, not repeated; otherwise a new read starts once
    // any other read of the folder has answered.
    const pending = this.pending.get(folder);
    const result = pending ? await withinTime(pending, timeoutMs) : await answerWithin(folder, () => this.startRead(folder), timeoutMs);
    if (result.timedOut) {
      this.lastKnown.set(folder, 'not-answering');
      return { state: 'not-answering', freeBytes: null };
    }
    return checkOf(result.value, id);
  }

  /** What the last check of a folder found, without reading anything; null before the first answer. */
  known(folder: string, id: string): DestinationCheck | null {
    const last = this.lastKnown.get(folder);
    if (last === undefined) return null;
    return last === 'not-answering' ? { state: 'not-answering', freeBytes: null } : checkOf(last, id);
  }

  private startRead(folder: string): Promise<Answer> {
    const existing = this.pending.get(folder);
    if (existing) return existing;
    const answer = this.read(folder);
    this.pending.set(folder, answer);
    void answer.finally(() => {
      if (this.pending.get(folder) === answer) this.pending.delete(folder);
    });
    return answer;
  }

  private async read(folder: string): Promise<Answer> {
    const reading = await readMarkerAsync(folder);
    let free: number | null = null;
    if (reading.kind === 'valid') {
      try {
        free = await freeBytes(folder);
      } catch {
        free = null;
      }
    }
    const answer = { reading, freeBytes: free };
    this.lastKnown.set(folder, answer);
    return answer;
  }
}
