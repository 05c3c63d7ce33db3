import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { type BigIntStats, existsSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * Compares a copy of a tree (a restore, a tar extraction) with the tree it came from, property by
 * property: rsync `-naiHAXc --numeric-ids --delete` for contents, ACLs and xattrs (and as a second
 * opinion on the rest), plus a walk of both trees for what rsync does not check: mtimes to the
 * nanosecond, hard-link groups both ways, and the allocated blocks of sparse files (whose contents are
 * compared here, chunk by chunk, instead of letting rsync checksum a gigabyte of holes).
 */

/** What can differ between a tree and its copy. */
export type Property = 'missing' | 'extra' | 'type' | 'content' | 'symlink' | 'mode' | 'mtime' | 'owner' | 'group' | 'hardlink' | 'acl' | 'xattr' | 'allocation';

/** One difference: which path (non-printable bytes escaped as rsync does, `\#ooo`), which property, and the two values. */
export interface Difference {
  path: string;
  property: Property;
  detail: string;
}

interface Entry {
  display: string;
  absolute: Buffer;
  type: 'file' | 'directory' | 'symlink' | 'fifo' | 'other';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  blocks: number;
  mtimeNs: bigint;
  inode: string;
  nlink: number;
  linkTarget?: Buffer;
}

/** A path's bytes as rsync prints them: bytes outside printable ASCII as `\#ooo`. */
export function escapeName(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) out += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\#${byte.toString(8).padStart(3, '0')}`;
  return out;
}

function typeOf(stats: BigIntStats): Entry['type'] {
  return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : stats.isSymbolicLink() ? 'symlink' : stats.isFIFO() ? 'fifo' : 'other';
}

/** Every entry of a tree (or the one file) by its relative path's bytes (latin1, so any bytes are a key); the root is '.'. */
function walk(root: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  const visit = (absolute: Buffer, relative: Buffer | null) => {
    const stats = lstatSync(absolute, { bigint: true });
    const type = typeOf(stats);
    const entry: Entry = {
      display: relative === null ? '.' : escapeName(relative),
      absolute,
      type,
      mode: Number(stats.mode & 0o7777n),
      uid: Number(stats.uid),
      gid: Number(stats.gid),
      size: Number(stats.size),
      blocks: Number(stats.blocks),
      mtimeNs: stats.mtimeNs,
      inode: `${stats.dev}:${stats.ino}`,
      nlink: Number(stats.nlink),
    };
    if (type === 'symlink') entry.linkTarget = readlinkSync(absolute, { encoding: 'buffer' });
    entries.set(relative === null ? '.' : relative.toString('latin1'), entry);
    if (type !== 'directory') return;
    for (const name of readdirSync(absolute, { encoding: 'buffer' })) {
      visit(Buffer.concat([absolute, Buffer.from('/'), name]), relative === null ? name : Buffer.concat([relative, Buffer.from('/'), name]));
    }
  };
  visit(Buffer.from(root), null);
  return entries;
}

const rsyncFlags: Record<number, Property> = { 2: 'content', 3: 'content', 4: 'mtime', 5: 'mode', 6: 'owner', 7: 'group', 9: 'acl', 10: 'xattr' };

/**
 * rsync's itemized lines (`YXcstpoguax name`) as differences. Presence and hard links are the walk's
 * job (rsync marks every name of a link group `h`, changed or not), so only the attribute letters count.
 */
