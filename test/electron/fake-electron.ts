// A stand-in for the `electron` module, for loading the real, built main-process entry
// (dist/main/electron-main.cjs) under plain Node where the Electron runtime cannot be installed.
// It implements exactly what src-main/electron/*.ts uses in the main process, records what the
// entry does with it, and lets a test act as the OS and the person: emit app and power events,
// click menu items and notifications, close windows, invoke IPC handlers. utilityProcess.fork
// starts the real archive worker script as a Node child (the worker speaks process.send there).
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { existsSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { constants } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { pathToFileURL } from 'node:url';
import { runInNewContext } from 'node:vm';

/** An Electron event object: enough for handlers that call preventDefault(). */
export interface FakeEvent {
  defaultPrevented: boolean;
  preventDefault(): void;
}

export function fakeEvent(): FakeEvent {
  return {
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true;
    },
  };
}

/** What nativeImage.createFromPath returns: the path it was made from. */
export interface FakeNativeImage {
  readonly path: string;
  isEmpty(): boolean;
}

function imagePath(image: FakeNativeImage | string): string {
  return typeof image === 'string' ? image : image.path;
}

/** A menu template item as src-main/electron/tray-menu.ts builds it. */
export interface FakeMenuItem {
  type?: string;
  label?: string;
  enabled?: boolean;
  submenu?: FakeMenuItem[];
  click?: (...args: unknown[]) => void;
}

/** What app.getLoginItemSettings answers, the fields of each platform. */
export interface LoginItemSettings {
  openAtLogin: boolean;
  wasOpenedAtLogin?: boolean;
  executableWillLaunchAtLogin?: boolean;
}

export class FakeApp extends EventEmitter {
  /** What requestSingleInstanceLock answers. */
  singleInstanceLock = true;
  lockRequests = 0;
  whenReadyCalls = 0;
  quitCalls = 0;
  /** True once a quit went through (no before-quit handler and no window prevented it). */
  quitted = false;
  isPackaged = false;
  readonly loginItemSettingsCalls: { openAtLogin?: boolean; path?: string; args?: string[] }[] = [];

  constructor(
    private readonly appPath: string,
    private readonly windows: () => FakeBrowserWindow[],
  ) {
    super();
  }

  /** What app.setAppUserModelId was given (Windows uses it to route a toast's click back to the app). */
  appUserModelId: string | null = null;

  setAppUserModelId(id: string): void {
    this.appUserModelId = id;
  }

  /** As Electron: app.dock exists on macOS only. */
  get dock(): { hidden: boolean; hide(): void; show(): Promise<void> } | undefined {
    return process.platform === 'darwin' ? this.macDock : undefined;
  }

  readonly macDock = {
    hidden: false,
    hide() {
      this.hidden = true;
    },
    async show() {
      this.hidden = false;
    },
  };

  requestSingleInstanceLock(): boolean {
    this.lockRequests += 1;
    return this.singleInstanceLock;
  }

  whenReady(): Promise<void> {
    this.whenReadyCalls += 1;
    return new Promise((resolve) =>
      setImmediate(() => {
        this.emit('ready', fakeEvent(), {});
        resolve();
      }),
    );
  }

  /** As Electron does: before-quit (cancellable), then every window is asked to close (cancellable), then will-quit and quit. */
  quit(): void {
    this.quitCalls += 1;
    const beforeQuit = fakeEvent();
    this.emit('before-quit', beforeQuit);
    if (beforeQuit.defaultPrevented) return;
    for (const window of this.windows()) {
      if (window.isDestroyed()) continue;
      if (!window.close()) return;
    }
    const willQuit = fakeEvent();
    this.emit('will-quit', willQuit);
    if (willQuit.defaultPrevented) return;
    this.quitted = true;
    this.emit('quit', fakeEvent(), 0);
  }

  /** The code app.exit was called with; null until then. */
  exitCode: number | null = null;

  /** As Electron does: quits at once with the code, without before-quit, will-quit or asking the windows. */
  exit(code = 0): void {
    this.exitCode = code;
    this.quitted = true;
  }

  getAppPath(): string {
    return this.appPath;
  }

  /** Whether macOS started this run as a login item (getLoginItemSettings().wasOpenedAtLogin). */
  launchedAtLogin = false;

  /**
   * As Electron documents per platform. Windows: one Run entry holding the executable and its args;
   * openAtLogin is true only when asked with the same path and args it was set with. macOS: args and
   * path do not exist (nor, in Electron 45, openAsHidden); how this run was started is reported. Linux: none.
   */
  getLoginItemSettings(options: { path?: string; args?: string[] } = {}): LoginItemSettings {
    if (process.platform === 'win32') {
      const entry = this.windowsRunEntry;
      const path = options.path ?? process.execPath;
      const args = options.args ?? [];
      const sameExecutable = entry !== null && entry.path === path;
      return { openAtLogin: sameExecutable && JSON.stringify(entry.args) === JSON.stringify(args), executableWillLaunchAtLogin: sameExecutable };
    }
    if (process.platform === 'darwin') {
      return { openAtLogin: this.macLoginItem.openAtLogin, wasOpenedAtLogin: this.launchedAtLogin };
    }
    return { openAtLogin: false };
  }

