import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The folders people keep their own files in, as desktops name them in the home folder. */
const commonNames = ['Documents', 'Desktop', 'Pictures', 'Photos', 'Music', 'Videos', 'Movies', 'Downloads', 'Projects', 'Work'];

/**
 * The home folder and those of its common folders that exist, for the first-run setup to offer
 * (in a browser there is no native folder picker). Each is checked off the event loop.
 */
export async function commonHomeFolders(home: string = homedir()): Promise<{ home: string; folders: string[] }> {
  const found = await Promise.all(
    commonNames.map(async (name) => {
      const path = join(home, name);
      const info = await stat(path).catch(() => null);
      return info?.isDirectory() ? path : null;
    }),
  );
  return { home, folders: found.filter((path): path is string => path !== null) };
}
