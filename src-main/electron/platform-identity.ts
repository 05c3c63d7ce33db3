import { app } from 'electron';

/**
 * The app's identity on Windows: electron-builder.yml's appId, which the installer gives the Start
 * menu shortcut. Windows routes a toast's click back to the app with the same id.
 */
export const appUserModelId = 'app.dormouse.backup';

/**
 * What each OS needs to treat Dormouse as a tray app: on Windows the AppUserModelId (without it a
 * notification's click does not reach the app), on macOS no Dock icon (it lives in the menu bar).
 */
export function applyPlatformIdentity(): void {
  if (process.platform === 'win32') app.setAppUserModelId(appUserModelId);
  if (process.platform === 'darwin') app.dock?.hide();
}
