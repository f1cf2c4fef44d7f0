/// <reference lib="webworker" />
/**
 * The Pyodide worker: one Python runtime, shared by every kernel session of the page (dedicated Worker)
 * or of the origin (SharedWorker). Executions are serialised; each session has its own namespace.
 */
import * as Comlink from 'comlink';
import { loadPyodide, type PyodideInterface } from 'pyodide';
import type { PyProxy } from 'pyodide/ffi';
import type { Column, ColumnSchema } from '../../data/table.ts';
import tableSource from '../bento_table.py';
import { TableError, toWire } from '../table-wire.ts';
import kernelSource from './bento_kernel.py';
import {
  INPUT_STATE,
  type BootInfo,
  type BootOptions,
  type EmitCallback,
  type ExecuteRequest,
  type ExecutionPortAnswer,
  type ExecutionPortMessage,
  type ExtractedTable,
  type InjectRequest,
  type ProgressCallback,
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
  inject_table(sessionId: string, name: string, headerJson: string, buffers: Uint8Array[]): string | undefined;
  extract_table(sessionId: string, name: string): PyProxy;
}

const KERNEL_DIR = '/bento';
const lockName = `bento-runtime-${crypto.randomUUID()}`;
// Held until this worker ends (terminate, close, crash): the page learns of our death by acquiring it.
const lockHeld = new Promise<void>((resolve) => {
  void navigator.locks.request(lockName, () => {
    resolve();
    return new Promise(() => {});
  });
});

let booting: Promise<BootInfo> | undefined;
let pyodide: PyodideInterface;
let kernel: KernelModule;
let options: BootOptions;
let importMap: Record<string, string> = {};
let queue: Promise<unknown> = Promise.resolve();
let pendingInput: ((answer: string | null) => void) | undefined;
/** The port of the execution in progress: a fatal error is reported there before the worker ends. */
let currentPort: MessagePort | undefined;

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

/** Reports download bytes of the runtime's own files while loadPyodide fetches them. */
function observeDownloads(onProgress: ProgressCallback): () => void {
  const originalFetch = globalThis.fetch;
  const sizes = new Map<string, { loaded: number; total: number }>();
  let pending = 0;
  const report = () => {
    let loaded = 0;
    let total = 0;
    for (const s of sizes.values()) {
      loaded += s.loaded;
      total += s.total;
    }
    onProgress({ phase: pending > 0 ? 'download' : 'compile', loaded, total });
  };
  globalThis.fetch = async (input, init) => {
    const response = await originalFetch(input, init);
    const url = String(input instanceof Request ? input.url : input);
    if (!response.body || !/\.(wasm|zip)$/.test(new URL(url, location.href).pathname)) return response;
    const entry = { loaded: 0, total: Number(response.headers.get('content-length')) || 0 };
    sizes.set(url, entry);
    pending++;
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          entry.loaded += chunk.byteLength;
          report();
          controller.enqueue(chunk);
        },
        flush() {
          pending--;
          report();
        },
      }),
    );
    return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return () => {
    globalThis.fetch = originalFetch;
  };
}

