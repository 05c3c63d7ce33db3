// The web host of `dormouse daemon --ui`, from outside, as any local program or web page could
// reach it: the token, Host and Origin checks, loopback only, the API's transport answers,
// validation at the boundary, no files outside dist/renderer, and the event stream.
import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, apiValue, eventually, startUiDaemon, temporaryRoot, type Envelope, type UiDaemon } from '../ui/ui-daemon';
import { allocatedFile } from '../helpers/trees';

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request with exactly these headers and this raw path (no URL normalisation by a client). */
function raw(daemon: UiDaemon, options: { method?: string; path: string; headers?: Record<string, string>; body?: string; host?: string }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: options.host ?? '127.0.0.1',
        port: daemon.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: { host: `127.0.0.1:${daemon.port}`, ...options.headers },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${options.method ?? 'GET'} ${options.path}`)));
    req.end(options.body);
  });
}

const withToken = (daemon: UiDaemon, path: string) => `${path}${path.includes('?') ? '&' : '?'}token=${daemon.token}`;
const bearer = (daemon: UiDaemon) => ({ authorization: `Bearer ${daemon.token}` });

/** A token as long as the real one, but not it. */
function wrongTokenOfSameLength(token: string): string {
  const first = token[0] === 'A' ? 'B' : 'A';
  return first + token.slice(1);
}

/** Opens the event stream and collects its events. */
function openEvents(daemon: UiDaemon): Promise<{ events: { type: string; payload: Record<string, unknown> }[]; close: () => void; status: number; contentType: string }> {
  return new Promise((resolve, reject) => {
    const events: { type: string; payload: Record<string, unknown> }[] = [];
    const req = httpRequest({ host: '127.0.0.1', port: daemon.port, path: '/api/events', headers: { host: `127.0.0.1:${daemon.port}`, ...bearer(daemon) }, agent: false }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of frame.split('\n')) if (line.startsWith('data: ')) events.push(JSON.parse(line.slice(6)) as { type: string; payload: Record<string, unknown> });
        }
      });
      res.on('error', () => undefined);
      resolve({ events, close: () => req.destroy(), status: res.statusCode ?? 0, contentType: String(res.headers['content-type']) });
    });
    req.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
    req.end();
  });
}

function nonLoopbackAddresses(): { address: string; family: string }[] {
  return Object.values(networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .filter((entry) => !entry.internal && !entry.address.startsWith('fe80'))
    .map((entry) => ({ address: entry.address, family: entry.family }));
}

function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

test('the web host of dormouse daemon --ui', async (t) => {
  const root = temporaryRoot(t, 'dormouse-web-host-');
  const dataDir = join(root, 'data');
  const destinationFolder = join(root, 'usb');
  const sourceFolder = join(root, 'documents');
  mkdirSync(destinationFolder);
  mkdirSync(sourceFolder);
  writeFileSync(join(sourceFolder, 'notes.txt'), 'remember the milk\n');
  // Allocated but unwritten, so the gzip backup takes a moment and sends progress; it costs no time to make.
  allocatedFile(join(sourceFolder, 'disk.img'), 400 * 1024 * 1024);

  const daemon = await startUiDaemon(t, dataDir);
  // The start-up catch-up runs after --settle-seconds 1; a schedule added before it would be backed up then.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await apiValue(daemon, 'destinations:add', { name: 'usb', path: destinationFolder });
  await apiValue(daemon, 'schedules:add', { name: 'Documents', sources: [sourceFolder], destination: 'usb', cron: '0 3 * * *', compression: 'gzip' });
  // What must not change; free space moves with everything else on the disk, so it is left out.
  const baseline = async () => ({
    destinations: (await apiValue<Record<string, unknown>[]>(daemon, 'destinations:list')).map(({ freeBytes: _free, ...rest }) => rest),
    schedules: await apiValue(daemon, 'schedules:list'),
  });
  const before = await baseline();

  await t.test('--port 0 picks a free port; the printed URL carries the real port and a token', async () => {
    assert.match(daemon.line, /settings window served at http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+$/);
    assert.ok(daemon.port > 0 && daemon.port < 65536, `port ${daemon.port}`);
    assert.ok(daemon.token.length >= 24, `a token of ${daemon.token.length} characters is too guessable`);
    const page = await fetch(daemon.url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="root">/);
    const other = await startUiDaemon(t, join(root, 'other-data'));
    assert.notEqual(other.port, daemon.port);
    assert.notEqual(other.token, daemon.token, 'each start has its own token');
  });

  await t.test('requests without the token are refused with 401, page and API alike', async () => {
    for (const path of ['/', '/index.html', '/favicon.ico', '/api/events']) {
      const answer = await raw(daemon, { path });
      assert.equal(answer.status, 401, path);
      assert.doesNotMatch(answer.body, /<script/, 'no page without the token');
    }
    for (const channel of ['status:get', 'destinations:list', 'destinations:add', 'no-such-channel']) {
      const answer = await raw(daemon, { method: 'POST', path: `/api/${channel}`, body: '{}' });
      assert.equal(answer.status, 401, channel);
    }
    const added = await raw(daemon, { method: 'POST', path: '/api/destinations:add', body: JSON.stringify({ name: 'sneaky', path: destinationFolder }) });
    assert.equal(added.status, 401);
    assert.deepEqual(await baseline(), before);
  });

  await t.test('a wrong token is refused with 401, whichever way it comes', async () => {
    const wrongs = [wrongTokenOfSameLength(daemon.token), daemon.token.slice(0, -1), `${daemon.token}x`, 'x', daemon.token.toUpperCase() === daemon.token ? 'nope' : daemon.token.toUpperCase()];
    for (const wrong of wrongs) {
      assert.equal((await raw(daemon, { path: `/?token=${encodeURIComponent(wrong)}` })).status, 401, `query ${wrong}`);
      assert.equal((await raw(daemon, { method: 'POST', path: '/api/status:get', headers: { authorization: `Bearer ${wrong}` }, body: '{}' })).status, 401, `bearer ${wrong}`);
      assert.equal((await raw(daemon, { method: 'POST', path: '/api/status:get', headers: { cookie: `dormouse_token=${wrong}` }, body: '{}' })).status, 401, `cookie ${wrong}`);
    }
    assert.equal((await raw(daemon, { method: 'POST', path: '/api/status:get', headers: { cookie: `other_token=${daemon.token}` }, body: '{}' })).status, 401, 'the token under another cookie name');
  });

  await t.test('a foreign Host header is refused with 403, even with the token (DNS rebinding)', async () => {
    for (const host of ['evil.example', `evil.example:${daemon.port}`, '127.0.0.1', `127.0.0.1:${daemon.port + 1}`, `127.0.0.1:${daemon.port}.evil.example`, `[::1]:${daemon.port}`, `LOCALHOST.evil.example:${daemon.port}`]) {
      const page = await raw(daemon, { path: withToken(daemon, '/'), headers: { host } });
      assert.equal(page.status, 403, `page with Host ${JSON.stringify(host)}`);
      const call = await raw(daemon, { method: 'POST', path: '/api/destinations:list', headers: { host, ...bearer(daemon) }, body: '{}' });
      assert.equal(call.status, 403, `API with Host ${JSON.stringify(host)}`);
      assert.equal(page.headers['set-cookie'], undefined, 'no cookie for a foreign Host');
    }
    const noHost = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: daemon.port, path: withToken(daemon, '/'), setHost: false, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.ok(noHost === 403 || noHost === 400, `no Host header at all: ${noHost}`);
    const local = await raw(daemon, { method: 'POST', path: '/api/destinations:list', headers: { host: `localhost:${daemon.port}`, ...bearer(daemon) }, body: '{}' });
    assert.equal(local.status, 200, 'localhost:PORT is the same machine');
  });

  await t.test('a foreign Origin is refused with 403; the page\'s own origin is fine', async () => {
    const foreign = ['http://evil.example', `http://evil.example:${daemon.port}`, 'null', `http://127.0.0.1:${daemon.port + 1}`, `https://127.0.0.1:${daemon.port}`, `http://127.0.0.1:${daemon.port}.evil.example`, 'file://'];
    for (const origin of foreign) {
      const answer = await raw(daemon, { method: 'POST', path: '/api/destinations:add', headers: { origin, ...bearer(daemon), 'content-type': 'application/json' }, body: JSON.stringify({ name: 'from-evil', path: destinationFolder }) });
      assert.equal(answer.status, 403, `Origin ${origin}`);
      const events = await raw(daemon, { path: withToken(daemon, '/api/events'), headers: { origin } });
      assert.equal(events.status, 403, `events with Origin ${origin}`);
    }
    assert.deepEqual(await baseline(), before);
    for (const origin of [`http://127.0.0.1:${daemon.port}`, `http://localhost:${daemon.port}`]) {
      const answer = await raw(daemon, { method: 'POST', path: '/api/destinations:list', headers: { origin, ...bearer(daemon) }, body: '{}' });
      assert.equal(answer.status, 200, `Origin ${origin}`);
      assert.equal((JSON.parse(answer.body) as Envelope).ok, true);
    }
  });

  await t.test('the token works as ?token= and as a Bearer header; the page carries it on, never in a cookie', async () => {
    const viaQuery = await raw(daemon, { method: 'POST', path: withToken(daemon, '/api/status:get'), body: '{}' });
    assert.equal(viaQuery.status, 200);
    assert.equal((JSON.parse(viaQuery.body) as Envelope).ok, true);
    const viaBearer = await raw(daemon, { method: 'POST', path: '/api/status:get', headers: bearer(daemon), body: '{}' });
    assert.equal(viaBearer.status, 200);

    const page = await raw(daemon, { path: withToken(daemon, '/') });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.equal(page.headers['set-cookie'], undefined, 'no cookie: browsers would send it to every other port of 127.0.0.1');
    assert.ok(page.body.includes(`<meta name="dormouse-token" content="${daemon.token}" />`), 'the page hands the token to its API bridge');
    const script = /src="\.?(\/assets\/[^"]+\.js)\?token=([^"]+)"/.exec(page.body);
    assert.ok(script, 'the page names its script with the token');
    assert.equal(script[2], daemon.token);
    const asset = await raw(daemon, { path: `${script[1]}?token=${script[2]}` });
    assert.equal(asset.status, 200);
    assert.match(String(asset.headers['content-type']), /^text\/javascript/);
    assert.equal(asset.headers['x-content-type-options'], 'nosniff');
    const assetWithoutToken = await raw(daemon, { path: script[1] as string });
    assert.equal(assetWithoutToken.status, 401);
    const viaCookie = await raw(daemon, { method: 'POST', path: '/api/destinations:list', headers: { cookie: `dormouse_token=${daemon.token}` }, body: '{}' });
    assert.equal(viaCookie.status, 401, 'a cookie is not a way in');
  });

  await t.test('it listens only on 127.0.0.1', async (t2) => {
    assert.match(daemon.url, /^http:\/\/127\.0\.0\.1:/);
    assert.equal(await tryConnect('127.0.0.1', daemon.port), 'connected');
    assert.equal(await tryConnect('::1', daemon.port).then((result) => (result === 'connected' ? 'connected' : 'refused')), 'refused', 'not on IPv6 loopback either');
    const others = nonLoopbackAddresses();
    t2.diagnostic(`non-loopback addresses tried: ${others.map((entry) => entry.address).join(', ') || 'none (this machine has none)'}`);
    for (const { address } of others) {
      const result = await tryConnect(address, daemon.port);
      assert.notEqual(result, 'connected', `reachable on ${address}:${daemon.port}`);
    }
  });

  await t.test('unknown channels answer 404, GET on a channel 405, both as envelopes', async () => {
    for (const channel of ['no-such-channel', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'destinations', 'destinations:list/extra', '']) {
      const answer = await raw(daemon, { method: 'POST', path: `/api/${channel}`, headers: bearer(daemon), body: '{}' });
      assert.equal(answer.status, 404, `channel ${JSON.stringify(channel)}: ${answer.body}`);
      const envelope = JSON.parse(answer.body) as Envelope;
      assert.equal(envelope.ok, false);
      if (!envelope.ok) assert.equal(envelope.error.code, 'NOT_FOUND');
    }
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const answer = await raw(daemon, { method, path: '/api/destinations:list', headers: bearer(daemon) });
      assert.equal(answer.status, 405, `${method}: ${answer.body}`);
      assert.equal((JSON.parse(answer.body) as Envelope).ok, false);
    }
  });

  await t.test('a body that is not JSON, or not an object, is INVALID_INPUT', async () => {
    for (const body of ['{', '{"name":', 'name=usb', '\u0000', '{"a":1}}', "{'name':'x'}", 'null', '[]', '"text"', '42', 'true']) {
      const answer = await raw(daemon, { method: 'POST', path: '/api/destinations:add', headers: { ...bearer(daemon), 'content-type': 'application/json' }, body });
      assert.equal(answer.status, 200, `engine answers are HTTP 200: ${body}`);
      const envelope = JSON.parse(answer.body) as Envelope;
      assert.equal(envelope.ok, false, body);
      if (!envelope.ok) assert.equal(envelope.error.code, 'INVALID_INPUT', `${body}: ${envelope.error.message}`);
    }
    assert.deepEqual(await baseline(), before);
  });

  await t.test('wrong types, extra fields, huge strings and path traversal are rejected and change nothing', async (t2) => {
    const spare = join(root, 'spare');
    mkdirSync(spare);
    const schedule = { name: 'Photos', sources: [sourceFolder], destination: 'usb', cron: '0 4 * * *' };
    const bad: [string, unknown][] = [
      ['destinations:add', { name: 5, path: spare }],
      ['destinations:add', { name: 'spare', path: ['/tmp'] }],
      ['destinations:add', { name: 'spare' }],
      ['destinations:add', { name: 'spare', path: spare, admin: true }],
      ['destinations:add', JSON.parse(`{"name":"spare","path":${JSON.stringify(spare)},"__proto__":{"polluted":true}}`)],
      ['destinations:add', { name: 'x'.repeat(1_000_000), path: spare }],
      ['destinations:add', { name: 'spare', path: `${spare}/${'p'.repeat(10_000)}` }],
      ['destinations:add', { name: 'sp\u0000are', path: spare }],
      ['destinations:add', { name: 'spare\nline', path: spare }],
      ['destinations:add', { name: 'spare', path: `${spare}\u0000/etc` }],
      ['destinations:add', { name: '   ', path: spare }],
      ['destinations:add', { name: 'traversal', path: '../../etc' }],
      ['destinations:add', { name: 'traversal', path: '../../../../../../tmp' }],
      ['destinations:add', { name: 'relative', path: 'usb' }],
      ['schedules:add', { ...schedule, sources: ['/etc/../'] }],
      ['schedules:add', { ...schedule, sources: ['../../etc'] }],
      ['schedules:add', { ...schedule, sources: [`${destinationFolder}/..`] }],
      ['schedules:add', { ...schedule, sources: sourceFolder }],
      ['schedules:add', { ...schedule, sources: [] }],
      ['schedules:add', { ...schedule, cron: 5 }],
      ['schedules:add', { ...schedule, cron: '0 4 * *' }],
      ['schedules:add', { ...schedule, cron: '61 * * * *' }],
      ['schedules:add', { ...schedule, compression: 'zip' }],
      ['schedules:add', { ...schedule, keepLast: -1 }],
      ['schedules:add', { ...schedule, keepLast: 1.5 }],
      ['schedules:add', { ...schedule, enabled: 'yes' }],
      ['schedules:add', { ...schedule, excludes: ['ok', 7] }],
      ['schedules:add', { ...schedule, id: 1 }],
      ['schedules:add', { ...schedule, cron: `0 4 * * * ${'*'.repeat(300)}` }],
      ['schedules:edit', { schedule: 'Documents', changes: { sources: ['/etc/../'] } }],
      ['schedules:edit', { schedule: 'Documents', changes: { cron: 'every day' } }],
      ['schedules:edit', { schedule: 'Documents', changes: { owner: 'root' } }],
      ['schedules:set-enabled', { name: 'Documents', enabled: 'false' }],
      ['destinations:remove', { name: ['usb'] }],
      ['schedules:remove', {}],
      ['jobs:list', { limit: 0 }],
      ['jobs:list', { limit: 'all' }],
      ['jobs:list', { beforeId: -1 }],
      ['jobs:list', { status: 'exploded' }],
      ['jobs:get', { jobId: '1' }],
      ['jobs:start', { name: 'Documents', now: true }],
      ['settings:set', { settleSeconds: 'soon' }],
      ['settings:set', { isAdmin: true }],
      ['status:get', { verbose: true }],
    ];
    for (const [channel, body] of bad) {
      const envelope = await api(daemon, channel, body);
      const shown = JSON.stringify(body).slice(0, 120);
      assert.equal(envelope.ok, false, `${channel} accepted ${shown}`);
      if (!envelope.ok) {
        assert.equal(envelope.error.code, 'INVALID_INPUT', `${channel} ${shown}: ${envelope.error.code} ${envelope.error.message}`);
        assert.ok(envelope.error.message.length < 2000, `the message echoes the huge input back (${envelope.error.message.length} characters)`);
      }
    }
    assert.deepEqual(await baseline(), before);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const settings = await apiValue<Record<string, unknown>>(daemon, 'settings:get');
    assert.equal(settings.isAdmin, undefined);
    t2.diagnostic(`${bad.length} invalid requests refused with INVALID_INPUT; destinations and schedules unchanged`);
  });

  await t.test('a body over 1 MB (a name of 1 MB) is refused with 413 or INVALID_INPUT', async () => {
    const response = await fetch(`${daemon.origin}/api/destinations:add`, {
      method: 'POST',
      headers: { ...bearer(daemon), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'n'.repeat(1024 * 1024), path: destinationFolder }),
    });
    if (response.status !== 413) {
      assert.equal(response.status, 200);
      const envelope = (await response.json()) as Envelope;
      assert.equal(envelope.ok, false);
      if (!envelope.ok) assert.equal(envelope.error.code, 'INVALID_INPUT');
    }
    assert.deepEqual(await baseline(), before);
  });

  await t.test('oversized bodies are answered (413 or INVALID_INPUT), never with a reset connection, also between ordinary requests', async (t2) => {
    // As the window would: an oversized request, then ordinary ones, on the same keep-alive connections.
    const outcomes: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      for (const [label, channel, body] of [
        ['2 MB body', 'destinations:add', JSON.stringify({ name: 'n'.repeat(2 * 1024 * 1024), path: destinationFolder })],
        ['small request', 'destinations:list', '{}'],
      ] as const) {
        try {
          const response = await fetch(`${daemon.origin}/api/${channel}`, { method: 'POST', headers: { ...bearer(daemon), 'content-type': 'application/json' }, body });
          const text = await response.text();
          const fine = label === 'small request' ? response.status === 200 && text.startsWith('{"ok":true') : response.status === 413 || (response.status === 200 && text.includes('"INVALID_INPUT"'));
          outcomes.push(fine ? 'answered' : `round ${round + 1}, ${label}: HTTP ${response.status} ${text.slice(0, 80)}`);
        } catch (error) {
          const cause = (error as { cause?: { code?: string } }).cause;
          outcomes.push(`round ${round + 1}, ${label}: ${(error as Error).message} (${cause?.code ?? 'no code'})`);
        }
      }
    }
    const failures = outcomes.filter((outcome) => outcome !== 'answered');
    t2.diagnostic(`${outcomes.length - failures.length} of ${outcomes.length} requests answered`);
    assert.deepEqual(failures, [], 'requests that got no answer');
    assert.deepEqual(await baseline(), before);
  });

  await t.test('static paths never leave dist/renderer', async () => {
    const paths = [
      '/../../etc/passwd',
      '/../../../../../../../../etc/passwd',
      '/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/assets/../../../../../etc/passwd',
      '/..\\..\\..\\..\\etc\\passwd',
      '/%5c..%5c..%5c..%5cetc%5cpasswd',
      '//etc/passwd',
      '/etc/passwd',
      '/%2fetc%2fpasswd',
      '/../main/cli.cjs',
      '/../../package.json',
      '/..%2f..%2fpackage.json',
      '/....//....//etc/passwd',
      '/assets',
      '/assets/',
      '/index.html%00.js',
    ];
    for (const path of paths) {
      const answer = await raw(daemon, { path: withToken(daemon, path) });
      assert.equal(answer.status, 404, `${path} → ${answer.status} ${answer.body.slice(0, 60)}`);
      assert.doesNotMatch(answer.body, /root:|"name": "dormouse"|require\(/, path);
    }
  });

  await t.test('the event stream delivers job-started, job-progress and job-finished for Back Up Now', async (t2) => {
    const stream = await openEvents(daemon);
    t2.after(() => stream.close());
    assert.equal(stream.status, 200);
    assert.match(stream.contentType, /^text\/event-stream/);
    const queued = await apiValue<{ id: number; status: string }>(daemon, 'jobs:start', { name: 'Documents' });
    assert.ok(['queued', 'running'].includes(queued.status), queued.status);
    const mine = (type: string) => stream.events.filter((event) => event.type === type && (event.payload.id === queued.id || event.payload.jobId === queued.id));
    await eventually(() => mine('job-finished').length > 0, 45_000, 'job-finished');
    const started = mine('job-started');
    const progress = mine('job-progress');
    const finished = mine('job-finished');
    assert.equal(started.length, 1);
    assert.ok(progress.length >= 1, 'at least one progress event');
    assert.equal(finished.length, 1);
    assert.equal(finished[0]?.payload.status, 'succeeded');
    const order = stream.events.filter((event) => event.type.startsWith('job-')).map((event) => event.type);
    assert.equal(order[0], 'job-started');
    assert.equal(order.at(-1), 'job-finished');
    const last = progress.at(-1)?.payload as { bytes: number; totalBytes: number; totalFiles: number };
    assert.ok(last.totalBytes >= 400 * 1024 * 1024, `totalBytes ${last.totalBytes}`);
    assert.ok(last.bytes <= last.totalBytes);
    t2.diagnostic(`job ${queued.id}: ${started.length} started, ${progress.length} progress, ${finished.length} finished event(s)`);
    const job = await apiValue<{ status: string; archivePath: string }>(daemon, 'jobs:get', { jobId: queued.id });
    assert.equal(job.status, 'succeeded');
    assert.ok(job.archivePath.startsWith(destinationFolder), job.archivePath);
  });
});
