import { app } from 'electron';
import { linuxAutostartFile, readLinuxAutostart, writeLinuxAutostart } from '../desktop/linux-autostart';

/**
 * What Windows' Run entry starts: the app with --hidden (and the app folder when unpackaged, as
 * electron.exe is then the executable). Windows matches an entry on its args, so the same list is
 * given when setting and when reading.
 */
function windowsArgs(): string[] {
  return app.isPackaged ? ['--hidden'] : [app.getAppPath(), '--hidden'];
}

/**
 * Open at login: the XDG autostart entry on Linux; on Windows a Run entry with --hidden; on macOS a
 * login item (macOS passes it no args, and Electron 45 has no openAsHidden any more: see startedHidden).
 */
export const loginItem = {
  get(): boolean {
    if (process.platform === 'linux') return readLinuxAutostart(linuxAutostartFile());
    if (process.platform === 'win32') return app.getLoginItemSettings({ args: windowsArgs() }).openAtLogin;
    return app.getLoginItemSettings().openAtLogin;
  },
  set(enabled: boolean): void {
    if (process.platform === 'linux') {
      const command = process.env.APPIMAGE ? [process.env.APPIMAGE] : app.isPackaged ? [process.execPath] : [process.execPath, app.getAppPath()];
      writeLinuxAutostart(linuxAutostartFile(), enabled, command);
    } else if (process.platform === 'win32') {
      app.setLoginItemSettings({ openAtLogin: enabled, args: windowsArgs() });
    } else {
      app.setLoginItemSettings({ openAtLogin: enabled });
    }
  },
};

/**
 * Whether this run should stay in the tray without a window: started with --hidden (Linux, Windows),
 * or on macOS started as a login item (wasOpenedAtLogin, the one way macOS says so since 13).
 */
export function startedHidden(argv: readonly string[]): boolean {
  if (argv.includes('--hidden')) return true;
  if (process.platform !== 'darwin') return false;
  return app.getLoginItemSettings().wasOpenedAtLogin;
}
