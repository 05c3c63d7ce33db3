import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * The OS app-data folder named Dormouse, the same one Electron's userData gives the tray app,
 * so the CLI, the daemon and the app share one database by default.
 */
export function defaultDataDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Dormouse');
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'Dormouse');
  const configHome = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(configHome, 'Dormouse');
}

/** Picks the data folder: an explicit --data-dir first, then DORMOUSE_DATA_DIR, then the OS default. */
export function resolveDataDir(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return resolve(explicit);
  if (env.DORMOUSE_DATA_DIR) return resolve(env.DORMOUSE_DATA_DIR);
  return defaultDataDir(process.platform, env);
}

/** The catalog database inside a data folder. */
export function databaseFile(dataDir: string): string {
  return join(dataDir, 'dormouse.sqlite');
}

/**
 * Where the local copies of encrypted archives' manifests are kept (beside the catalog, in
 * `manifest-copies/`): the next incremental reads its base's file list there, without the passphrase.
 */
export function manifestCopyFile(catalogFile: string, snapshotUuid: string): string {
  return join(dirname(catalogFile), 'manifest-copies', `${snapshotUuid}.tail`);
}
