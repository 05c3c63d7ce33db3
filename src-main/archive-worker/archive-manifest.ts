// zod/mini: the archive worker starts for every backup, and the full zod is most of its bundle.
import * as z from 'zod/mini';

/**
 * The archive format Dormouse writes. Each archive is a plain tar (optionally gzip) whose last
 * entries are its own manifest, its index and a fixed-size trailer, so a snapshot can be listed,
 * verified, restored and re-imported from the destination alone:
 *
 *   <source entries…> .dormouse/manifest.jsonl.gz  .dormouse/index.json  .dormouse/trailer.json  <end-of-archive blocks>
 *
 * Format 3's manifest is JSON lines, gzip-compressed as a series of gzip members of a few thousand
 * lines each (`zcat` reads it whole): a header line, then one line per entry in the order of
 * path-order.ts. A full snapshot lists every entry; an incremental lists only what it stores (what
 * changed, and the folders above it) and `{"path":…,"deleted":true}` for what is gone since its
 * base, so a snapshot's file list is its chain's manifests merged, newest first. The index says
 * where each member starts and the first path in it (so a listing or a one-file restore reads only
 * the members it needs), the snapshot's totals, and its sources' own entries (a top-level listing).
 * Formats 1 and 2 kept one JSON object listing every entry (`.dormouse/manifest.json`); they are
 * still read. Format 4 is format 3 with each file's content hash XXH3-128 (`xxh128`) instead of
 * SHA-256 (content-hash.ts): an older Dormouse, which would find no hash it knows and could not
 * check the files it restores, refuses it by its number.
 *
 * The trailer's content is exactly 512 bytes of space-padded JSON, and it is followed by exactly
 * two zero blocks; in a gzip archive the trailer and end blocks form the last gzip member, stored
 * uncompressed. So the trailer is found at a fixed distance from the end of the file, and it says
 * where the manifest starts.
 */
export const archiveFormatVersion = 4;
/** Formats 1 and 2: the manifest as one JSON object. */
export const manifestEntryName = '.dormouse/manifest.json';
/** Formats 3 and 4: the manifest as gzip-compressed JSON lines, and its index. */
export const manifestLinesEntryName = '.dormouse/manifest.jsonl.gz';
export const indexEntryName = '.dormouse/index.json';
export const trailerEntryName = '.dormouse/trailer.json';
export const blockSize = 512;
/** Header, content and the two end-of-archive blocks: what follows the manifest entry. */
export const trailerTailBytes = 4 * blockSize;

/** Format 2 adds `hardlink` (another name of a file this archive holds: `linkTarget` is the name holding the data) and `fifo`. */
export const entryTypeSchema = z.enum(['file', 'directory', 'symlink', 'hardlink', 'fifo']);
export type EntryType = z.infer<typeof entryTypeSchema>;

/** One entry of a snapshot: what a listing shows and where its tar header starts. */
export const manifestEntrySchema = z.strictObject({
  path: z.string().check(z.minLength(1)),
  type: entryTypeSchema,
  size: z.int().check(z.nonnegative()),
  mtimeMs: z.number(),
  mode: z.int().check(z.nonnegative()),
  /** Byte offset of the entry's first header block (a PAX header when there is one) in the uncompressed tar. */
  offset: z.int().check(z.nonnegative()),
  linkTarget: z.optional(z.string()),
  /** Format 2: the modification time in nanoseconds since the epoch, as a decimal string (negative before 1970); `mtimeMs` is kept for listings. */
  mtimeNs: z.optional(z.string().check(z.regex(/^-?\d{1,30}$/))),
  /** Format 2: the owner and group, by number and by name (empty when the system had no name for it). */
  uid: z.optional(z.int().check(z.nonnegative())),
  gid: z.optional(z.int().check(z.nonnegative())),
  user: z.optional(z.string()),
  group: z.optional(z.string()),
  /** Formats 2 and 3 (and 4 where the native addon was missing): the SHA-256 of a file's content, checked when it is restored or verified. */
  sha256: z.optional(z.string().check(z.regex(/^[0-9a-f]{64}$/))),
  /** Format 4: the XXH3-128 of a file's content (as `xxh128sum` prints it), checked when it is restored or verified (content-hash.ts). */
  xxh128: z.optional(z.string().check(z.regex(/^[0-9a-f]{32}$/))),
  /** Format 2: the entry's PAX header holds extended attributes or ACLs (`SCHILY.xattr.*`, `SCHILY.acl.*`), which a restore reads there. */
  attributes: z.optional(z.boolean()),
  /** Format 2: a sparse file, stored as GNU sparse 1.0: its map and data segments, `size` being its full size. */
  sparse: z.optional(z.boolean()),
  /** Inode and change time, which the next incremental backup compares to find changed files. */
  ino: z.optional(z.number().check(z.nonnegative())),
  ctimeMs: z.optional(z.number()),
  /**
   * In an incremental snapshot, the id of the earlier snapshot whose archive holds this entry
   * (unchanged since then), `offset` being its place in that archive; absent when this archive holds it.
   */
  archive: z.optional(z.string().check(z.minLength(1))),
});
export type ManifestEntry = z.infer<typeof manifestEntrySchema>;

/** Where each gzip member starts, in the compressed file and in the tar it holds, so a reader can seek. */
export const gzipMemberSchema = z.strictObject({ compressedOffset: z.int().check(z.nonnegative()), tarOffset: z.int().check(z.nonnegative()) });

