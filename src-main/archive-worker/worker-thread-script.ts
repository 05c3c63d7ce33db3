import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';

/**
 * Where the bundled helper threads are (worker-thread-main.ts): beside the worker in dist/main
 * (unpacked from app.asar in the packaged app, as a thread's script is loaded from a real file), or
 * there from src-main under tsx.
 */
export function workerThreadScript(): string {
  const asar = `${sep}app.asar${sep}`;
  const beside = join(__dirname, 'worker-thread.cjs');
  const places = [...(beside.includes(asar) ? [beside.replace(asar, `${sep}app.asar.unpacked${sep}`)] : []), beside, join(__dirname, '..', '..', 'dist', 'main', 'worker-thread.cjs')];
  return places.find((place) => existsSync(place)) ?? (places[0] as string);
}
