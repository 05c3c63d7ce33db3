import { DormouseError, type ErrorCode } from '../../shared/errors';
import { counted } from '../../shared/format';

/** Why an S3 request failed, in the terms a caller decides on (retry, ask for new keys, give up). */
export type S3FailureKind =
  | 'credentials'
  | 'clock-skew'
  | 'access-denied'
  | 'no-such-bucket'
  | 'no-such-key'
  | 'no-such-upload'
  | 'not-answering'
  | 'connection-lost'
  | 'server-error'
  | 'throttled'
  | 'rejected'
  | 'invalid-request'
  | 'untrusted-certificate'
  | 'object-changed'
  | 'cancelled';

const codeOfKind: Record<S3FailureKind, ErrorCode> = {
  credentials: 'DESTINATION_UNAVAILABLE',
  'clock-skew': 'DESTINATION_UNAVAILABLE',
  'access-denied': 'DESTINATION_UNAVAILABLE',
  'no-such-bucket': 'DESTINATION_UNAVAILABLE',
  'no-such-key': 'NOT_FOUND',
  'no-such-upload': 'NOT_FOUND',
  'not-answering': 'DESTINATION_UNAVAILABLE',
  'connection-lost': 'DESTINATION_UNAVAILABLE',
  'server-error': 'DESTINATION_UNAVAILABLE',
  throttled: 'DESTINATION_UNAVAILABLE',
  rejected: 'DESTINATION_UNAVAILABLE',
  'invalid-request': 'INVALID_INPUT',
  'untrusted-certificate': 'DESTINATION_UNAVAILABLE',
  'object-changed': 'DAMAGED',
  cancelled: 'CANCELLED',
};

const retryableKinds: ReadonlySet<S3FailureKind> = new Set(['not-answering', 'connection-lost', 'server-error', 'throttled']);

/** A failed S3 request: a Dormouse error code and message, plus what S3 (or the network) said. */
export class S3Error extends DormouseError {
  readonly kind: S3FailureKind;
  /** The HTTP status, or null when no answer came. */
  readonly status: number | null;
  /** S3's error code (`NoSuchBucket`, `SignatureDoesNotMatch`…) or the network error's (`ECONNRESET`…). */
  readonly s3Code: string | null;
  /** What was asked, for messages: `UploadPart 3 s3://bucket/key at http://host:port`; null when not one request. */
  readonly request: string | null;
  /** What the service answered, for messages: `HTTP 503 SlowDown: Please reduce your request rate.`; null without an answer. */
  readonly answer: string | null;

  constructor(kind: S3FailureKind, message: string, status: number | null = null, s3Code: string | null = null, said: { request?: string; answer?: string } = {}) {
    super(codeOfKind[kind], message);
    this.name = 'S3Error';
    this.kind = kind;
    this.status = status;
    this.s3Code = s3Code;
    this.request = said.request ?? null;
    this.answer = said.answer ?? null;
  }

  /** Whether trying the same request again may work: the network or the service, not the request. */
  get retryable(): boolean {
    return retryableKinds.has(this.kind);
  }
}

/** What a request was, for messages: `PUT s3://bucket/key at http://host:port`. */
export interface RequestDescription {
  operation: string;
  bucket: string;
  key?: string;
  endpoint: string;
}

function where(request: RequestDescription): string {
  return `s3://${request.bucket}${request.key === undefined ? '' : `/${request.key}`} at ${request.endpoint}`;
}

/** The IAM action each operation needs, as a bucket policy or a key's rights name it. */
function actionOf(operation: string): string | null {
  const name = operation.split(' ')[0];
  switch (name) {
    case 'HeadBucket':
    case 'ListObjectsV2':
      return 's3:ListBucket';
    case 'ListMultipartUploads':
      return 's3:ListBucketMultipartUploads';
    case 'HeadObject':
    case 'GetObject':
      return 's3:GetObject';
    case 'PutObject':
    case 'CreateMultipartUpload':
    case 'UploadPart':
    case 'CompleteMultipartUpload':
      return 's3:PutObject';
    case 'DeleteObject':
    case 'DeleteObjects':
      return 's3:DeleteObject';
    case 'AbortMultipartUpload':
      return 's3:AbortMultipartUpload';
    case 'CreateBucket':
      return 's3:CreateBucket';
    default:
      return null;
  }
}

