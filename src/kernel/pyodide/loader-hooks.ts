/// <reference lib="webworker" />
/**
 * What the worker adds around starting Python, through the two globals Pyodide's loader calls (fetch and
 * WebAssembly.instantiateStreaming), from the moment the boot starts until Python runs:
 *
 * - Download progress of the runtime's own files, for the kernel status. Reported at most every
 *   PROGRESS_INTERVAL_MS: a report per chunk, through a wrapping stream, cost ~17 ms of worker time on a
 *   repeat visit.
 * - pyodide.asm.wasm compiled from the moment the boot starts. loadPyodide compiles it only once the snapshot
 *   bytes are in hand (it sizes the memory from them), which put compilation after looking up, reading and
 *   checking the snapshot; compiled early, it runs alongside. The module is kept, so a second load in this
 *   worker (a snapshot refused, then a plain boot) does not compile again. It is compiled by compileStreaming
 *   from fetch's own Response, so Chromium keeps the compiled code with the HTTP cache entry and a repeat visit
 *   deserialises it instead of compiling (V8 writes it some 2 s after the last function it optimised, so a page
 *   closed within seconds of its first start leaves the next visit to compile again; `npm run bench -- --only
 *   wasm-cache`). Reading a clone of that Response for progress does not stop this; a Response made around its
 *   body would, having no URL.
 * - Pyodide's JavaScript half (pyodide.asm.mjs) imported and its standard library (python_stdlib.zip) requested
 *   from the moment the boot starts too, so that both arrive while the snapshot is looked up, read and checked
 *   instead of after: loadPyodide starts them only when it is called. Its own import and fetch then get these.
 * - The standard library with bytecode (BOOT_STDLIB) for a start that does not restore, or, where the host has no
 *   such file, the plain one: the prefetched plain zip is dropped only once the other has answered.
 * - The build-id probe's two fetches (worker.ts), answered from nothing under PROBE_URL.
 *
 * This is the only place the worker patches them: one install, one removal, so nothing can put a hook back later.
 */
import type { ProgressCallback } from './worker-api.ts';

const PROGRESS_INTERVAL_MS = 50;

/**
 * The standard library with the bytecode of the modules a start imports (scripts/stdlib-bytecode.mjs), beside
 * Pyodide's python_stdlib.zip: a start that is not restored from a snapshot asks for it instead.
 */
export const BOOT_STDLIB = 'python_stdlib_boot.zip';

/** Where the build-id probe points Pyodide's loader; nothing under it is ever fetched from the network. */
export const PROBE_URL = 'https://pyodide-probe.bento-lite.invalid/';

/** The compiled runtime per wasm URL, kept for the worker's life. */
const compiled = new Map<string, Promise<WebAssembly.Module>>();
/** Stand-ins handed to Pyodide for the wasm fetch; instantiateStreaming answers them with the compiled module. */
const standIns = new WeakSet<Response>();

function urlOf(input: RequestInfo | URL): string {
  return new URL(input instanceof Request ? input.url : String(input), location.href).href;
}

/**
 * Installs the hooks; the returned function removes them. Every loadPyodide call in between is served. `files`, the
 * runtime's files the page handed over by URL (a sandboxed worker's, see sandbox.ts), are served from those bytes.
 */
