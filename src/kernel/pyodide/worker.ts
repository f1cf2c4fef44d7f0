/// <reference lib="webworker" />
/**
 * The Pyodide worker: one Python runtime, shared by every kernel session of the page (dedicated Worker)
 * or of the origin (SharedWorker). Executions are serialised; each session has its own namespace.
 */
import * as Comlink from 'comlink';
import { loadPyodide, version as pyodideVersion, type PyodideInterface } from 'pyodide';
import type { PyProxy } from 'pyodide/ffi';
import type { Column, ColumnSchema } from '../../data/table.ts';
import tableSource from '../bento_table.py';
import { TableError } from '../table-wire.ts';
import { toWire } from '../to-wire.ts';
import ipythonSource from './bento_ipython.py';
import kernelSource from './bento_kernel.py';
import prettySource from './bento_pretty.py';
import { WorkerInterruptControl } from './interrupt-control.ts';
import { BOOT_STDLIB, hookLoader, PROBE_URL } from './loader-hooks.ts';
import { preloadLockfile } from './preload.ts';
import { SANDBOXED_WORKER_NAME, WATCHDOG_SOURCE, type SandboxStart, type SnapshotAnswer, type SnapshotRequest } from './sandbox-names.ts';
import {
  deleteSnapshot,
  kernelHash,
  lookupSnapshot,
  snapshotCacheAvailable,
  storeSnapshot,
  utcOffsets,
  type SnapshotLookup,
} from './snapshot-cache.ts';
import {
  INPUT_STATE,
  type BootInfo,
  type BootOptions,
  type BootSource,
  type EmitCallback,
  type ExecuteRequest,
  type ExecutionPortAnswer,
  type ExecutionPortMessage,
  type ExtractedTable,
  type InjectRequest,
  type ProgressCallback,
  type SnapshotKey,
  type SnapshotSaveResult,
  type WorkerApi,
} from './worker-api.ts';

interface KernelModule extends PyProxy {
  run_cell: PyProxy & { callPromising(...args: unknown[]): Promise<string> };
  complete(sessionId: string, code: string, pos: number): string;
  inspect_code(sessionId: string, code: string, pos: number, level: number): string;
  is_complete(code: string): string;
  interrupt_if_waiting(execId: string): boolean;
  reset_session(sessionId: string): void;
  drop_session(sessionId: string): void;
  configure(importsJson: string, index: string): void;
  install_interruptible_sleep(wait: (ms: number) => string): void;
  inject_table(sessionId: string, name: string, headerJson: string, buffers: Uint8Array[]): string | undefined;
  extract_table(sessionId: string, name: string, asValue: boolean): PyProxy;
}

const KERNEL_DIR = '/bento';
/** Our Python modules, by name: written to KERNEL_DIR, imported into every snapshot (scripts/stdlib-bytecode.mjs
 * compiles the same four). */
const KERNEL_MODULES = { bento_kernel: kernelSource, bento_ipython: ipythonSource, bento_pretty: prettySource, bento_table: tableSource };
/** Python for where Pyodide mounted the standard library's zip (bento_kernel.py has it as _stdlib_archive()). */
const STDLIB_ARCHIVE = 'next(p for p in sys.path if p.endswith(".zip"))';
/** Binds `toc` to Python's directory of the standard library's zip (zipimport's cache, read at the first import). */
const STDLIB_DIRECTORY = `import json, sys, zipimport\ntoc = zipimport._zip_directory_cache.get(${STDLIB_ARCHIVE}, {})\n`;
/** Copies the kernel's bytecode, where the boot zip has it (scripts/stdlib-bytecode.mjs), to where its import looks. */
const INSTALL_KERNEL_BYTECODE = `
import importlib.util, os, sys, zipimport
stdlib = zipimport.zipimporter(${STDLIB_ARCHIVE})
for name in ${JSON.stringify(Object.keys(KERNEL_MODULES))}:
    cached = importlib.util.cache_from_source(${JSON.stringify(KERNEL_DIR)} + "/" + name + ".py")
    try:
        data = stdlib.get_data(os.path.basename(cached))
    except OSError:
        break
    os.makedirs(os.path.dirname(cached), exist_ok=True)
    with open(cached, "wb") as f:
        f.write(data)
`;
/** What a snapshot holds besides Python itself: our kernel, imported and installed (sys.stdout, input, ...). */
const SNAPSHOT_IMPORTS = `import ${Object.keys(KERNEL_MODULES).join(', ')}`;
/** Sandboxed (`isolation: 'sandbox'`), this worker has an opaque origin: no storage, no Web Locks, no cookies. */
const sandboxed = self.name === SANDBOXED_WORKER_NAME;
/** Runtime files by URL, handed over by the page (sandboxed only): see SandboxStart. */
let handedFiles = new Map<string, ArrayBuffer>();
/** Sandboxed: the port on which the page keeps this worker's snapshots (SnapshotRequest), open until booted. */
let pageSnapshots: MessagePort | undefined;

