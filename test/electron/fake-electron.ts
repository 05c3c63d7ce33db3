// A stand-in for the `electron` module, for loading the real, built main-process entry
// (dist/main/electron-main.cjs) under plain Node where the Electron runtime cannot be installed.
// It implements exactly what src-main/electron/*.ts uses in the main process, records what the
// entry does with it, and lets a test act as the OS and the person: emit app and power events,
// click menu items and notifications, close windows, invoke IPC handlers. utilityProcess.fork
// starts the real archive worker script as a Node child (the worker speaks process.send there).
import { existsSync } from 'node:fs';
import Module from 'node:module';
import { FakeApp } from './fake-electron-app';
import { FakeBrowserWindow, FakeIpcMain } from './fake-electron-windows';
import { FakeDialog, FakeNotification, FakePowerMonitor, FakePowerSaveBlocker, FakeTray, type FakeMenuItem, type FakeNativeImage } from './fake-electron-shell';
import { FakeUtilityProcessModule } from './fake-electron-utility';
import { FakeSafeStorage } from './fake-electron-safe-storage';

export * from './fake-electron-app';
export * from './fake-electron-windows';
export * from './fake-electron-shell';
export * from './fake-electron-utility';
export * from './fake-electron-safe-storage';

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
  safeStorage: FakeSafeStorage;
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
  const safeStorage = new FakeSafeStorage(() => app.isReady());
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
    safeStorage,
  };
  const loader = Module as unknown as { _load: LoadFunction };
  const original = loader._load;
  loader._load = function load(this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
    if (request === 'electron') return FakeBrowserWindow.rendererModule ?? electronModule;
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
    safeStorage,
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
