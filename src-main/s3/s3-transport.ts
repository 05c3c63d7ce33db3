import type http from 'node:http';
import { answerError, networkError, S3Error, type RequestDescription } from './s3-errors';
import { readBody, sendHttp, type HttpResponse } from './s3-http';
import { requestTarget, type S3Settings } from './s3-settings';
import { xmlText } from './s3-xml';
import { canonicalQuery, sha256Hex, signV4 } from './sign-v4';

/** How requests reach the service. */
export interface TransportOptions {
  /** A request fails as "not answering" once the connection is silent this long (default 30 s). */
  timeoutMs?: number;
  /** A keep-alive agent (its sockets are reused between requests); Node's global agent otherwise. */
  agent?: http.Agent;
}

/** Per-request options every operation takes. */
export interface RequestOptions {
  /** Cancels the request (it then fails with kind "cancelled"); AbortSignal.timeout(ms) bounds its whole duration ("not answering"). */
  signal?: AbortSignal;
}

/** One S3 request: the operation's name (for messages), and what to send. */
export interface S3Request extends RequestOptions {
  operation: string;
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  /** The object's key; the bucket itself when absent. */
  key?: string;
  query?: Array<[string, string]>;
  headers?: Record<string, string>;
  body?: Buffer;
}

const errorRoot = /^\s*(?:<\?xml[^>]*\?>\s*)?<Error>/;

/** An answer's Content-Length, or null when it has none (a chunked answer). */
export function declaredLength(response: HttpResponse): number | null {
  const value = response.headers['content-length'];
  return value === undefined || value === '' || !Number.isFinite(Number(value)) ? null : Number(value);
}

/** This computer's clock minus the service's when `response` was sent (its Date header, to the second), or null without one. */
function clockSkewMs(response: HttpResponse, sentAt: number): number | null {
  const said = Date.parse(String(response.headers.date ?? ''));
  if (!Number.isFinite(said)) return null;
  // The header has whole seconds: compare with the middle of the exchange, rounded the same way.
  return Math.floor((sentAt + Date.now()) / 2000) * 1000 - said;
}

/** HEAD answers carry no error body: the status alone says what went wrong. */
function headlessCode(request: S3Request, status: number): string | null {
  if (status === 404) return request.key === undefined ? 'NoSuchBucket' : 'NoSuchKey';
  if (status === 403) return 'Forbidden';
  return null;
}

/**
 * Signed requests to one bucket: addresses them (path-style or virtual-hosted-style), signs them
 * with Signature V4, sends them with a timeout, and turns failing answers and network failures into
 * S3Error. One attempt per request.
 */
export class S3Transport {
  readonly settings: S3Settings;
  readonly timeoutMs: number;
  private readonly agent: http.Agent | undefined;

  constructor(settings: S3Settings, options: TransportOptions = {}) {
    this.settings = settings;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.agent = options.agent;
  }

  /** Sends a request; resolves with a successful answer whose body is still to be read (see readAll). */
  async send(request: S3Request): Promise<HttpResponse> {
    const target = requestTarget(this.settings, request.key);
    const query = request.query ?? [];
    const body = request.body ?? Buffer.alloc(0);
    const sentAt = Date.now();
    const headers = signV4({
      method: request.method,
      path: target.path,
      query,
      headers: { ...request.headers, host: target.host },
      payloadHash: sha256Hex(body),
      region: this.settings.region,
      credentials: this.settings.credentials,
      date: new Date(sentAt),
    });
    const url = new URL(target.url.href);
    url.search = canonicalQuery(query);
    try {
      const response = await sendHttp({ method: request.method, url, headers, body, timeoutMs: this.timeoutMs, signal: request.signal, agent: this.agent });
      if (response.status < 300) return response;
      const text = request.method === 'HEAD' ? '' : (await readBody(response.body, 1024 * 1024)).toString('utf8');
      throw answerError(this.describe(request), response.status, xmlText(text, 'Code') ?? headlessCode(request, response.status), xmlText(text, 'Message'), clockSkewMs(response, sentAt));
    } catch (error) {
      if (error instanceof S3Error) throw error;
      throw networkError(this.describe(request), error, this.timeoutMs);
    }
  }

  /** Reads a successful answer's whole body; a body cut short (fewer bytes than its Content-Length) is a lost connection. */
  async readAll(request: S3Request, response: HttpResponse): Promise<Buffer> {
    const promised = declaredLength(response);
    let body: Buffer;
    try {
      body = await readBody(response.body);
    } catch (error) {
      const received = (error as { bytesRead?: number }).bytesRead;
      const closedEarly = (error as NodeJS.ErrnoException).code === 'ECONNRESET' && promised !== null && received !== undefined && received < promised;
      throw closedEarly ? this.cutShort(request, received, promised) : this.lost(request, error);
    }
    if (request.method !== 'HEAD' && promised !== null && body.length !== promised) throw this.cutShort(request, body.length, promised);
    return body;
  }

  /** The error for a body whose connection failed while it was read. */
  lost(request: S3Request, error: unknown): S3Error {
    return error instanceof S3Error ? error : networkError(this.describe(request), error, this.timeoutMs);
  }

  /** The error for an answer whose body came shorter (or longer) than its headers said: a lost connection, tried again. */
  cutShort(request: S3Request, received: number, promised: number): S3Error {
    return networkError(this.describe(request), new Error(`the answer was cut short: ${received} of ${promised} bytes came`), this.timeoutMs);
  }

  /** Sends a request and reads its body (dropped by callers that only want the headers). */
  async exchange(request: S3Request): Promise<{ response: HttpResponse; body: Buffer }> {
    const response = await this.send(request);
    return { response, body: await this.readAll(request, response) };
  }

  /** Sends a request whose answer is XML; an `<Error>` document is a failure even after a 200 (as CompleteMultipartUpload may answer). */
  async exchangeXml(request: S3Request): Promise<string> {
    const { body } = await this.exchange(request);
    const xml = body.toString('utf8');
    if (errorRoot.test(xml)) throw answerError(this.describe(request), 500, xmlText(xml, 'Code'), xmlText(xml, 'Message'));
    return xml;
  }

  private describe(request: S3Request): RequestDescription {
    return { operation: request.operation, bucket: this.settings.bucket, key: request.key, endpoint: this.settings.endpoint };
  }
}
