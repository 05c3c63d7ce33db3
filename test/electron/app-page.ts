// The built window (dist/renderer) in Debian's Chromium, wired to the real main entry loaded with the
// stand-in electron module: the page's window.dormouse calls the bridge the real preload exposed to
// the stand-in's window, and engine events the main process sends that window reach the page. The
// page is served over http from 127.0.0.1 (Chromium refuses module scripts from file://).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { openWindow } from '../helpers/browser';
import { rendererIndex } from './app-harness';
import type { FakeBrowserWindow } from './fake-electron';

const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/** What the real preload exposed to a stand-in window's page. */
interface ExposedBridge {
  invoke: (channel: string, request: unknown) => Promise<unknown>;
  onEvent: (listener: (event: unknown) => void) => () => void;
}

/** Serves the built renderer's files, nothing else, on a free port of 127.0.0.1; closed when the test ends. */
async function serveRenderer(t: { after: (fn: () => Promise<void> | void) => void }): Promise<string> {
  const folder = join(rendererIndex, '..');
  const server = createServer((request, response) => {
    const asked = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    const path = normalize(join(folder, asked === '/' ? 'index.html' : asked));
    if (!path.startsWith(folder)) return void response.writeHead(404).end();
    readFile(path).then(
      (body) => response.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(body),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** Opens the built window in Chromium, talking to the app through `window`'s preload bridge. */
export async function openAppPage(t: { after: (fn: () => Promise<void> | void) => void }, appWindow: FakeBrowserWindow): Promise<{ page: Page; problems: string[] }> {
  const bridge = appWindow.exposed?.dormouse as ExposedBridge | undefined;
  if (!bridge) throw new Error('the preload exposed no window.dormouse');
  const url = await serveRenderer(t);
  const { page, problems } = await openWindow(t, 'about:blank', 15_000);
  await page.exposeFunction('__appInvoke', (channel: string, request: unknown) => bridge.invoke(channel, request));
  const stop = bridge.onEvent((event) => void page.evaluate(`window.__appEvent?.(${JSON.stringify(event)})`).catch(() => undefined));
  t.after(stop);
  // A string, not a function: the test runner's transpiler would put helpers in a function's text that the page lacks.
  await page.addInitScript(`(() => {
    const listeners = new Set();
    window.__appEvent = (event) => listeners.forEach((listener) => listener(event));
    window.dormouse = {
      invoke: (channel, request) => window.__appInvoke(channel, request),
      onEvent: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
  })()`);
  await page.goto(url);
  return { page, problems };
}