/** The snapshot cache: this origin's, or, sandboxed, the page's, asked through `pageSnapshots`. */
const snapshots = {
  lookup(key: SnapshotKey): Promise<SnapshotLookup> {
    if (!pageSnapshots) return lookupSnapshot(key);
    return askPage(pageSnapshots, { kind: 'lookup', key }).then((answer) =>
      answer.kind === 'lookup' && answer.snapshot
        ? { found: true, size: answer.snapshot.byteLength, read: async () => answer.snapshot! }
        : { found: false, reason: (answer.kind === 'lookup' && answer.reason) || 'the page has no snapshot' },
    );
  },
  delete(key: SnapshotKey): Promise<void> {
    pageSnapshots?.postMessage({ kind: 'delete', key } satisfies SnapshotRequest);
    return pageSnapshots ? Promise.resolve() : deleteSnapshot(key);
  },
};

function askPage(port: MessagePort, request: SnapshotRequest, transfer: Transferable[] = []): Promise<SnapshotAnswer> {
  return new Promise((resolve) => {
    port.onmessage = (event: MessageEvent<SnapshotAnswer>) => resolve(event.data);
    port.postMessage(request, transfer);
  });
}

// Held until this worker ends (terminate, close, crash): the page learns of our death by acquiring it. A sandboxed
// worker has no locks; its watchdog (below) tells the page instead.
const lockName = sandboxed ? '' : `bento-runtime-${crypto.randomUUID()}`;
const lockHeld = sandboxed
  ? Promise.resolve()
  : new Promise<void>((resolve) => {
      void navigator.locks.request(lockName, () => {
        resolve();
        return new Promise(() => {});
      });
    });

let booting: Promise<BootInfo> | undefined;
let snapshotSaving: Promise<SnapshotSaveResult> | undefined;
let pyodide: PyodideInterface;
let kernel: KernelModule;
let options: BootOptions;
/** Shared with the page when cross-origin isolated: Pyodide's SIGINT word and the running execution. */
let interrupts: WorkerInterruptControl | undefined;
const importMap: Record<string, string> = {};
let queue: Promise<unknown> = Promise.resolve();
let pendingInput: ((answer: string | null) => void) | undefined;
/** The port of the execution in progress: a fatal error is reported there before the worker ends. */
let currentPort: MessagePort | undefined;

/** Per session, the seq of its last execution that failed, not silently (ExecuteRequest.queuedSince). */
const lastFailure = new Map<string, number>();

function replyStatus(reply: string): string | undefined {
  try {
    return (JSON.parse(reply) as { status?: string }).status;
  } catch {
    return undefined; // the page says the reply is corrupted
  }
}

/**
 * Runs `task` after everything queued before it: executions, injections and extractions take turns, so a
 * table is never bound (or read) while a cell's Python code is running, even one suspended in an await.
 */
function serialised<T>(task: () => Promise<T>): Promise<T> {
  const result = queue.then(task);
  queue = result.catch(() => {});
  return result;
}

/** Copies a Python list of buffers into fresh Uint8Arrays and destroys the proxies. */
function copyBuffers(list: PyProxy): Uint8Array[] {
  const out: Uint8Array[] = [];
  const items = list as PyProxy & { length: number; get(index: number): PyProxy };
  for (let i = 0; i < items.length; i++) {
    const item = items.get(i);
    try {
      const view = item.getBuffer('u8');
      try {
        out.push((view.data as Uint8Array).slice());
      } finally {
        view.release();
      }
    } finally {
      item.destroy();
    }
  }
  return out;
}

