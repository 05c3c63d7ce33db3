// The scale bench's other tools: restic and borg (Debian packages), run as their CLIs on the same
// tree as Dormouse, each with its own repository in the bench's work folder, no encryption cost for
// borg (`--encryption=none`) and restic's own (it always encrypts).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { folderBytes, measureOk, settle, size, time, type Measured, type Table } from './scale-measure';
import { changeOnePercent, changeText } from './tree-changes';

/** The two tools a user would pick instead. */
export type OtherToolName = 'restic' | 'borg';

/** A restic or borg repository in a work folder, driven as its CLI is. */
export class OtherTool {
  private archives = 0;

  private constructor(
    /** The tool and its version, as the table names it. */
    readonly name: string,
    private readonly tool: OtherToolName,
    /** The repository's folder. */
    readonly repository: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** The tool with a repository (not made yet) in `work`, or a sentence saying it is not installed. */
  static find(tool: OtherToolName, work: string): OtherTool | string {
    const version = spawnSync(tool, [tool === 'restic' ? 'version' : '--version'], { encoding: 'utf8' });
    if ((version.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return `not installed (apt-get install -y ${tool === 'borg' ? 'borgbackup' : tool} to measure it)`;
    const repository = join(work, `${tool}-repository`);
    const env: NodeJS.ProcessEnv =
      tool === 'restic'
        ? { RESTIC_REPOSITORY: repository, RESTIC_PASSWORD: 'bench', RESTIC_CACHE_DIR: join(work, 'restic-cache') }
        : { BORG_REPO: repository, BORG_BASE_DIR: join(work, 'borg-base'), BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
    return new OtherTool(`${tool} ${version.stdout?.trim().split(' ')[1] ?? '(version unknown)'}`, tool, repository, env);
  }

  /** What `init` is called with, as the table says it. */
  get initText(): string {
    return this.tool === 'restic' ? 'init' : 'init --encryption=none';
  }

  /** What a backup is called, as the table says it. */
  get backupText(): string {
    return this.tool === 'restic' ? 'backup' : 'create (lz4, its default)';
  }

  /** Makes the repository. */
  init(): Promise<Measured> {
    return measureOk(this.tool, this.tool === 'restic' ? ['init'] : ['init', '--encryption=none'], this.env);
  }

  /** One snapshot (restic) or archive (borg) of `source`. */
  backup(source: string): Promise<Measured> {
    this.archives += 1;
    return measureOk(this.tool, this.tool === 'restic' ? ['backup', '--quiet', source] : ['create', `::archive-${this.archives}`, source], this.env);
  }

  /**
   * Restores the newest snapshot into `to` (made here), whole or only `file` (an absolute path in
   * the tree): `restic restore latest --target TO [--include FILE]`, or `borg extract` in `to`.
   */
  restore(to: string, file?: string): Promise<Measured> {
    mkdirSync(to, { recursive: true });
    if (this.tool === 'restic') return measureOk('restic', ['restore', 'latest', '--target', to, ...(file === undefined ? [] : ['--include', file])], this.env);
    return measureOk('borg', ['extract', `::archive-${this.archives}`, ...(file === undefined ? [] : [file.slice(1)])], this.env, to);
  }

  /** The repository's size on disk (apparent bytes). */
  bytes(): number {
    return folderBytes(this.repository);
  }
}

/** Regular files below a folder, counted. */
function countFiles(folder: string): number {
  let files = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) if (entry.isFile()) files += 1;
  return files;
}

/** What the other tools' rows are measured on. */
export interface OtherToolsTree {
  source: string;
  /** The tree's files, sorted, for the 1% change. */
  files: string[];
  /** A file deep in the tree, for the one-file restore. */
  oneFile: string;
  /** The offset of the 1% change: the same files as Dormouse's first round. */
  changeOffset: number;
  wholeRestore: boolean;
}

/**
 * One tool's rows, once: init, a first backup, a second with nothing changed, one after 1% of the
 * files changed (edited just before it, the same files Dormouse's first round changed), each with the
 * repository's growth; a one-file restore and (when asked) a whole-tree restore followed by `sync -f`,
 * as GNU tar's row; every one with the tool's peak RSS.
 */
export async function otherToolRows(table: Table, toolName: OtherToolName, work: string, tree: OtherToolsTree): Promise<void> {
  const tool = OtherTool.find(toolName, work);
  if (typeof tool === 'string') {
    table.row(toolName, 'not installed', tool);
    return;
  }
  const restoreTo = join(work, `${toolName}-restore`);
  try {
    settle();
    table.timed(`${tool.name} ${tool.initText}`, [await tool.init()]);
    settle();
    table.timed(`${tool.name} ${tool.backupText}`, [await tool.backup(tree.source)]);
    const first = tool.bytes();
    table.row(`${tool.name} repository after the first backup`, size(first));
    settle();
    table.timed(`${tool.name} second backup, nothing changed`, [await tool.backup(tree.source)]);
    const second = tool.bytes();
    table.row(`${tool.name} repository growth of the second backup`, size(second - first));
    const change = changeOnePercent(tree.files, tree.changeOffset);
    settle();
    table.timed(`${tool.name} backup after 1% changed`, [await tool.backup(tree.source)], `; changed ${changeText(change)}`);
    table.row(`${tool.name} repository growth of that backup`, size(tool.bytes() - second));

    settle();
    const one = await tool.restore(restoreTo, tree.oneFile);
    const restored = countFiles(restoreTo);
    if (restored !== 1) throw new Error(`the one-file restore wrote ${restored} files`);
    table.timed(`${tool.name} one-file restore`, [one]);
    rmSync(restoreTo, { recursive: true, force: true });
    if (tree.wholeRestore) {
      settle();
      const whole = await tool.restore(restoreTo);
      const syncStarted = performance.now();
      spawnSync('sync', ['-f', restoreTo]);
      const syncMs = performance.now() - syncStarted;
      table.timed(`${tool.name} whole-tree restore, then sync -f`, [{ ...whole, elapsed: whole.elapsed + syncMs }], `; of which sync -f ${time(syncMs)}`);
    }
  } catch (error) {
    table.row(tool.name, 'failed', (error as Error).message);
  } finally {
    rmSync(restoreTo, { recursive: true, force: true });
    rmSync(tool.repository, { recursive: true, force: true });
  }
}
