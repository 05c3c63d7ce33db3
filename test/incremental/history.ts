import assert from 'node:assert/strict';
import { mkdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { day, expectedTree, noise, put, type Bench, type Snapshot } from './incremental-kit';

/**
 * The history the restore and catalog tests share, three snapshots of one source folder:
 *   1 (full):        a(v1), b(v1), docs/c
 *   2 (incremental): a(v2), docs/c, d          (a modified, b deleted, d added)
 *   3 (incremental): a(v3), b(v3), docs/c, d   (a modified again, b re-created with new content)
 * c never changes (1.5 MB, so a gzip archive holds it across more than one 1 MiB member), so every
 * snapshot reads it from the full archive; d is held by snapshot 2's archive only.
 */
export const content = {
  a1: 'a, version one\n',
  a2: 'a, version two: longer than the first\n',
  a3: 'a3\n',
  b1: 'b as it was at first\n',
  b3: 'b re-created, with different content\n',
  c: noise(1_500_000, 11),
  d: noise(40_000, 12),
};

export const mtimes = { a1: day(1), b1: day(2), c: day(3), a2: day(10), d: day(11), a3: day(20), b3: day(21) };

/** The trees of the three moments, relative to the source folder. */
export const trees = [
  expectedTree({ 'a.txt': content.a1, 'b.txt': content.b1, docs: 'dir', 'docs/c.bin': content.c }),
  expectedTree({ 'a.txt': content.a2, docs: 'dir', 'docs/c.bin': content.c, 'd.bin': content.d }),
  expectedTree({ 'a.txt': content.a3, 'b.txt': content.b3, docs: 'dir', 'docs/c.bin': content.c, 'd.bin': content.d }),
];

/** What `dormouse ls` (recursively) shows at each moment: path → type[:size]. */
export const listings = [
  new Map([
    ['a.txt', `file:${content.a1.length}`],
    ['b.txt', `file:${content.b1.length}`],
    ['docs', 'directory'],
    ['docs/c.bin', `file:${content.c.length}`],
  ]),
  new Map([
    ['a.txt', `file:${content.a2.length}`],
    ['d.bin', `file:${content.d.length}`],
    ['docs', 'directory'],
    ['docs/c.bin', `file:${content.c.length}`],
  ]),
  new Map([
    ['a.txt', `file:${content.a3.length}`],
    ['b.txt', `file:${content.b3.length}`],
    ['d.bin', `file:${content.d.length}`],
    ['docs', 'directory'],
    ['docs/c.bin', `file:${content.c.length}`],
  ]),
];

/** The mtime each file has at each moment. */
export const fileMtimes: Record<string, Date>[] = [
  { 'a.txt': mtimes.a1, 'b.txt': mtimes.b1, 'docs/c.bin': mtimes.c },
  { 'a.txt': mtimes.a2, 'docs/c.bin': mtimes.c, 'd.bin': mtimes.d },
  { 'a.txt': mtimes.a3, 'b.txt': mtimes.b3, 'docs/c.bin': mtimes.c, 'd.bin': mtimes.d },
];

/**
 * Makes the three snapshots with the bench's schedule "S"; `between` runs before snapshots 2 and 3
 * (to change the schedule's compression midway, say). Returns them oldest first.
 */
export function buildHistory(b: Bench, between: (next: 2 | 3) => void = () => {}): [Snapshot, Snapshot, Snapshot] {
  mkdirSync(join(b.src, 'docs'));
  put(join(b.src, 'a.txt'), content.a1, mtimes.a1);
  put(join(b.src, 'b.txt'), content.b1, mtimes.b1);
  put(join(b.src, 'docs', 'c.bin'), content.c, mtimes.c);
  const s1 = b.backup().snapshot;

  put(join(b.src, 'a.txt'), content.a2, mtimes.a2);
  unlinkSync(join(b.src, 'b.txt'));
  put(join(b.src, 'd.bin'), content.d, mtimes.d);
  between(2);
  const s2 = b.backup().snapshot;

  put(join(b.src, 'a.txt'), content.a3, mtimes.a3);
  put(join(b.src, 'b.txt'), content.b3, mtimes.b3);
  between(3);
  const s3 = b.backup().snapshot;

  assert.deepEqual(
    [s1, s2, s3].map((snapshot) => [snapshot.kind, snapshot.baseId]),
    [
      ['full', null],
      ['incremental', s1.id],
      ['incremental', s2.id],
    ],
    'the history is one chain: full, then two incrementals',
  );
  return [s1, s2, s3];
}
