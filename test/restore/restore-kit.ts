import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, cpSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, symlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib';
import { Header, Pax } from 'tar';
import type { SnapshotListing as Listing, RestoreReport, VerifyReport, ImportReport, PruneReport } from '../../shared/types';
import { dormouse, temporaryFolder, type CliResult } from '../helpers/cli';
export type { Listing, RestoreReport, VerifyReport, ImportReport, PruneReport };

/**
 * Helpers for the restore, browse, verify and recovery tests: reading Dormouse's archive layout
 * straight from the bytes (trailer 2048 bytes before the end, manifest where the trailer says), and
 * writing archives by hand in that same layout, as described in src-main/archive-worker/archive-manifest.ts.
 * Nothing here imports Dormouse's own code: the layout is replicated, so a change to it shows up.
 */

export const block = 512;

export interface ManifestEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  size: number;
  mtimeMs: number;
  mode: number;
  offset: number;
  linkTarget?: string;
  ino?: number;
  ctimeMs?: number;
  /** Format 4: the XXH3-128 of a file's content. */
  xxh128?: string;
  /** Formats 2 and 3: the SHA-256 of a file's content. */
  sha256?: string;
}

export interface Manifest {
  dormouse: 'manifest';
  format: number;
  snapshot: {
    id: string;
    scheduleName: string;
    createdAt: string;
    kind: 'full' | 'incremental';
    baseId: string | null;
    compression: 'none' | 'gzip';
    sources: string[];
    excludes: string[];
  };
  entries: ManifestEntry[];
  gzipMembers?: { compressedOffset: number; tarOffset: number }[];
}

export interface Trailer {
  dormouse: 'trailer';
  format: number;
  manifestOffset: number;
  manifestBytes: number;
  manifestMemberOffset: number | null;
}






/** The uncompressed tar stream of an archive (gunzipped when it is a .tar.gz). */
export function tarStream(archivePath: string): Buffer {
  const bytes = readFileSync(archivePath);
  return archivePath.endsWith('.gz') ? gunzipSync(bytes) : bytes;
}

/** Reads the trailer and manifest of an archive from its bytes, as the layout promises. */
export function readLayout(archivePath: string): { trailer: Trailer; manifest: Manifest } {
  const tar = tarStream(archivePath);
  const trailerHeader = new Header(tar.subarray(tar.length - 4 * block, tar.length - 3 * block));
  if (trailerHeader.path !== '.dormouse/trailer.json') throw new Error(`${archivePath}: no trailer header 2048 bytes before the end of the tar (found ${trailerHeader.path})`);
  const trailer = JSON.parse(tar.subarray(tar.length - 3 * block, tar.length - 2 * block).toString('utf8').trimEnd()) as Trailer;
  let at = trailer.manifestOffset;
  let header = new Header(tar.subarray(at, at + block));
  if (header.type === 'ExtendedHeader') {
    at += block + Math.ceil((header.size ?? 0) / block) * block;
    header = new Header(tar.subarray(at, at + block));
  }
  const content = tar.subarray(at + block, at + block + trailer.manifestBytes);
  if (header.path === '.dormouse/manifest.jsonl.gz') {
    // Format 3: gzip JSON lines, a header line then the entries (which leave out `mtimeMs`).
    const [first, ...lines] = gunzipSync(content).toString('utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
    const entries = lines.filter((line) => line.deleted !== true).map((line) => ({ ...line, mtimeMs: Number(BigInt(line.mtimeNs as string) / 1_000_000n) }));
    const indexOffset = (trailer as Trailer & { indexOffset: number; indexBytes: number }).indexOffset;
    const indexBytes = (trailer as Trailer & { indexOffset: number; indexBytes: number }).indexBytes;
    const index = JSON.parse(tar.subarray(indexOffset + block, indexOffset + block + indexBytes).toString('utf8')) as { gzipMembers?: unknown };
    return { trailer, manifest: { ...first, entries, ...(index.gzipMembers ? { gzipMembers: index.gzipMembers } : {}) } as unknown as Manifest };
  }
  if (header.path !== '.dormouse/manifest.json') throw new Error(`${archivePath}: no manifest at ${trailer.manifestOffset}`);
  const manifest = JSON.parse(content.toString('utf8')) as Manifest;
  return { trailer, manifest };
}

/** One entry of an archive written by hand; `path` goes into the tar header and the manifest exactly as given. */
export interface HandEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  content?: Buffer | string;
  mode?: number;
  mtime?: Date;
  linkTarget?: string;
  /** Leave the entry out of the manifest (the tar still holds it). */
  notInManifest?: boolean;
  /** The owner name its manifest line gives (none when absent). */
  user?: string;
  /** PAX records its header holds as they are (names and values tar's own Pax would not write), with `path` beside them. */
  records?: [string, string][];
}

