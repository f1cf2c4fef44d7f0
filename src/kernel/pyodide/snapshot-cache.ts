/// <reference lib="webworker" />
/**
 * The memory snapshot cache, in the origin-private file system (OPFS). A snapshot is Pyodide's whole wasm heap
 * taken after Python started and our kernel modules were imported; restoring it skips both. Snapshots are
 * private Pyodide API and only valid for the exact build that made them, so each entry carries its key
 * (Pyodide version and build id, our kernel sources, where the runtime files are served, the time zone) and a
 * checksum of its bytes: an entry that does not match in every respect is never restored.
 *
 * Why OPFS and not Cache Storage: reading the ~30 MB entry is on the critical path of a repeat visit. From
 * Cache Storage it took 48 ms on an idle worker and 150-180 ms while the wasm compiled beside it (the bytes
 * come through the browser process); a dedicated worker reads an OPFS file through a sync access handle in
 * 17-30 ms either way. (`npm run bench -- --only repeat-visit`; the measurements are in the README.)
 *
 * An entry is one file: ENTRY_MAGIC, the metadata's length and the snapshot's offset (two little-endian
 * uint32), the metadata as JSON, zero padding to a multiple of 16, then the snapshot, so that it can be handed
 * to Pyodide as a view of the file's bytes. Files are written whole through createWritable(), which replaces
 * the file only when it is closed, so a reader never sees half an entry.
 *
 * The worker reads and writes entries; the page clears them, and keeps a sandboxed worker's (sandbox.ts). Nothing
 * here imports Pyodide.
 */
import type { SnapshotKey, SnapshotSaveResult } from './worker-api.ts';

/** The OPFS directory holding the entries, one file each. */
export const SNAPSHOT_DIRECTORY = 'bento-lite-pyodide-snapshots';
/** Where earlier formats kept snapshots (Cache Storage); deleted when a new entry is stored or the cache is cleared. */
const LEGACY_CACHE_NAME = 'bento-lite-pyodide-snapshots';
/** Bump when what a snapshot holds changes in a way the Python sources do not show (the boot recipe). */
const SNAPSHOT_FORMAT = 3;
const ENTRY_MAGIC = 'BENTOSNP';
const ENTRY_SUFFIX = '.snapshot';
const PREFIX_BYTES = 16;
/** Metadata larger than this is not ours. */
const MAX_METADATA_BYTES = 64 * 1024;

export interface SnapshotMetadata extends SnapshotKey {
  format: number;
  /** checksum() of the snapshot bytes. */
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
      /** Checks the bytes' size and checksum and resolves with them; rejects, having deleted the entry, when they
       * are not the bytes that were stored. */
      read(): Promise<Uint8Array>;
    };

/** False where the origin-private file system is missing (an insecure context, an old browser). */
export function snapshotCacheAvailable(): boolean {
  // An opaque origin (a sandboxed runtime) has the API, which then refuses every call.
  return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function' && globalThis.origin !== 'null';
}

/** The name of the file an entry for `key` is stored in. */
export function snapshotFileName(key: SnapshotKey): string {
  const identity = JSON.stringify([SNAPSHOT_FORMAT, key.pyodideVersion, key.buildId, key.kernelHash, key.indexURL, key.utcOffsets]);
  return `v${SNAPSHOT_FORMAT}-${checksum(new TextEncoder().encode(identity))}${ENTRY_SUFFIX}`;
}

/** An entry's head: prefix, metadata and the padding up to the snapshot. */
function encodeEntryHead(metadata: SnapshotMetadata): Uint8Array<ArrayBuffer> {
  const json = new TextEncoder().encode(JSON.stringify(metadata));
  const head = new Uint8Array(Math.ceil((PREFIX_BYTES + json.byteLength) / 16) * 16);
  head.set(new TextEncoder().encode(ENTRY_MAGIC));
  const prefix = new DataView(head.buffer);
  prefix.setUint32(8, json.byteLength, true);
  prefix.setUint32(12, head.byteLength, true);
  head.set(json, PREFIX_BYTES);
  return head;
}

/** One entry's bytes: its head, then the snapshot. */
export function encodeEntry(metadata: SnapshotMetadata, snapshot: Uint8Array): Uint8Array<ArrayBuffer> {
  const head = encodeEntryHead(metadata);
  const entry = new Uint8Array(head.byteLength + snapshot.byteLength);
  entry.set(head);
  entry.set(snapshot, head.byteLength);
  return entry;
}

