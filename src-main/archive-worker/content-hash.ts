import * as crypto from 'node:crypto';
import type { IHasher } from 'hash-wasm';
import { createXXHash128 } from 'hash-wasm/dist/xxhash128.umd.min.js';
import { nativeFs } from '../native/native-fs';

/**
 * The hash an archive records for each file's content, so a restore, a verify and the check of a
 * file already in place can tell its bytes are the ones backed up. Format 4 records XXH3-128
 * (`xxh128`, what `xxh128sum` prints), computed by Dormouse's native addon at several times
 * SHA-256's speed: a backup reads every byte once for the archive's own SHA-256 (its `.sha256`,
 * which `sha256sum -c` checks) and once for each file's hash, and with two SHA-256s that second
 * pass was a sixth of a full backup's CPU. Formats 2 and 3 recorded SHA-256 (`sha256`), and an
 * archive written where the addon could not be built still does. Reading, both are checked;
 * XXH3-128 without the addon (Windows, a build without a C compiler) is computed by hash-wasm's
 * WebAssembly, loaded once by preparePortableHash.
 *
 * Neither hash is a signature: whoever can rewrite an archive can rewrite its manifest too (an
 * encrypted archive's chunks are authenticated by age). They catch what goes wrong by accident —
 * a drive's bit rot, a cut transfer, a bug — where XXH3-128 misses one change in 2^128.
 */

/** The hashes a manifest entry may record for its content. */
export type ContentHashKind = 'xxh128' | 'sha256';

/** How many bytes each kind's digest has. */
export const digestLength: Readonly<Record<ContentHashKind, number>> = { xxh128: 16, sha256: 32 };

/** What a manifest entry records of its content (at most one of them). */
export interface RecordedHashes {
  sha256?: string;
  xxh128?: string;
}

/** The hash new archives record here: XXH3-128 where the native addon is loaded, else SHA-256. */
export function writtenHashKind(): ContentHashKind {
  return nativeFs() === null ? 'sha256' : 'xxh128';
}

/** The digest an entry records for its content and its kind, or undefined when it records none (format 1, a folder, a link). */
export function recordedDigest(entry: RecordedHashes): { kind: ContentHashKind; hex: string } | undefined {
  if (entry.xxh128 !== undefined) return { kind: 'xxh128', hex: entry.xxh128 };
  if (entry.sha256 !== undefined) return { kind: 'sha256', hex: entry.sha256 };
  return undefined;
}

/** Whether content whose hex digest (in the kind the entry records) is `digest` is what the entry recorded; true when it records none. */
export function contentMatches(entry: RecordedHashes, digest: string | null): boolean {
  const recorded = recordedDigest(entry);
  return recorded === undefined || recorded.hex === digest;
}

/** The words a damaged file's line uses for the hash it failed. */
export function hashName(kind: ContentHashKind): string {
  return kind === 'xxh128' ? 'XXH3-128' : 'SHA-256';
}

/** A hash fed a file's content piece by piece. */
export interface ContentHasher {
  update(bytes: Uint8Array): void;
  /** The hex digest; the hasher is done after it. */
  digest(): string;
}

/** The portable XXH3-128 (hash-wasm), once preparePortableHash has loaded it; used only where the addon is not. */
let portable: IHasher | null = null;
/** The number of the PortableHasher whose state the one WebAssembly instance holds now (0: none), and the states of the others that were interrupted. */
let portableOwner = 0;
const portableSaved = new Map<number, Uint8Array>();
let portableHashers = 0;

/** Loads the portable XXH3-128 where the native addon is missing, so reading an archive that records it can check its files. Resolves at once where the addon is loaded. */
export async function preparePortableHash(): Promise<void> {
  if (nativeFs() !== null || portable !== null) return;
  portable ??= await createXXHash128();
}

/** XXH3-128 on hash-wasm's one instance: a hasher saves another's state when it starts, and loads its own back when it goes on. */
class PortableHasher implements ContentHasher {
  private readonly number = (portableHashers += 1);

  constructor(private readonly wasm: IHasher) {}

  private take(): void {
    if (portableOwner === this.number) return;
    if (portableOwner !== 0) portableSaved.set(portableOwner, this.wasm.save());
    const saved = portableSaved.get(this.number);
    if (saved === undefined) this.wasm.init();
    else this.wasm.load(saved);
    portableSaved.delete(this.number);
    portableOwner = this.number;
  }

  update(bytes: Uint8Array): void {
    this.take();
    this.wasm.update(bytes);
  }

  digest(): string {
    this.take();
    portableOwner = 0;
    return this.wasm.digest('hex');
  }
}

/** The one XXH3-128 implementation at hand, or an error saying why there is none. */
function xxh128Source(): { native: NonNullable<ReturnType<typeof nativeFs>> } | { wasm: IHasher } {
  const native = nativeFs();
  if (native !== null) return { native };
  if (portable !== null) return { wasm: portable };
  throw new Error('XXH3-128 is not loaded in this thread (preparePortableHash was not awaited)');
}

/** A hasher of the given kind. */
export function contentHasher(kind: ContentHashKind): ContentHasher {
  if (kind === 'sha256') {
    const hash = crypto.createHash('sha256');
    return { update: (bytes) => void hash.update(bytes), digest: () => hash.digest('hex') };
  }
  const source = xxh128Source();
  if ('wasm' in source) return new PortableHasher(source.wasm);
  const { native } = source;
  const state = Buffer.allocUnsafe(native.xxh128StateBytes);
  native.xxh128Reset(state);
  return {
    update: (bytes) => native.xxh128Update(state, bytes),
    digest: () => {
      const out = Buffer.allocUnsafe(16);
      native.xxh128Digest(state, out, 0);
      return out.toString('hex');
    },
  };
}

/** SHA-256 in one call where Node has it (20.12 on): no Hash object per file. */
const sha256Once = typeof (crypto as { hash?: unknown }).hash === 'function' ? (crypto as unknown as { hash: (algorithm: string, data: Uint8Array, encoding: 'hex') => string }).hash : null;
/** Where a one-call XXH3-128 writes its digest before it becomes hex. */
const scratch = Buffer.alloc(16);

/** The hex digest of bytes that are all there is of a file's content, in one call. */
export function hashContent(kind: ContentHashKind, bytes: Uint8Array): string {
  if (kind === 'sha256' && sha256Once !== null) return sha256Once('sha256', bytes, 'hex');
  const native = kind === 'xxh128' ? nativeFs() : null;
  if (native === null) {
    const hasher = contentHasher(kind);
    hasher.update(bytes);
    return hasher.digest();
  }
  native.xxh128(bytes, scratch, 0);
  return scratch.toString('hex');
}
