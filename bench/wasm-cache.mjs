// wasm-cache: does Chromium reuse the compiled pyodide.asm.wasm on a repeat visit? The probe page
// (pages/wasm-cache.html) compiles it with compileStreaming from fetch's own Response, as the worker's loader hooks
// do, in a dedicated worker or in the page, then starts Python on it so that hot functions are optimised (V8 writes
// its code cache only then). The first visit stays open until Chromium has written the cache (at least V8's 2 s
// caching timeout after the last optimised function); then repeat visits alternate between compiling the same way
// (the cache can be used) and compiling the same bytes through a Response made around the body (no URL, so never
// cached): the baseline, in the same profile and the same run. A traced visit confirms the hit, and the cache is
// checked under each Cache-Control a host may send (scripts/serve.mjs revalidates: `no-cache` with an ETag).
import { median, untilWasmCodeCached, visit, wasmCodeCacheEntries, withBrowser, withTraceEvents } from './browser.mjs';
import { POLICIES, serveWithPolicies } from './wasm-cache-server.mjs';

const HIT = 'v8.wasm.moduleCacheHit';
/** Enough work for DuckDB's hot functions to be optimised. */
const DUCKDB_QUERY = 'SELECT count(DISTINCT i % 1000003) AS n, sum(hash(i)) AS h FROM range(20000000) t(i)';
const WRITTEN = 'v8.wasm.cachedModule';

/** The first visit, kept open until the code cache is written; resolves with its compile time and whether it was. */
async function firstVisit(browser, profile, url) {
  const { result, page } = await visit(browser, url, { keepOpen: true });
  const written = await untilWasmCodeCached(profile);
  await page.close();
  return { compileMs: result.compileMs, written };
}

/**
 * DuckDB, started as its connector does: DuckDB's worker compiles from a Response it makes around the body to count
 * progress (no URL); `duckdb-direct` is the same worker with TransformStream hidden, so that it compiles from fetch's
 * own Response. A query runs, and the page stays open 8 s more. A failure is reported, not thrown: it is a side note.
 */
export async function duckdbCache(origin) {
  const seen = {};
  for (const variant of ['dist/duckdb', 'duckdb-direct']) {
    try {
      seen[`duckdb: ${variant}`] = await withBrowser(async (browser, profile) => {
        const url = `${origin}/bench/pages/wasm-cache-duckdb.html?hold=8000&bundle=/v/revalidate/${variant}/&sql=${encodeURIComponent(DUCKDB_QUERY)}`;
        const first = await withTraceEvents(browser, [WRITTEN], () => visit(browser, url));
        const second = await withTraceEvents(browser, [HIT], () => visit(browser, url.replace('hold=8000', 'hold=0')));
        return { written: first.counts[WRITTEN] > 0 || (await wasmCodeCacheEntries(profile)) > 0, hit: second.counts[HIT] > 0, startMs: Math.round(second.result.startMs) };
      });
    } catch (error) {
      console.log(`\n  DuckDB (${variant}) could not be checked: ${error.message}`);
    }
  }
  return seen;
}

export async function measure({ origin, runs }) {
  const probe = (where, wrap, index = '/dist/pyodide/', at = origin) => `${at}/bench/pages/wasm-cache.html?where=${where}&wrap=${wrap ? 1 : 0}&index=${index}`;
  const samples = {};
  for (const where of ['worker', 'window']) samples[where] = { first: [], cached: [], uncached: [], written: [] };
  for (let i = 0; i < runs; i++) {
    for (const where of ['worker', 'window']) {
      await withBrowser(async (browser, profile) => {
        const first = await firstVisit(browser, profile, probe(where, false));
        samples[where].first.push(first.compileMs);
        samples[where].written.push(first.written);
        // Interleaved, and each order in turn, so that load on the machine hits both.
        for (const wrap of i % 2 ? [true, false, true, false] : [false, true, false, true]) {
          samples[where][wrap ? 'uncached' : 'cached'].push((await visit(browser, probe(where, wrap))).compileMs);
        }
      });
    }
  }

  // Untimed: the trace shows the cache used, in the worker; and whether it holds under each policy a host may send.
  const trace = await withBrowser(async (browser, profile) => {
    await firstVisit(browser, profile, probe('worker', false));
    return (await withTraceEvents(browser, [HIT, WRITTEN], () => visit(browser, probe('worker', false)))).counts;
  });
  const policies = {};
  const server = await serveWithPolicies();
  try {
    for (const policy of Object.keys(POLICIES)) {
      policies[policy] = await withBrowser(async (browser, profile) => {
        const index = `/v/${policy}/dist/pyodide/`;
        const first = await firstVisit(browser, profile, probe('worker', false, index, server.origin));
        const entries = await wasmCodeCacheEntries(profile);
        const { result, counts } = await withTraceEvents(browser, [HIT], () => visit(browser, probe('worker', false, index, server.origin)));
        return { written: first.written, entries, hit: counts[HIT] > 0, compileMs: Math.round(result.compileMs) };
      });
    }
    Object.assign(policies, await duckdbCache(server.origin));
  } finally {
    await server.close();
  }
  console.log(`\nwasm-cache: pyodide.asm.wasm's compiled code on a repeat visit, by the Cache-Control it was served with (worker):`);
  for (const [policy, seen] of Object.entries(policies)) {
    const served = POLICIES[policy] ? (POLICIES[policy].cacheControl ?? '(none)') : 'no-cache (DuckDB-WASM 34 MB)';
    console.log(`  ${policy.padEnd(26)} ${served.padEnd(38)} written: ${seen.written ? 'yes' : 'no '}  used on the repeat visit: ${seen.hit ? 'yes' : 'no'}`);
  }
  for (const where of ['worker', 'window']) console.log(`  first visit (downloaded and compiled), ${where}: ${Math.round(median(samples[where].first))} ms`);
  console.log(`  traced repeat visit (scripts/serve.mjs, worker): ${HIT} ${trace[HIT]}x, ${WRITTEN} ${trace[WRITTEN]}x`);

  const notWritten = ['worker', 'window'].flatMap((where) => samples[where].written.filter((written) => !written));
  if (notWritten.length) console.log(`  note: ${notWritten.length} first visit(s) closed before Chromium wrote the cache (30 s)`);
  return ['worker', 'window'].map((where) => ({
    title: `wasm-cache: compiling pyodide.asm.wasm (9.6 MB) on a repeat visit, in a ${where === 'worker' ? 'dedicated worker' : 'window'} (median of ${samples[where].cached.length})`,
    unit: 'ms',
    bento: { label: "compileStreaming(fetch's Response): Chromium's cached code", value: median(samples[where].cached) },
    baselines: [{ label: 'the same bytes through a Response without URL: compiled', value: median(samples[where].uncached) }],
    extra: { firstVisitMs: median(samples[where].first), policies, trace },
    samples: samples[where],
  }));
}
