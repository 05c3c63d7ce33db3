import { DormouseError } from '../../shared/errors';
import type { ManifestEntry } from './archive-manifest';
import { noKeys, type ArchiveKeys } from './archive-file';
import { openManifest, type ManifestReader } from './manifest-reader';
import type { ManifestLine } from './manifest-writer';
import { comparePaths } from './path-order';

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
    const roots = new Set(this.own.header.snapshot.sources.map((source) => source.replace(/^\/+/, '').replace(/\/+$/, '')));
    const found: ManifestEntry[] = [];
    for (const entry of this.entries()) if (roots.has(entry.path)) found.push(entry);
    return found;
  }

  /**
   * The snapshot's entries in path order, from `from` on when given: the chain's manifests merged
   * as they are read, so no more than one gzip member of each is in memory.
   */
  *entries(from?: string): Generator<ManifestEntry, void, void> {
    const streams = this.chain.map((link, index) => ({ id: link.id, newest: index === 0, lines: link.reader.lines(from), head: null as ManifestLine | null }));
    for (const stream of streams) stream.head = stream.lines.next().value ?? null;
    for (;;) {
      let path: string | null = null;
      for (const stream of streams) if (stream.head && (path === null || comparePaths(stream.head.path, path) < 0)) path = stream.head.path;
      if (path === null) return;
      let chosen: { line: ManifestLine; id: string; newest: boolean } | null = null;
      for (const stream of streams) {
        if (stream.head?.path !== path) continue;
        chosen ??= { line: stream.head, id: stream.id, newest: stream.newest };
        stream.head = stream.lines.next().value ?? null;
      }
      const line = chosen?.line;
      if (!line || 'deleted' in line) continue;
      yield chosen?.newest || line.archive !== undefined ? line : { ...line, archive: chosen?.id };
    }
  }

  close(): void {
    for (const link of this.chain) link.reader.close();
  }
}