/** One PAX record, `LENGTH name=value\n`, its length counting its own digits. */
function paxRecord(name: string, value: string): Buffer {
  const rest = Buffer.from(` ${name}=${value}\n`, 'utf8');
  let length = rest.length + 1;
  while (String(length).length + rest.length !== length) length = String(length).length + rest.length;
  return Buffer.concat([Buffer.from(String(length)), rest]);
}

/** A tar header block (preceded by a PAX header when the name needs one, or when `records` are given) for one entry. */
export function tarHeader(fields: { path: string; type: 'File' | 'Directory' | 'SymbolicLink'; size: number; mode: number; mtime: Date; linkpath?: string }, records: [string, string][] = []): Buffer {
  const header = new Header({ ...fields, uid: 0, gid: 0, uname: '', gname: '' });
  const headerBlock = Buffer.alloc(block);
  const tooLong = header.encode(headerBlock, 0);
  if (records.length > 0) {
    const body = Buffer.concat([['path', fields.path] as [string, string], ...records].map(([name, value]) => paxRecord(name, value)));
    const paxBlock = Buffer.alloc(block);
    new Header({ path: 'PaxHeader/entry', type: 'ExtendedHeader', size: body.length, mode: 0o644, mtime: fields.mtime, uid: 0, gid: 0, uname: '', gname: '' }).encode(paxBlock, 0);
    return Buffer.concat([paxBlock, padded(body), headerBlock]);
  }
  if (tooLong) {
    const pax = new Pax({ path: fields.path, linkpath: fields.linkpath, mtime: fields.mtime, size: fields.size });
    return Buffer.concat([pax.encode(), headerBlock]);
  }
  return headerBlock;
}

function padded(content: Buffer): Buffer {
  const padding = (block - (content.length % block)) % block;
  return Buffer.concat([content, Buffer.alloc(padding)]);
}

/** The trailer's content: exactly one block of space-padded JSON. */
export function trailerBlock(trailer: Trailer): Buffer {
  const json = Buffer.from(JSON.stringify(trailer), 'utf8');
  const result = Buffer.alloc(block, 0x20);
  json.copy(result);
  return result;
}

/** The entries' tar bytes (headers and padded content, no end blocks) and their manifest entries with offsets. */
export function tarBody(entries: readonly HandEntry[]): { body: Buffer; manifestEntries: ManifestEntry[] } {
  const parts: Buffer[] = [];
  const manifestEntries: ManifestEntry[] = [];
  let offset = 0;
  for (const entry of entries) {
    const content = entry.type === 'file' ? Buffer.from(entry.content ?? '') : Buffer.alloc(0);
    const mtime = entry.mtime ?? new Date('2024-05-06T07:08:09Z');
    const mode = entry.mode ?? (entry.type === 'directory' ? 0o755 : entry.type === 'symlink' ? 0o777 : 0o644);
    const headerPath = entry.type === 'directory' ? `${entry.path.replace(/\/+$/, '')}/` : entry.path;
    const type = entry.type === 'file' ? 'File' : entry.type === 'directory' ? 'Directory' : 'SymbolicLink';
    const header = tarHeader({ path: headerPath, type, size: content.length, mode, mtime, ...(entry.linkTarget === undefined ? {} : { linkpath: entry.linkTarget }) }, entry.records);
    const bytes = Buffer.concat([header, padded(content)]);
    if (!entry.notInManifest) {
      manifestEntries.push({
        path: entry.path.replace(/\/+$/, ''),
        type: entry.type,
        size: content.length,
        mtimeMs: mtime.getTime(),
        mode,
        offset,
        ...(entry.type === 'symlink' ? { linkTarget: entry.linkTarget ?? '' } : {}),
        ...(entry.user === undefined ? {} : { user: entry.user }),
      });
    }
    parts.push(bytes);
    offset += bytes.length;
  }
  return { body: Buffer.concat(parts), manifestEntries };
}

