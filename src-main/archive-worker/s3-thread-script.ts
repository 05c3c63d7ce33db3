import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';

/**
 * Where the bundled S3 threads are (s3-thread-main.ts): beside the worker in dist/main (unpacked
 * from app.asar in the packaged app, as a thread's script is loaded from a real file), or there from
 * src-main under tsx.
 */
export function s3ThreadScript(): string {
  const asar = `${sep}app.asar${sep}`;
  const beside = join(__dirname, 's3-thread.cjs');
  const places = [...(beside.includes(asar) ? [beside.replace(asar, `${sep}app.asar.unpacked${sep}`)] : []), beside, join(__dirname, '..', '..', 'dist', 'main', 's3-thread.cjs')];
  return places.find((place) => existsSync(place)) ?? (places[0] as string);
}
