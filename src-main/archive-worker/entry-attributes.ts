import { fsPath } from './byte-names';
import type { PaxRecords } from './pax-records';
import { nativeFs, nativeFsUnavailableReason } from '../native/native-fs';
import { aclTextFromXattr } from '../native/posix-acl';

/**
 * What a backup keeps beyond tar's plain fields, as the PAX records GNU tar and bsdtar use:
 * extended attributes (`SCHILY.xattr.<name>`: `user.*` on Linux, the `com.apple.*` Finder keeps on
 * macOS) and POSIX ACLs (`SCHILY.acl.access` / `SCHILY.acl.default`, as text). Attributes the
 * kernel manages itself (security labels, other `system.*`) are not a user's data and are left out.
 */
export function attributeRecords(path: string, isFolder: boolean, warn: (what: string) => void): PaxRecords {
  const native = nativeFs();
  if (!native) {
    warnOnce(warn);
    return [];
  }
  let names: Buffer[];
  try {
    names = native.listXattrs(fsPath(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A file system without them has none; an entry that vanished is reported by what reads it.
    if (code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOENT') warn(`extended attributes not read (${code ?? (error as Error).message})`);
    return [];
  }
  if (names.length === 0) return [];
  const records: PaxRecords = [];
  for (const raw of names.sort(Buffer.compare)) {
    const name = raw.toString('utf8');
    const acl = name === 'system.posix_acl_access' ? 'access' : name === 'system.posix_acl_default' && isFolder ? 'default' : null;
    if (acl === null && (name.startsWith('system.') || name.startsWith('security.'))) continue;
    try {
      const value = native.getXattr(fsPath(path), raw);
      if (acl !== null) records.push([`SCHILY.acl.${acl}`, Buffer.from(aclTextFromXattr(value), 'utf8')]);
      else records.push([`SCHILY.xattr.${name}`, value]);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // An attribute removed between the listing and the read is simply gone.
      if (code !== 'ENODATA' && code !== 'ENOATTR') warn(`extended attribute ${name} not read (${code ?? (error as Error).message})`);
    }
  }
  return records;
}

let warned = false;

function warnOnce(warn: (what: string) => void): void {
  if (warned) return;
  warned = true;
  warn(`extended attributes, ACLs and sparse files are not kept by this build: ${nativeFsUnavailableReason() ?? 'no native addon'}`);
}

/** A sparse file's data segments, when it has holes worth keeping; null for a dense file. */
export function sparseSegments(fd: number, size: number, allocatedBytes: number): { offset: number; length: number }[] | null {
  if (size === 0 || allocatedBytes >= size) return null;
  const native = nativeFs();
  if (!native) return null;
  const flat = native.dataRanges(fd, size);
  const segments: { offset: number; length: number }[] = [];
  let data = 0;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    segments.push({ offset: flat[i] as number, length: flat[i + 1] as number });
    data += flat[i + 1] as number;
  }
  if (data >= size) return null;
  // A file that ends in a hole ends its map with an empty segment at its size, as GNU tar writes it.
  const last = segments[segments.length - 1];
  if (!last || last.offset + last.length < size) segments.push({ offset: size, length: 0 });
  return segments;
}

/** The GNU sparse 1.0 map that starts a sparse file's stored content: its segment count, then offset and length of each, padded to a block. */
export function sparseMap(segments: readonly { offset: number; length: number }[]): Buffer {
  const text = [String(segments.length), ...segments.flatMap((segment) => [String(segment.offset), String(segment.length)])].join('\n') + '\n';
  const map = Buffer.alloc(Math.ceil(Buffer.byteLength(text) / 512) * 512);
  map.write(text, 'latin1');
  return map;
}