/** The manifest entry, the trailer entry and the two end blocks that follow the body of every Dormouse archive. */
function manifestAndTrailer(manifestJson: Buffer, manifestOffset: number, manifestMemberOffset: number | null, trailerFormat: number): { manifestPart: Buffer; trailerPart: Buffer } {
  const now = new Date('2024-05-06T07:08:09Z');
  const manifestPart = Buffer.concat([tarHeader({ path: '.dormouse/manifest.json', type: 'File', size: manifestJson.length, mode: 0o600, mtime: now }), padded(manifestJson)]);
  const trailer = trailerBlock({ dormouse: 'trailer', format: trailerFormat, manifestOffset, manifestBytes: manifestJson.length, manifestMemberOffset });
  const trailerPart = Buffer.concat([tarHeader({ path: '.dormouse/trailer.json', type: 'File', size: block, mode: 0o600, mtime: now }), trailer, Buffer.alloc(2 * block)]);
  return { manifestPart, trailerPart };
}

export interface SnapshotIdentity {
  id?: string;
  scheduleName: string;
  createdAt?: string;
  sources?: string[];
}

/**
 * Assembles a complete archive in Dormouse's layout around a tar body: `.dormouse/manifest.json`,
 * then `.dormouse/trailer.json` (512 bytes of space-padded JSON) and two zero blocks. A gzip archive
 * is a gzip member for the body, one for the manifest and a stored one for the trailer and end blocks.
 */
export function assembleArchive(
  body: Buffer,
  manifestEntries: ManifestEntry[],
  identity: SnapshotIdentity,
  options: { gzip?: boolean; format?: number; manifestFormat?: number } = {},
): Buffer {
  const gzip = options.gzip === true;
  const manifest: Manifest = {
    dormouse: 'manifest',
    format: options.manifestFormat ?? options.format ?? 1,
    snapshot: {
      id: identity.id ?? randomUUID(),
      scheduleName: identity.scheduleName,
      createdAt: identity.createdAt ?? new Date().toISOString(),
      kind: 'full',
      baseId: null,
      compression: gzip ? 'gzip' : 'none',
      sources: identity.sources ?? [],
      excludes: [],
    },
    entries: manifestEntries,
  };
  if (!gzip) {
    const { manifestPart, trailerPart } = manifestAndTrailer(Buffer.from(JSON.stringify(manifest), 'utf8'), body.length, null, options.format ?? 1);
    return Buffer.concat([body, manifestPart, trailerPart]);
  }
  const bodyMember = body.length > 0 ? gzipSync(body) : Buffer.alloc(0);
  manifest.gzipMembers = body.length > 0 ? [{ compressedOffset: 0, tarOffset: 0 }] : [];
  const { manifestPart, trailerPart } = manifestAndTrailer(Buffer.from(JSON.stringify(manifest), 'utf8'), body.length, bodyMember.length, options.format ?? 1);
  return Buffer.concat([bodyMember, gzipSync(manifestPart), gzipSync(trailerPart, { level: zlibConstants.Z_NO_COMPRESSION })]);
}

/** A whole hand-made archive from entries. */
export function handMadeArchive(entries: readonly HandEntry[], identity: SnapshotIdentity, options: { gzip?: boolean; format?: number } = {}): Buffer {
  const { body, manifestEntries } = tarBody(entries);
  return assembleArchive(body, manifestEntries, identity, options);
}

/** Overwrites bytes of a file in place. */
export function patchFile(path: string, position: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, position);
  } finally {
    closeSync(fd);
  }
}