/**
 * The permission a refused request lacked, as a policy names it: `s3:PutObject on
 * arn:aws:s3:::bucket/key` (the bucket's ARN for bucket operations); null for an operation Dormouse
 * does not name.
 */
export function permissionFor(request: RequestDescription): string | null {
  const action = actionOf(request.operation);
  if (action === null) return null;
  const onBucket = action === 's3:ListBucket' || action === 's3:ListBucketMultipartUploads' || action === 's3:CreateBucket' || request.key === undefined;
  return `${action} on arn:aws:s3:::${request.bucket}${onBucket ? '' : `/${request.key}`}`;
}

function kindOfAnswer(status: number, code: string | null): S3FailureKind {
  switch (code) {
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
    case 'InvalidToken':
    case 'ExpiredToken':
    case 'AuthorizationHeaderMalformed':
    case 'Forbidden':
      return 'credentials';
    case 'RequestTimeTooSkewed':
      return 'clock-skew';
    case 'AccessDenied':
      return 'access-denied';
    case 'NoSuchBucket':
      return 'no-such-bucket';
    case 'NoSuchKey':
      return 'no-such-key';
    case 'NoSuchUpload':
      return 'no-such-upload';
    case 'PreconditionFailed':
      return 'object-changed';
    case 'SlowDown':
    case 'Throttling':
    case 'RequestTimeout':
      return 'throttled';
  }
  if (status === 403) return 'access-denied';
  if (status === 404) return 'no-such-key';
  if (status === 412) return 'object-changed';
  if (status === 429 || status === 503) return 'throttled';
  if (status >= 500) return 'server-error';
  return 'rejected';
}

/** How far this computer's clock is from the service's, in words: "120 minutes behind". */
function skewWords(skewMs: number | null): string {
  if (skewMs === null) return 'too far off the service\'s time';
  const minutes = Math.round(Math.abs(skewMs) / 60_000);
  return `${counted(minutes, 'minute')} ${skewMs < 0 ? 'behind' : 'ahead of'} the service's time`;
}

function adviceFor(kind: S3FailureKind, request: RequestDescription, code: string | null, skewMs: number | null): string {
  switch (kind) {
    case 'clock-skew':
      return `the storage service refuses this computer's clock: it is ${skewWords(skewMs)} (S3 allows 15 minutes); set the clock right (automatic date and time) and try again`;
    case 'credentials':
      if (code === 'Forbidden') {
        const permission = permissionFor(request);
        const may = permission === null ? 'they may not use this bucket' : `they lack ${permission}`;
        return `the server refused the request (HTTP 403): the access key or secret key is wrong, or ${may}; check the keys given (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the --profile, or the keys typed in the window) and the bucket's policy`;
      }
      return `the server did not accept the access key or secret key (${code}); check the keys given (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the --profile, or the keys typed in the window), and the region`;
    case 'access-denied': {
      const permission = permissionFor(request);
      if (permission === null) return 'the keys are valid but not allowed to do this; give them read, write, list and delete rights on the bucket';
      return `the keys are valid but lack ${permission}; allow it in the bucket's policy (or the keys' own rights)`;
    }
    case 'no-such-bucket':
      return `the bucket "${request.bucket}" does not exist there; create it, or check the bucket name, --endpoint and --region`;
    case 'no-such-key':
      return 'no such object';
    case 'no-such-upload':
      return 'no such multipart upload (it was completed or aborted)';
    case 'object-changed':
      return 'the object is no longer the one asked for (it was replaced since it was first read)';
    case 'throttled':
      return 'the storage service asked to slow down, or timed the request out';
    case 'server-error':
      return 'the storage service failed';
    default:
      return 'the server refused the request';
  }
}

/** S3 refuses a request signed more than 15 minutes off its own clock. */
export const allowedSkewMs = 15 * 60_000;

