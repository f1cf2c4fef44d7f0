/** The contract between the page and the Pyodide worker (both sides import these types only). */
import type { ColumnValues } from '../../data/table.ts';

export interface BootOptions {
  /** Where pyodide.asm.wasm, python_stdlib.zip and pyodide.asm.mjs are served (ends with `/`). */
  indexURL: string;
  /** The lockfile that lists installable packages; default: the one beside the runtime. */
  lockFileURL: string;
  /** Base URL for package wheels named relatively in the lockfile (a mirror, or the Pyodide CDN). */
  packageBaseUrl: string;
  /** Milliseconds allowed for a package load before it is reported as failed. */
  packageTimeoutMs: number;
  /** The interrupt word pair (interrupt-control.ts): Pyodide's signal and the running execution's `seq`, so the
   * page never sends SIGINT to a cell other than the one the user meant. Only when cross-origin isolated. */
  interruptControl?: SharedArrayBuffer;
  /** Int32Array over a SharedArrayBuffer: [state, byteLength, ...utf8 answer] for input() without JSPI. */
  inputBuffer?: Int32Array;
  /** Restore from, and save, a memory snapshot in origin-private storage (see snapshot-cache.ts). */
  snapshot: boolean;
}

/** What a memory snapshot is stored under: it is only ever restored by the very same runtime and kernel. */
export interface SnapshotKey {
  /** `pyodide.version` of the loader. */
  pyodideVersion: string;
  /** Pyodide's BUILD_ID: a hash over pyodide.asm.mjs and pyodide.asm.wasm of the build the loader belongs to. */
  buildId: string;
  /** SHA-256 over the Python sources baked into the snapshot (bento_kernel.py, bento_table.py) and the recipe version. */
  kernelHash: string;
  /** Where pyodide.asm.wasm and python_stdlib.zip were served (the stdlib zip's layout is in the snapshot). */
  indexURL: string;
  /** The local UTC offsets in January and July (minutes, as getTimezoneOffset gives them): Python reads its time
   * zone (time.timezone, time.tzname) once, at start-up, so a snapshot carries the zone it was made in. */
  utcOffsets: string;
}

/** Where the worker's Python came from. */
export type BootSource =
  /** Restored from the snapshot cache. */
  | 'restored'
  /** No usable snapshot: booted normally and made one on the way, stored once the runtime is ready
   * (`PyodideRuntime.snapshotSaved()` tells when). */
  | 'made'
  /** Booted normally without a snapshot (snapshots off, origin-private storage unavailable, or making one failed). */
  | 'plain';

export interface SnapshotSaveResult {
  saved: boolean;
  /** Why nothing was saved. */
  reason?: string;
  bytes?: number;
  /** The checksum stored with the snapshot (see snapshot-cache.ts). */
  checksum?: string;
}

export interface BootInfo {
  /** A Web Lock the worker holds for its whole life: when the page obtains it, the worker is gone. Empty when the
   * worker is sandboxed (an opaque origin has no locks): its watchdog's beats say it lives instead. */
  lockName: string;
  pyodideVersion: string;
  pythonVersion: string;
  /** JSPI is available: synchronous Python can wait for JavaScript (input()). */
  canRunSync: boolean;
  source: BootSource;
  /** Why no snapshot was restored (no entry yet, another build's entry, a corrupt entry, a restore that threw,
   * snapshots off, origin-private storage unavailable), in words; absent when restored. */
  fallbackReason?: string;
  /** The key the snapshot was looked up (and is stored) under; absent when the cache was not used. */
  snapshotKey?: SnapshotKey;
  /** Size of the snapshot restored or made. */
  snapshotBytes?: number;
  /** Milliseconds from the boot request to ready, measured in the worker. */
  bootMs: number;
}

/** Restoring a snapshot reports the same phases as a normal start: the runtime files still download (or come
 * from the HTTP cache) and compile; `boot` is the restore instead of Python's start-up and our imports. */
