// The scale bench's changes to a tree: 1% of its files edited in place with new bytes, chosen
// deterministically, so every tool backs up the same real change (a deduplicating tool cannot find a
// touched file unchanged). The trees are made once and reused, so the edits stay in them.
import { randomBytes } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { size } from './scale-measure';

/** Files up to this size are rewritten whole; a larger one gets one block of new bytes in place. */
const wholeRewriteBytes = 1024 * 1024;
/** The block written into a larger file (a photo's edited region, a disk image's written block). */
const blockBytes = 64 * 1024;

/** One 1% change: which files, and how many new bytes they got. */
export interface TreeChange {
  /** Where in each hundred files of the sorted list the chosen one sits (0–99). */
  offset: number;
  files: number;
  bytes: number;
}

/** Every regular file below `root`, sorted by path: the order the changes count in. */
export function listTreeFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.push(path);
    }
  };
  walk(root);
  return files.sort();
}

/**
 * Edits 1% of `files` in place: every 100th one, starting at `offset` (mod 100), so successive offsets
 * hit different files and the same offset hits the same files again. A file of up to 1 MiB is
 * rewritten whole with new random bytes of the same size; a larger one gets 64 KiB of them at a
 * place that moves with the offset. Sizes stay the same; mtime and ctime move, as after an edit.
 */
export function changeOnePercent(files: string[], offset: number): TreeChange {
  const start = ((offset % 100) + 100) % 100;
  let changed = 0;
  let bytes = 0;
  for (let index = start; index < files.length; index += 100) {
    const file = files[index] as string;
    const fileSize = lstatSync(file).size;
    const length = fileSize <= wholeRewriteBytes ? fileSize : blockBytes;
    const position = fileSize <= wholeRewriteBytes ? 0 : ((offset + 1) * 1_048_573) % (fileSize - blockBytes);
    const fd = openSync(file, 'r+');
    try {
      writeSync(fd, randomBytes(length), 0, length, position);
    } finally {
      closeSync(fd);
    }
    changed += 1;
    bytes += length;
  }
  return { offset: start, files: changed, bytes };
}

/** How a change is described in the table. */
export function changeText(change: TreeChange): string {
  return `${change.files.toLocaleString('en')} files (every 100th from #${change.offset} in sorted order), ${size(change.bytes)} of new bytes`;
}