/** Which snapshot an archive holds: its own id, its schedule, when, and (for incrementals) its base. */
export const snapshotIdentitySchema = z.strictObject({
  id: z.string().check(z.minLength(1)),
  scheduleName: z.string(),
  createdAt: z.string(),
  kind: z.enum(['full', 'incremental']),
  baseId: z.nullable(z.string()),
  /** The machine that made it (a stable id kept in its catalog, and its hostname): chains and retention never cross machines. Absent in archives made before machines were told apart. */
  machine: z.optional(z.strictObject({ id: z.string().check(z.minLength(1)), name: z.string() })),
});

/** What a manifest says of its snapshot: who made it when, how it is compressed, what was backed up and left out. */
const snapshotHeaderSchema = z.extend(snapshotIdentitySchema, {
  compression: z.enum(['none', 'gzip']),
  sources: z.array(z.string()),
  excludes: z.array(z.string()),
});

export const manifestSchema = z.strictObject({
  dormouse: z.literal('manifest'),
  format: z.int().check(z.positive()),
  snapshot: snapshotHeaderSchema,
  entries: z.array(manifestEntrySchema),
  gzipMembers: z.optional(z.array(gzipMemberSchema)),
});
export type ArchiveManifest = z.infer<typeof manifestSchema>;

/** Format 3: the first line of the manifest. */
export const manifestHeaderSchema = z.strictObject({
  dormouse: z.literal('manifest'),
  format: z.int().check(z.positive()),
  snapshot: snapshotHeaderSchema,
});
export type ManifestHeader = z.infer<typeof manifestHeaderSchema>;

/** Format 3: one gzip member of the manifest: where it starts in the manifest's bytes, its length, its line count and its first entry's path. */
export const manifestMemberSchema = z.tuple([z.int().check(z.nonnegative()), z.int().check(z.positive()), z.int().check(z.positive()), z.string()]);

/** Format 3: the index of an archive's manifest (`.dormouse/index.json`). */
export const manifestIndexSchema = z.strictObject({
  dormouse: z.literal('index'),
  format: z.int().check(z.positive()),
  /** The members holding entry lines, in order; the header line is a member of its own before them. */
  members: z.array(manifestMemberSchema),
  /** Entry lines in this manifest (deletions included). */
  lines: z.int().check(z.nonnegative()),
  /** Files (every name of a file) and bytes (each file's once) stored in this archive, and in the whole snapshot. */
  files: z.int().check(z.nonnegative()),
  bytes: z.int().check(z.nonnegative()),
  treeFiles: z.int().check(z.nonnegative()),
  treeBytes: z.int().check(z.nonnegative()),
  /** Entries of the whole snapshot (what a format 2 manifest listed). */
  treeEntries: z.int().check(z.nonnegative()),
  /** The snapshot's sources' own entries as the whole snapshot has them (an entry held by an earlier archive names it in `archive`). */
  top: z.array(z.looseObject({ path: z.string() })),
  /** In a gzip archive: where each gzip member of its entries starts, so a reader can seek. */
  gzipMembers: z.optional(z.array(gzipMemberSchema)),
});
export type ManifestIndex = z.infer<typeof manifestIndexSchema>;

export const trailerSchema = z.strictObject({
  dormouse: z.literal('trailer'),
  format: z.int().check(z.positive()),
  /** Offset of the manifest entry's header in the uncompressed tar. */
  manifestOffset: z.int().check(z.nonnegative()),
  manifestBytes: z.int().check(z.nonnegative()),
  /** In a gzip archive: where the gzip member that starts with the manifest begins in the file. */
  manifestMemberOffset: z.nullable(z.int().check(z.nonnegative())),
  /** Format 3: the index entry's header offset in the uncompressed tar, its content's length, and (gzip) where its gzip member begins. */
  indexOffset: z.optional(z.int().check(z.nonnegative())),
  indexBytes: z.optional(z.int().check(z.nonnegative())),
  indexMemberOffset: z.optional(z.nullable(z.int().check(z.nonnegative()))),
});
export type ArchiveTrailer = z.infer<typeof trailerSchema>;

/** Encodes the trailer as exactly one block of space-padded JSON. */
export function encodeTrailer(trailer: ArchiveTrailer): Buffer {
  const json = Buffer.from(JSON.stringify(trailer), 'utf8');
  if (json.length > blockSize) throw new Error('trailer does not fit in one block');
  const block = Buffer.alloc(blockSize, 0x20);
  json.copy(block);
  return block;
}

/**
 * The entry name an absolute source path is stored under: without the leading slash, as GNU tar
 * does. Only on Windows is a backslash a separator; elsewhere it is part of a file's name.
 */
export function archiveEntryName(absolutePath: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return absolutePath.replace(/^[a-zA-Z]:/, '').replace(/\\/g, '/').replace(/^\/+/, '');
  return absolutePath.replace(/^\/+/, '');
}

/**
 * The files an archive being written has until it is published: its `.partial` beside it, and its
 * manifest's, beside it too or, for an encrypted archive, beside its local manifest copy in the data
 * folder (`manifestCopy`), so no plaintext name ever reaches the destination. Removed when a backup fails.
 */
export function partialPaths(archivePath: string, manifestCopy?: string): { archive: string; manifest: string } {
  return { archive: `${archivePath}.partial`, manifest: manifestCopy === undefined ? `${archivePath}.manifest.partial` : `${manifestCopy}.partial` };
}

/** Where an archive's SHA-256 is kept beside it (`<archive>.sha256`, as sha256sum prints it). */
export function sidecarPath(archivePath: string): string {
  return `${archivePath}.sha256`;
}
