import { cliArguments, runCliMode } from './cli-mode';
import { useElectronSqlite } from './electron-sqlite';

/**
 * Sets up this Electron process before anything opens the catalog: the better-sqlite3 built for
 * Electron, and the CLI when the `dormouse` launcher started the app with --cli (then no window,
 * tray or single-instance lock follows). Says which of the two this process is.
 */
export function prepareElectronProcess(argv: readonly string[], mainFolder: string): 'cli' | 'desktop' {
  useElectronSqlite(mainFolder);
  const args = cliArguments(argv);
  if (args === null) return 'desktop';
  runCliMode(args, mainFolder);
  return 'cli';
}
