import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import { useSqliteBinding } from '../store/open-store';

/**
 * Where the better-sqlite3 addon built for this Electron is (by build/scripts/electron-sqlite.mjs:
 * dist/electron-native/electron-<version>-<platform>-<arch>/, unpacked from asar in the packaged
 * app), or null outside Electron or where it was not built: node_modules/better-sqlite3's own build
 * is for Node's ABI, which Electron cannot load.
 */
export function electronSqliteBinding(mainFolder: string, electronVersion: string | undefined, platform: string = process.platform, arch: string = process.arch): string | null {
  if (!electronVersion) return null;
  const file = join(mainFolder, '..', 'electron-native', `electron-${electronVersion}-${platform}-${arch}`, 'better_sqlite3.node');
  const unpacked = file.replace(`${sep}app.asar${sep}`, `${sep}app.asar.unpacked${sep}`);
  return existsSync(unpacked) ? unpacked : null;
}

/** Makes the catalog connections of this (Electron) process load the Electron build of better-sqlite3 where there is one. */
export function useElectronSqlite(mainFolder: string): void {
  const binding = electronSqliteBinding(mainFolder, process.versions.electron);
  if (binding) useSqliteBinding(binding);
}
