import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { removeQuietly } from '../common/files';
import { makeFolders } from '../common/make-folders';

/** The XDG autostart entry that starts Dormouse at login on Linux. */
export function linuxAutostartFile(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const configHome = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(configHome, 'autostart', 'dormouse.desktop');
}

/** Quotes one argument of a desktop entry's Exec line; a % is doubled, since a lone % starts a field code. */
function quoteExecArgument(argument: string): string {
  const escaped = argument.replace(/%/g, '%%');
  return /^[\w./-]+$/.test(argument) ? escaped : `"${escaped.replace(/(["`$\\])/g, '\\$1')}"`;
}

/** The desktop entry's text: starts the app hidden in the tray. */
export function autostartEntry(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Dormouse',
    'Comment=Backups for laptops that sleep',
    `Exec=${[...command, '--hidden'].map(quoteExecArgument).join(' ')}`,
    'Icon=dormouse',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Whether the OS will start Dormouse at login: the entry exists and is not disabled. */
export function readLinuxAutostart(file: string): boolean {
  if (!existsSync(file)) return false;
  const text = readFileSync(file, 'utf8');
  return !/^Hidden=true$/m.test(text) && !/^X-GNOME-Autostart-enabled=false$/m.test(text);
}

/** Writes (atomically) or removes the autostart entry. */
export function writeLinuxAutostart(file: string, enabled: boolean, command: readonly string[]): void {
  if (!enabled) {
    removeQuietly(file);
    return;
  }
  makeFolders(dirname(file));
  writeFileSync(`${file}.partial`, autostartEntry(command), { mode: 0o644 });
  renameSync(`${file}.partial`, file);
}