/** Flips every bit of one byte of a file. */
export function flipByte(path: string, position: number): void {
  const fd = openSync(path, 'r+');
  try {
    if (position >= fstatSync(fd).size) throw new Error(`cannot flip byte ${position} of ${path}: the file is shorter`);
    const one = Buffer.alloc(1);
    readSync(fd, one, 0, 1, position);
    one[0] = (one[0] as number) ^ 0xff;
    writeSync(fd, one, 0, 1, position);
  } finally {
    closeSync(fd);
  }
}

/** Sets a snapshot's columns straight in the catalog (better-sqlite3), as a crash or another version would leave them. */
export function updateSnapshotRow(catalog: string, id: number, changes: Record<string, string | number | null>): void {
  const db = new Database(catalog, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const columns = Object.keys(changes);
    db.prepare(`UPDATE snapshots SET ${columns.map((column) => `${column} = @${column}`).join(', ')} WHERE id = @id`).run({ ...changes, id });
  } finally {
    db.close();
  }
}

/** The snapshots table, read straight from the catalog. */
export function snapshotRows(catalog: string): { id: number; archive_path: string; deleting_at: number | null; created_at: number; schedule_id: number | null; sha256: string }[] {
  const db = new Database(catalog, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare('SELECT * FROM snapshots ORDER BY id').all() as { id: number; archive_path: string; deleting_at: number | null; created_at: number; schedule_id: number | null; sha256: string }[];
  } finally {
    db.close();
  }
}

/** Every file below a folder named as a restore's temporary twin (`.dormouse-….restoring`). */
export function restoreTemporaries(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return (readdirSync(folder, { recursive: true }) as string[]).filter((name) => /(^|\/)\.dormouse-[^/]*\.restoring$/.test(name)).map((name) => join(folder, name));
}


