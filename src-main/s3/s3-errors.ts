import { DormouseError, type ErrorCode } from '../../shared/errors';

/** Why an S3 request failed, in the terms a caller decides on (retry, ask for new keys, give up). */
export type S3FailureKind =
  | 'credentials'
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
  | 'cancelled';

const codeOfKind: Record<S3FailureKind, ErrorCode> = {
  credentials: 'DESTINATION_UNAVAILABLE',
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

  constructor(kind: S3FailureKind, message: string, status: number | null = null, s3Code: string | null = null) {
    super(codeOfKind[kind], message);
    this.name = 'S3Error';
    this.kind = kind;
    this.status = status;
    this.s3Code = s3Code;
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
    case 'RequestTimeTooSkewed':
    case 'Forbidden':
      return 'credentials';
    case 'AccessDenied':
      return 'access-denied';
    case 'NoSuchBucket':
      return 'no-such-bucket';
    case 'NoSuchKey':
      return 'no-such-key';
    case 'NoSuchUpload':
      return 'no-such-upload';
    case 'SlowDown':
    case 'Throttling':
    case 'RequestTimeout':
      return 'throttled';
  }
  if (status === 403) return 'access-denied';
  if (status === 404) return 'no-such-key';
  if (status === 429 || status === 503) return 'throttled';
  if (status >= 500) return 'server-error';
  return 'rejected';
}

function adviceFor(kind: S3FailureKind, request: RequestDescription, code: string | null): string {
  switch (kind) {
    case 'credentials':
      if (code === 'RequestTimeTooSkewed') return "this computer's clock is too far from the server's; set the clock right and try again";
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
    case 'throttled':
      return 'the server asked to slow down or timed the request out; it will be tried again';
    case 'server-error':
      return 'the server failed; it will be tried again';
    default:
      return 'the server refused the request';
  }
}

/** The error for an answer with a failing status, from S3's `<Error><Code>` and `<Message>`. */
export function answerError(request: RequestDescription, status: number, code: string | null, serverMessage: string | null): S3Error {
  const kind = kindOfAnswer(status, code);
  const detail = serverMessage ? ` (${code ?? status}: ${serverMessage})` : code ? ` (${code})` : ` (HTTP ${status})`;
  return new S3Error(kind, `${request.operation} ${where(request)} failed: ${adviceFor(kind, request, code)}${kind === 'credentials' ? '' : detail}`, status, code ?? null);
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
  if (name === 'AbortError' || code === 'ABORT_ERR') {
    // AbortSignal.timeout(ms) bounds a whole request: running out of it means the server was too slow.
    if ((error as { cause?: Error }).cause?.name === 'TimeoutError') {
      return new S3Error('not-answering', `${request.operation} ${where(request)}: the server did not answer in time; check the network and the endpoint`, null, 'TIMEOUT');
    }
    return new S3Error('cancelled', `${request.operation} ${where(request)} was cancelled`, null, code);
  }
  if (code === 'TIMEOUT') {
    return new S3Error('not-answering', `${request.operation} ${where(request)}: the server did not answer within ${timeoutMs / 1000} s; check the network and the endpoint`, null, code);
  }
  if (code !== null && certificateCodes.has(code)) {
    return new S3Error('untrusted-certificate', `${request.operation} ${where(request)}: the server's TLS certificate is not trusted (${code}); check the endpoint URL, or add its certificate authority to the system's trusted ones`, null, code);
  }
  if (code !== null && notAnsweringCodes.has(code)) {
    return new S3Error('not-answering', `${request.operation} ${where(request)}: the server is not answering (${code}); check the network and the endpoint URL`, null, code);
  }
  const reason = code ?? (error as Error | undefined)?.message ?? String(error);
  return new S3Error('connection-lost', `${request.operation} ${where(request)}: the connection was lost (${reason}); it can be tried again`, null, code);
}
