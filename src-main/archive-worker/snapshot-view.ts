import { posix } from 'node:path';
import { DormouseError } from '../../shared/errors';
import type { ManifestEntry } from './archive-manifest';
import { noKeys, type ArchiveKeys } from './archive-file';
import { openManifest, type ManifestReader } from './manifest-reader';
import type { ManifestLine } from './manifest-writer';
import { comparePaths, isSameOrBelow, manifestPath } from './path-order';

/** An archive of a chain and its snapshot's id, newest first. */
interface ChainArchive {
  id: string;
  reader: ManifestReader & { close(): void };
}

/**
 * A snapshot's whole file list, read from the manifests of its chain: its own archive's, then its
 * base's and so on back to a manifest that lists everything (a full snapshot, or a format 1 or 2
 * one). Entries stream in path order, newest first for each path; an entry held by an earlier
 * archive names that snapshot in `archive`, as format 2 manifests did.
 */
export class SnapshotView {
  private constructor(
    private readonly chain: ChainArchive[],
    /** Why the chain is cut short (an opened `partial` view whose earlier archive is missing), else null. */
    readonly missing: string | null,
  ) {}

  /**
   * Opens the chain of the snapshot whose archive is `archivePath`; `archives` maps snapshot ids to
   * archive paths. With `partial`, an earlier archive that is missing (not on the destination, or
   * not in the catalog) cuts the chain short instead of failing: the view then holds what the newer
   * archives list, and `missing` says what is not there, so a restore can still give back those.
   * `keys` open encrypted archives (the identity, or local manifest copies for a backup).
   */
  static open(archivePath: string, archives: Readonly<Record<string, string>>, options: { partial?: boolean; keys?: ArchiveKeys } = {}): SnapshotView {
    const keys = options.keys ?? noKeys;
    const chain: ChainArchive[] = [];
    let missing: string | null = null;
    try {
      let reader = openManifest(archivePath, keys);
      chain.push({ id: reader.header.snapshot.id, reader });
      while (!reader.complete) {
        const baseId = reader.header.snapshot.baseId;
        const basePath = baseId === null ? undefined : archives[baseId];
        if (baseId === null) throw new DormouseError('INVALID_INPUT', `${reader.archivePath} is an incremental without a base; verify it`);
        if (chain.some((link) => link.id === baseId)) throw new DormouseError('INVALID_INPUT', `the chain of ${archivePath} loops back on itself; verify it`);
        try {
          if (basePath === undefined) throw new DormouseError('NOT_FOUND', `snapshot ${reader.header.snapshot.id} is an incremental whose base snapshot ${baseId} is not in the catalog; import its destination`);
          reader = openManifest(basePath, keys);
        } catch (error) {
          if (!options.partial || !(error instanceof DormouseError) || error.code !== 'NOT_FOUND') throw error;
          missing = basePath === undefined ? error.message : `the archive ${basePath} that lists the rest of this snapshot's files is missing; connect its destination`;
          break;
        }
        if (reader.header.snapshot.id !== baseId) {
          reader.close();
          throw new DormouseError('INVALID_INPUT', `${basePath} holds snapshot ${reader.header.snapshot.id}, not ${baseId}; verify it`);
        }
        chain.push({ id: baseId, reader });
      }
    } catch (error) {
      for (const link of chain) link.reader.close();
      throw error;
    }
    return new SnapshotView(chain, missing);
  }

  /** The snapshot's own manifest. */
  get own(): ManifestReader {
    return (this.chain[0] as ChainArchive).reader;
  }

  /** The sources' own entries, from the index where the format has one. */
  top(): ManifestEntry[] {
    if (this.own.top !== null) return this.own.top;
    const roots = new Set(this.own.header.snapshot.sources.map(manifestPath));
    const found: ManifestEntry[] = [];
    for (const entry of this.entries()) if (roots.has(entry.path)) found.push(entry);
    return found;
  }

  /** The entry at `path` in the snapshot, or undefined. */
  lookUp(path: string): ManifestEntry | undefined {
    const first = this.entries(path).next().value;
    return first?.path === path ? first : undefined;
  }