/** GNU tar's listing of an archive (to check what a hand-made archive really holds). */
export function gnuTarList(archivePath: string): string[] {
  const result = spawnSync('tar', ['-tf', archivePath, '-P'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tar -tf ${archivePath} failed: ${result.stderr}`);
  return result.stdout.split('\n').filter((line) => line !== '');
}

/** An old modification time that survives a round trip to the second. */
export const oldMtime = new Date('2001-09-09T01:46:40.500Z');

/**
 * A tree with what a restore must bring back: modes (0640, 0750, 0600, 0444), old mtimes, empty
 * files and folders, a private folder, relative, absolute and dangling symlinks, a name longer than
 * a ustar header holds (PAX), non-ASCII names and spaces. Folder times are set last.
 */
export function buildRichTree(root: string, outside: string): void {
  const mkdir = mkdirSync;
  const write = writeFileSync;
  mkdir(join(root, 'docs', 'nested', 'deep'), { recursive: true });
  mkdir(outside, { recursive: true });
  write(join(outside, 'target.txt'), 'outside\n');
  write(join(root, 'docs', 'nested', 'deep', 'note.txt'), 'a note three folders down\n');
  write(join(root, 'docs', 'report.txt'), 'quarterly report\n'.repeat(200));
  chmodSync(join(root, 'docs', 'report.txt'), 0o640);
  utimesSync(join(root, 'docs', 'report.txt'), oldMtime, oldMtime);
  write(join(root, 'docs', 'script.sh'), '#!/bin/sh\necho restored\n');
  chmodSync(join(root, 'docs', 'script.sh'), 0o750);
  write(join(root, 'docs', 'secret.key'), 'private\n');
  chmodSync(join(root, 'docs', 'secret.key'), 0o600);
  write(join(root, 'docs', 'read-only.txt'), 'do not edit\n');
  chmodSync(join(root, 'docs', 'read-only.txt'), 0o444);
  write(join(root, 'empty.txt'), '');
  mkdir(join(root, 'empty-folder'));
  mkdir(join(root, 'private'));
  write(join(root, 'private', 'diary.txt'), 'dear diary\n');
  chmodSync(join(root, 'private'), 0o700);
  const longFolder = join(root, `long-${'x'.repeat(120)}`);
  mkdir(longFolder);
  write(join(longFolder, `${'y'.repeat(110)}-ünïcødé 日本.txt`), 'a long, non-ASCII path\n');
  write(join(root, 'name with spaces.txt'), 'spaces\n');
  const binary = Buffer.alloc(300_000);
  for (let index = 0; index < binary.length; index += 1) binary[index] = (index * 7919) % 251;
  write(join(root, 'docs', 'data.bin'), binary);
  symlinkSync('docs/report.txt', join(root, 'link-relative'));
  symlinkSync(join(outside, 'target.txt'), join(root, 'link-absolute'));
  symlinkSync('does-not-exist', join(root, 'link-dangling'));
  symlinkSync(outside, join(root, 'link-to-folder'));
  utimesSync(join(root, 'docs', 'nested', 'deep'), oldMtime, oldMtime);
  utimesSync(join(root, 'empty-folder'), oldMtime, oldMtime);
  utimesSync(join(root, 'private'), oldMtime, oldMtime);
}

/** Where an entry's own header block and its content start in a tar stream (past a PAX header, when there is one). */
export function entryBlocks(tar: Buffer, offset: number): { header: number; content: number } {
  let header = offset;
  const first = new Header(tar.subarray(header, header + block));
  if (first.type === 'ExtendedHeader') header += block + Math.ceil((first.size ?? 0) / block) * block;
  return { header, content: header + block };
}

/** A snapshot as `dormouse snapshots --json` lists one imported from a fixture destination. */
export interface FixtureSnapshot {
  id: number;
  kind: 'full' | 'incremental';
  compression: 'none' | 'gzip';
  scheduleName: string;
}

/**
 * Copies a destination kept in test/fixtures (archives an older Dormouse wrote) to a fresh folder,
 * adds it to a new catalog through the CLI, and lists what it imported from every machine.
 */
export function importFixture(t: Parameters<typeof temporaryFolder>[0], fixture: string): { root: string; cli: (args: string[]) => CliResult; snapshots: FixtureSnapshot[] } {
  const root = temporaryFolder(t, 'dormouse-fixture-');
  const destination = join(root, 'drive');
  cpSync(fixture, destination, { recursive: true });
  const cli = (args: string[]) => dormouse(['--data-dir', join(root, 'data'), ...args]);
  const added = cli(['destination', 'add', '--name', 'old', '--path', destination, '--json']);
  assert.equal(added.code, 0, added.stderr);
  const listed = cli(['snapshots', '--machine', 'all', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  return { root, cli, snapshots: listed.json<FixtureSnapshot[]>() };
}

/**
 * Restores the incremental snapshot of one compression that importFixture listed into a new folder,
 * asserting it restored `files` files with nothing damaged or refused, and its readme.txt (every
 * fixture tree has one, mode 0640, at 2024-05-01 12:00:00.123456789 UTC) says `readme`. Returns the
 * restored copy of the fixture's source folder (`source`, without its leading slash).
 */
export function restoreFixtureIncremental(fixture: { root: string; cli: (args: string[]) => CliResult; snapshots: FixtureSnapshot[] }, compression: 'none' | 'gzip', source: string, files: number, readme: string): { tree: string; target: string; id: number } {
  const incremental = fixture.snapshots.find((snapshot) => snapshot.kind === 'incremental' && snapshot.compression === compression) as FixtureSnapshot;
  const target = join(fixture.root, 'back');
  const restored = fixture.cli(['restore', String(incremental.id), '--to', target, '--json']);
  assert.equal(restored.code, 0, restored.stdout + restored.stderr);
  const report = restored.json<{ files: number; damaged: string[]; refused: string[] }>();
  assert.deepEqual([report.files, report.damaged, report.refused], [files, [], []]);
  const tree = join(target, source);
  const readmePath = join(tree, 'docs', 'readme.txt');
  assert.equal(readFileSync(readmePath, 'utf8'), readme);
  assert.equal(statSync(readmePath).mode & 0o7777, 0o640);
  assert.equal(statSync(readmePath, { bigint: true }).mtimeNs, BigInt(Date.UTC(2024, 4, 1, 12, 0, 0)) * 1_000_000n + 123_456_789n);
  return { tree, target, id: incremental.id };
}
