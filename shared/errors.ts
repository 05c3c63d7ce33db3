/** Every error code the engine reports, in the words the CLI, IPC and HTTP callers see. */
export const errorCodes = [
  'INVALID_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'SCHEMA_TOO_NEW',
  'DATABASE_UNREADABLE',
  'DESTINATION_UNAVAILABLE',
  'SOURCE_MISSING',
  'INSUFFICIENT_SPACE',
  'ALREADY_RUNNING',
  'WORKER_CRASHED',
  'WRITE_FAILED',
  'CANCELLED',
  'INTERRUPTED',
  'NOT_CANCELLABLE',
  'WRONG_PASSPHRASE',
  'PASSPHRASE_NEEDED',
  'KEY_UNUSABLE',
  'DAMAGED',
  'KEYCHAIN_UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** Codes that mean the caller asked for something invalid (CLI exit 2), not that an operation failed. */
const inputErrorCodes: ReadonlySet<ErrorCode> = new Set(['INVALID_INPUT', 'NOT_FOUND', 'CONFLICT', 'ALREADY_RUNNING', 'NOT_CANCELLABLE', 'PASSPHRASE_NEEDED']);

/** An error the engine raises on purpose: a stable code and a one-line message that says what to do. */
export class DormouseError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'DormouseError';
    this.code = code;
  }
}

/** Tells whether an error was caused by the caller's input, so front ends can answer "usage" rather than "failed". */
export function isInputError(error: unknown): boolean {
  return error instanceof DormouseError && inputErrorCodes.has(error.code);
}

/** Builds the "not found" error with the names that do exist, so the person can pick the right one. */
export function notFound(kind: string, name: string, known: readonly string[], hint: string): DormouseError {
  const choices = known.length > 0 ? `; known: ${known.join(', ')}` : '';
  return new DormouseError('NOT_FOUND', `no ${kind} named "${name}"${choices}; ${hint}`);
}