export function hookLoader(indexURL: string, onProgress: ProgressCallback, files = new Map<string, ArrayBuffer>()): () => void {
  const originalFetch = globalThis.fetch;
  const originalInstantiate = WebAssembly.instantiateStreaming;
  const wasmURL = new URL('pyodide.asm.wasm', new URL(indexURL, location.href)).href;

  const sizes = new Map<string, { loaded: number; total: number }>();
  let pending = 0;
  let lastReport = -Infinity;
  const report = (force: boolean) => {
    const now = performance.now();
    if (!force && now - lastReport < PROGRESS_INTERVAL_MS) return;
    lastReport = now;
    let loaded = 0;
    let total = 0;
    for (const size of sizes.values()) {
      loaded += size.loaded;
      total += size.total;
    }
    onProgress({ phase: pending > 0 ? 'download' : 'compile', loaded, total });
  };
  /**
   * Counts the bytes of `response` (wasm and zip files: the big ones) into the progress reports, reading a
   * clone: the response itself stays the one fetch returned. (A wrapping stream would lose its URL, which
   * Chromium's compiled-wasm cache is keyed by; a clone keeps it, as measured.)
   */
  const counted = (url: string, response: Response): Response => {
    if (!response.body || !/\.(wasm|zip)$/.test(new URL(url).pathname)) return response;
    const size = { loaded: 0, total: Number(response.headers.get('content-length')) || 0 };
    sizes.set(url, size);
    pending++;
    const reader = response.clone().body!.getReader();
    void (async () => {
      try {
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
          size.loaded += chunk.value.byteLength;
          report(false);
        }
      } catch {
        // The response failed or was cancelled; whoever reads it sees that.
      } finally {
        // Every byte of the file is reported while still downloading, then the phase moves on with the last file.
        report(true);
        pending--;
        if (pending === 0) report(true);
      }
    })();
    return response;
  };

  let module = compiled.get(wasmURL);
  const wasmBytes = files.get(wasmURL);
  if (!module) {
    module = wasmBytes ? WebAssembly.compile(wasmBytes) : WebAssembly.compileStreaming(originalFetch(wasmURL).then((response) => counted(wasmURL, response)));
    compiled.set(wasmURL, module);
    // A failed compile is not kept: Pyodide's own fetch and compile then run, and report the error if it recurs.
    module.catch(() => compiled.delete(wasmURL));
  }
  const early = module;

  // Only the standard library: the lock file may be elsewhere (lockFileURL), and is small.
  const stdlibURL = new URL('python_stdlib.zip', wasmURL).href;
  const stdlibBytes = files.get(stdlibURL);
  const stdlib = stdlibBytes ? Promise.resolve(new Response(stdlibBytes)) : originalFetch(stdlibURL);
  // Its failure is reported to Pyodide's fetch, which asks again, or nowhere if none asks.
  stdlib.catch(() => {});
  const prefetched = new Map([[stdlibURL, stdlib]]);
  /** Drops a prefetch no load will ask for, and stops its download. */
  const forgo = (url: string) => {
    void prefetched.get(url)?.then((response) => response.body?.cancel(), () => {});
    prefetched.delete(url);
  };
  const bootStdlibURL = new URL(BOOT_STDLIB, wasmURL).href;
  // The same URL as Pyodide's own import, so that it gets this module (a failure here is its failure to report).
  import(/* @vite-ignore */ new URL('pyodide.asm.mjs', wasmURL).href).catch(() => {});

  const hooked = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = urlOf(input);
    if (url.startsWith(PROBE_URL)) return new Response(new Uint8Array(0));
    if (url === bootStdlibURL) {
      const response = await originalFetch(input, init).catch(() => undefined);
      if (response?.ok) {
        forgo(stdlibURL);
        return counted(url, response);
      }
      // A host that serves only Pyodide's own files (a copy of its folder on a CDN) has no boot zip: the plain one.
      void response?.body?.cancel();
      return hooked(stdlibURL, init);
    }
    const ahead = prefetched.get(url);
    if (ahead && (init?.method ?? 'GET') === 'GET') {
      prefetched.delete(url);
      // A prefetch that failed is tried again as Pyodide asked, so that it sees its own error if it recurs.
      return counted(url, await ahead.catch(() => originalFetch(input, init)));
    }
    if (url === wasmURL) {
      const standIn = new Response(null, { headers: { 'content-type': 'application/wasm' } });
      standIns.add(standIn);
      return standIn;
    }
    return counted(url, await originalFetch(input, init));
  };
  globalThis.fetch = hooked;
  WebAssembly.instantiateStreaming = async (source, imports) => {
    const response = await source;
    if (!standIns.has(response)) return originalInstantiate.call(WebAssembly, response, imports);
    let wasm: WebAssembly.Module;
    try {
      wasm = await early;
    } catch {
      return originalInstantiate.call(WebAssembly, counted(wasmURL, await originalFetch(wasmURL)), imports);
    }
    return { module: wasm, instance: await WebAssembly.instantiate(wasm, imports) };
  };
  return () => {
    globalThis.fetch = originalFetch;
    WebAssembly.instantiateStreaming = originalInstantiate;
    // What no load asked for is not downloaded any further.
    for (const url of [...prefetched.keys()]) forgo(url);
  };
}
