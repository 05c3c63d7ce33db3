/**
 * The one order Dormouse keeps entries in: a folder before what it holds, names sorted by UTF-16
 * code unit within a folder. It is the order the walk meets entries, the order they are written
 * to the archive and the manifest, and the order a chain of manifests is merged in, so an
 * incremental compares the tree with its base, and a listing reads a chain, as streams side by
 * side without holding either in memory.
 */
export function comparePaths(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index += 1) {
    const x = a.charCodeAt(index);
    const y = b.charCodeAt(index);
    if (x === y) continue;
    // A separator sorts before every other character: "a/b" (inside a) before "a.c".
    if (x === 0x2f) return -1;
    if (y === 0x2f) return 1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Whether the entry name `path` is `folder` itself or anything inside it. For entry names as the
 * archive stores them (no leading slash, `/` always the separator, never `..`), compared as they are
 * on every line of a listing; file-system paths use isSameOrInside in common/files.ts.
 */
export function isSameOrBelow(path: string, folder: string): boolean {
  return path === folder || (path.length > folder.length && path.charCodeAt(folder.length) === 0x2f && path.startsWith(folder));
}

/** A path as the manifest holds it: no slash at either end ("/home/ana/" → "home/ana"). */
export function manifestPath(path: string): string {
  return path.replace(/^\/+/, '').replace(/\/+$/, '');
}