/** The metadata and where the snapshot starts, from an entry's first bytes; undefined if they are not an entry. */
export function decodeEntryHead(head: Uint8Array): { metadata: SnapshotMetadata; offset: number } | undefined {
  if (head.byteLength < PREFIX_BYTES || new TextDecoder().decode(head.subarray(0, 8)) !== ENTRY_MAGIC) return undefined;
  const prefix = new DataView(head.buffer, head.byteOffset, PREFIX_BYTES);
  const length = prefix.getUint32(8, true);
  const offset = prefix.getUint32(12, true);
  if (length > MAX_METADATA_BYTES || offset % 16 !== 0 || offset < PREFIX_BYTES + length || head.byteLength < PREFIX_BYTES + length) return undefined;
  try {
    const metadata = JSON.parse(new TextDecoder().decode(head.subarray(PREFIX_BYTES, PREFIX_BYTES + length))) as SnapshotMetadata | null;
    return metadata && typeof metadata === 'object' ? { metadata, offset } : undefined;
  } catch {
    return undefined;
  }
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

async function sha256Hex(data: BufferSource | string): Promise<string> {
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

async function snapshotDirectory(create: boolean): Promise<FileSystemDirectoryHandle | undefined> {
  const root = await navigator.storage.getDirectory();
  try {
    return await root.getDirectoryHandle(SNAPSHOT_DIRECTORY, { create });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'NotFoundError') return undefined;
    throw error;
  }
}

/** The metadata of the entry in `file`, reading only its head. */
async function readHead(file: File): Promise<{ metadata: SnapshotMetadata; offset: number } | undefined> {
  return decodeEntryHead(new Uint8Array(await file.slice(0, PREFIX_BYTES + MAX_METADATA_BYTES).arrayBuffer()));
}

/**
 * The whole file. A dedicated worker reads it through a sync access handle, straight into memory; anywhere else
 * (a SharedWorker, or another runtime holding the handle this instant) through File, which is slower.
 */
async function readWhole(handle: FileSystemFileHandle): Promise<Uint8Array> {
  const withSyncAccess = handle as FileSystemFileHandle & { createSyncAccessHandle?: () => Promise<FileSystemSyncAccessHandle> };
  if (typeof withSyncAccess.createSyncAccessHandle === 'function') {
    let access: FileSystemSyncAccessHandle | undefined;
    try {
      access = await withSyncAccess.createSyncAccessHandle();
    } catch {
      // Locked by another reader: fall through to File.
    }
    if (access) {
      try {
        const bytes = new Uint8Array(access.getSize());
        const read = access.read(bytes, { at: 0 });
        return read === bytes.byteLength ? bytes : bytes.subarray(0, read);
      } finally {
        access.close();
      }
    }
  }
  return new Uint8Array(await (await handle.getFile()).arrayBuffer());
}

/** Why nothing is stored under `key`, naming the build of an entry for the same runtime files if there is one. */
async function whyMissing(directory: FileSystemDirectoryHandle, key: SnapshotKey): Promise<string> {
  for await (const handle of directory.values()) {
    if (handle.kind !== 'file' || !handle.name.endsWith(ENTRY_SUFFIX)) continue;
    const other = (await readHead(await (handle as FileSystemFileHandle).getFile()).catch(() => undefined))?.metadata;
    if (!other || other.indexURL !== key.indexURL) continue;
    if (other.pyodideVersion !== key.pyodideVersion || other.buildId !== key.buildId) {
      return `the cached snapshot was made by another Pyodide build (${other.pyodideVersion}, ${String(other.buildId).slice(0, 12)}), not ${key.pyodideVersion} (${key.buildId.slice(0, 12)})`;
    }
    if (other.kernelHash !== key.kernelHash) return 'the cached snapshot was made with other kernel sources';
    if (other.utcOffsets !== key.utcOffsets) return 'the cached snapshot was made in another time zone';
  }
  return 'no snapshot is cached for this build yet';
}

/**
 * Finds the entry for `key`, reads it and checks its metadata; the bytes are checked against their checksum
 * only when the caller asks, so that it can go on loading Pyodide meanwhile. The whole entry is read at once:
 * one sync read in a worker costs less than a second trip to the browser process for the head alone, when the
 * wasm compiling beside it keeps both cores busy.
 */
export async function lookupSnapshot(key: SnapshotKey): Promise<SnapshotLookup> {
  const name = snapshotFileName(key);
  let directory: FileSystemDirectoryHandle | undefined;
  let entry: Uint8Array;
  try {
    directory = await snapshotDirectory(false);
    if (!directory) return { found: false, reason: 'no snapshot is cached for this build yet' };
    const handle = await directory.getFileHandle(name).catch((error: unknown) => {
      if (error instanceof DOMException && error.name === 'NotFoundError') return undefined;
      throw error;
    });
    if (!handle) return { found: false, reason: await whyMissing(directory, key).catch(() => 'no snapshot is cached for this build yet') };
    entry = await readWhole(handle);
  } catch (error) {
    return { found: false, reason: `the snapshot cache could not be read (${describe(error)})` };
  }
  const head = decodeEntryHead(entry.subarray(0, PREFIX_BYTES + MAX_METADATA_BYTES));
  const metadata = head?.metadata;
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
    metadata.bytes % 4 === 0 &&
    metadata.bytes <= 2 ** 32; // wasm32 memory
  if (!head || !matches) {
    await directory.removeEntry(name).catch(() => {});
    return { found: false, reason: 'the cached snapshot had missing or mismatched metadata and was deleted' };
  }
  const read = async () => {
    // Checked in a task of its own: the caller starts Pyodide's loader right after asking, and its requests,
    // which wait on the network, should go out before this, which waits on nothing but the CPU.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const bytes = entry.subarray(head.offset);
    const problem =
      bytes.byteLength !== metadata.bytes
        ? `it is ${bytes.byteLength} bytes, not the ${metadata.bytes} stored`
        : checksum(bytes) !== metadata.checksum
          ? 'its checksum is not the one stored with it'
          : undefined;
    if (!problem) return bytes;
    await directory.removeEntry(name).catch(() => {});
    throw new Error(`the cached snapshot is corrupt (${problem}) and was deleted`);
  };
  return { found: true, size: metadata.bytes, read };
}

/** Stores `snapshot` under `key` and drops older entries for the same runtime files. Never throws. */
export async function storeSnapshot(key: SnapshotKey, snapshot: Uint8Array): Promise<SnapshotSaveResult> {
  const name = snapshotFileName(key);
  let directory: FileSystemDirectoryHandle | undefined;
  try {
    const metadata: SnapshotMetadata = {
      ...key,
      format: SNAPSHOT_FORMAT,
      checksum: checksum(snapshot),
      bytes: snapshot.byteLength,
      created: new Date().toISOString(),
    };
    directory = (await snapshotDirectory(true))!;
    const handle = await directory.getFileHandle(name, { create: true });
    if (typeof handle.createWritable !== 'function') throw new Error('this browser cannot write files in origin-private storage');
    const writable = await handle.createWritable();
    try {
      // In two writes, so that the snapshot is not copied once more for the sake of a few hundred bytes.
      await writable.write(encodeEntryHead(metadata));
      await writable.write(snapshot as Uint8Array<ArrayBuffer>);
      await writable.close();
    } catch (error) {
      await writable.abort().catch(() => {});
      throw error;
    }
    try {
      for await (const [other, entry] of directory.entries()) {
        // Only entries: a file being written elsewhere this instant has a swap file beside it.
        if (other === name || entry.kind !== 'file' || !other.endsWith(ENTRY_SUFFIX)) continue;
        const head = await readHead(await (entry as FileSystemFileHandle).getFile()).catch(() => undefined);
        if (!head || head.metadata.indexURL === key.indexURL) await directory.removeEntry(other);
      }
      if (typeof caches !== 'undefined') await caches.delete(LEGACY_CACHE_NAME);
    } catch {
      // Older entries stay until the next snapshot is stored; they are never restored.
    }
    return { saved: true, bytes: metadata.bytes, checksum: metadata.checksum };
  } catch (error) {
    // A write that failed (quota, storage blocked) replaced nothing; make sure no empty file is left.
    if (directory) {
      const left = await directory.getFileHandle(name).then((h) => h.getFile()).catch(() => undefined);
      if (left && left.size === 0) await directory.removeEntry(name).catch(() => {});
    }
    return { saved: false, reason: `the snapshot could not be stored (${describe(error)})` };
  }
}

export async function deleteSnapshot(key: SnapshotKey): Promise<void> {
  try {
    await (await snapshotDirectory(false))?.removeEntry(snapshotFileName(key));
  } catch {
    // Nothing to delete, or storage cannot be opened here.
  }
}

/** Deletes every stored snapshot of this origin (and any an earlier format kept in Cache Storage). */
export async function clearSnapshotCache(): Promise<void> {
  try {
    if (typeof caches !== 'undefined') await caches.delete(LEGACY_CACHE_NAME);
  } catch {
    // Cache Storage is blocked here: nothing was stored in it.
  }
  if (!snapshotCacheAvailable()) return;
  try {
    await (await navigator.storage.getDirectory()).removeEntry(SNAPSHOT_DIRECTORY, { recursive: true });
  } catch {
    // Nothing stored yet, or storage is blocked here: there is nothing to clear.
  }
}