  /**
   * Where a path that is not in the snapshot may have been meant: the same path under one of the
   * folders that were backed up ("Documents/a.txt" for "/home/ana/Documents/a.txt" when the source
   * was /home/ana), as `/…`, when exactly one of them holds it; else null.
   */
  meant(path: string): string | null {
    const relative = manifestPath(path);
    if (relative === '') return null;
    const holders: string[] = [];
    for (const source of this.own.header.snapshot.sources) {
      const root = manifestPath(source);
      const candidate = root === '' ? relative : `${root}/${relative}`;
      if (candidate !== relative && this.lookUp(candidate) !== undefined) holders.push(`/${candidate}`);
      // A source's own name given first ("Documents/a.txt" for the source /home/ana/Documents).
      const parent = posix.dirname(root);
      const underParent = parent === '.' ? relative : `${parent}/${relative}`;
      if (underParent !== relative && underParent !== candidate && isSameOrBelow(underParent, root) && this.lookUp(underParent) !== undefined) holders.push(`/${underParent}`);
    }
    const unique = [...new Set(holders)];
    return unique.length === 1 ? (unique[0] as string) : null;
  }

  /**
   * The snapshot's entries in path order, from `from` on when given: the chain's manifests merged
   * as they are read, so no more than one gzip member of each is in memory. The streams wait in a
   * heap ordered by their next path (chainMerge), so each entry costs a few path comparisons
   * however long the chain has grown (up to a schedule's incrementalsPerFull).
   */
  *entries(from?: string): Generator<ManifestEntry, void, void> {
    const streams = this.chain.map((link, index): MergeStream => ({ id: link.id, rank: index, lines: link.reader.lines(from), head: null }));
    for (const { line, stream } of chainMerge(streams)) {
      if ('deleted' in line) continue;
      yield stream.rank === 0 || line.archive !== undefined ? line : { ...line, archive: stream.id };
    }
  }

  /**
   * The paths the snapshot's hardlinks name as their file, read without parsing every line (see
   * ManifestReader.linkTargets): possibly a few more (lines a newer archive of the chain replaced), never fewer.
   */
  linkTargets(): Set<string> {
    const targets = new Set<string>();
    for (const link of this.chain) for (const target of link.reader.linkTargets()) targets.add(target);
    return targets;
  }

  close(): void {
    for (const link of this.chain) link.reader.close();
  }
}

/** One archive's manifest lines in a chain merge; `rank` is its place in the chain, 0 the newest. */
interface MergeStream {
  id: string;
  rank: number;
  lines: Generator<ManifestLine, void, void>;
  head: ManifestLine | null;
}

/** Whether stream a's next line comes before b's: by path, then the newer archive first. */
function before(a: MergeStream, b: MergeStream): boolean {
  const order = comparePaths((a.head as ManifestLine).path, (b.head as ManifestLine).path);
  return order < 0 || (order === 0 && a.rank < b.rank);
}

/** Restores the heap order below `at` (a binary min-heap of streams by `before`). */
function siftDown(heap: MergeStream[], at: number): void {
  const item = heap[at] as MergeStream;
  for (;;) {
    const left = 2 * at + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const child = right < heap.length && before(heap[right] as MergeStream, heap[left] as MergeStream) ? right : left;
    if (!before(heap[child] as MergeStream, item)) break;
    heap[at] = heap[child] as MergeStream;
    at = child;
  }
  heap[at] = item;
}

/**
 * Merges the manifests of a chain, each in path order: every path once, with the line of the
 * newest archive that has it (older archives' lines for that path are passed over). A heap keeps
 * the streams by their next path, so a line costs O(log chain) comparisons.
 */
function* chainMerge(streams: MergeStream[]): Generator<{ line: ManifestLine; stream: MergeStream }, void, void> {
  const heap: MergeStream[] = [];
  for (const stream of streams) {
    stream.head = stream.lines.next().value ?? null;
    if (stream.head) heap.push(stream);
  }
  for (let at = (heap.length >> 1) - 1; at >= 0; at -= 1) siftDown(heap, at);
  /** Moves the heap's first stream on to its next line, dropping it when it has none. */
  const advance = () => {
    const first = heap[0] as MergeStream;
    first.head = first.lines.next().value ?? null;
    if (first.head === null) {
      const last = heap.pop() as MergeStream;
      if (heap.length === 0) return;
      heap[0] = last;
    }
    siftDown(heap, 0);
  };
  while (heap.length > 0) {
    const stream = heap[0] as MergeStream;
    const line = stream.head as ManifestLine;
    advance();
    while (heap.length > 0 && (heap[0] as MergeStream).head?.path === line.path) advance();
    yield { line, stream };
  }
}
