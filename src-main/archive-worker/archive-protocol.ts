// zod/mini: the archive worker starts for every backup, and the full zod is most of its bundle.
import * as z from 'zod/mini';
import { snapshotIdentitySchema } from './archive-manifest';
import type { VerifyResult } from './verify-archive';
import type { RestoreResult } from './restore-archive';
import type { InspectedArchive } from './inspect-archive';
import type { SnapshotListing } from '../../shared/types';

/** How the worker reaches an S3 destination's bucket: its address and the keys that sign requests (never logged). */
export const s3AccessSchema = z.strictObject({
  endpoint: z.string().check(z.minLength(1)),
  region: z.string().check(z.minLength(1)),
  bucket: z.string().check(z.minLength(1)),
  pathStyle: z.boolean(),
  credentials: z.strictObject({ accessKeyId: z.string().check(z.minLength(1)), secretAccessKey: z.string().check(z.minLength(1)), sessionToken: z.optional(z.string()) }),
});

/** What the owning process asks the worker to build. */
export const archiveRequestSchema = z.strictObject({
  sources: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  excludes: z.array(z.string()),
  archivePath: z.string().check(z.minLength(1)),
  compression: z.enum(['none', 'gzip']),
  snapshot: snapshotIdentitySchema,
  /** The tree the schedule's previous snapshot protected: with room for all of it again, the backup walks the tree once, taking these as its totals. */
  expected: z.optional(z.strictObject({ files: z.int().check(z.nonnegative()), bytes: z.int().check(z.nonnegative()), entries: z.int().check(z.nonnegative()) })),
  /**
   * For an incremental: the previous snapshot of the schedule, whose file list says what is unchanged,
   * and the archives of its chain by snapshot id (its file list is their manifests merged).
   */
  base: z.optional(
    z.strictObject({
      id: z.string().check(z.minLength(1)),
      archivePath: z.string().check(z.minLength(1)),
      archives: z._default(z.record(z.string(), z.string()), {}),
      /** For a chain on an encrypted destination: archive path → the local copy of its manifest (manifest-copy.ts), read instead of the archive. */
      manifestCopies: z._default(z.record(z.string(), z.string()), {}),
    }),
  ),
  /**
   * For an encrypted destination: the recipient (`age1…`) the archive is encrypted to, and where the
   * local copy of its manifest goes (so the next incremental needs no passphrase).
   */
  encryption: z.optional(z.strictObject({ recipient: z.string().check(z.regex(/^age1[02-9ac-hj-np-z]{58}$/)), manifestCopy: z.string().check(z.minLength(1)) })),
  /**
   * For an S3 destination (`archivePath` is `s3://BUCKET/KEY`): where the bucket is, the keys to sign
   * with, how the upload is cut (part size, parts in flight), and where the local copy of its
   * manifest goes (the next incremental reads that, never the bucket).
   */
  s3: z.optional(z.extend(s3AccessSchema, { manifestCopy: z.string().check(z.minLength(1)), partSize: z.int().check(z.gte(5 * 1024 * 1024)), maxInFlight: z.int().check(z.gte(1), z.lte(16)), timeoutMs: z.int().check(z.gte(1000)), attempts: z.int().check(z.gte(1), z.lte(100)), bytesPerSecond: z.nullable(z.int().check(z.positive())) })),
});
export type ArchiveRequest = z.infer<typeof archiveRequestSchema>;

/** How far a backup has come: sent at most every 250 ms. */
export interface ArchiveProgress {
  files: number;
  bytes: number;
  totalFiles: number;
  totalBytes: number;
  currentPath: string;
}

/** What a finished archive is. */
export interface ArchiveResult {
  archivePath: string;
  /** What the archive is: a requested incremental becomes full when the previous archive cannot be read. */
  kind: 'full' | 'incremental';
  /** The previous snapshot's archive was unreadable (it is then marked as failing verify). */
  baseUnreadable: boolean;
  sha256: string;
  /** Files and bytes written into this archive (all of them for a full backup, the changed ones for an incremental). */
  files: number;
  bytes: number;
  /** Files and bytes of the complete tree the snapshot describes. */
  treeFiles: number;
  treeBytes: number;
  archiveBytes: number;
  entries: number;
  warnings: string[];
}

/** The destination's identity (`AGE-SECRET-KEY-1…`), opened with its passphrase by the owner, for reading encrypted archives; never stored. */
const identitySchema = z.optional(z.string().check(z.regex(/^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/)));

/** The S3 buckets (and keys) a reading task's `s3://` archives are in. */
const s3ListSchema = z._default(z.array(s3AccessSchema), []);

/** Messages from the owning process to the worker. */
export const toWorkerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('start'), request: archiveRequestSchema }),
  z.strictObject({
    type: z.literal('verify'),
    archives: z.array(z.strictObject({ id: z._default(z.nullable(z.string()), null), archivePath: z.string().check(z.minLength(1)), sha256: z.nullable(z.string()) })).check(z.minLength(1)),
    identity: identitySchema,
    s3: s3ListSchema,
  }),
  z.strictObject({
    type: z.literal('restore'),
    request: z.strictObject({ archivePath: z.string().check(z.minLength(1)), archives: z.record(z.string(), z.string()), target: z.string().check(z.minLength(1)), paths: z.array(z.string()), overwrite: z.boolean(), identity: identitySchema, s3: s3ListSchema }),
  }),
  z.strictObject({ type: z.literal('inspect'), archivePaths: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)), identity: identitySchema, s3: s3ListSchema }),
  /** Browsing: one folder of a snapshot, read from its chain's manifests (here, never in the owner); `archives` maps the chain's snapshot ids to their archives. */
  z.strictObject({
    type: z.literal('list'),
    archivePath: z.string().check(z.minLength(1)),
    archives: z._default(z.record(z.string(), z.string()), {}),
    snapshotId: z.number().check(z.int(), z.positive()),
    path: z.optional(z.string()),
    identity: identitySchema,
    s3: s3ListSchema,
  }),
  z.strictObject({ type: z.literal('cancel') }),
]);
export type ToWorker = z.infer<typeof toWorkerSchema>;

export type WorkerErrorCode = 'INSUFFICIENT_SPACE' | 'CANCELLED' | 'WRITE_FAILED' | 'INVALID_INPUT' | 'NOT_FOUND' | 'PASSPHRASE_NEEDED' | 'KEY_UNUSABLE' | 'DAMAGED' | 'INTERNAL';

/** The errors a reading task reports with their own code, so the owner can say what to do (the rest are INTERNAL). */
export const readingErrorCodes: ReadonlySet<WorkerErrorCode> = new Set<WorkerErrorCode>(['NOT_FOUND', 'INVALID_INPUT', 'PASSPHRASE_NEEDED', 'KEY_UNUSABLE', 'DAMAGED']);

/** Messages from the worker to the owning process. */
export type FromWorker =
  | { type: 'progress'; progress: ArchiveProgress }
  | { type: 'done'; result: ArchiveResult }
  | { type: 'verified'; results: VerifyResult[] }
  | { type: 'restored'; result: RestoreResult }
  | { type: 'inspected'; archives: InspectedArchive[] }
  | { type: 'listed'; listing: SnapshotListing }
  | { type: 'error'; code: WorkerErrorCode; message: string };
