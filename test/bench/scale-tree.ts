import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What the scale bench's tree holds, derived from its file count alone. */
export interface ScaleTreeShape {
  /** Files of 1–4 KiB: 90% in `node_modules`-like trees of many small folders, 10% in projects' `src` folders. */
  smallFiles: number;
  /** Files of 256 KiB–2 MiB (photos, archives), one per 2,000 files. */
  largeFiles: number;
}

/** What was made (or found) on disk, as the stamp file records it. */
export interface ScaleTree {
  /** The folder that is backed up. */
  source: string;
  files: number;
  bytes: number;
  folders: number;
  /** How long making the tree took, in milliseconds (when it was made, not when it was reused). */
  generationMs: number;
  reused: boolean;
}

/** Files per leaf folder in the `node_modules`-like trees, as in a typical package. */
const filesPerFolder = 12;
/** Leaf folders of one package (each made with its parents). */
const packageFolders = ['lib', 'lib/internal', 'dist/esm', 'src'];
/** The bytes every small file is cut from; each file starts at its own offset, so no two are alike. */
const poolBytes = 32 * 1024 * 1024;

export function scaleTreeShape(files: number): ScaleTreeShape {
  const largeFiles = Math.max(1, Math.round(files / 2000));
  return { smallFiles: Math.max(0, files - largeFiles), largeFiles };
}

/** The size of small file `index`: 1–4 KiB, spread evenly. */
function smallFileSize(index: number): number {
  return 1024 + ((index * 7919) % 3073);
}

/** The size of large file `index`: 256 KiB–2 MiB. */
function largeFileSize(index: number): number {
  return 256 * 1024 + ((index * 104_729) % (1792 * 1024));
}

/** Roughly what the tree takes on disk (a small file takes a whole 4 KiB block), for the free-space check. */
export function scaleTreeDiskBytes(shape: ScaleTreeShape): number {
  return shape.smallFiles * 4096 + shape.largeFiles * 1152 * 1024 + Math.ceil(shape.smallFiles / filesPerFolder) * 2 * 4096;
}

/** Roughly the tree's content bytes (a tar of it is this plus 512 bytes of header and padding per file). */
export function scaleTreeContentBytes(shape: ScaleTreeShape): number {
  return shape.smallFiles * 2560 + shape.largeFiles * 1152 * 1024;
}

/** Where small file `index` of `smallFiles` goes, below the tree's `home` folder. */
function smallFilePath(index: number, smallFiles: number): string {
  const inModules = Math.floor(smallFiles * 0.9);
  const projects = Math.max(1, Math.ceil(smallFiles / 125_000));
  if (index < inModules) {
    const folder = Math.floor(index / filesPerFolder);
    const pkg = Math.floor(folder / packageFolders.length);
    return join('code', `project-${pkg % projects}`, 'node_modules', `pkg-${pkg}`, packageFolders[folder % packageFolders.length] as string, `file-${index % filesPerFolder}.js`);
  }
  const local = index - inModules;
  const folder = Math.floor(local / filesPerFolder);
  return join('code', `project-${folder % projects}`, 'src', `module-${Math.floor(folder / 8)}`, `part-${folder % 8}`, `file-${local % filesPerFolder}.ts`);
}

/**
 * Makes (once, then reuses) a developer's home folder of `files` files below `root`/home: many small
 * files in nested `node_modules`-like folders and projects' sources, and a few larger files. The
 * content is random (no tool gains from compressing it or from finding two files alike). A stamp
 * file written last says the tree is whole; a tree without it (an interrupted run) is made again.
 */
export function ensureScaleTree(root: string, files: number, log: (line: string) => void): ScaleTree {
  const shape = scaleTreeShape(files);
  const stamp = join(root, '.scale-tree.json');
  const source = join(root, 'home');
  if (existsSync(stamp)) {
    const recorded = JSON.parse(readFileSync(stamp, 'utf8')) as { shape: ScaleTreeShape } & Omit<ScaleTree, 'source' | 'reused'>;
    if (recorded.shape.smallFiles === shape.smallFiles && recorded.shape.largeFiles === shape.largeFiles) {
      return { source, files: recorded.files, bytes: recorded.bytes, folders: recorded.folders, generationMs: recorded.generationMs, reused: true };
    }
  }
  rmSync(source, { recursive: true, force: true });
  rmSync(stamp, { force: true });
  const started = performance.now();
  const pool = randomBytes(poolBytes);
  let bytes = 0;
  const made = new Set<string>([source]);
  const makeFolder = (folder: string) => {
    if (made.has(folder)) return;
    mkdirSync(folder, { recursive: true });
    for (let above = folder; !made.has(above); above = dirname(above)) made.add(above);
  };
  for (let index = 0; index < shape.smallFiles; index += 1) {
    const path = join(source, smallFilePath(index, shape.smallFiles));
    makeFolder(dirname(path));
    const size = smallFileSize(index);
    const offset = (index * 40_961) % (poolBytes - size);
    writeFileSync(path, pool.subarray(offset, offset + size));
    bytes += size;
    if (index > 0 && index % 100_000 === 0) log(`${index.toLocaleString('en')} files, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  for (let index = 0; index < shape.largeFiles; index += 1) {
    const folder = join(source, 'Pictures', `album-${index % 10}`);
    makeFolder(folder);
    const size = largeFileSize(index);
    writeFileSync(join(folder, `photo-${index}.jpg`), randomBytes(size));
    bytes += size;
  }
  const generationMs = performance.now() - started;
  const tree = { files: shape.smallFiles + shape.largeFiles, bytes, folders: made.size, generationMs };
  writeFileSync(stamp, JSON.stringify({ shape, ...tree }));
  return { source, ...tree, reused: false };
}

/** A file in the middle of the tree, deep in a `node_modules` folder: what a one-file restore fetches. */
export function scaleTreeSampleFile(source: string, files: number): string {
  const { smallFiles } = scaleTreeShape(files);
  return join(source, smallFilePath(Math.floor(smallFiles / 2), smallFiles));
}
