// One probe of Chromium's compiled-wasm cache, run in the page or in a dedicated worker (wasm-cache.html says
// which): compile pyodide.asm.wasm with compileStreaming from a fetch Response, as loader-hooks.ts does, then
// start Python on the compiled module so that its hot functions tier up (V8 writes the cache only then, once no new
// optimised code came for its caching timeout). `clone` also reads a clone of the response, as progress counting
// does; `wrap` compiles from a Response made around the body instead, which has no URL and so never uses the cache
// (the same bytes, the same streaming compile: the uncached baseline).
export async function probePyodide({ indexURL, clone, wrap }) {
  const wasmURL = new URL('pyodide.asm.wasm', new URL(indexURL, location.href)).href;
  const started = performance.now();
  const response = await fetch(wasmURL);
  if (clone) {
    const reader = response.clone().body.getReader();
    void (async () => {
      while (!(await reader.read()).done);
    })();
  }
  const source = wrap ? new Response(response.body, { headers: { 'content-type': 'application/wasm' } }) : response;
  const module = await WebAssembly.compileStreaming(source);
  const compileMs = performance.now() - started;
  // Pyodide's loader fetches the wasm itself and instantiates it with instantiateStreaming: answer the fetch with
  // nothing (a second download of the same URL, or one cancelled, would replace the HTTP cache entry that the
  // compiled code is stored against) and the instantiation with the module compiled above, as loader-hooks.ts does.
  const { fetch: originalFetch } = globalThis;
  const instantiate = WebAssembly.instantiateStreaming;
  const urlOf = (input) => new URL(input instanceof Request ? input.url : String(input), location.href).href;
  globalThis.fetch = (input, init) => (urlOf(input) === wasmURL ? Promise.resolve(new Response(null)) : originalFetch(input, init));
  WebAssembly.instantiateStreaming = async (_fetched, imports) => ({ module, instance: await WebAssembly.instantiate(module, imports) });
  const { loadPyodide } = await import('/node_modules/pyodide/pyodide.mjs');
  const bootStarted = performance.now();
  const pyodide = await loadPyodide({ indexURL });
  const value = String(pyodide.runPython('1+1'));
  const bootMs = performance.now() - bootStarted;
  WebAssembly.instantiateStreaming = instantiate;
  globalThis.fetch = originalFetch;
  return { compileMs, bootMs, value };
}
