import { BrowserWindow, type IpcMain, type IpcMainInvokeEvent } from 'electron';
import { pathToFileURL } from 'node:url';
import { eventChannel, type DormouseEvent, type EventMap } from '../../shared/contract';
import { pageListeningChannel } from './window-channels';

/** A screen the tray or a notification can ask the window for. */
export type WindowScreen = EventMap['navigate']['screen'];

/**
 * The one settings window: created on demand, shown by the tray, a notification or a second launch,
 * hidden on close. Engine events reach its page only once the page listens (Electron drops what is
 * sent before), so a navigation asked for before that is kept and handed over when the page asks
 * for it on pageListeningChannel.
 */
export class SettingsWindow {
  private window: BrowserWindow | undefined;
  private pageListening = false;
  private pendingNavigation: DormouseEvent | null = null;
  /** Set when the app is quitting: closing the window then closes it instead of hiding it. */
  quitting = false;
  /** Windows logging off or shutting down ('session-end' is a window event there; before-quit is not emitted). */
  onSessionEnd: () => void = () => undefined;

  constructor(
    private readonly rendererIndex: string,
    private readonly preloadScript: string,
  ) {}

  /** Answers the page's "I am listening" with the navigation it has not seen, from the app's own page only. */
  register(ipcMain: IpcMain): void {
    ipcMain.handle(pageListeningChannel, (event): DormouseEvent | null => {
      if (!this.isTrustedSender(event)) return null;
      this.pageListening = true;
      const pending = this.pendingNavigation;
      this.pendingNavigation = null;
      return pending;
    });
  }

  /** The window when it exists, to attach dialogs to. */
  current(): BrowserWindow | undefined {
    return this.window && !this.window.isDestroyed() ? this.window : undefined;
  }

  /** Sends an engine event to the page when there is one listening. */
  send(event: DormouseEvent): void {
    const window = this.current();
    if (window && this.pageListening) window.webContents.send(eventChannel, event);
  }

  /** Shows the window (making it first if needed) on a screen; overview leaves the page where it is. */
  show(screen: WindowScreen = 'overview', jobId?: number): void {
    const window = this.current() ?? this.create();
    window.show();
    window.focus();
    if (screen === 'overview') return;
    const navigate: DormouseEvent = { type: 'navigate', payload: jobId === undefined ? { screen } : { screen, jobId } };
    if (this.pageListening) window.webContents.send(eventChannel, navigate);
    else this.pendingNavigation = navigate;
  }

  /** True for a request from the app's own page in its own window, never another frame or URL. */
  isTrustedSender(event: IpcMainInvokeEvent): boolean {
    const window = this.current();
    return event.senderFrame !== null && event.senderFrame.url === pathToFileURL(this.rendererIndex).href && window !== undefined && event.sender === window.webContents;
  }

  private create(): BrowserWindow {
    const window = new BrowserWindow({
      width: 900,
      height: 640,
      minWidth: 800,
      minHeight: 600,
      title: 'Dormouse',
      show: false,
      webPreferences: {
        preload: this.preloadScript,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
      },
    });
    this.window = window;
    this.pageListening = false;
    this.pendingNavigation = null;
    window.webContents.on('did-start-loading', () => {
      this.pageListening = false;
    });
    window.on('session-end', () => this.onSessionEnd());
    window.webContents.on('will-navigate', (event) => event.preventDefault());
    window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    window.on('close', (event) => {
      if (this.quitting) return;
      event.preventDefault();
      window.hide();
    });
    window.loadFile(this.rendererIndex).catch((error: unknown) => console.error(`dormouse: the settings window could not load ${this.rendererIndex}: ${(error as Error).message}`));
    return window;
  }
}
