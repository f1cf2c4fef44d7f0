/**
 * The memory snapshot cache in Cache Storage. A snapshot is Pyodide's whole wasm heap taken after Python
 * started and our kernel modules were imported; restoring it skips both. Snapshots are private Pyodide API and
 * only valid for the exact build that made them, so each entry is stored under its key (Pyodide version and
 * build id, our kernel sources, where the runtime files are served) and carries a checksum of its bytes: an
 * entry that does not match in every respect is never restored.
 *
 * The worker reads and writes entries; the page only clears them. Nothing here imports Pyodide.
 */
import type { SnapshotKey, SnapshotSaveResult } from './worker-api.ts';

export const SNAPSHOT_CACHE_NAME = 'bento-lite-pyodide-snapshots';
/** Bump when what a snapshot holds changes in a way the Python sources do not show (the boot recipe). */
const SNAPSHOT_FORMAT = 2;
const METADATA_HEADER = 'x-bento-snapshot';
/** Cache Storage keys must be http(s) URLs; they are never fetched. */
const KEY_BASE = 'https://snapshots.bento-lite.invalid/';

interface SnapshotMetadata extends SnapshotKey {
  format: number;
  /** checksum() of the bytes. */
  checksum: string;
  bytes: number;
  created: string;
}

export type SnapshotLookup =
  | { found: false; reason: string }
  | {
      found: true;
      /** The snapshot's size, from its metadata. */
      size: number;
      /** Reads the bytes and checks their size and checksum; rejects, having deleted the entry, when they are not
       * the bytes that were stored. */
      read(): Promise<Uint8Array>;
    };

/** False in an insecure context (no `caches`, no `crypto.subtle`); blocked storage shows when it is opened. */
export function snapshotCacheAvailable(): boolean {
  return typeof caches !== 'undefined' && typeof crypto !== 'undefined' && typeof crypto.subtle !== 'undefined';
}

export function snapshotRequestURL(key: SnapshotKey): string {
  const url = new URL(`v${SNAPSHOT_FORMAT}/${encodeURIComponent(key.pyodideVersion)}/${key.buildId}/${key.kernelHash}`, KEY_BASE);
  url.searchParams.set('index', key.indexURL);
  url.searchParams.set('utc-offsets', key.utcOffsets);
  return url.href;
}

/**
 * A 128-bit checksum of `bytes`: four xxHash32 lanes over 32-bit words, the tail and the length folded in.
 * It tells a snapshot that was cut short or changed on disk from the one stored, at ~2 GB/s in JavaScript
 * (SHA-256 took 45 ms for a 30 MB snapshot on the critical path of a repeat visit, this takes 14). It is no
 * defence against a deliberate forgery, and need not be: whoever can write this origin's storage can run
 * script in it anyway.
 */
export function checksum(bytes: Uint8Array): string {
  const P1 = 0x9e3779b1;
  const P2 = 0x85ebca77;
  const P3 = 0xc2b2ae3d;
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const words = new Int32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >>> 2);
  let a = P1;
  let b = P2;
  let c = P3;
  let d = 0x27d4eb2f;
  const whole = words.length & ~3;
  for (let i = 0; i < whole; i += 4) {
    a = Math.imul(rotl(a + Math.imul(words[i], P2), 13), P1);
    b = Math.imul(rotl(b + Math.imul(words[i + 1], P2), 13), P1);
    c = Math.imul(rotl(c + Math.imul(words[i + 2], P2), 13), P1);
    d = Math.imul(rotl(d + Math.imul(words[i + 3], P2), 13), P1);
  }
  for (let i = whole; i < words.length; i++) a = Math.imul(rotl(a + Math.imul(words[i], P3), 17), P1);
  for (let i = words.length * 4; i < aligned.byteLength; i++) b = Math.imul(rotl(b + aligned[i], 11), P1);
  const lanes = [a, b, c, d].map((lane, i) => avalanche(lane ^ Math.imul(aligned.byteLength + i, P3)));
  // Each lane also takes the others in, so that no lane's words can be swapped with another's unseen.
  return lanes.map((lane, i) => (avalanche(lane + lanes[(i + 1) % 4]) >>> 0).toString(16).padStart(8, '0')).join('');
}

function rotl(x: number, bits: number): number {
  return (x << bits) | (x >>> (32 - bits));
}

function avalanche(x: number): number {
  x = Math.imul(x ^ (x >>> 15), 0x85ebca77);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae3d);
  return x ^ (x >>> 16);
}

