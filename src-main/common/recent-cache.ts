/**
 * The `capacity` most recently used values by number, loaded on first use: the blocks of an S3
 * archive and the decrypted chunks of an age file are both read through one, so a listing or a
 * restore that comes back to a block does not fetch or decrypt it again.
 */
export function recentCache<T>(capacity: number, load: (index: number) => T): (index: number) => T {
  const kept = new Map<number, T>();
  return (index) => {
    const found = kept.get(index);
    if (found !== undefined) {
      kept.delete(index);
      kept.set(index, found);
      return found;
    }
    const loaded = load(index);
    kept.set(index, loaded);
    if (kept.size > capacity) kept.delete(kept.keys().next().value as number);
    return loaded;
  };
}
