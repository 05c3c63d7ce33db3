// The stand-in `electron` module's parts people meet (see fake-electron.ts): tray and menus, notifications (garbage-collected as in Electron), power events, dialogs.
import { EventEmitter } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fakeEvent } from './fake-electron-app';
import { FakeBrowserWindow } from './fake-electron-windows';

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
