// The one-file restore benches' source (from a folder destination and from S3): a 1 GiB tree of
// incompressible bytes whose one small file sorts last, so its bytes lie past the archive's first
// GiB. Dense files, not holes (a sparse file is stored as its map), so the archive really is 1 GiB.
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** What the tree holds: its folder, the small file to restore, and its bytes in all. */
export interface LargeTree {
  source: string;
  smallFile: string;
  bytes: number;
}

const MiB = 1024 * 1024;

/** Makes the tree in `folder` (four files of 256 MiB of random bytes, then `zz-small.txt`). */
export function makeLargeTree(folder: string): LargeTree {
  const source = join(folder, 'large');
  mkdirSync(source, { recursive: true });
  const piece = 16 * MiB;
  let bytes = 0;
  for (let index = 0; index < 4; index += 1) {
    const fd = openSync(join(source, `big-${index}.bin`), 'w');
    try {
      for (let written = 0; written < 256 * MiB; written += piece) bytes += writeSync(fd, randomBytes(piece));
    } finally {
      closeSync(fd);
    }
  }
  const smallFile = join(source, 'zz-small.txt');
  const small = 'the one small file\n';
  writeFileSync(smallFile, small);
  return { source, smallFile, bytes: bytes + small.length };
}
