// The stand-in `electron` module's windows, their pages and ipcMain (see fake-electron.ts): a preload is loaded as Electron's sandbox loads it.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { fakeEvent } from './fake-electron-app';

/** One message the main process sent to a window, whether its page had finished loading by then, and whether a listener in the page got it. */
export interface SentMessage {
  channel: string;
  args: unknown[];
  afterLoad: boolean;
  /** Set once the message reached the page: false when nothing there listened on its channel (Electron drops it). */
  heard?: boolean;
}

/** The renderer's side of ipcRenderer for one page: the listeners its preload added. */
type RendererListener = (event: { sender: unknown }, ...args: unknown[]) => void;

export class FakeWebContents extends EventEmitter {
  readonly sent: SentMessage[] = [];
  windowOpenHandler: ((details: { url: string }) => unknown) | undefined;
  loaded = false;
  /** What the page's preload listens to with ipcRenderer.on, per channel. */
  readonly rendererListeners = new Map<string, Set<RendererListener>>();
  /** Engine events the page itself (the React app, through window.dormouse.onEvent) received, in order. */
  readonly pageEvents: unknown[] = [];

  setWindowOpenHandler(handler: (details: { url: string }) => unknown): void {
    this.windowOpenHandler = handler;
  }

  /** As Electron: delivered asynchronously; a message for a channel nobody in the page listens to is dropped. */
  send(channel: string, ...args: unknown[]): void {
    const message: SentMessage = { channel, args, afterLoad: this.loaded };
    this.sent.push(message);
    setImmediate(() => {
      const listeners = [...(this.rendererListeners.get(channel) ?? [])];
      message.heard = listeners.length > 0;
      for (const listener of listeners) listener({ sender: this }, ...args);
    });
  }

  isLoading(): boolean {
    return !this.loaded;
  }
}

/** The page as the renderer runs it: how long after did-finish-load the React app subscribes to engine events (its effects run after the first paint). */
export const pageSubscribesAfterMs = 50;

/** What a window's page got from its preload through contextBridge.exposeInMainWorld. */
interface PageBridge {
  onEvent?: (listener: (event: unknown) => void) => () => void;
  [key: string]: unknown;
}


export class FakeBrowserWindow extends EventEmitter {
  static readonly instances: FakeBrowserWindow[] = [];
  /** The main process's ipcMain, which a page's ipcRenderer reaches. */
  static ipcMain: FakeIpcMain | null = null;
  /** The renderer-side electron module while a preload is being loaded (sandboxed preloads see only these). */
  static rendererModule: Record<string, unknown> | null = null;
  readonly webContents = new FakeWebContents();
  readonly loadedFiles: string[] = [];
  showCalls = 0;
  hideCalls = 0;
  focusCalls = 0;
  visible: boolean;
  private destroyed = false;

  constructor(readonly options: { show?: boolean; webPreferences?: Record<string, unknown>; [key: string]: unknown } = {}) {
    super();
    this.visible = options.show !== false;
    FakeBrowserWindow.instances.push(this);
  }

  /** What the preload exposed to the page (window.dormouse and anything else), null when none ran or it threw. */
  exposed: Record<string, PageBridge> | null = null;
  /** The preload's error, when it threw while loading. */
  preloadError: Error | null = null;

  /**
   * Loads a page as Chromium does: the real built preload (webPreferences.preload) runs first with a
   * renderer-side electron module, did-finish-load comes a little later, and the page's React app
   * subscribes to engine events only some time after that (pageSubscribesAfterMs).
   */
  loadFile(path: string): Promise<void> {
    this.loadedFiles.push(path);
    this.webContents.loaded = false;
    this.webContents.rendererListeners.clear();
    this.webContents.emit('did-start-loading');
    this.runPreload(pathToFileURL(path).href);
    return new Promise((resolve) =>
      setTimeout(() => {
        if (this.destroyed) return resolve();
        this.webContents.loaded = true;
        this.webContents.emit('did-finish-load');
        resolve();
        setTimeout(() => {
          const subscribe = this.exposed?.dormouse?.onEvent;
          if (!this.destroyed && typeof subscribe === 'function') subscribe((event) => this.webContents.pageEvents.push(event));
        }, pageSubscribesAfterMs);
      }, 30),
    );
  }

  private runPreload(pageUrl: string): void {
    const preload = this.options.webPreferences?.preload;
    const ipcMain = FakeBrowserWindow.ipcMain;
    if (typeof preload !== 'string' || !ipcMain) return;
    const webContents = this.webContents;
    const event = () => ({ sender: webContents, senderFrame: { url: pageUrl } });
    const exposed: Record<string, PageBridge> = {};
    const ipcRenderer = {
      invoke: (channel: string, ...args: unknown[]) => ipcMain.invoke(channel, event(), ...args),
      send: (channel: string, ...args: unknown[]) => {
        setImmediate(() => ipcMain.emit(channel, event(), ...args));
      },
      on(channel: string, listener: RendererListener) {
        const set = webContents.rendererListeners.get(channel) ?? new Set();
        set.add(listener);
        webContents.rendererListeners.set(channel, set);
        return ipcRenderer;
      },
      off(channel: string, listener: RendererListener) {
        webContents.rendererListeners.get(channel)?.delete(listener);
        return ipcRenderer;
      },
    };
    const contextBridge = {
      exposeInMainWorld: (name: string, api: PageBridge) => {
        exposed[name] = api;
      },
    };
    try {
      FakeBrowserWindow.rendererModule = { contextBridge, ipcRenderer };
      const load = createRequire(__filename);
      delete load.cache[load.resolve(preload)];
      load(preload);
      this.exposed = exposed;
    } catch (error) {
      this.preloadError = error as Error;
    } finally {
      FakeBrowserWindow.rendererModule = null;
    }
  }

  show(): void {
    this.showCalls += 1;
    this.visible = true;
  }

  hide(): void {
    this.hideCalls += 1;
    this.visible = false;
  }

  focus(): void {
    this.focusCalls += 1;
  }

  isVisible(): boolean {
    return this.visible;
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  /** What the window's close button (or a quit) does: 'close' may be prevented; otherwise the window is destroyed. Returns whether it closed. */
  close(): boolean {
    const event = fakeEvent();
    this.emit('close', event);
    if (event.defaultPrevented) return false;
    this.destroy();
    return true;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.visible = false;
    this.emit('closed');
  }
}

/** ipcMain: records handle(channel, fn) so a test can invoke a handler with an event of its choice. */
export class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();

  handle(channel: string, handler: (event: unknown, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }

  /** Calls a handler as a renderer's ipcRenderer.invoke would reach it. */
  async invoke(channel: string, event: unknown, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler(event, ...args);
  }
}