function parseRsync(output: string, rename?: string): Difference[] {
  const differences: Difference[] = [];
  for (const line of output.split('\n')) {
    if (line === '' || line.startsWith('*deleting')) continue;
    const match = /^([<>ch.])([fdLDS])(.{9}) (.*)$/.exec(line);
    if (!match) throw new Error(`rsync printed a line the comparison does not understand: ${JSON.stringify(line)}`);
    const [, y, x, flags, rest] = match as unknown as [string, string, string, string, string];
    if (flags.startsWith('+')) continue;
    const path = rename ?? (rest.split(/ [-=]> /)[0] as string).replace(/\/$/, '').replace(/^\.$/, '.');
    for (let index = 0; index < flags.length; index += 1) {
      const property = rsyncFlags[index + 2];
      if (!property || flags[index] === '.' || flags[index] === ' ') continue;
      differences.push({ path, property: x === 'L' && property === 'content' ? 'symlink' : property, detail: `rsync itemizes ${y}${x}${flags}` });
    }
  }
  return differences;
}

function rsync(args: string[], checksum = true): string {
  const result = spawnSync('rsync', [checksum ? '-naiHAXc' : '-naiHAX', '--numeric-ids', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`rsync ${args.join(' ')} failed (exit ${result.status ?? result.signal}): ${result.stderr}`);
  return result.stdout;
}

/** Large files mostly holes, compared here rather than by rsync's checksum (which reads every hole). */
function isSparse(entry: Entry): boolean {
  return entry.type === 'file' && entry.nlink === 1 && entry.size >= 1024 * 1024 && entry.blocks * 512 < entry.size / 2;
}

/**
 * Compares two (sparse) files' bytes reading only their data: SEEK_DATA/SEEK_HOLE (through Python,
 * which Node lacks) give each file's data ranges, and outside both files' ranges both read as zeros.
 * Reading a gigabyte of holes instead costs seconds of system time per copy.
 */
const sparseCompareScript = `
import os, sys
def ranges(fd, size):
    found, position = [], 0
    while position < size:
        try:
            start = os.lseek(fd, position, os.SEEK_DATA)
        except OSError:
            break
        end = os.lseek(fd, start, os.SEEK_HOLE)
        found.append((start, end))
        position = end
    return found
a, b = os.open(sys.argv[1], os.O_RDONLY), os.open(sys.argv[2], os.O_RDONLY)
size = os.fstat(a).st_size
for start, end in sorted(ranges(a, size) + ranges(b, size)):
    for position in range(start, end, 8 << 20):
        count = min(8 << 20, end - position)
        if os.pread(a, count, position) != os.pread(b, count, position):
            print(f"the bytes differ within {position}..{position + count}")
            sys.exit(0)
`;

function sameBytes(a: Buffer, b: Buffer): string | null {
  const result = spawnSync('python3', ['-c', sparseCompareScript, a.toString(), b.toString()], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`comparing ${a.toString()} with ${b.toString()} failed: ${result.stderr || result.error?.message}`);
  return result.stdout.trim() === '' ? null : result.stdout.trim();
}

const allocationSlack = 256 * 1024;

function seconds(ns: bigint): string {
  const negative = ns < 0n;
  const magnitude = negative ? -ns : ns;
  return `${negative ? '-' : ''}${magnitude / 1_000_000_000n}.${(magnitude % 1_000_000_000n).toString().padStart(9, '0')}`;
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/** The names (within the tree) an entry shares its inode with, itself included; '' when it has no other name in the tree. */
function linkGroup(entries: Map<string, Entry>, key: string): string {
  const entry = entries.get(key) as Entry;
  if (entry.type === 'directory' || entry.nlink < 2) return '';
  const names = [...entries.values()].filter((other) => other.inode === entry.inode).map((other) => other.display);
  return names.length < 2 ? '' : names.sort().join(', ');
}

/** Compares `copy` with `source` (two folders, or two files) in every property; answers the differences, none when equal. */
export function compareTrees(source: string, copy: string): Difference[] {
  const from = walk(source);
  const to = existsSync(copy) ? walk(copy) : new Map<string, Entry>();
  const differences: Difference[] = [];
  const byRsync: Difference[] = [];
  const sparse = new Set([...from].filter(([key, entry]) => isSparse(entry) && Buffer.from(key, 'latin1').toString('utf8') === key).map(([key]) => key));
  const notContent = (d: Difference) => d.property !== 'content';
  if (to.size > 0 && from.get('.')?.type === 'directory') {
    const excludes = [...sparse].map((key) => `--exclude=/${key.replace(/[*?[\\]/g, '\\$&')}`);
    byRsync.push(...parseRsync(rsync(['--delete', ...excludes, `${source}/`, `${copy}/`])));
    for (const key of sparse) if (to.has(key)) byRsync.push(...parseRsync(rsync([`${source}/${key}`, `${copy}/${key}`], false), key).filter(notContent));
  } else if (to.size > 0) byRsync.push(...parseRsync(rsync([source, copy], !sparse.has('.')), '.').filter((d) => !sparse.has('.') || notContent(d)));

  for (const [key, a] of from) {
    const b = to.get(key);
    const at = (property: Property, detail: string) => differences.push({ path: a.display, property, detail });
    if (!b) {
      at('missing', `a ${a.type} in the source, absent here`);
      continue;
    }
    if (a.type !== b.type) {
      at('type', `a ${a.type} in the source, a ${b.type} here`);
      continue;
    }
    if (a.mtimeNs !== b.mtimeNs) at('mtime', `${seconds(a.mtimeNs)} in the source, ${seconds(b.mtimeNs)} here`);
    if (a.type !== 'symlink' && a.mode !== b.mode) at('mode', `${octal(a.mode)} in the source, ${octal(b.mode)} here`);
    if (a.uid !== b.uid) at('owner', `uid ${a.uid} in the source, ${b.uid} here`);
    if (a.gid !== b.gid) at('group', `gid ${a.gid} in the source, ${b.gid} here`);
    if (a.type === 'symlink' && !(a.linkTarget as Buffer).equals(b.linkTarget as Buffer)) at('symlink', `points to ${escapeName(a.linkTarget as Buffer)} in the source, to ${escapeName(b.linkTarget as Buffer)} here`);
    if (a.type === 'file' && a.size !== b.size) at('content', `${a.size} bytes in the source, ${b.size} here`);
    const groupA = linkGroup(from, key);
    const groupB = linkGroup(to, key);
    if (groupA !== groupB) at('hardlink', `one file with [${groupA || a.display}] in the source, with [${groupB || a.display}] here`);
    if (sparse.has(key)) {
      const bytes = a.size === b.size ? sameBytes(a.absolute, b.absolute) : null;
      if (bytes) at('content', bytes);
      if (b.blocks * 512 > a.blocks * 512 + allocationSlack) at('allocation', `${(a.blocks * 512) / 1024} KiB allocated in the source (a sparse file of ${a.size} bytes), ${(b.blocks * 512) / 1024} KiB here`);
    }
  }
  for (const [key, b] of to) if (!from.has(key)) differences.push({ path: b.display, property: 'extra', detail: `a ${b.type} here, not in the source` });

  const seen = new Set<string>();
  return [...differences, ...byRsync].filter((difference) => {
    const id = `${difference.path}\0${difference.property}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** The differences as lines a person can read: `path: property — detail`, at most `limit` of them. */
export function describeDifferences(differences: readonly Difference[], limit = 60): string {
  const lines = differences.slice(0, limit).map((d) => `  ${d.path}: ${d.property} (${d.detail})`);
  if (differences.length > limit) lines.push(`  … and ${differences.length - limit} more`);
  return lines.join('\n');
}

/** Asserts no difference in the given properties (all when none given), naming every path and property that differs. */
export function assertSame(differences: readonly Difference[], what: string, properties?: readonly Property[]): void {
  const relevant = properties ? differences.filter((d) => properties.includes(d.property)) : differences;
  if (relevant.length > 0) assert.fail(`${what}: ${relevant.length} difference(s) from the source${properties ? ` in ${properties.join(', ')}` : ''}:\n${describeDifferences(relevant)}`);
}
