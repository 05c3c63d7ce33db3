import { app, BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Engine } from '../engine/engine';
import { resolveDataDir } from '../store/data-dir';
import { registerIpcHandlers } from './ipc-handlers';
import { utilityWorkerLauncher } from './utility-worker-launcher';

const rendererIndex = join(__dirname, '..', 'renderer', 'index.html');
let settingsWindow: BrowserWindow | undefined;

function isOwnPage(url: string): boolean {
  return url === pathToFileURL(rendererIndex).href;
}

function showSettingsWindow(): void {
  if (settingsWindow && !settingsWindow.isDestroyed()) {
    settingsWindow.show();
    settingsWindow.focus();
    return;
  }
  settingsWindow = new BrowserWindow({
    width: 900,
    height: 640,
    minWidth: 800,
    minHeight: 600,
    title: 'Dormouse',
    webPreferences: {
      preload: join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  settingsWindow.webContents.on('will-navigate', (event) => event.preventDefault());
  settingsWindow.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  void settingsWindow.loadFile(rendererIndex);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', showSettingsWindow);
  void app.whenReady().then(() => {
    const engine = Engine.forDataDir(resolveDataDir(undefined), { launchWorker: utilityWorkerLauncher(join(__dirname, 'archive-worker.cjs')) });
    const trusted = (event: IpcMainInvokeEvent) => event.senderFrame !== null && isOwnPage(event.senderFrame.url);
    registerIpcHandlers(ipcMain, engine, trusted);
    showSettingsWindow();
    app.on('before-quit', () => engine.close());
  });
}