async function bootRuntime(opts: BootOptions, onProgress: ProgressCallback): Promise<BootInfo> {
  options = opts;
  const restoreFetch = observeDownloads(onProgress);
  try {
    pyodide = await loadPyodide({
      indexURL: opts.indexURL,
      lockFileURL: opts.lockFileURL,
      packageBaseUrl: opts.packageBaseUrl,
    });
  } finally {
    restoreFetch();
  }
  onProgress({ phase: 'boot' });
  if (opts.interruptBuffer) pyodide.setInterruptBuffer(opts.interruptBuffer);
  endOnFatalError(pyodide);
  pyodide.FS.mkdirTree(KERNEL_DIR);
  pyodide.FS.writeFile(`${KERNEL_DIR}/bento_kernel.py`, kernelSource);
  pyodide.FS.writeFile(`${KERNEL_DIR}/bento_table.py`, tableSource);
  pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(KERNEL_DIR)})`);
  kernel = pyodide.pyimport('bento_kernel') as unknown as KernelModule;
  for (const [name, pkg] of Object.entries(pyodide.lockfile.packages)) {
    for (const module of pkg.imports ?? []) importMap[module] = name;
  }
  kernel.configure(JSON.stringify(importMap), opts.packageBaseUrl);
  const canRunSync = Boolean(pyodide.runPython('from pyodide.ffi import can_run_sync; can_run_sync()'));
  await lockHeld;
  onProgress({ phase: 'ready' });
  return {
    lockName,
    pyodideVersion: pyodide.version,
    pythonVersion: String(pyodide.runPython('import sys; sys.version.split()[0]')),
    canRunSync,
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

/**
 * Loads the packages behind `modulesJson` (import names). Throws a message naming each package that could
 * not be loaded: Pyodide's loadPackage resolves (with fewer packages) instead of rejecting on a bad hash,
 * and a wasm served with the wrong type never settles, so both are checked here.
 */
async function loadPackagesFor(modulesJson: string): Promise<void> {
  const modules: string[] = JSON.parse(modulesJson);
  const packages = [...new Set(modules.map((m) => importMap[m]).filter(Boolean))];
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
  const missing = packages.filter((p) => !(p in pyodide.loadedPackages));
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
    booting ??= bootRuntime(opts, onProgress);
    return booting;
  },

  execute(request: ExecuteRequest, port: MessagePort) {
    const post = (message: ExecutionPortMessage) => port.postMessage(message);
    const run = async () => {
      const emit: EmitCallback = (msgType, content) => post({ kind: 'iopub', msgType, content });
      const requestInput: InputRequester = (prompt, password) => post({ kind: 'input', prompt, password });
      const readInput = !request.allowStdin
        ? undefined
        : options.inputBuffer
          ? (prompt: string, password: boolean) => readInputBlocking(requestInput, prompt, password)
          : (prompt: string, password: boolean) => readInputAsync(requestInput, port, prompt, password);
      currentPort = port;
      if (options.runningBuffer) Atomics.store(options.runningBuffer, 0, request.seq);
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
        post({ kind: 'reply', content: reply });
      } catch (error) {
        // Fatal errors were reported by endOnFatalError; anything else is a bug of ours, said plainly.
        if (!(error && typeof error === 'object' && 'pyodide_fatal_error' in error)) {
          post({ kind: 'failed', fatal: false, message: `The kernel failed: ${error instanceof Error ? error.message : String(error)}` });
        }
      } finally {
        if (options.runningBuffer) Atomics.store(options.runningBuffer, 0, 0);
        if (options.interruptBuffer) Atomics.store(options.interruptBuffer, 0, 0);
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
        values: request.arrays[i].values,
        offsets: request.arrays[i].offsets,
        valid: request.arrays[i].valid,
      }));
      const { header, buffers } = toWire(columns, request.numRows);
      const failure = kernel.inject_table(request.sessionId, request.name, JSON.stringify(header), buffers);
      if (failure) throw new TableError(failure);
    });
  },

  extract(sessionId: string, name: string) {
    return serialised(async () => {
      const result = kernel.extract_table(sessionId, name) as PyProxy & { get(index: number): unknown };
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
    // Reaching here means Python is not computing: the cell, if it is still running, is suspended.
    const cancelled = kernel.interrupt_if_waiting(execId);
    if (cancelled) {
      pendingInput?.(null);
      if (options.interruptBuffer) Atomics.store(options.interruptBuffer, 0, 0);
    }
    return cancelled;
  },

  async resetSession(sessionId) {
    kernel.reset_session(sessionId);
  },

  async dropSession(sessionId) {
    kernel.drop_session(sessionId);
  },
};

const scope = self as unknown as { onconnect?: unknown };
if ('onconnect' in scope) {
  // SharedWorker: every tab connects on its own port; they all share this runtime.
  (self as unknown as SharedWorkerGlobalScope).onconnect = (event: MessageEvent) => {
    Comlink.expose(api, event.ports[0]);
  };
} else {
  Comlink.expose(api);
}
