import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readFileSync, writeFileSync, truncateSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';

/** The shape of the benchmark's source tree: many small files and a few large ones. */
export interface BenchTreeShape {
  smallFiles: number;
  largeFiles: number;
  largeFileBytes: number;
  /** What a real home folder also holds (#14's cost): hardlinks, files with extended attributes, one sparse disk image. */
  hardlinks: number;
  xattrFiles: number;
  sparseBytes: number;
}

export const defaultShape: BenchTreeShape = { smallFiles: 20_000, largeFiles: 3, largeFileBytes: 50 * 1024 * 1024, hardlinks: 20, xattrFiles: 200, sparseBytes: 1024 * 1024 * 1024 };

/** A deterministic pseudo-random byte source, so the tree is the same on every machine and run. */
function fillRandom(buffer: Buffer, seed: number): void {
  let state = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= buffer.length; i += 4) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    buffer.writeUInt32LE(state >>> 0, i);
  }
}

/**
 * Makes (once, then reuses) the benchmark tree: about 20,000 small files of 1–64 KB in nested
 * folders and a few large files, around 800 MB in all, plus hardlinks, extended attributes and a
 * sparse 1 GiB disk image with 16 KiB of data.
 */
export function ensureBenchTree(root: string, shape: BenchTreeShape = defaultShape): { root: string; files: number; bytes: number } {
  const stamp = join(root, '.bench-tree.json');
  const wanted = JSON.stringify(shape);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').startsWith(wanted)) {
    const info = JSON.parse(readFileSync(stamp, 'utf8').slice(wanted.length)) as { files: number; bytes: number };
    return { root, ...info };
  }
  const tree = join(root, 'home');
  let bytes = 0;
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < shape.smallFiles; i += 1) {
    const folder = join(tree, `project-${i % 40}`, `folder-${Math.floor(i / 40) % 25}`);
    if (i < 1000) mkdirSync(folder, { recursive: true });
    const size = 1024 + ((i * 7919) % (63 * 1024));
    fillRandom(chunk, i + 1);
    writeFileSync(join(folder, `file-${i}.dat`), chunk.subarray(0, size));
    bytes += size;
  }
  const large = Buffer.alloc(shape.largeFileBytes);
  for (let i = 0; i < shape.largeFiles; i += 1) {
    fillRandom(large, 1_000_003 * (i + 1));
    mkdirSync(join(tree, 'media'), { recursive: true });
    writeFileSync(join(tree, 'media', `video-${i}.bin`), large);
    bytes += large.length;
  }
  mkdirSync(join(tree, 'links'), { recursive: true });
  for (let i = 0; i < shape.hardlinks; i += 1) linkSync(join(tree, `project-${i % 40}`, `folder-0`, `file-${i}.dat`), join(tree, 'links', `link-${i}.dat`));
  for (let i = 0; i < shape.xattrFiles; i += 1) {
    const file = join(tree, `project-${i % 40}`, `folder-${Math.floor(i / 40) % 25}`, `file-${i}.dat`);
    spawnSync('setfattr', ['-n', 'user.origin', '-v', `bench-${i}`, file]);
  }
  if (shape.sparseBytes > 0) {
    const image = join(tree, 'media', 'disk.img');
    writeFileSync(image, '');
    truncateSync(image, shape.sparseBytes);
    const fd = openSync(image, 'r+');
    const island = Buffer.alloc(16 * 1024);
    fillRandom(island, 77);
    writeSync(fd, island, 0, island.length, Math.floor(shape.sparseBytes / 2));
    closeSync(fd);
  }
  const files = shape.smallFiles + shape.largeFiles + shape.hardlinks + (shape.sparseBytes > 0 ? 1 : 0);
  writeFileSync(stamp, wanted + JSON.stringify({ files, bytes }));
  return { root, files, bytes };
}
