// The stand-in `electron` module's app object (see fake-electron.ts): lifecycle, single instance, login items per OS.
import { EventEmitter } from 'node:events';
import type { FakeBrowserWindow } from './fake-electron-windows';

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

  /** True once 'ready' was emitted (app.isReady()). */
  private ready = false;

  isReady(): boolean {
    return this.ready;
  }

  whenReady(): Promise<void> {
    this.whenReadyCalls += 1;
    return new Promise((resolve) =>
      setImmediate(() => {
        if (!this.ready) {
          this.ready = true;
          this.emit('ready', fakeEvent(), {});
        }
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
