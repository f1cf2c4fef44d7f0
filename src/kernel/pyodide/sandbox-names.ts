/** What the sandboxed frame (sandbox.ts) and the Python worker (worker.ts) agree on; a file of its own so that the
 * frame loads nothing else. */
import type { SnapshotKey, SnapshotSaveResult } from './worker-api.ts';

/** The name a sandboxed Python worker is started under (sandbox.ts); it then waits for its ports by message. */
export const SANDBOXED_WORKER_NAME = 'bento-lite-python-sandboxed';
/**
 * The sandboxed worker's watchdog: a nested worker that beats on a port at once and then every 500 ms until its owner
 * ends. At once: the page counts silence only from the first beat, and a runtime restored from its snapshot is up in
 * less than 500 ms, so one that died right after its boot was never noticed.
 */
export const WATCHDOG_SOURCE = 'onmessage = (event) => { const beat = () => event.ports[0].postMessage(0); beat(); setInterval(beat, 500); };';
/** Silence on the watchdog's port for this long means the sandboxed worker is gone. */
export const WATCHDOG_SILENCE_MS = 5000;

/**
 * What the frame posts to the sandboxed worker first, with the page's end of the connection and the watchdog's port.
 * `files`: runtime files by URL, which the page fetched from its own HTTP cache. An opaque origin's requests use a cache
 * of their own, which Chromium keeps per frame, so a sandboxed worker fetching them itself downloads and compiles them
 * again at every start.
 */
export interface SandboxStart {
  files: Record<string, ArrayBuffer>;
}

/**
 * The sandboxed worker's snapshot cache is the page's (its own origin has no storage), asked on a port of its own
 * (the third the worker gets) during the boot only: the worker closes it once booted, and the page takes at most one
 * snapshot to store, so that no cell can write what later runtimes restore.
 */
export type SnapshotRequest =
  | { kind: 'lookup'; key: SnapshotKey }
  | { kind: 'delete'; key: SnapshotKey }
  | { kind: 'store'; key: SnapshotKey; snapshot: Uint8Array };
export type SnapshotAnswer =
  /** lookup: the snapshot, checked against its checksum by the page, or why there is none. */
  | { kind: 'lookup'; snapshot?: Uint8Array; reason?: string }
  | { kind: 'store'; result: SnapshotSaveResult };