export type ProgressCallback = (progress: { phase: 'download' | 'compile' | 'boot' | 'ready'; loaded?: number; total?: number }) => void;
export type EmitCallback = (msgType: string, contentJson: string) => void;

/**
 * What the worker posts on an execution's own MessagePort, in order. One port carries the IOPub messages,
 * input requests and the reply, so they can never overtake each other (separate channels do not keep order).
 */
export type ExecutionPortMessage =
  | { kind: 'iopub'; msgType: string; content: string }
  | { kind: 'input'; prompt: string; password: boolean }
  | { kind: 'reply'; content: string }
  | { kind: 'failed'; message: string; fatal: boolean };
/** What the page posts back on that port: the answer to input() (null when cancelled). */
export type ExecutionPortAnswer = { kind: 'input'; text: string | null };

export interface ExecuteRequest {
  sessionId: string;
  execId: string;
  /** Positive number unique within the runtime (see BootOptions.interruptControl). */
  seq: number;
  code: string;
  silent: boolean;
  storeHistory: boolean;
  /** The page answers input(); false means input() raises, as Jupyter does with allow_stdin=False. */
  allowStdin: boolean;
  /**
   * The seq of the oldest execution that the page had sent and not yet seen answered when it sent this one (this
   * one's own seq when none). If an execution of this session from there on fails, not silently, this one does not
   * run and answers `aborted`: ipykernel's stop_on_error, which aborts what was queued behind a failed cell. Decided
   * by what the page knew, not by when messages arrive, so a cell sent after the failure's reply always runs.
   */
  queuedSince: number;
}

/** A table on its way into a session: the schema as JSON beside the columns' typed arrays, whose buffers are
 * transferred (not copied) with the message. The worker lays them out for Python (table-wire.ts). */
export interface InjectRequest {
  sessionId: string;
  /** The Python variable to bind. */
  name: string;
  numRows: number;
  /** `ColumnTable.schema` as JSON. */
  schema: string;
  /** The table stands for one value (TableOptions.value). */
  value?: boolean;
  /** Each column's arrays, in schema order. */
  arrays: Array<{ values: ColumnValues; offsets?: Int32Array; valid?: Uint8Array }>;
}

/** A table on its way out of a session: the wire header (JSON) and its buffers, transferred to the page. */
export interface ExtractedTable {
  header: string;
  buffers: Uint8Array[];
}

export interface WorkerApi {
  boot(options: BootOptions, onProgress: ProgressCallback): Promise<BootInfo>;
  /** Runs a cell; everything it produces, the reply last, is posted on `port` (see ExecutionPortMessage). */
  execute(request: ExecuteRequest, port: MessagePort): Promise<void>;
  complete(sessionId: string, code: string, cursorPos: number): Promise<string>;
  inspect(sessionId: string, code: string, cursorPos: number, detailLevel: number): Promise<string>;
  isComplete(code: string): Promise<string>;
  /** Binds a table in a session, in turn with executions; rejects (nothing bound) with the reason. */
  inject(request: InjectRequest): Promise<void>;
  /** The table bound to `name` in a session, in turn with executions; rejects with the reason. */
  extract(sessionId: string, name: string, asValue: boolean): Promise<ExtractedTable>;
  /** Cancels execution `execId` if it is suspended (awaiting, or waiting for input). */
  softInterrupt(execId: string): Promise<boolean>;
  resetSession(sessionId: string): Promise<void>;
  dropSession(sessionId: string): Promise<void>;
  /** Resolves once a snapshot made at boot is stored, or says why none was stored. */
  snapshotSaved(): Promise<SnapshotSaveResult>;
  /** Bytes of the WebAssembly heap now. */
  heapBytes(): Promise<number>;
}

/** Layout of the input SharedArrayBuffer's control words. */
export const INPUT_STATE = { waiting: 0, answered: 1, cancelled: 2 } as const;
export const INPUT_BUFFER_BYTES = 64 * 1024;
