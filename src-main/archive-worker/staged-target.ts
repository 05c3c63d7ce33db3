import { lstatSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { nativeFs } from '../native/native-fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, sep } from 'node:path';
import { makeFolders } from '../common/make-folders';
import { processRunning } from './safe-writer';

/** The longest name a folder may have (bytes): a stand-in's name that would be longer is not made. */
const longestName = 255;

/** A stand-in's name: the target's name, then the restore's process id and mark, in hex. */
const standInName = /^\.(.+)\.dormouse-([0-9a-f]+)-[0-9a-f]{6}\.restoring$/;

/**
 * The folder a restore writes into when its target does not exist yet: a hidden stand-in beside it
 * (`.NAME.dormouse-PID-MARK.restoring`), renamed to the target's name once the restore has ended and
 * its files are on the disk. Nothing under the target's name is then ever half-written, even when the
 * restore is killed or the power goes, so the files in it take their real names as they are written,
 * without a temporary name and a rename each (at a million files, a tenth of a whole-tree restore).
 * A restore into a folder that exists writes each file under a temporary name instead (SafeWriter).
 */
export class StagedTarget {
  private constructor(
    readonly target: string,
    /** Where the restore writes until it ends. */
    readonly path: string,
    /** The restore's process id and a random mark, in hex: what sets its stand-in apart. */
    private readonly mark: string,
  ) {}

  /**
   * The stand-in for `target`, made (with the folders above it), or null when the target exists or
   * its stand-in's name would be too long; the stand-ins of this target that killed restores left are
   * removed first.
   */
  static make(target: string): StagedTarget | null {
    try {
      if (lstatSync(target, { throwIfNoEntry: false }) !== undefined) return null;
    } catch {
      // A file on the way, a folder one may not look in: making the target itself says so in words.
      return null;
    }
    const name = basename(target);
    const mark = `${process.pid.toString(16)}-${randomBytes(3).toString('hex')}`;
    const standIn = `.${name}.dormouse-${mark}.restoring`;
    if (name === '' || Buffer.byteLength(standIn) > longestName) return null;
    const parent = dirname(target);
    makeFolders(parent);
    removeLeftovers(parent, name);
    const path = join(parent, standIn);
    // Made as the target would be: a read-only disk or a folder one may not write in is said in words, naming the folder.
    makeFolders(path);
    return new StagedTarget(target, path, mark);
  }

  /** A line of the restore's result with the stand-in's path said as the target's. */
  realPath(line: string): string {
    return line.includes(this.path) ? line.split(this.path).join(this.target) : line;
  }

  /**
   * Gives the stand-in the target's name, unless something took that name meanwhile: it then keeps
   * a visible name of its own, and the line returned says where the files are.
   */
  publish(): string | null {
    if (renameIfFree(this.path, this.target)) return null;
    const kept = `${this.target}.restored-${this.mark}`;
    try {
      if (!renameIfFree(this.path, kept)) throw new Error(`${kept} exists`);
    } catch {
      return `${this.target} appeared while restoring, so what was restored is in ${this.path}; move it where you want it before restoring there again`;
    }
    return `${this.target} appeared while restoring, so what was restored is in ${kept}; move it where you want it`;
  }
}

/**
 * Renames `from` to `to` unless something has that name, saying whether it did: in one step where
 * the system can (renameat2 with RENAME_NOREPLACE), else looked at and then renamed (an empty
 * folder made in that instant would then be replaced). Other errors are thrown.
 */
function renameIfFree(from: string, to: string): boolean {
  const refused = nativeFs()?.renameNoReplace(from, to) ?? constants.errno.ENOSYS;
  if (refused === 0) return true;
  if (refused === constants.errno.EEXIST || refused === constants.errno.ENOTEMPTY) return false;
  if (refused !== constants.errno.ENOSYS && refused !== constants.errno.EINVAL) throw Object.assign(new Error(`cannot rename ${from} to ${to} (${getSystemErrorName(-refused)})`), { code: getSystemErrorName(-refused) });
  if (lstatSync(to, { throwIfNoEntry: false }) !== undefined) return false;
  renameSync(from, to);
  return true;
}

/** Removes the stand-ins of `name` in `parent` whose restore's process is gone (killed, or a power cut). */
function removeLeftovers(parent: string, name: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const found of names) {
    const match = standInName.exec(found);
    if (match === null || match[1] !== name) continue;
    const owner = Number.parseInt(match[2] as string, 16);
    if (owner === process.pid || processRunning(owner)) continue;
    const path = parent.endsWith(sep) ? parent + found : join(parent, found);
    if (lstatSync(path, { throwIfNoEntry: false })?.isDirectory() === true) rmSync(path, { recursive: true, force: true });
  }
}
