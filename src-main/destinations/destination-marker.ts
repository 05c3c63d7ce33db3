import { randomUUID } from 'node:crypto';
import { readFile, statfs } from 'node:fs/promises';
import { removeQuietlyAsync } from '../common/files';
import { writeFileAtomically } from '../common/write-file-atomically';
import { join } from 'node:path';
import { z } from 'zod';
import { DormouseError } from '../../shared/errors';
import type { DestinationStorage } from './destination-storage';

/** The marker's file name inside a destination folder. */
export const markerFileName = '.dormouse-destination.json';

const markerSchema = z.object({
  dormouse: z.literal('destination'),
  format: z.literal(1),
  id: z.string().uuid(),
  name: z.string(),
  createdAt: z.string(),
});

export type DestinationMarker = z.infer<typeof markerSchema>;

/** What a folder's marker says: none there, one that is not Dormouse's, or a valid marker. */
export type MarkerReading =
  | { kind: 'missing' }
  | { kind: 'foreign'; reason: string }
  | { kind: 'valid'; marker: DestinationMarker };

/**
 * Reads a destination's marker without blocking the event loop: a drive or share that stops
 * answering holds up only a thread of the pool. The folder may have been written by anyone
 * (another laptop, another program), so the content is validated, never trusted.
 */
export async function readMarkerAsync(folder: string): Promise<MarkerReading> {
  let text: string;
  try {
    text = await readFile(join(folder, markerFileName), 'utf8');
  } catch (error) {
    return unreadableMarker(error);
  }
  return parseMarker(text);
}

function unreadableMarker(error: unknown): MarkerReading {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
  return { kind: 'foreign', reason: (error as Error).message };
}

function parseMarker(text: string): MarkerReading {
  try {
    const parsed = markerSchema.safeParse(JSON.parse(text));
    return parsed.success ? { kind: 'valid', marker: parsed.data } : { kind: 'foreign', reason: 'not a Dormouse destination marker' };
  } catch {
    return { kind: 'foreign', reason: 'not valid JSON' };
  }
}

/** Marker files are a few hundred bytes: anything far larger is not Dormouse's, and is not read into memory. */
const maxMarkerBytes = 64 * 1024;

/**
 * Reads a destination's marker through its storage (a folder's file, an S3 destination's object).
 * Failures to reach the destination (an S3 endpoint that refuses the keys, a missing bucket) are
 * thrown, so the caller can say why; a marker that is not there, or not Dormouse's, is a reading.
 */
export async function readMarkerFrom(storage: DestinationStorage): Promise<MarkerReading> {
  if (storage.kind === 'folder') return readMarkerAsync(storage.location);
  const read = await storage.readSmall(markerFileName, maxMarkerBytes);
  if (read === 'missing') return { kind: 'missing' };
  if (read === 'too-large') return { kind: 'foreign', reason: 'far larger than a Dormouse destination marker' };
  return parseMarker(read.toString('utf8'));
}

/** Writes a new marker with a fresh id through a destination's storage (one PUT on S3: whole or not at all). */
export async function writeMarkerTo(storage: DestinationStorage, name: string, now: Date = new Date()): Promise<DestinationMarker> {
  if (storage.kind === 'folder') return writeMarkerAsync(storage.location, name, now);
  const marker: DestinationMarker = { dormouse: 'destination', format: 1, id: randomUUID(), name, createdAt: now.toISOString() };
  await storage.writeSmall(markerFileName, `${JSON.stringify(marker, null, 2)}\n`);
  return marker;
}

/**
 * Writes a new marker with a fresh id into a folder (0600, via a temporary file and a rename),
 * so that the folder can later be told apart from an empty mount point. Off the event loop: the
 * folder may be a share.
 */
export async function writeMarkerAsync(folder: string, name: string, now: Date = new Date()): Promise<DestinationMarker> {
  const marker: DestinationMarker = { dormouse: 'destination', format: 1, id: randomUUID(), name, createdAt: now.toISOString() };
  try {
    await writeFileAtomically(join(folder, markerFileName), `${JSON.stringify(marker, null, 2)}\n`);
  } catch (error) {
    throw new DormouseError('INVALID_INPUT', `cannot write the destination marker into ${folder} (${(error as Error).message}); choose a folder you can write to`);
  }
  return marker;
}

/** Removes a marker this process has just written, when recording the destination failed afterwards. */
export async function removeMarkerAsync(folder: string): Promise<void> {
  await removeQuietlyAsync(join(folder, markerFileName));
}

/** Free bytes for an unprivileged writer on the file system that holds a folder (read without blocking the event loop). */
export async function freeBytes(folder: string): Promise<number> {
  const stats = await statfs(folder);
  return Number(stats.bavail) * Number(stats.bsize);
}
