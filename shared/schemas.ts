import { z } from 'zod';
import { cronShapeProblem, expandCronNickname } from './cron-words';
import { DormouseError } from './errors';
import { parseIsoInstant } from './time';
import { settingsSchema } from './settings';
import { maxCoverageDays } from './coverage';

const noControlCharacters = (text: string) =>
  ![...text].some((character) => character.charCodeAt(0) < 0x20 || character.charCodeAt(0) === 0x7f);

/** A destination's or schedule's name: what people type on the command line and see in the tray. */
export const nameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .refine(noControlCharacters, 'must not contain control characters');

/** A folder path as given by the caller; the engine resolves and checks it on the file system. */
export const folderPathSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(4096, 'must be at most 4096 characters')
  .refine((text) => !text.includes('\u0000'), 'must not contain NUL characters');

/** A glob matched against paths during the walk ("**\/node_modules", "*.tmp"). */
export const excludePatternSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(1024, 'must be at most 1024 characters')
  .refine(noControlCharacters, 'must not contain control characters');

/** A cron expression of 5 fields, or 6 with seconds, or a crontab nickname (kept as its 5 fields); the engine parses it fully. */
export const cronSchema = z
  .string()
  .max(200, 'must be at most 200 characters')
  .transform(expandCronNickname)
  .superRefine((text, context) => {
    const problem = cronShapeProblem(text);
    if (problem !== null) context.addIssue({ code: 'custom', message: problem });
  });

export const compressionSchema = z.enum(['none', 'gzip']);

/** Keep the newest N snapshots; null keeps every snapshot. */
export const keepLastSchema = z.number().int('must be a whole number').min(1, 'must be at least 1').max(100_000).nullable();

/** An encrypted destination's passphrase, for the requests that open its key (never stored). */
export const passphraseSchema = z.string().min(1, 'must not be empty').max(4096, 'is too long for a passphrase');

/** The keys that sign S3 requests: stored by the engine in the data folder's credential store, never in the catalog, never echoed back. */
export const s3CredentialsSchema = z.strictObject({
  accessKeyId: z.string().min(1, 'must not be empty').max(256).refine(noControlCharacters, 'must not contain control characters'),
  secretAccessKey: z.string().min(1, 'must not be empty').max(1024).refine(noControlCharacters, 'must not contain control characters'),
  sessionToken: z.string().min(1).max(8192).optional(),
});

/** An S3-compatible bucket as a destination: `s3://BUCKET[/PREFIX]`, the service's endpoint (AWS's for the region when absent), the signing region, path-style addressing. */
export const s3DestinationSchema = z.strictObject({
  url: z.string().min(1, 'must not be empty').max(1100, 'is too long for an S3 location'),
  endpoint: z.string().min(1).max(2048).optional(),
  region: z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be a region name such as us-east-1, eu-central-1 or auto').optional(),
  pathStyle: z.boolean().default(false),
  credentials: s3CredentialsSchema,
});

/**
 * A folder (`path`) or an S3 bucket prefix (`s3`) as a destination. `encrypt`: make a new encrypted
 * destination (its key is made with `passphrase`); on by default for S3, off for folders. An
 * existing encrypted destination needs `passphrase` to import its snapshots.
 */
export const destinationAddSchema = z
  .strictObject({ name: nameSchema, path: folderPathSchema.optional(), s3: s3DestinationSchema.optional(), encrypt: z.boolean().optional(), passphrase: passphraseSchema.optional() })
  .refine((request) => (request.path === undefined) !== (request.s3 === undefined), 'give either a folder (path) or an S3 bucket (s3), not both and not neither');

/** Changing an encrypted destination's passphrase: only its key file is rewritten. */
export const destinationPassphraseSchema = z.strictObject({ name: nameSchema, passphrase: passphraseSchema, newPassphrase: passphraseSchema });

/** Remembering an encrypted destination's passphrase in the OS keychain (the app only): checked against its key first. */
export const passphraseRememberSchema = z.strictObject({ name: nameSchema, passphrase: passphraseSchema });

/** Saving an encrypted destination's recovery kit (its locked key and the instructions) into a folder elsewhere. */
export const recoveryKitSchema = z.strictObject({ name: nameSchema, to: folderPathSchema });

/** A schedule's fields as given, with no defaults: edits change only what they name. */
const scheduleFieldShapes = {
  name: nameSchema,
  sources: z.array(folderPathSchema).min(1, 'name at least one source folder').max(100),
  excludes: z.array(excludePatternSchema).max(1000),
  destination: nameSchema,
  cron: cronSchema,
  compression: compressionSchema,
  keepLast: keepLastSchema,
  keepDaily: keepLastSchema,
  keepWeekly: keepLastSchema,
  keepMonthly: keepLastSchema,
  enabled: z.boolean(),
};

export const scheduleFieldsSchema = z.strictObject({
  ...scheduleFieldShapes,
  excludes: scheduleFieldShapes.excludes.default([]),
  compression: compressionSchema.default('none'),
  keepLast: keepLastSchema.default(null),
  keepDaily: keepLastSchema.default(null),
  keepWeekly: keepLastSchema.default(null),
  keepMonthly: keepLastSchema.default(null),
  enabled: z.boolean().default(true),
});

