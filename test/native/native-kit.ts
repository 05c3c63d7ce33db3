import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeFs, nativeFsUnavailableReason, type NativeFs } from '../../src-main/native/native-fs';

/** The repository root. */
export const repoRoot = join(__dirname, '..', '..');

/** The loaded addon, or the one-line reason a test skips. */
export function addonOrSkip(): { fs: NativeFs; skip: false } | { fs: null; skip: string } {
  const fs = nativeFs();
  return fs ? { fs, skip: false } : { fs: null, skip: nativeFsUnavailableReason() ?? 'the native addon is unavailable' };
}

/** Runs a system tool and returns its result as bytes (names need not be UTF-8). */
export function tool(command: string, args: string[], input?: Buffer): SpawnSyncReturns<Buffer> {
  return spawnSync(command, args, { env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' }, input, timeout: 60_000 });
}

/** Runs a system tool, throws with its stderr when it fails, and returns stdout as text. */
export function run(command: string, args: string[]): string {
  const result = tool(command, args);
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}): ${result.stderr.toString()}`);
  return result.stdout.toString('utf8');
}

/** True when a command runs on this machine. */
export function hasTool(command: string, args: string[] = ['--version']): boolean {
  const result = tool(command, args);
  return !result.error;
}

/** A temporary folder under parent, removed when the test ends. */
export function temporaryFolderIn(t: { after: (fn: () => void) => void }, parent: string): string {
  const folder = mkdtempSync(join(parent, 'dormouse-native-'));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

/**
 * A temporary folder whose file system takes user.* extended attributes (checked with setfattr):
 * the system's temp folder, /var/tmp or test-output/, in that order; or the reason none does.
 */
export function xattrFolder(t: { after: (fn: () => void) => void }): { folder: string; skip: false } | { folder: null; skip: string } {
  if (!hasTool('setfattr')) return { folder: null, skip: 'setfattr/getfattr are not installed (Debian package attr)' };
  const outputFolder = join(repoRoot, 'test-output');
  for (const parent of [tmpdir(), '/var/tmp', outputFolder]) {
    try {
      mkdirSync(parent, { recursive: true });
      const folder = temporaryFolderIn(t, parent);
      const probe = join(folder, '.probe');
      writeFileSync(probe, '');
      if (tool('setfattr', ['-n', 'user.dormouse.probe', '-v', '1', probe]).status === 0) {
        rmSync(probe);
        return { folder, skip: false };
      }
    } catch {
      // not writable here: try the next place
    }
  }
  return { folder: null, skip: `no folder here takes user.* extended attributes (tried ${tmpdir()}, /var/tmp, test-output/)` };
}

/** One file's extended attributes as getfattr prints them (`-d -m - -e hex`, the raw name bytes kept): name (latin1) → hex value. */
export function getfattrDump(path: string, noDereference = false): Map<string, string> {
  const result = tool('getfattr', ['--absolute-names', ...(noDereference ? ['-h'] : []), '-d', '-m', '-', '-e', 'hex', path]);
  if (result.status !== 0) throw new Error(`getfattr ${path} failed: ${result.stderr.toString()}`);
  const values = new Map<string, string>();
  for (const line of result.stdout.toString('latin1').split('\n')) {
    if (line === '' || line.startsWith('# file: ')) continue;
    const equals = line.lastIndexOf('=');
    values.set(equals < 0 ? line : line.slice(0, equals), equals < 0 ? '' : line.slice(equals + 1));
  }
  return values;
}

/** The PAX extended-header records of each member of an uncompressed tar, by member name: written by hand so tar itself is the judge. */
export function paxRecordsByMember(tar: Buffer): Map<string, Map<string, Buffer>> {
  const members = new Map<string, Map<string, Buffer>>();
  let pending = new Map<string, Buffer>();
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((byte) => byte === 0)) break;
    const field = (start: number, length: number) => header.subarray(start, start + length).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const body = tar.subarray(at + 512, at + 512 + size);
    if (type === 'x') {
      pending = new Map();
      for (let p = 0; p < body.length; ) {
        const space = body.indexOf(0x20, p);
        const length = Number(body.subarray(p, space).toString('latin1'));
        const record = body.subarray(space + 1, p + length - 1);
        const equals = record.indexOf(0x3d);
        pending.set(record.subarray(0, equals).toString('utf8'), record.subarray(equals + 1));
        p += length;
      }
    } else if (type !== 'g') {
      const prefix = field(345, 155);
      const name = pending.get('path')?.toString('utf8') ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
      members.set(name, pending);
      pending = new Map();
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return members;
}