/** Where the Python of this worker came from, before our JavaScript side is attached to it. */
interface StartedPython {
  py: PyodideInterface;
  source: BootSource;
  fallbackReason?: string;
  key?: SnapshotKey;
  /** A snapshot made at this boot, stored once the runtime is ready. */
  made?: Uint8Array;
  snapshotBytes?: number;
}

/** Pyodide's private snapshot API (see node_modules/pyodide/pyodide.d.ts: `_makeSnapshot`, `_loadSnapshot`). */
interface SnapshotCapable {
  makeMemorySnapshot?: () => Uint8Array;
  _api?: { config?: { BUILD_ID?: unknown } };
}

type LoadConfig = Parameters<typeof loadPyodide>[0];

/**
 * The BUILD_ID of the Pyodide this worker loads: Pyodide's build hashes pyodide.asm.mjs and pyodide.asm.wasm into
 * its loader, and refuses a snapshot made by another build. It is not exported, but the loader hands its config to
 * the Emscripten module factory, so a dry run with a factory that only reads it finds it before anything loads.
 * Its two fetches go to PROBE_URL, which the loader hooks answer from nothing: call it only while they are installed.
 * It patches nothing itself, so a probe that outlives its timeout leaves the worker's globals alone.
 * Undefined if that private path ever changes.
 */
async function readBuildId(): Promise<string | undefined> {
  return Promise.race([probeBuildId(), new Promise<undefined>((resolve) => setTimeout(resolve, 5000))]);
}

async function probeBuildId(): Promise<string | undefined> {
  const read = new Error('build id read');
  let buildId: unknown;
  try {
    await loadPyodide({
      indexURL: PROBE_URL,
      stdLibURL: `${PROBE_URL}python_stdlib.zip`,
      lockFileContents: '{"info": {}, "packages": {}}',
      packageBaseUrl: PROBE_URL,
      checkAPIVersion: false,
      createPyodideModule: async (settings: { API?: { config?: { BUILD_ID?: unknown } } }) => {
        buildId = settings.API?.config?.BUILD_ID;
        throw read;
      },
    } as LoadConfig);
  } catch (error) {
    if (error !== read) return undefined;
  }
  return typeof buildId === 'string' && /^[0-9a-f]{64}$/.test(buildId) ? buildId : undefined;
}

/**
 * The snapshot for `_loadSnapshot`, handed over once: Pyodide keeps its config (this option included) for the
 * runtime's life, and a promise or an array there would keep tens of MB alive after they were copied into the heap.
 */