export const scheduleEditSchema = z.strictObject({
  schedule: nameSchema,
  changes: z.strictObject(scheduleFieldShapes).partial(),
});

export const nameOnlySchema = z.strictObject({ name: nameSchema });

export const scheduleEnabledSchema = z.strictObject({ name: nameSchema, enabled: z.boolean() });

export const cronPreviewSchema = z.strictObject({
  expression: cronSchema,
  from: z
    .string()
    .refine((text) => parseIsoInstant(text) !== null, 'must be an ISO-8601 date-time such as 2026-11-21T09:00:00+01:00')
    .optional(),
  count: z.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(3),
});

export const emptySchema = z.strictObject({});

/** A job id as people type it. */
export const jobIdSchema = z.number().int('must be a whole number').positive('must be a positive job id');

export const jobRunSchema = z.strictObject({ name: nameSchema });

export const jobStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped', 'interrupted']);

export const jobListSchema = z.strictObject({
  schedule: nameSchema.optional(),
  status: jobStatusSchema.optional(),
  /** Keyset paging: only jobs older than this id (the history screen's next page). */
  beforeId: z.number().int().positive().optional(),
  limit: z.number().int('must be a whole number').min(1, 'must be at least 1').max(10_000, 'must be at most 10000').default(50),
});

export const jobGetSchema = z.strictObject({ jobId: z.number().int('must be a whole number').positive('must be a positive job id') });

export const jobCancelSchema = z.strictObject({ jobId: jobIdSchema });

export const settingsChangeSchema = settingsSchema.partial().strict();

const snapshotIdSchema = z.number().int('must be a whole number').positive('must be a positive snapshot id');

export const snapshotIdOnlySchema = z.strictObject({ snapshotId: snapshotIdSchema });

/** Without a passphrase an encrypted archive's SHA-256 is checked; with it, every entry too. */
/**
 * `contents: true` asks for every file of an encrypted archive to be checked too: without a
 * passphrase (given or remembered) that is refused with PASSPHRASE_NEEDED, where a verify without it
 * checks the encrypted file's SHA-256 alone.
 */
export const snapshotVerifySchema = z.union([
  z.strictObject({ snapshotId: snapshotIdSchema, passphrase: passphraseSchema.optional(), contents: z.boolean().optional() }),
  z.strictObject({ all: z.literal(true), passphrase: passphraseSchema.optional(), contents: z.boolean().optional() }),
]);

export const snapshotLsSchema = z.strictObject({ snapshotId: snapshotIdSchema, path: folderPathSchema.optional(), passphrase: passphraseSchema.optional() });

export const snapshotRestoreSchema = z.strictObject({
  snapshotId: snapshotIdSchema,
  to: folderPathSchema,
  paths: z.array(folderPathSchema).max(10_000).default([]),
  overwrite: z.boolean().default(false),
  passphrase: passphraseSchema.optional(),
});

export const pruneSchema = z.strictObject({ schedule: nameSchema.optional(), dryRun: z.boolean().default(false) });

export const importSchema = z.strictObject({ destination: nameSchema, passphrase: passphraseSchema.optional() });

/** `machine`: a machine's name, hostname or id, or "all"; absent, this machine's snapshots. */
export const snapshotListSchema = z.strictObject({ schedule: nameSchema.optional(), machine: nameSchema.optional() });

/** A schedule's coverage over the last `days` days (7 unless asked; at most 90). */
export const coverageSchema = z.strictObject({
  schedule: nameSchema,
  days: z
    .number()
    .int('must be a whole number of days, such as 7')
    .min(1, 'must be at least 1 day')
    .max(maxCoverageDays, `must be at most ${maxCoverageDays} days; ask for fewer`)
    .default(7),
});

export type DestinationAddInput = z.input<typeof destinationAddSchema>;
export type ScheduleFieldsInput = z.input<typeof scheduleFieldsSchema>;
export type ScheduleFields = z.output<typeof scheduleFieldsSchema>;
export type ScheduleEditInput = z.input<typeof scheduleEditSchema>;
export type CronPreviewInput = z.input<typeof cronPreviewSchema>;

function describePath(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part))).join('.').replace(/\.\[/g, '[');
}

/**
 * Validates a payload at a boundary (CLI arguments, IPC, HTTP) against its shared schema.
 * Throws INVALID_INPUT with every problem on one line, so nothing invalid reaches the engine.
 */
export function parseInput<S extends z.ZodType>(schema: S, payload: unknown): z.output<S> {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = describePath(issue.path);
    const message = issue.code === 'unrecognized_keys' ? `unknown ${issue.keys.length === 1 ? 'field' : 'fields'} ${issue.keys.join(', ')}` : issue.message;
    return where ? `${where}: ${message}` : message;
  });
  throw new DormouseError('INVALID_INPUT', problems.join('; '));
}
