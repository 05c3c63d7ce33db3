import http from 'node:http';
import { randomBytes } from 'node:crypto';

/** One request as it came through the proxy, for waiting on and for assertions. */
export interface SeenRequest {
  method: string;
  /** The path and query, as sent. */
  url: string;
  range: string | null;
  /** What the proxy did: passed it on, answered with an error, or cut the answer short. */
  fate: 'forwarded' | 'error' | 'truncated' | 'held';
}

/** An S3-style error answer the proxy gives instead of the server's. */
export interface ErrorAnswer {
  status: number;
  code: string;
  message: string;
}

/** S3's "slow down" (a busy service). */
export const slowDown: ErrorAnswer = { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' };
/** S3's "internal error" (a failing service). */
export const internalError: ErrorAnswer = { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' };

/** An HTTP proxy in front of an S3 server that a test tells to answer like a failing service. */
export interface HttpFaultProxy {
  /** `http://127.0.0.1:PORT`, to use instead of the server's endpoint. */
  endpoint: string;
  /** Every request so far, oldest first. */
  seen: SeenRequest[];
  /** Answers the next `count` requests with `answer` (a short storm). */
  failNext(count: number, answer?: ErrorAnswer): void;
  /** Answers every request with `answer` until heal() (a storm that does not end). */
  failAll(answer?: ErrorAnswer): void;
  /** Forwards every request again. */
  heal(): void;
  /**
   * Cuts the answers of the next `count` GETs with a Range header short: the server's status and
   * headers (with its full Content-Length) go out, then `fraction` of the body, then the
   * connection is closed.
   */
  truncateRangedGets(count: number, fraction?: number): void;
  /**
   * Cuts the next `count` streamed reads that `matches` (GETs without a Range header, or with an
   * open-ended one, `bytes=S-`) at the object's byte `atByte`: the server's status and headers (with
   * its full Content-Length) go out, then the body up to that byte (none when the read starts at or
   * past it), then the connection is closed. `count` Infinity: every such read stops at the same byte.
   */
  cutStreamedGets(atByte: number, count?: number, matches?: (request: SeenRequest) => boolean): void;
  /** Holds every request that `matches` unanswered, not forwarded, until release() (a part stuck in flight), while others go through. */
  hold(matches: (request: SeenRequest) => boolean): void;
  /** Forwards the requests held, and stops holding. */
  release(): void;
  /** Resolves once the next request that `matches` comes in (those that came already do not count). */
  requested(matches: (request: SeenRequest) => boolean): Promise<SeenRequest>;
  close(): Promise<void>;
}

/** How many bytes of an answer's body (of `length`, its Content-Length) go out before the connection is closed. */
type Budget = (length: number) => number;

function errorBody(answer: ErrorAnswer, url: string): string {
  const requestId = randomBytes(8).toString('hex');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${answer.code}</Code><Message>${answer.message}</Message><Resource>${url.split('?')[0]}</Resource><RequestId>${requestId}</RequestId></Error>`;
}

/**
 * Starts an HTTP proxy on a free port of 127.0.0.1 that forwards each request to `target` as it
 * came (same method, path, headers and body, so the signature still holds) and its answer back,
 * unless told to fail: then it answers as a busy or failing S3 service does (a 503 SlowDown or 500
 * InternalError with S3's XML error body), or cuts a ranged read's or a streamed read's body short.
 */
export async function startHttpFaultProxy(target: { host: string; port: number }): Promise<HttpFaultProxy> {
  const seen: SeenRequest[] = [];
  let failing: { left: number; answer: ErrorAnswer } | null = null;
  let truncating: { left: number; fraction: number } | null = null;
  let cutting: { left: number; atByte: number; matches: (request: SeenRequest) => boolean } | null = null;
  let holding: ((request: SeenRequest) => boolean) | null = null;
  let held: Array<() => void> = [];
  let waiters: Array<{ matches: (request: SeenRequest) => boolean; resolve: (request: SeenRequest) => void }> = [];
  const upstreamAgent = new http.Agent({ keepAlive: false });

  const record = (request: SeenRequest): void => {
    seen.push(request);
    const ready = waiters.filter((waiter) => waiter.matches(request));
    waiters = waiters.filter((waiter) => !waiter.matches(request));
    for (const waiter of ready) waiter.resolve(request);
  };

  const answerWithError = (incoming: http.IncomingMessage, outgoing: http.ServerResponse, answer: ErrorAnswer): void => {
    // The body is read to its end first, as a server does before it answers.
    incoming.resume();
    incoming.on('end', () => {
      const body = Buffer.from(errorBody(answer, incoming.url ?? '/'), 'utf8');
      outgoing.writeHead(answer.status, { 'content-type': 'application/xml', 'content-length': String(body.length), 'x-amz-request-id': randomBytes(8).toString('hex') });
      outgoing.end(incoming.method === 'HEAD' ? undefined : body);
    });
  };

  const server = http.createServer((incoming, outgoing) => {
    const method = incoming.method ?? 'GET';
    const url = incoming.url ?? '/';
    const rangeHeader = incoming.headers.range;
    const range = typeof rangeHeader === 'string' ? rangeHeader : null;
    if (failing) {
      const answer = failing.answer;
      if (Number.isFinite(failing.left) && --failing.left <= 0) failing = null;
      record({ method, url, range, fate: 'error' });
      answerWithError(incoming, outgoing, answer);
      return;
    }
    let truncate: Budget | null = null;
    const streamedFrom = method !== 'GET' ? null : range === null ? 0 : Number(/^bytes=(\d+)-$/.exec(range)?.[1] ?? Number.NaN);
    if (cutting && streamedFrom !== null && Number.isFinite(streamedFrom) && cutting.matches({ method, url, range, fate: 'truncated' })) {
      const bytes = Math.max(0, cutting.atByte - streamedFrom);
      truncate = () => bytes;
      if (--cutting.left <= 0) cutting = null;
    } else if (truncating && method === 'GET' && range !== null) {
      const fraction = truncating.fraction;
      truncate = (length) => Math.floor(length * fraction);
      if (--truncating.left <= 0) truncating = null;
    }
    if (truncate === null && holding?.({ method, url, range, fate: 'held' })) {
      record({ method, url, range, fate: 'held' });
      incoming.pause();
      held.push(() => forward(incoming, outgoing, null));
      return;
    }
    record({ method, url, range, fate: truncate === null ? 'forwarded' : 'truncated' });
    forward(incoming, outgoing, truncate);
  });
  const forward = (incoming: http.IncomingMessage, outgoing: http.ServerResponse, truncate: Budget | null): void => {
    const { method = 'GET', url = '/' } = incoming;
    const upstream = http.request({ host: target.host, port: target.port, method, path: url, headers: incoming.headers, agent: upstreamAgent }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      // An error answer (a 412 to If-Match) goes out whole: only bodies of objects are cut.
      if (truncate === null || (answer.statusCode ?? 502) >= 300) {
        answer.pipe(outgoing);
        return;
      }
      const length = Number(answer.headers['content-length'] ?? 0);
      let budget = truncate(length);
      if (budget <= 0) {
        answer.destroy();
        outgoing.flushHeaders();
        outgoing.socket?.end();
        return;
      }
      answer.on('data', (chunk: Buffer) => {
        if (budget <= 0) return;
        const piece = chunk.subarray(0, budget);
        budget -= piece.length;
        outgoing.write(piece);
        if (budget <= 0) {
          answer.destroy();
          // Headers promised `length` bytes: closing now leaves the client with fewer.
          outgoing.socket?.end();
        }
      });
      answer.on('end', () => outgoing.socket?.end());
    });
    upstream.on('error', () => outgoing.socket?.destroy());
    incoming.pipe(upstream);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the HTTP fault proxy has no port');

  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    seen,
    failNext: (count, answer = slowDown) => {
      failing = { left: count, answer };
    },
    failAll: (answer = slowDown) => {
      failing = { left: Number.POSITIVE_INFINITY, answer };
    },
    hold: (matches) => {
      holding = matches;
    },
    release: () => {
      holding = null;
      const waiting = held;
      held = [];
      for (const go of waiting) go();
    },
    heal: () => {
      failing = null;
      truncating = null;
      cutting = null;
    },
    truncateRangedGets: (count, fraction = 0.5) => {
      truncating = { left: count, fraction };
    },
    cutStreamedGets: (atByte, count = 1, matches = () => true) => {
      cutting = { left: count, atByte, matches };
    },
    requested: (matches) => new Promise((resolve) => waiters.push({ matches, resolve })),
    close: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      upstreamAgent.destroy();
      await closed;
    },
  };
}
