import { randomBytes } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { removeQuietlyAsync } from './files';

/**
 * Replaces a file so that a crash or a pulled drive leaves either the old content or the new, never
 * a mix: written to a temporary file beside it (mode 0600), fsynced, renamed over it, and the
 * folder fsynced so the rename itself is on the disk. Used for the destination's marker and key
 * file: a half-written key file would make every archive undecryptable.
 */
export async function writeFileAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.partial`;
  try {
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.chmod(0o600);
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await removeQuietlyAsync(temporary);
    throw error;
  }
  await syncFolder(dirname(path));
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems (SMB shares, FAT on some kernels) refuse fsync on a folder; the rename stands.
  } finally {
    await handle.close();
  }
}