  setLoginItemSettings(settings: { openAtLogin?: boolean; path?: string; args?: string[] }): void {
    this.loginItemSettingsCalls.push(settings);
    if (process.platform === 'win32') {
      this.windowsRunEntry = settings.openAtLogin ? { path: settings.path ?? process.execPath, args: [...(settings.args ?? [])] } : null;
    } else if (process.platform === 'darwin') {
      this.macLoginItem = { openAtLogin: settings.openAtLogin ?? false };
    }
  }

  /** The Run registry value Windows keeps for the app (one per app name). */
  windowsRunEntry: { path: string; args: string[] } | null = null;
  /** The login item macOS keeps: args never reach it. */
  macLoginItem = { openAtLogin: false };
}

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

/** The renderer-side electron module while a preload is being loaded (sandboxed preloads see only these). */
let rendererModule: Record<string, unknown> | null = null;

export class FakeBrowserWindow extends EventEmitter {
  static readonly instances: FakeBrowserWindow[] = [];
  /** The main process's ipcMain, which a page's ipcRenderer reaches. */
  static ipcMain: FakeIpcMain | null = null;
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
      rendererModule = { contextBridge, ipcRenderer };
      const load = createRequire(__filename);
      delete load.cache[load.resolve(preload)];
      load(preload);
      this.exposed = exposed;
    } catch (error) {
      this.preloadError = error as Error;
    } finally {
      rendererModule = null;
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

/** Runs V8's full garbage collection now, as it may run at any moment in the real main process. */
export const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/**
 * What the OS keeps of a shown notification: its text, and a way back to the app's Notification
 * object that does not keep that object alive. As in Electron (electron/electron#16922, #12690), a
 * Notification the app no longer references is garbage-collected and a click on it reaches nobody.
 */
export class ShownNotification {
  readonly title: string;
  readonly body: string;
  shown = false;
  /** Clicks that reached no handler because the app had let go of the Notification. */
  lostClicks = 0;
  private readonly app: WeakRef<FakeNotification>;

  constructor(notification: FakeNotification) {
    this.title = notification.title;
    this.body = notification.body;
    this.app = new WeakRef(notification);
  }

  /** What the person clicking the notification does: a collection runs first, as it may at any time before a click. */
  click(): void {
    collectGarbage();
    const notification = this.app.deref();
    if (!notification) {
      this.lostClicks += 1;
      return;
    }
    notification.emit('click', fakeEvent());
  }

  /** The person dismissing it, or the OS taking it away. */
  close(): void {
    this.app.deref()?.emit('close', fakeEvent());
  }
}

export class FakeNotification extends EventEmitter {
  /** Every notification made, as the OS keeps them (never the app's object itself). */
  static readonly instances: ShownNotification[] = [];
  static supported = true;
  readonly title: string;
  readonly body: string;
  private readonly record: ShownNotification;

  static isSupported(): boolean {
    return FakeNotification.supported;
  }

  constructor(options: { title?: string; body?: string } = {}) {
    super();
    this.title = options.title ?? '';
    this.body = options.body ?? '';
    this.record = new ShownNotification(this);
    FakeNotification.instances.push(this.record);
  }

  show(): void {
    this.record.shown = true;
    this.emit('show', fakeEvent());
  }
}

export class FakeTray extends EventEmitter {
  static readonly instances: FakeTray[] = [];
  /** Every image path the tray showed, the one given to the constructor first. */
  readonly images: string[] = [];
  readonly tooltips: string[] = [];
  readonly contextMenus: FakeMenuItem[][] = [];
  destroyed = false;

  constructor(image: FakeNativeImage | string) {
    super();
    this.images.push(imagePath(image));
    FakeTray.instances.push(this);
  }

  setImage(image: FakeNativeImage | string): void {
    this.images.push(imagePath(image));
  }

  setToolTip(tooltip: string): void {
    this.tooltips.push(tooltip);
  }

  /** Whether the person has the tray's menu open right now. */
  menuOpen = false;
  /** Menus closed under the person because the app replaced the menu while it was open. */
  menusClosedWhileOpen = 0;

  /** The person opens the tray's menu. */
  openMenu(): void {
    this.menuOpen = true;
  }

  /** As on Linux (AppIndicator): setting a menu while one is open closes it, and the icon flickers. */
  setContextMenu(menu: FakeMenuItem[] | null): void {
    if (this.menuOpen) {
      this.menuOpen = false;
      this.menusClosedWhileOpen += 1;
    }
    if (menu) this.contextMenus.push(menu);
  }

  destroy(): void {
    this.destroyed = true;
  }

  get image(): string | undefined {
    return this.images.at(-1);
  }

  get tooltip(): string | undefined {
    return this.tooltips.at(-1);
  }

  get menu(): FakeMenuItem[] | undefined {
    return this.contextMenus.at(-1);
  }
}

export class FakePowerMonitor extends EventEmitter {
  onBattery = false;

  isOnBatteryPower(): boolean {
    return this.onBattery;
  }
}

export class FakePowerSaveBlocker {
  private nextId = 1;
  readonly starts: { id: number; type: string }[] = [];
  readonly stops: number[] = [];
  readonly active = new Map<number, string>();

  start(type: string): number {
    const id = this.nextId;
    this.nextId += 1;
    this.starts.push({ id, type });
    this.active.set(id, type);
    return id;
  }

  stop(id: number): boolean {
    this.stops.push(id);
    return this.active.delete(id);
  }

  isStarted(id: number): boolean {
    return this.active.has(id);
  }
}

/** A utility process, backed by a Node child of the same script (the worker then talks over process.send). */
export class FakeUtilityProcess extends EventEmitter {
  readonly child: ChildProcess;
  /** The child's output streams when their mode is 'pipe', else null (as Electron's). */
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  exitCode: number | null = null;

  constructor(
    readonly modulePath: string,
    readonly args: string[],
    readonly options: { serviceName?: string; stdio?: string | string[]; [key: string]: unknown },
  ) {
    super();
    // As Electron: one mode for stdout and stderr, or [stdin, stdout, stderr] with stdin only 'ignore'; 'inherit' by default.
    const modes = Array.isArray(options.stdio) ? options.stdio : [options.stdio ?? 'inherit', options.stdio ?? 'inherit', options.stdio ?? 'inherit'];
    if (Array.isArray(options.stdio) && modes[0] !== 'ignore') throw new Error('utilityProcess: stdin can only be ignore');
    const mode = (value: string | undefined): 'ignore' | 'pipe' | 'inherit' => (value === 'ignore' || value === 'pipe' ? value : 'inherit');
    this.child = fork(modulePath, args, { stdio: ['ignore', mode(modes[1]), mode(modes[2]), 'ipc'], serialization: 'advanced', execArgv: [] });
    this.stdout = this.child.stdout;
    this.stderr = this.child.stderr;
    this.child.on('message', (message: unknown) => this.emit('message', message));
    this.child.on('spawn', () => this.emit('spawn'));
    this.child.on('exit', (code, signal) => {
      // Electron reports a number: waitpid's code, or 128 + the signal for a killed process.
      this.exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
      this.emit('exit', this.exitCode);
    });
  }

  get pid(): number | undefined {
    return this.exitCode === null ? this.child.pid : undefined;
  }

  postMessage(message: unknown): void {
    if (this.child.connected) this.child.send(message as never);
  }

  kill(): boolean {
    return this.child.kill('SIGTERM');
  }
}

export class FakeUtilityProcessModule {
  readonly forks: FakeUtilityProcess[] = [];

  fork(modulePath: string, args: string[] = [], options: FakeUtilityProcess['options'] = {}): FakeUtilityProcess {
    const child = new FakeUtilityProcess(modulePath, args, options);
    this.forks.push(child);
    return child;
  }
}

/** dialog: records showOpenDialog calls and answers what the test set in `nextOpenResult`; records showErrorBox calls. */
export class FakeDialog {
  readonly openCalls: { parent: FakeBrowserWindow | null; options: { properties?: string[]; [key: string]: unknown } }[] = [];
  readonly errorBoxes: { title: string; content: string }[] = [];

  /** Like Electron's, synchronous: the box is up until the person dismisses it, which here is at once. */
  showErrorBox(title: string, content: string): void {
    this.errorBoxes.push({ title, content });
  }
  nextOpenResult: { canceled: boolean; filePaths: string[] } = { canceled: true, filePaths: [] };

  /**
   * As strict as Electron's (lib/browser/api/dialog.ts): `([window, ] options)`, where options may be
   * left out (an Open dialog for files), `properties` must be an array (unknown entries are ignored, as
   * Electron ignores them, so they are refused here to catch typos), and the texts must be strings.
   */
  async showOpenDialog(
    parentOrOptions: FakeBrowserWindow | { properties?: string[] },
    maybeOptions?: { properties?: string[] },
  ): Promise<{ canceled: boolean; filePaths: string[] }> {
    const parent = parentOrOptions instanceof FakeBrowserWindow ? parentOrOptions : null;
    const options = ((parent ? maybeOptions : parentOrOptions) ?? { title: 'Open', properties: ['openFile'] }) as { properties?: string[]; [key: string]: unknown };
    if (typeof options !== 'object') throw new TypeError('Options must be an object');
    const properties: unknown = (options as { properties?: unknown }).properties ?? ['openFile'];
    if (!Array.isArray(properties)) throw new TypeError('Properties must be an array');
    const known = ['openFile', 'openDirectory', 'multiSelections', 'showHiddenFiles', 'createDirectory', 'promptToCreate', 'noResolveAliases', 'treatPackageAsDirectory', 'dontAddToRecent'];
    for (const property of properties) if (!known.includes(property as string)) throw new Error(`the stand-in refuses showOpenDialog property ${String(property)}: Electron would ignore it silently`);
    for (const text of ['title', 'buttonLabel', 'defaultPath', 'message'] as const) {
      const value = (options as Record<string, unknown>)[text];
      if (value !== undefined && typeof value !== 'string') throw new TypeError(`${text[0]?.toUpperCase()}${text.slice(1)} must be a string`);
    }
    this.openCalls.push({ parent, options });
    return { ...this.nextOpenResult, filePaths: [...this.nextOpenResult.filePaths] };
  }
}

/** The stand-in and the handles a test uses to act and observe. */
export interface FakeElectron {
  app: FakeApp;
  BrowserWindow: typeof FakeBrowserWindow;
  dialog: FakeDialog;
  ipcMain: FakeIpcMain;
  Notification: typeof FakeNotification;
  Tray: typeof FakeTray;
  powerMonitor: FakePowerMonitor;
  powerSaveBlocker: FakePowerSaveBlocker;
  utilityProcess: FakeUtilityProcessModule;
  builtMenus: FakeMenuItem[][];
  /** The object `require('electron')` returns. */
  module: Record<string, unknown>;
  /** Takes the stand-in out of module loading again. */
  uninstall(): void;
}

/** Gives a template (and each submenu) Electron's Menu.items, as the built menu has it; non-enumerable, so the template compares as before. */
function withItems(menu: FakeMenuItem[]): FakeMenuItem[] {
  Object.defineProperty(menu, 'items', { value: menu, configurable: true });
  for (const item of menu) if (item.submenu) withItems(item.submenu);
  return menu;
}

type LoadFunction = (request: string, parent: unknown, isMain: boolean) => unknown;

/** Creates the stand-in and makes `require('electron')` return it, in this process, until uninstall(). */
export function installFakeElectron(options: { appPath: string }): FakeElectron {
  const app = new FakeApp(options.appPath, () => FakeBrowserWindow.instances);
  const ipcMain = new FakeIpcMain();
  FakeBrowserWindow.ipcMain = ipcMain;
  const dialog = new FakeDialog();
  const powerMonitor = new FakePowerMonitor();
  const powerSaveBlocker = new FakePowerSaveBlocker();
  const utilityProcess = new FakeUtilityProcessModule();
  const builtMenus: FakeMenuItem[][] = [];
  const electronModule: Record<string, unknown> = {
    app,
    BrowserWindow: FakeBrowserWindow,
    dialog,
    ipcMain,
    Notification: FakeNotification,
    nativeImage: {
      createFromPath: (path: string): FakeNativeImage => ({ path, isEmpty: () => !existsSync(path) }),
    },
    Menu: {
      buildFromTemplate: (template: FakeMenuItem[]): FakeMenuItem[] => {
        builtMenus.push(template);
        return withItems(template);
      },
    },
    Tray: FakeTray,
    powerMonitor,
    powerSaveBlocker,
    utilityProcess,
  };
  const loader = Module as unknown as { _load: LoadFunction };
  const original = loader._load;
  loader._load = function load(this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
    if (request === 'electron') return rendererModule ?? electronModule;
    return original.call(this, request, parent, isMain);
  };
  return {
    app,
    BrowserWindow: FakeBrowserWindow,
    dialog,
    ipcMain,
    Notification: FakeNotification,
    Tray: FakeTray,
    powerMonitor,
    powerSaveBlocker,
    utilityProcess,
    builtMenus,
    module: electronModule,
    uninstall: () => {
      loader._load = original;
    },
  };
}

/** Finds a menu item by its labels from the top: findMenuItem(menu, 'Pause Backups', 'Resume'). */
export function findMenuItem(menu: FakeMenuItem[] | undefined, ...labels: string[]): FakeMenuItem {
  let items = menu ?? [];
  let found: FakeMenuItem | undefined;
  for (const label of labels) {
    found = items.find((item) => item.label === label);
    if (!found) throw new Error(`no menu item "${label}" among ${JSON.stringify(items.map((item) => item.label ?? `(${item.type})`))}`);
    items = found.submenu ?? [];
  }
  if (!found) throw new Error('findMenuItem needs at least one label');
  return found;
}
