import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { httpsContext } from '../common/extra-certificates';

/** One HTTP request to send as it is (already signed). */
export interface HttpRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Buffer;
  /** Fails with code TIMEOUT when the connection is silent this long: connecting, sending, or waiting for the answer. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** A keep-alive agent to reuse connections; Node's global agent otherwise. */
  agent?: http.Agent;
}

/** The answer's status and headers; the body is still to be read (see readBody). */
export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Readable;
}

function timeoutError(): NodeJS.ErrnoException {
  return Object.assign(new Error('no answer in time'), { code: 'TIMEOUT' });
}

/** Sends a request over node:http or node:https and resolves once the answer's headers are in. */
export function sendHttp(request: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const secure = request.url.protocol === 'https:';
    const transport = secure ? https : http;
    const headers: Record<string, string> = { ...request.headers, 'content-length': String(request.body?.length ?? 0) };
    const secureContext = secure ? httpsContext() : undefined;
    const outgoing = transport.request(request.url, { method: request.method, headers, agent: request.agent, signal: request.signal, ...(secureContext ? { secureContext } : {}) });
    outgoing.setTimeout(request.timeoutMs, () => outgoing.destroy(timeoutError()));
    outgoing.on('error', reject);
    outgoing.on('response', (incoming) => {
      resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: incoming });
    });
    outgoing.end(request.body);
  });
}

/** Reads a whole answer body into memory; fails when it is cut short or longer than `limit` (the error's `bytesRead` says how much came). */
export async function readBody(body: Readable, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const pieces: Buffer[] = [];
  let length = 0;
  try {
    for await (const piece of body as AsyncIterable<Buffer>) {
      length += piece.length;
      if (length > limit) {
        body.destroy();
        throw new Error(`the answer is longer than ${limit} bytes`);
      }
      pieces.push(piece);
    }
  } catch (error) {
    // How much came before the failure: a connection closed early is a body cut short.
    throw Object.assign(error as Error, { bytesRead: length });
  }
  return Buffer.concat(pieces);
}
