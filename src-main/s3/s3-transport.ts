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
    const headers = signV4({
      method: request.method,
      path: target.path,
      query,
      headers: { ...request.headers, host: target.host },
      payloadHash: sha256Hex(body),
      region: this.settings.region,
      credentials: this.settings.credentials,
      date: new Date(),
    });
    const url = new URL(target.url.href);
    url.search = canonicalQuery(query);
    try {
      const response = await sendHttp({ method: request.method, url, headers, body, timeoutMs: this.timeoutMs, signal: request.signal, agent: this.agent });
      if (response.status < 300) return response;
      const text = request.method === 'HEAD' ? '' : (await readBody(response.body, 1024 * 1024)).toString('utf8');
      throw answerError(this.describe(request), response.status, xmlText(text, 'Code') ?? headlessCode(request, response.status), xmlText(text, 'Message'));
    } catch (error) {
      if (error instanceof S3Error) throw error;
      throw networkError(this.describe(request), error, this.timeoutMs);
    }
  }

  /** Reads a successful answer's whole body; a body cut short is a lost connection. */
  async readAll(request: S3Request, response: HttpResponse): Promise<Buffer> {
    try {
      return await readBody(response.body);
    } catch (error) {
      throw networkError(this.describe(request), error, this.timeoutMs);
    }
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
