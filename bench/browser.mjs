// Shared by the benchmarks: headless Chromium with a profile of its own, and the statistics they print.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_ARGS, ensureChromium } from '../scripts/chromium.mjs';

/**
 * Runs `use(browser, profile)` in a headless Chromium with a brand-new profile (cold HTTP cache, empty storage),
 * then closes it and deletes the profile (`profile` is its directory).
 */
export async function withBrowser(use) {
  const profile = await mkdtemp(join(tmpdir(), 'bento-bench-'));
  const browser = await puppeteer.launch({ executablePath: ensureChromium(), headless: true, userDataDir: profile, args: CHROMIUM_ARGS });
  try {
    return await use(browser, profile);
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
  }
}

/** Opens `url` in `browser` and resolves with window.benchResult once the page sets it (throws its error). */
export async function visit(browser, url, { timeoutMs = 120_000, keepOpen = false } = {}) {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`  [page error] ${error.message}`));
  await page.goto(url);
  await page.waitForFunction('window.benchResult !== undefined', { timeout: timeoutMs, polling: 5 });
  const result = await page.evaluate('window.benchResult');
  if (!keepOpen) await page.close();
  if (result?.error) throw new Error(`${url}: ${result.error}`);
  return keepOpen ? { result, page } : result;
}

/** Opens `url` with a fresh profile (cold HTTP cache) and resolves with window.benchResult. */
export function measurePage(url, options = {}) {
  return withBrowser((browser) => visit(browser, url, options));
}

/**
 * How many compiled-wasm entries Chromium has written to `profile`'s code cache: files of its code cache's wasm
 * directory big enough to hold compiled code (the small ones are keys, or entries still being written).
 */
export async function wasmCodeCacheEntries(profile) {
  const directory = join(profile, 'Default', 'Code Cache', 'wasm');
  try {
    const sizes = await Promise.all((await readdir(directory)).filter((name) => /_0$/.test(name)).map(async (name) => (await stat(join(directory, name))).size));
    return sizes.filter((size) => size >= 64 * 1024).length;
  } catch {
    return 0;
  }
}

/**
 * Waits until Chromium has written compiled wasm code to `profile`'s code cache (more entries than `before`): V8
 * writes it once the module's hot functions were optimised and no new optimised code came for its caching timeout
 * (--wasm-caching-timeout-ms, 2 s), so a page closed sooner leaves the next visit to compile again. Resolves with
 * whether it was written within `timeoutMs`.
 */
export async function untilWasmCodeCached(profile, { before = 0, timeoutMs = 30_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await wasmCodeCacheEntries(profile)) > before) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/**
 * The first visit of `url` in a profile, kept open until `ready` holds in the page and Chromium has written its compiled
 * code for pyodide.asm.wasm, as for a person who keeps the page open a few seconds: a repeat visit then compiles
 * nothing. Resolves with whether the code was written.
 */
export async function firstVisit(browser, profile, url, ready = 'true') {
  const { page } = await visit(browser, url, { keepOpen: true });
  await page.waitForFunction(ready, { timeout: 60_000 });
  const written = await untilWasmCodeCached(profile);
  await page.close();
  return written;
}

/**
 * Pyodide's own snapshot restore in a bare worker (bench/pages/plain-snapshot.html, with `query`): a first visit that
 * stores the snapshot, then a repeat visit; resolves with the repeat visit's page load to 1+1 in ms, and whether the
 * first visit got its compiled wasm cached.
 */
export async function bareSnapshotRestore(browser, profile, origin, query = '') {
  const url = `${origin}/bench/pages/plain-snapshot.html${query}`;
  const written = await firstVisit(browser, profile, url);
  const second = await visit(browser, url);
  if (!second.restored || second.value !== '2') throw new Error(`the plain snapshot page did not restore: ${JSON.stringify(second)}`);
  return { ms: second.ms, written };
}

/**
 * Runs `run()` with Chromium tracing the `disabled-by-default-devtools.timeline` category, where Blink reports the
 * compiled-wasm cache (v8.wasm.cachedModule when written, v8.wasm.moduleCacheHit when used), and resolves with
 * run()'s result and how many events of each of `names` were seen. Tracing slows the page: time nothing with it.
 */
export async function withTraceEvents(browser, names, run) {
  const session = await browser.target().createCDPSession();
  const events = [];
  session.on('Tracing.dataCollected', ({ value }) => events.push(...value.filter((event) => names.includes(event.name))));
  const complete = new Promise((resolve) => session.once('Tracing.tracingComplete', resolve));
  await session.send('Tracing.start', { traceConfig: { includedCategories: ['disabled-by-default-devtools.timeline'] }, transferMode: 'ReportEvents' });
  let result;
  try {
    result = await run();
  } finally {
    // The events arrive between Tracing.end and tracingComplete: count them only then.
    await session.send('Tracing.end');
    await complete;
    await session.detach();
  }
  return { result, counts: Object.fromEntries(names.map((name) => [name, events.filter((event) => event.name === name).length])) };
}

export function median(values) {
  return percentile(values, 50);
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}
