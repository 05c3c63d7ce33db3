import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where the bundled S3 threads are (s3-thread-main.ts): beside the worker in dist/main, or there from src-main under tsx. */
export function s3ThreadScript(): string {
  const places = [join(__dirname, 's3-thread.cjs'), join(__dirname, '..', '..', 'dist', 'main', 's3-thread.cjs')];
  return places.find((place) => existsSync(place)) ?? (places[0] as string);
}