/**
 * The error for an answer with a failing status, from S3's `<Error><Code>` and `<Message>`.
 * `skewMs` is this computer's clock minus the service's (from the answer's Date header), when known:
 * it names how far off the clock is, and tells a HEAD's bare 403 caused by the clock from wrong keys.
 */
export function answerError(request: RequestDescription, status: number, code: string | null, serverMessage: string | null, skewMs: number | null = null): S3Error {
  // A HEAD's 403 has no body (its code is null, or the Forbidden the transport gives it): the clock may be why.
  const clockRefused = (code === null || code === 'Forbidden') && status === 403 && skewMs !== null && Math.abs(skewMs) > allowedSkewMs;
  const s3Code = clockRefused ? 'RequestTimeTooSkewed' : code;
  const kind = kindOfAnswer(status, s3Code);
  const answer = `HTTP ${status}${code ? ` ${code}` : ''}${serverMessage ? `: ${serverMessage}` : ''}`;
  const asked = `${request.operation} ${where(request)}`;
  const quiet = kind === 'credentials' || kind === 'clock-skew';
  return new S3Error(kind, `${asked} failed: ${adviceFor(kind, request, s3Code, skewMs)}${quiet ? '' : ` (${answer})`}`, status, s3Code ?? null, { request: asked, answer });
}

/**
 * The error once a request that failed in a way that may pass (a busy or failing service, the
 * network) has failed on every try: says it was tried, how often and what the last answer was,
 * without "it will be tried again".
 */
export function exhaustedError(error: S3Error, attempts: number): S3Error {
  const tries = `${attempts} ${attempts === 1 ? 'try' : 'tries'}`;
  const said = { request: error.request ?? undefined, answer: error.answer ?? undefined };
  if (error.answer !== null && (error.kind === 'server-error' || error.kind === 'throttled')) {
    const message = `${error.request ?? 'a request'} failed: the storage service kept answering with errors, ${tries} in all (the last: ${error.answer}); try again later, or check the service's status page`;
    return new S3Error(error.kind, message, error.status, error.s3Code, said);
  }
  return new S3Error(error.kind, `${error.message} (${tries} in all)`, error.status, error.s3Code, said);
}

const certificateCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const notAnsweringCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ETIMEDOUT', 'TIMEOUT']);

/** The error for a request that got no (complete) answer: refused, timed out, cut, or cancelled. */
export function networkError(request: RequestDescription, error: unknown, timeoutMs: number): S3Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? null;
  const name = (error as Error | undefined)?.name;
  const said = { request: `${request.operation} ${where(request)}` };
  if (name === 'AbortError' || code === 'ABORT_ERR') {
    // AbortSignal.timeout(ms) bounds a whole request: running out of it means the server was too slow.
    if ((error as { cause?: Error }).cause?.name === 'TimeoutError') {
      return new S3Error('not-answering', `${request.operation} ${where(request)}: the server did not answer in time; check the network and the endpoint`, null, 'TIMEOUT', said);
    }
    return new S3Error('cancelled', `${request.operation} ${where(request)} was cancelled`, null, code, said);
  }
  if (code === 'TIMEOUT') {
    return new S3Error('not-answering', `${request.operation} ${where(request)}: the server did not answer within ${timeoutMs / 1000} s; check the network and the endpoint`, null, code, said);
  }
  if (code !== null && certificateCodes.has(code)) {
    return new S3Error('untrusted-certificate', `${request.operation} ${where(request)}: the server's TLS certificate is not trusted (${code}); check the endpoint URL, or add its certificate authority to the system's trusted ones`, null, code, said);
  }
  if (code !== null && notAnsweringCodes.has(code)) {
    return new S3Error('not-answering', `${request.operation} ${where(request)}: the server is not answering (${code}); check the network and the endpoint URL`, null, code, said);
  }
  const reason = code ?? (error as Error | undefined)?.message ?? String(error);
  return new S3Error('connection-lost', `${request.operation} ${where(request)}: the connection was lost (${reason})`, null, code, said);
}
