import { unlinkSync } from 'node:fs';

/** Removes a file that may already be gone (a partial archive, a marker being rolled back). */
export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
