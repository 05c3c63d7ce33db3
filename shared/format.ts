/** Formats a byte count for people ("2.3 GB"), in decimal units as file managers show them. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes / 1000;
  let unit = 0;
  const shown = (amount: number) => (amount >= 99.95 ? amount.toFixed(0) : amount.toFixed(1));
  // Move up a unit when the rounded figure would read 1000 (999,999 bytes is "1.0 MB", not "1000 kB").
  while (Number(shown(value)) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${shown(value)} ${units[unit]}`;
}

/** A count with its noun as people read it ("1 file", "1,234 files"): `many` is `one` with an s unless given. */
export function counted(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;
}