function handOver(snapshot: Promise<Uint8Array> | Uint8Array): PromiseLike<Uint8Array> {
  let held: Promise<Uint8Array> | undefined = Promise.resolve(snapshot);
  return {
    then(onFulfilled, onRejected) {
      const bytes = held ?? Promise.reject(new Error('the snapshot was already handed over'));
      held = undefined;
      return bytes.then(onFulfilled, onRejected);
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

/**
 * Writes our Python sources into Pyodide's file system, which lives in JavaScript (not in a snapshot). Before they
 * are imported (`bytecode`, a start that is not restored), also their bytecode from the boot zip, where the import
 * looks for it (__pycache__): compiling them on WebAssembly was most of importing the kernel. It is checked against
 * the sources (scripts/stdlib-bytecode.mjs), and a zip without it (the plain one) leaves the import to compile them.
 */
function installKernelFiles(py: PyodideInterface, { bytecode = false } = {}): void {
  py.FS.mkdirTree(KERNEL_DIR);
  for (const [name, source] of Object.entries(KERNEL_MODULES)) py.FS.writeFile(`${KERNEL_DIR}/${name}.py`, source);
  py.runPython(`import sys\nif ${JSON.stringify(KERNEL_DIR)} not in sys.path: sys.path.insert(0, ${JSON.stringify(KERNEL_DIR)})`);
  if (bytecode) inScope(py, INSTALL_KERNEL_BYTECODE);
}

/** Runs `code` in a namespace of its own, dropped afterwards (nothing of it stays in Python, or in a snapshot). */
function inScope(py: PyodideInterface, code: string): string {
  const scope = py.toPy({}) as PyProxy;
  try {
    return String(py.runPython(code, { globals: scope }));
  } finally {
    scope.destroy();
  }
}

/** The key a snapshot of this runtime is stored under, or why the cache cannot be used here. */
async function snapshotKeyFor(opts: BootOptions): Promise<SnapshotKey | string> {
  if (sandboxed && !pageSnapshots) return "the runtime is sandboxed (isolation: 'sandbox'), and its opaque origin has no storage";
  if (!sandboxed && !snapshotCacheAvailable()) return 'the origin-private file system is unavailable here (it needs https or localhost)';
  const [buildId, hash] = await Promise.all([readBuildId(), kernelHash(Object.values(KERNEL_MODULES))]);
  if (!buildId) return "Pyodide's build id could not be read (its private API changed), so no snapshot is used";
  return { pyodideVersion, buildId, kernelHash: hash, indexURL: opts.indexURL, utcOffsets: utcOffsets() };
}

/**
 * Starts Python: restored from the snapshot cache when it holds a valid entry for this exact build and kernel;
 * otherwise booted normally, making a snapshot on the way (stored once the runtime is ready). Any doubt about the
 * cache ends in a normal boot, never in a failure.
 */
async function startPython(opts: BootOptions, lockFileContents: Promise<string>): Promise<StartedPython> {
  // The lockfile as preloaded (packageBaseUrl is always given, so its URL is not needed to find packages).
  const restoreConfig: LoadConfig = { indexURL: opts.indexURL, lockFileContents, packageBaseUrl: opts.packageBaseUrl };
  // A start that is not restored imports its modules from the zip that has their bytecode (loader-hooks.ts falls
  // back to the plain one where the host has no such file). A sandboxed worker is handed the plain one only.
  const bootConfig: LoadConfig = sandboxed ? restoreConfig : { ...restoreConfig, stdLibURL: `${opts.indexURL}${BOOT_STDLIB}` };
  const load = async (config: LoadConfig) => (await loadPyodide(config)) as PyodideInterface & SnapshotCapable;
  if (!opts.snapshot) return { py: await load(bootConfig), source: 'plain', fallbackReason: 'snapshots are off (snapshot: false)' };
  const key = await snapshotKeyFor(opts);
  if (typeof key === 'string') return { py: await load(bootConfig), source: 'plain', fallbackReason: key };

  let fallbackReason: string;
  const lookup = await snapshots.lookup(key);
  if (lookup.found) {
    try {
      // Read and verified while Pyodide fetches its files and imports its JavaScript; it awaits these bytes
      // before it instantiates the wasm, so nothing unverified is ever restored.
      const py = await load({ ...restoreConfig, _loadSnapshot: handOver(lookup.read()) } as LoadConfig);
      afterRestore(py, key);
      return { py, source: 'restored', key, snapshotBytes: lookup.size };
    } catch (error) {
      fallbackReason = `the cached snapshot was not restored (${describe(error)}); a new one replaces it`;
      await snapshots.delete(key);
    }
  } else {
    fallbackReason = lookup.reason;
  }

  let py: PyodideInterface & SnapshotCapable;
  try {
    py = await load({ ...bootConfig, _makeSnapshot: true } as LoadConfig);
  } catch (error) {
    const reason = `${fallbackReason}; starting Python to make a snapshot failed (${describe(error)})`;
    return { py: await load(bootConfig), source: 'plain', fallbackReason: reason, key };
  }
  let made: Uint8Array | undefined;
  try {
    if (typeof py.makeMemorySnapshot !== 'function') throw new Error('pyodide.makeMemorySnapshot is missing');
    if (py._api?.config?.BUILD_ID !== key.buildId) throw new Error('the loaded build is not the one the probe read');
    // Only Python state, and no reference to a JavaScript object, may be in a snapshot: everything JavaScript-side
    // (interrupt buffer, callbacks, the fatal-error hook) is attached after it is taken.
    installKernelFiles(py, { bytecode: true });
    py.runPython(SNAPSHOT_IMPORTS);
    made = withoutBytecodeEntries(py, () => py.makeMemorySnapshot!());
  } catch (error) {
    fallbackReason = `${fallbackReason}; making a snapshot failed (${describe(error)})`;
  }
  unshadowGlobals(py);
  return { py, source: made ? 'made' : 'plain', fallbackReason, key, made, snapshotBytes: made?.byteLength };
}

/**
 * Runs `take` while Python's directory of the standard library's zip leaves out the boot zip's bytecode entries,
 * so that a snapshot taken in it holds the directory of the plain zip, which a restore mounts at the same path.
 * The build checks that the boot zip's other entries are the plain zip's, offsets included
 * (scripts/stdlib-bytecode.mjs). Restored afterwards, so that this runtime goes on importing bytecode. The entries
 * wait in JavaScript, as text: nothing of this stays in Python's memory, so nothing of it is in the snapshot.
 */
function withoutBytecodeEntries<T>(py: PyodideInterface, take: () => T): T {
  const taken = inScope(py, STDLIB_DIRECTORY + 'json.dumps({name: toc.pop(name) for name in [n for n in toc if n.endswith(".pyc")]})');
  try {
    return take();
  } finally {
    inScope(py, STDLIB_DIRECTORY + `toc.update((name, tuple(entry)) for name, entry in json.loads(${JSON.stringify(taken)}).items())`);
  }
}

/**
 * With `_makeSnapshot`, Pyodide gives Python the JavaScript globals through a proxy that records the path to
 * every object Python reaches from them, so that a snapshot can name those objects. What Python reaches through
 * it stays a proxy: a typed array is then no view (ArrayBuffer.isView is false, to_py fails) and structuredClone
 * refuses it. Once the snapshot is taken, `js` becomes the real globalThis again, so the runtime that made the
 * snapshot serves exactly like one restored from it. (Pyodide's own modules keep the few functions they imported
 * from it; calling a function through the proxy is transparent.)
 */
function unshadowGlobals(py: PyodideInterface): void {
  py.registerJsModule('js', globalThis);
  py.runPython('import sys\nsys.modules.pop("js", None)');
}

/** Checks a restored interpreter is the build asked for, then reseeds what would repeat across restores. */
function afterRestore(py: PyodideInterface & SnapshotCapable, key: SnapshotKey): void {
  if (py.version !== key.pyodideVersion || py._api?.config?.BUILD_ID !== key.buildId) {
    throw new Error(`restored ${py.version} but the key names ${key.pyodideVersion}`);
  }
  // A Pyodide that ignored the snapshot option would boot afresh and look restored.
  if (!py.runPython('import sys\n"bento_kernel" in sys.modules and "bento_table" in sys.modules')) {
    throw new Error('Pyodide started without applying the snapshot');
  }
  installKernelFiles(py);
  py.runPython('import bento_kernel\nbento_kernel.after_restore()');
}

async function bootRuntime(opts: BootOptions, onProgress: ProgressCallback): Promise<BootInfo> {
  const started = performance.now();
  options = opts;
  // Installed before the snapshot is looked up, so that the wasm compiles while the snapshot is read.
  const unhook = hookLoader(opts.indexURL, onProgress, handedFiles);
  const lockFileContents = preloadLockfile(opts.lockFileURL, handedFiles.get(opts.lockFileURL));
  // Pyodide copies what it needs; the bytes are not kept for a second boot (there is none in a worker's life).
  handedFiles = new Map();
  let python: StartedPython;
  try {
    python = await startPython(opts, lockFileContents);
  } finally {
    unhook();
  }
  pyodide = python.py;
  onProgress({ phase: 'boot' });
  // Everything JavaScript-side is attached only now, after any snapshot was taken or restored.
  if (opts.interruptControl) {
    interrupts = new WorkerInterruptControl(opts.interruptControl);
    pyodide.setInterruptBuffer(interrupts.forPyodide());
  }
  endOnFatalError(pyodide);
  if (python.source === 'plain') installKernelFiles(pyodide, { bytecode: true });
  kernel = pyodide.pyimport('bento_kernel') as unknown as KernelModule;
  for (const [name, pkg] of Object.entries(pyodide.lockfile.packages)) {
    for (const module of pkg.imports ?? []) importMap[module] = name;
  }
  kernel.configure(JSON.stringify(importMap), opts.packageBaseUrl);
  const signal = interrupts?.signal;
  if (signal) kernel.install_interruptible_sleep((ms) => Atomics.wait(signal, 0, 0, ms));
  const canRunSync = Boolean(pyodide.runPython('from pyodide.ffi import can_run_sync; can_run_sync()'));
  await lockHeld;
  const { made, key } = python;
  const page = pageSnapshots;
  pageSnapshots = undefined;
  if (made && page) {
    // Handed to the page now, before any cell can run here (the page checksums and writes it); then the port closes.
    snapshotSaving = askPage(page, { kind: 'store', key: key!, snapshot: made }, [made.buffer])
      .then((answer) => (answer.kind === 'store' ? answer.result : { saved: false, reason: 'the page answered something else' }))
      .finally(() => page.close());
  } else if (made) {
    // Stored off the critical path: the first cell never waits for hashing and writing tens of MB.
    snapshotSaving = new Promise((resolve) => setTimeout(resolve, 0)).then(() => storeSnapshot(key!, made));
  } else {
    page?.close();
    snapshotSaving = Promise.resolve({
      saved: false,
      reason: python.source === 'restored' ? 'restored from the cached snapshot' : (python.fallbackReason ?? 'no snapshot was made'),
    });
  }
  onProgress({ phase: 'ready' });
  return {
    lockName,
    pyodideVersion: pyodide.version,
    pythonVersion: String(pyodide.runPython('import sys; sys.version.split()[0]')),
    canRunSync,
    source: python.source,
    fallbackReason: python.fallbackReason,
    snapshotKey: python.key,
    snapshotBytes: python.snapshotBytes,
    bootMs: Math.round(performance.now() - started),
  };
}

function timeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** A request of loadPackagesFor as Pyodide's loadPackage takes it: a package name, or a wheel's absolute URL. */
function packageRequest(request: string): string | undefined {
  if (request.startsWith('package:')) return request.slice('package:'.length);
  if (request.endsWith('.whl')) return new URL(request, options.packageBaseUrl).href;
  return importMap[request];
}

/** Whether loadPackage installed `request`; a wheel is listed under the name its file name starts with. */
function packageLoaded(request: string): boolean {
  const name = /([^/]*)\.whl$/.exec(request)?.[1].toLowerCase().split('-')[0] ?? request;
  return name in pyodide.loadedPackages || name.replace(/[-_.]+/g, '-') in pyodide.loadedPackages;
}

/**
 * Loads the packages behind `modulesJson`: import names, `package:NAME` (%pip install NAME) or wheel URLs
 * (%pip install URL). Throws a message naming each package that could not be loaded: Pyodide's loadPackage
 * resolves (with fewer packages) instead of rejecting on a bad hash, and a wasm served with the wrong type
 * never settles, so both are checked here.
 */
async function loadPackagesFor(modulesJson: string): Promise<void> {
  const modules: string[] = JSON.parse(modulesJson);
  const packages = [...new Set(modules.map(packageRequest).filter((p): p is string => Boolean(p)))];
  if (packages.length === 0) return;
  const problems: string[] = [];
  const where = options.packageBaseUrl;
  try {
    await timeout(
      pyodide.loadPackage(packages, { messageCallback: () => {}, errorCallback: (m) => problems.push(m), checkIntegrity: true }),
      options.packageTimeoutMs,
      `timed out after ${Math.round(options.packageTimeoutMs / 1000)} s`,
    );
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  const missing = packages.filter((p) => !packageLoaded(p));
  if (missing.length > 0) {
    const detail = problems.length ? `: ${problems.join('; ')}` : '';
    throw new Error(
      `Could not load package${missing.length > 1 ? 's' : ''} ${missing.map((p) => `'${p}'`).join(', ')} from ${where}${detail}. ` +
        'Check the network, or point packageBaseUrl/lockFileURL at a reachable mirror.',
    );
  }
}

type InputRequester = (prompt: string, password: boolean) => void;

/** input() when cross-origin isolated: block on a SharedArrayBuffer until the page answers. */
function readInputBlocking(request: InputRequester, prompt: string, password: boolean): string | null {
  const control = options.inputBuffer!;
  Atomics.store(control, 0, INPUT_STATE.waiting);
  request(prompt, password);
  while (Atomics.load(control, 0) === INPUT_STATE.waiting) Atomics.wait(control, 0, INPUT_STATE.waiting, 1000);
  if (Atomics.load(control, 0) === INPUT_STATE.cancelled) return null;
  const length = Atomics.load(control, 1);
  const bytes = new Uint8Array(control.buffer, 8, length).slice();
  return new TextDecoder().decode(bytes);
}

/** input() with JSPI: Python waits on this promise through pyodide.ffi.run_sync. */
function readInputAsync(request: InputRequester, port: MessagePort, prompt: string, password: boolean): Promise<string | null> {
  return new Promise<string | null>((resolve) => {
    pendingInput = resolve;
    port.onmessage = (event: MessageEvent<ExecutionPortAnswer>) => resolve(event.data.text);
    request(prompt, password);
  }).finally(() => {
    pendingInput = undefined;
    port.onmessage = null;
  });
}

/**
 * Pyodide cannot be used after a fatal error (a wasm stack overflow, say). Such an error may happen inside an
 * asyncio task, where no caller sees it, so hook Pyodide's own fatal-error path: report the cause on the
 * running execution's port, then end this worker so the page sees it die and starts anew.
 */
function endOnFatalError(py: PyodideInterface): void {
  const internal = (py as unknown as { _api?: { fatal_error?: (error: unknown) => unknown } })._api;
  const original = internal?.fatal_error;
  if (!internal || !original) return;
  internal.fatal_error = (error: unknown) => {
    const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    currentPort?.postMessage({
      kind: 'failed',
      fatal: true,
      message: `Python hit a fatal error (${cause}) and its runtime was stopped. Its state is lost; run a cell or restart to start a fresh one.`,
    } satisfies ExecutionPortMessage);
    setTimeout(() => self.close(), 0);
    return original.call(internal, error);
  };
}

const api: WorkerApi = {
  boot(opts, onProgress) {
    // The page's progress callback is a port of its own: close it once booted (or at once, for a tab that attaches
    // to a runtime another tab booted), or it keeps the page's end, and the replaced worker behind it, alive.
    const release = () => (onProgress as unknown as { [Comlink.releaseProxy]?: () => void })[Comlink.releaseProxy]?.();
    if (booting) {
      release();
      return booting;
    }
    booting = bootRuntime(opts, onProgress);
    booting.then(release, release);
    return booting;
  },

  execute(request: ExecuteRequest, port: MessagePort) {
    const post = (message: ExecutionPortMessage) => port.postMessage(message);
    const run = async () => {
      if ((lastFailure.get(request.sessionId) ?? 0) >= request.queuedSince) {
        post({ kind: 'reply', content: JSON.stringify({ status: 'aborted', execution_count: null }) });
        port.close();
        return;
      }
      const emit: EmitCallback = (msgType, content) => post({ kind: 'iopub', msgType, content });
      const requestInput: InputRequester = (prompt, password) => post({ kind: 'input', prompt, password });
      const readInput = !request.allowStdin
        ? undefined
        : options.inputBuffer
          ? (prompt: string, password: boolean) => readInputBlocking(requestInput, prompt, password)
          : (prompt: string, password: boolean) => readInputAsync(requestInput, port, prompt, password);
      currentPort = port;
      interrupts?.setRunning(request.seq);
      try {
        const reply = await kernel.run_cell.callPromising(
          request.sessionId,
          request.execId,
          request.code,
          emit,
          readInput,
          loadPackagesFor,
          request.silent,
          request.storeHistory,
        );
        if (!request.silent && replyStatus(reply) === 'error') lastFailure.set(request.sessionId, request.seq);
        post({ kind: 'reply', content: reply });
      } catch (error) {
        // Fatal errors were reported by endOnFatalError; anything else is a bug of ours, said plainly.
        if (!(error && typeof error === 'object' && 'pyodide_fatal_error' in error)) {
          post({ kind: 'failed', fatal: false, message: `The kernel failed: ${error instanceof Error ? error.message : String(error)}` });
        }
      } finally {
        // Also drops a SIGINT that came too late for this execution: it was meant for this one, not the next.
        interrupts?.setRunning(0);
        currentPort = undefined;
        port.close();
      }
    };
    return serialised(run);
  },

  inject(request: InjectRequest) {
    return serialised(async () => {
      const schema: ColumnSchema[] = JSON.parse(request.schema);
      if (schema.length !== request.arrays.length) throw new TableError(`${schema.length} columns were described, ${request.arrays.length} arrived.`);
      const columns: Column[] = schema.map((s, i) => ({
        name: s.name,
        type: s.type,
        timezone: s.timezone,
        sourceType: s.sourceType,
        encoding: s.encoding,
        values: request.arrays[i].values,
        offsets: request.arrays[i].offsets,
        valid: request.arrays[i].valid,
      }));
      const { header, buffers } = toWire(columns, request.numRows, { value: request.value });
      const failure = kernel.inject_table(request.sessionId, request.name, JSON.stringify(header), buffers);
      if (failure) throw new TableError(failure);
    });
  },

  extract(sessionId: string, name: string, asValue: boolean) {
    return serialised(async () => {
      const result = kernel.extract_table(sessionId, name, asValue) as PyProxy & { get(index: number): unknown };
      try {
        const header = result.get(0) as string;
        const list = result.get(1) as PyProxy | undefined;
        if (!list) throw new TableError(header);
        let buffers: Uint8Array[];
        try {
          buffers = copyBuffers(list);
        } finally {
          list.destroy();
        }
        const table: ExtractedTable = { header, buffers };
        return Comlink.transfer(table, buffers.map((b) => b.buffer as ArrayBuffer));
      } finally {
        result.destroy();
      }
    });
  },

  async complete(sessionId, code, cursorPos) {
    return kernel.complete(sessionId, code, cursorPos);
  },

  async inspect(sessionId, code, cursorPos, detailLevel) {
    return kernel.inspect_code(sessionId, code, cursorPos, detailLevel);
  },

  async isComplete(code) {
    return kernel.is_complete(code);
  },

  async softInterrupt(execId) {
    // Reaching here means Python is not computing: the cell, if it is still running, is suspended. A SIGINT still
    // unread was meant for it; dropped first, so that the Python run for the cancel does not take it instead.
    interrupts?.clearSignal();
    const cancelled = kernel.interrupt_if_waiting(execId);
    if (cancelled) pendingInput?.(null);
    return cancelled;
  },

  async resetSession(sessionId) {
    kernel.reset_session(sessionId);
  },

  async dropSession(sessionId) {
    kernel.drop_session(sessionId);
  },

  async snapshotSaved() {
    await booting;
    return snapshotSaving!;
  },

  async heapBytes() {
    await booting;
    return (pyodide as unknown as { _module: { HEAP8: Int8Array } })._module.HEAP8.byteLength;
  },
};

const scope = self as unknown as { onconnect?: unknown };
if ('onconnect' in scope) {
  // SharedWorker: every tab connects on its own port; they all share this runtime.
  (self as unknown as SharedWorkerGlobalScope).onconnect = (event: MessageEvent) => {
    Comlink.expose(api, event.ports[0]);
  };
} else if (sandboxed) {
  // The page's end of the connection arrives with the first message (sandbox.ts), beside the watchdog's port: a
  // worker of ours beats on it while this one lives, since a nested worker ends with its owner, crash or not.
  self.addEventListener(
    'message',
    (event: MessageEvent<SandboxStart>) => {
      const [page, beats] = event.ports;
      handedFiles = new Map(Object.entries(event.data.files));
      pageSnapshots = event.ports[2];
      Comlink.expose(api, page);
      new Worker(`data:text/javascript,${encodeURIComponent(WATCHDOG_SOURCE)}`).postMessage(null, [beats]);
    },
    { once: true },
  );
} else {
  Comlink.expose(api);
}
