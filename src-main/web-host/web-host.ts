import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { isChannel, type DormouseEvent, type Envelope } from '../../shared/contract';
import { DormouseError } from '../../shared/errors';
import type { Engine } from '../engine/engine';

const maxBodyBytes = 1024 * 1024;
const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface WebHostOptions {
  engine: Engine;
  rendererFolder: string;
  port: number;
  /** A fixed token (tests); otherwise a random one per start. */
  token?: string;
}

/** The running web host: its address with the token, and how to tell browsers about engine events. */
export interface WebHost {
  url: string;
  port: number;
  token: string;
  publish(event: DormouseEvent): void;
  close(): Promise<void>;
}

function sameSecret(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(response: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...extra });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

/** Reads a request body; an oversized one is read to its end and dropped, so the connection stays usable. */
async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= maxBodyBytes) chunks.push(chunk as Buffer);
  }
  return size > maxBodyBytes ? null : Buffer.concat(chunks).toString('utf8');
}

/**
 * Serves the settings window's renderer and the engine's API on 127.0.0.1 for machines with no
 * tray (and so the whole UI can be tested in a real browser): the same contract channels as the
 * Electron IPC over POST /api/<channel>, events as server-sent events on /api/events. Every
 * request needs the per-start token: the printed URL carries it, the page it serves carries it on
 * to its own scripts and API calls (never in a cookie, which browsers would also send to other
 * ports of 127.0.0.1); a foreign Host or Origin header is refused, so other sites and DNS
 * rebinding cannot reach it.
 */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const streams = new Set<ServerResponse>();
  let port = 0;

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  const serveFile = (response: ServerResponse, pathname: string) => {
    const relativePath = normalize(pathname === '/' ? '/index.html' : pathname).replace(/^([/\\])+/, '');
    const file = join(options.rendererFolder, relativePath);
    if (!file.startsWith(options.rendererFolder + sep) || !existsSync(file) || !statSync(file).isFile()) {
      send(response, 404, 'not found');
      return;
    }
    let body: Buffer | string = readFileSync(file);
    if (extname(file) === '.html') {
      // The page hands the token on: to its scripts and styles, and (in a meta tag) to the API bridge.
      body = body
        .toString('utf8')
        .replace(/((?:src|href)="\.?\/assets\/[^"?]+)"/g, `$1?token=${token}"`)
        .replace('<head>', `<head>\n    <meta name="dormouse-token" content="${token}" />\n    <meta name="referrer" content="no-referrer" />`);
    }
    response.writeHead(200, {
      'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'content-security-policy': contentSecurityPolicy,
    });
    response.end(body);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    if (!allowedHosts().has(request.headers.host ?? '')) return send(response, 403, 'forbidden: foreign Host header');
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return send(response, 403, 'forbidden: foreign Origin header');
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
    const queryToken = url.searchParams.get('token') ?? undefined;
    const bearer = request.headers.authorization?.replace(/^Bearer /, '');
    const authorised = sameSecret(queryToken, token) || sameSecret(bearer, token);
    if (!authorised) return send(response, 401, 'unauthorised: open the URL that `dormouse daemon --ui` printed');

    if (url.pathname === '/api/events' && request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      response.write(': connected\n\n');
      streams.add(response);
      request.on('close', () => streams.delete(response));
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      const channel = url.pathname.slice('/api/'.length);
      if (request.method !== 'POST') return sendJson(response, 405, { ok: false, error: { code: 'INVALID_INPUT', message: 'use POST' } });
      if (!isChannel(channel)) return sendJson(response, 404, { ok: false, error: { code: 'NOT_FOUND', message: `no channel ${channel}` } });
      let envelope: Envelope<unknown>;
      try {
        const text = await readBody(request);
        if (text === null) {
          return sendJson(response, 413, { ok: false, error: { code: 'INVALID_INPUT', message: `the request body is larger than ${maxBodyBytes} bytes` } });
        }
        let payload: unknown;
        try {
          payload = text === '' ? {} : JSON.parse(text);
        } catch {
          throw new DormouseError('INVALID_INPUT', 'the request body is not valid JSON');
        }
        envelope = { ok: true, value: await options.engine.handle(channel, payload) };
      } catch (error) {
        envelope = error instanceof DormouseError ? { ok: false, error: { code: error.code, message: error.message } } : { ok: false, error: { code: 'INTERNAL', message: (error as Error).message } };
      }
      // The envelope carries the engine's answer, errors included (as the IPC does); HTTP statuses are for the transport.
      return sendJson(response, envelope.ok || envelope.error.code !== 'INTERNAL' ? 200 : 500, envelope);
    }
    if (request.method !== 'GET') return send(response, 405, 'method not allowed');
    return serveFile(response, url.pathname);
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => send(response, 500, (error as Error).message));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    publish(event) {
      const frame = `data: ${JSON.stringify(event)}\n\n`;
      for (const stream of streams) stream.write(frame);
    },
    close() {
      for (const stream of streams) stream.end();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