export async function sha256Hex(data: BufferSource | string): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The local time zone as Python sees it at start-up (Emscripten's tzset reads these two offsets). */
export function utcOffsets(now = new Date()): string {
  const year = now.getFullYear();
  return `${new Date(year, 0, 1).getTimezoneOffset()},${new Date(year, 6, 1).getTimezoneOffset()}`;
}

/** The kernel half of the key: everything baked into a snapshot besides Pyodide itself. */
export function kernelHash(sources: string[]): Promise<string> {
  return sha256Hex(JSON.stringify([SNAPSHOT_FORMAT, ...sources]));
}

function describe(error: unknown): string {
  if (error instanceof DOMException || error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function readMetadata(response: Response): SnapshotMetadata | undefined {
  try {
    const metadata = JSON.parse(response.headers.get(METADATA_HEADER) ?? 'null') as SnapshotMetadata | null;
    return metadata && typeof metadata === 'object' ? metadata : undefined;
  } catch {
    return undefined;
  }
}

/** Why nothing is stored under `key`, naming the build of an entry for the same runtime files if there is one. */
async function whyMissing(cache: Cache, key: SnapshotKey): Promise<string> {
  for (const request of await cache.keys()) {
    if (new URL(request.url).searchParams.get('index') !== key.indexURL) continue;
    const entry = await cache.match(request);
    const other = entry && readMetadata(entry);
    if (!other) continue;
    if (other.pyodideVersion !== key.pyodideVersion || other.buildId !== key.buildId) {
      return `the cached snapshot was made by another Pyodide build (${other.pyodideVersion}, ${other.buildId.slice(0, 12)}), not ${key.pyodideVersion} (${key.buildId.slice(0, 12)})`;
    }
    if (other.kernelHash !== key.kernelHash) return 'the cached snapshot was made with other kernel sources';
    if (other.utcOffsets !== key.utcOffsets) return 'the cached snapshot was made in another time zone';
  }
  return 'no snapshot is cached for this build yet';
}

/**
 * Finds the entry for `key` and checks its metadata. Its bytes (tens of MB) are read and hashed only when the
 * caller asks, so that it can go on loading Pyodide meanwhile.
 */
export async function lookupSnapshot(key: SnapshotKey): Promise<SnapshotLookup> {
  const url = snapshotRequestURL(key);
  let cache: Cache;
  let response: Response | undefined;
  try {
    cache = await caches.open(SNAPSHOT_CACHE_NAME);
    response = await cache.match(url);
  } catch (error) {
    return { found: false, reason: `Cache Storage could not be read (${describe(error)})` };
  }
  if (!response) return { found: false, reason: await whyMissing(cache, key).catch(() => 'no snapshot is cached for this build yet') };
  const metadata = readMetadata(response);
  const matches =
    metadata &&
    metadata.format === SNAPSHOT_FORMAT &&
    metadata.pyodideVersion === key.pyodideVersion &&
    metadata.buildId === key.buildId &&
    metadata.kernelHash === key.kernelHash &&
    metadata.indexURL === key.indexURL &&
    metadata.utcOffsets === key.utcOffsets &&
    typeof metadata.checksum === 'string' &&
    Number.isSafeInteger(metadata.bytes) &&
    metadata.bytes > 0 &&
    metadata.bytes <= 2 ** 32; // wasm32 memory
  if (!matches) {
    await cache.delete(url).catch(() => {});
    return { found: false, reason: 'the cached snapshot had missing or mismatched metadata and was deleted' };
  }
  const read = async () => {
    const bytes = new Uint8Array(await response.arrayBuffer());
    const problem =
      bytes.byteLength !== metadata.bytes
        ? `it is ${bytes.byteLength} bytes, not the ${metadata.bytes} stored`
        : checksum(bytes) !== metadata.checksum
          ? 'its checksum is not the one stored with it'
          : undefined;
    if (!problem) return bytes;
    await cache.delete(url).catch(() => {});
    throw new Error(`the cached snapshot is corrupt (${problem}) and was deleted`);
  };
  return { found: true, size: metadata.bytes, read };
}

/** Stores `bytes` under `key` and drops older entries for the same runtime files. Never throws. */
export async function storeSnapshot(key: SnapshotKey, snapshot: Uint8Array): Promise<SnapshotSaveResult> {
  const bytes = snapshot as Uint8Array<ArrayBuffer>; // a copy of the wasm heap: never a SharedArrayBuffer
  const url = snapshotRequestURL(key);
  let cache: Cache | undefined;
  try {
    const metadata: SnapshotMetadata = {
      ...key,
      format: SNAPSHOT_FORMAT,
      checksum: checksum(bytes),
      bytes: bytes.byteLength,
      created: new Date().toISOString(),
    };
    cache = await caches.open(SNAPSHOT_CACHE_NAME);
    await cache.put(
      url,
      new Response(bytes, {
        headers: { 'Content-Type': 'application/octet-stream', [METADATA_HEADER]: JSON.stringify(metadata) },
      }),
    );
    try {
      for (const request of await cache.keys()) {
        if (request.url !== url && new URL(request.url).searchParams.get('index') === key.indexURL) await cache.delete(request);
      }
    } catch {
      // Older entries stay until the next snapshot is stored; they are never restored.
    }
    return { saved: true, bytes: metadata.bytes, checksum: metadata.checksum };
  } catch (error) {
    // A put that failed (quota, storage blocked) stored nothing; make sure no half-written entry is left.
    await cache?.delete(url).catch(() => {});
    return { saved: false, reason: `the snapshot could not be stored (${describe(error)})` };
  }
}

export async function deleteSnapshot(key: SnapshotKey): Promise<void> {
  try {
    const cache = await caches.open(SNAPSHOT_CACHE_NAME);
    await cache.delete(snapshotRequestURL(key));
  } catch {
    // Nothing to delete where Cache Storage cannot be opened.
  }
}

/** Deletes every stored snapshot of this origin. */
export async function clearSnapshotCache(): Promise<void> {
  if (typeof caches === 'undefined') return;
  try {
    await caches.delete(SNAPSHOT_CACHE_NAME);
  } catch {
    // Storage is blocked here: there is nothing to clear.
  }
}
