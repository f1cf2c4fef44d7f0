// `npm run soak`: a mixed notebook (streams, HTML/SVG displays, an error, an injected table, update_display_data, an
// interrupted cell, clear_output; a restart every 50 executions) run 2,000 times on the serverless kernel and 500
// times on a Jupyter Server's, which this script starts on loopback and stops. Between batches it measures, after a
// forced garbage collection, the page's JS heap, the Python worker's JS heap and WebAssembly heap, the event
// listeners (window, document, the notebook's subtree, the renderer's total) and the kernel's own listener and
// pending-work sets; and the latency of each execution. Heap snapshots at the end of the warm-up and at the end say
// which kind of memory grew, and whose code V8 compiled in between (by script). Prints each figure with its target
// and writes them to bench/soak-results.json; exits 1 when a target is not met. The cells and their checks:
// bench/pages/soak.html.
//
// Usage: npm run soak [-- --executions 2000] [--remote 500] [--restart-every 50] [--every 100] [--warmup 200]
//        [--interrupt sleep]   (--remote 0, or a machine without Jupyter Server, skips the remote kernel;
//        --interrupt sleep makes the serverless soak interrupt time.sleep(), see SLEEP in the page)
//        SOAK_JS_FLAGS=... passes V8 flags to the page's Chromium: `--max-opt=0` (no optimising tiers) shows how much of
//        the page heap's growth is V8's own JIT code rather than the notebook's objects.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_ARGS, ensureChromium } from '../scripts/chromium.mjs';
import { findJupyter, startJupyter } from '../scripts/jupyter.mjs';
import { serve } from '../scripts/serve.mjs';
import { median } from './browser.mjs';

const TARGETS = { memoryGrowth: 0.1, p50Ratio: 1.2 };

const option = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const restartEvery = option('restart-every', 50);
const interruptBy = process.argv.includes('--interrupt') ? process.argv[process.argv.indexOf('--interrupt') + 1] : undefined;

/** How one kernel's soak is cut up: batches of `every` executions, a warm-up, and two latency windows. */
function plan(executions) {
  const every = option('every', Math.min(100, Math.max(10, Math.floor(executions / 10))));
  // The warm-up ends on a sample (the baseline every later sample is compared with).
  const warmup = option('warmup', Math.floor(Math.min(200, executions * 0.4) / every) * every);
  const window = Math.min(100, Math.floor((executions - warmup) / 2));
  if (!(every > 0 && warmup >= every && window > 0)) throw new Error(`${executions} executions are too few to soak (warm-up ${warmup}, samples every ${every})`);
  return { executions, every, warmup, window };
}

/** Headless Chromium that lets the page collect garbage (gc()) and report its heap to the byte. */
async function launch() {
  const profile = await mkdtemp(join(tmpdir(), 'bento-soak-'));
  const browser = await puppeteer.launch({
    executablePath: ensureChromium(),
    headless: true,
    userDataDir: profile,
    protocolTimeout: 900_000,
    args: [...CHROMIUM_ARGS, `--js-flags=--expose-gc ${process.env.SOAK_JS_FLAGS ?? ''}`, '--enable-precise-memory-info'],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Listener counts through the DevTools protocol: on window, on document, and in the notebook's subtree (shadow roots included). */
async function eventListeners(cdp) {
  const count = async (expression, depth) => {
    const { result } = await cdp.send('Runtime.evaluate', { expression, objectGroup: 'soak' });
    const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId, depth, pierce: depth !== 0 });
    return listeners.length;
  };
  try {
    return {
      window: await count('window', 0),
      document: await count('document', 0),
      notebook: await count("document.querySelector('bento-notebook')", -1),
    };
  } finally {
    await cdp.send('Runtime.releaseObjectGroup', { objectGroup: 'soak' });
  }
}

/** One sample, after a full garbage collection in the page and in the Python worker. */
async function sample(page, cdp, executions) {
  await cdp.send('HeapProfiler.collectGarbage');
  const pageHeap = await page.evaluate(() => window.soak.pageHeap());
  const { nodes: domNodes, jsEventListeners } = await cdp.send('Memory.getDOMCounters');
  const listeners = await eventListeners(cdp);
  const kernel = await page.evaluate(() => window.soak.kernelCounts());
  const python = await page.evaluate(() => window.soak.workerPython());
  let workerHeap = null;
  const worker = page.workers().findLast((w) => w.url().endsWith('/dist/worker.js'));
  if (python && worker) {
    await worker.client.send('HeapProfiler.collectGarbage');
    workerHeap = (await worker.client.send('Runtime.getHeapUsage')).usedSize;
  }
  return { executions, pageHeap, workerHeap, ...(python ?? {}), domNodes, jsEventListeners, listeners, kernel };
}

/**
 * What the page's heap holds, by kind, from a heap snapshot (after a full collection): V8's compiled code (`code`:
 * bytecode, optimised machine code and their metadata), the browser's own objects (`native`: DOM, buffered
 * performance entries), and JavaScript objects (`js`: everything else, ours among them). `codeObjects` lists each
 * compiled-code object (its snapshot id, size, and the script of the function it belongs to, found by walking its
 * retainers up to the nearest function), so that two snapshots tell which scripts' code was compiled in between.
 */
async function heapComposition(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const chunks = [];
  const collect = (event) => chunks.push(event.chunk);
  cdp.on('HeapProfiler.addHeapSnapshotChunk', collect);
  try {
    await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  } finally {
    cdp.off('HeapProfiler.addHeapSnapshotChunk', collect);
  }
  const { snapshot, nodes, edges, locations } = JSON.parse(chunks.join(''));
  const fields = snapshot.meta.node_fields;
  const types = snapshot.meta.node_types[0];
  const [type, size, id, edgeCount] = ['type', 'self_size', 'id', 'edge_count'].map((field) => fields.indexOf(field));
  const bytes = { code: 0, native: 0, js: 0 };
  for (let i = 0; i < nodes.length; i += fields.length) {
    const kind = types[nodes[i + type]];
    bytes[kind === 'code' || kind === 'native' ? kind : 'js'] += nodes[i + size];
  }
  // Node indexes below are offsets into `nodes`, as edges and locations give them.
  const retainers = new Map();
  const [edgeFields, toNode] = [snapshot.meta.edge_fields.length, snapshot.meta.edge_fields.indexOf('to_node')];
  for (let node = 0, edge = 0; node < nodes.length; node += fields.length) {
    for (let end = edge + nodes[node + edgeCount] * edgeFields; edge < end; edge += edgeFields) {
      const to = edges[edge + toNode];
      if (!retainers.has(to)) retainers.set(to, []);
      retainers.get(to).push(node);
    }
  }
  const [locationFields, scriptId] = [snapshot.meta.location_fields.length, snapshot.meta.location_fields.indexOf('script_id')];
  const scriptOf = new Map();
  for (let i = 0; i < locations.length; i += locationFields) scriptOf.set(locations[i], locations[i + scriptId]);
  const codeObjects = [];
  for (let node = 0; node < nodes.length; node += fields.length) {
    if (types[nodes[node + type]] !== 'code') continue;
    let script;
    const seen = new Set([node]);
    for (let frontier = [node], depth = 0; script === undefined && frontier.length && depth < 4; depth++) {
      frontier = frontier.flatMap((n) => retainers.get(n) ?? []).filter((r) => !seen.has(r) && seen.add(r));
      script = frontier.map((r) => scriptOf.get(r)).find((s) => s !== undefined);
    }
    codeObjects.push({ id: nodes[node + id], size: nodes[node + size], script });
  }
  return { ...bytes, codeObjects };
}

/** The URL path of every script the page has parsed, by script id (for heapComposition's codeObjects). */
async function scriptPaths(cdp) {
  const paths = {};
  const parsed = (event) => (paths[event.scriptId] = event.url ? new URL(event.url).pathname : '(inline)');
  cdp.on('Debugger.scriptParsed', parsed);
  try {
    // Enabling the debugger reports every script parsed so far; it is turned off again at once.
    await cdp.send('Debugger.enable');
    await cdp.send('Debugger.disable');
  } finally {
    cdp.off('Debugger.scriptParsed', parsed);
  }
  return paths;
}

/** Soaks one kernel in a fresh browser: `remote` is a Jupyter Server's { baseUrl, token }, or undefined for Pyodide. */
async function soak(origin, { executions, every, warmup, window }, remote) {
  const { browser, close } = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${origin}/bench/pages/soak.html`);
    await page.waitForFunction('window.benchResult !== undefined', { timeout: 60_000 });
    const cdp = await page.createCDPSession();
    const setup = await page.evaluate((options) => window.soak.setup(options), { remote, restartEvery, interruptBy: remote ? undefined : interruptBy });
    const samples = [];
    const latencies = [];
    const restarts = [];
    let last;
    const started = Date.now();
    for (let done = 0; done < executions; ) {
      const n = Math.min(every, executions - done);
      last = await page.evaluate((count) => window.soak.run(count), n);
      done += n;
      latencies.push(...last.latencies);
      restarts.push(...last.restarts);
      const taken = await sample(page, cdp, done);
      taken.batchP50 = median(last.latencies.map((l) => l.ms));
      if (done === warmup || done === executions) taken.composition = await heapComposition(cdp);
      samples.push(taken);
      if (process.stderr.isTTY) process.stderr.write(`  ${setup.kernel}: ${done}/${executions} executions, ${Math.round((Date.now() - started) / 1000)} s\r`);
    }
    if (process.stderr.isTTY) process.stderr.write('\n');
    const scripts = await scriptPaths(cdp);
    await page.evaluate(() => window.soak.shutdown());
    return { setup, samples, scripts, latencies, restarts, unexpectedCount: last.unexpectedCount, unexpected: last.unexpected, pageErrors: errors, every, warmup, window, seconds: (Date.now() - started) / 1000 };
  } finally {
    await close();
  }
}

const MB = (bytes) => (bytes === null || bytes === undefined ? '–' : (bytes / 2 ** 20).toFixed(2));
const pct = (ratio) => `${ratio >= 0 ? '+' : ''}${(ratio * 100).toFixed(1)}%`;
const kernelListenerTotal = (counts) => Object.values(counts).reduce((sum, n) => sum + (n ?? 0), 0);

/** Prints one kernel's samples and verdicts; returns the figures with their verdicts. */
function report(title, run) {
  const { samples, latencies, warmup, window } = run;
  console.log(`\n${title}`);
  console.log(`  ${run.latencies.length} executions in ${run.seconds.toFixed(0)} s; ${run.restarts.length} restarts (median ${median(run.restarts).toFixed(0)} ms); warm-up ${warmup}`);
  const worker = samples[0].workerHeap !== null;
  const columns = [
    ['execs', (s) => String(s.executions)],
    ['page heap MB', (s) => MB(s.pageHeap)],
    ...(worker
      ? [
          ['worker heap MB', (s) => MB(s.workerHeap)],
          ['wasm heap MB', (s) => MB(s.wasmHeapBytes)],
          ['py objects', (s) => String(s.pythonObjects)],
        ]
      : []),
    ['DOM nodes', (s) => String(s.domNodes)],
    ['JS listeners', (s) => String(s.jsEventListeners)],
    ['win/doc/notebook', (s) => `${s.listeners.window}/${s.listeners.document}/${s.listeners.notebook}`],
    ['kernel sets', (s) => Object.values(s.kernel).join('/')],
    ['batch p50 ms', (s) => s.batchP50.toFixed(0)],
  ];
  const widths = columns.map(([name, cell]) => Math.max(name.length, ...samples.map((s) => cell(s).length)));
  console.log(`  ${columns.map(([name], i) => name.padStart(widths[i])).join('  ')}`);
  for (const s of samples) {
    const mark = s.executions === warmup ? '  <- end of warm-up (baseline)' : '';
    console.log(`  ${columns.map(([, cell], i) => cell(s).padStart(widths[i])).join('  ')}${mark}`);
  }
  console.log(`  kernel sets: ${Object.keys(samples[0].kernel).join('/')}`);

  const baseline = samples.find((s) => s.executions === warmup);
  const final = samples.at(-1);
  const figures = [];
  const figure = (label, value, shown, target, met) => {
    figures.push({ label, value, target, met });
    console.log(`  ${label.padEnd(62)}${shown.padStart(12)}   target ${target}: ${met ? 'met' : 'NOT met'}`);
  };
  const growth = (key) => (final[key] - baseline[key]) / baseline[key];
  const span = `(${warmup} -> ${final.executions})`;
  figure(`page JS heap growth after warm-up ${span}`, growth('pageHeap'), pct(growth('pageHeap')), '< 10%', growth('pageHeap') < TARGETS.memoryGrowth);
  // Without a target: whether the heap still grows at the end (a leak) or grew early and levelled off (code, caches).
  const middle = samples.filter((s) => s.executions >= warmup).at(Math.floor(samples.filter((s) => s.executions >= warmup).length / 2));
  const lateGrowth = (final.pageHeap - middle.pageHeap) / middle.pageHeap;
  console.log(`  ${`page JS heap growth in the second half (${middle.executions} -> ${final.executions})`.padEnd(62)}${pct(lateGrowth).padStart(12)}   no target: near 0 when the heap levelled off`);
  // Which kind of memory grew (heap snapshots at the warm-up and the end): a leak of ours grows `js`; V8's compiled
  // code grows while more functions get hot enough to optimise, and the browser buffers a bounded number of
  // performance entries (layout shifts, long tasks).
  if (baseline.composition && final.composition) {
    const [a, b] = [baseline.composition, final.composition];
    const total = a.code + a.native + a.js;
    const KB = (n) => `${n >= 0 ? '+' : ''}${(n / 1024).toFixed(0)} KB`;
    console.log(
      `  ${`page heap growth by kind (heap snapshots ${warmup} -> ${final.executions})`.padEnd(62)}` +
        `   V8 compiled code ${KB(b.code - a.code)}, browser objects ${KB(b.native - a.native)}, JS objects ${KB(b.js - a.js)} (${pct((b.js - a.js) / total)} of the heap)`,
    );
    // Whose code V8 compiled in between: the code objects of the second snapshot that the first did not have, by the
    // script of their function (the bundle, lit's chunk, the sanitizer's, ...). Kept in the results without the lists.
    const before = new Set(a.codeObjects.map((code) => code.id));
    const byId = {};
    for (const code of b.codeObjects.filter((c) => !before.has(c.id))) byId[code.script] = (byId[code.script] ?? 0) + code.size;
    // Labelled once per script (a chunk's label reads its file), not once per code object.
    const byScript = {};
    for (const [id, bytes] of Object.entries(byId)) {
      const script = scriptLabel(run.scripts[id]);
      byScript[script] = (byScript[script] ?? 0) + bytes;
    }
    run.newCodeByScript = byScript;
    delete a.codeObjects;
    delete b.codeObjects;
    const ranked = Object.entries(byScript).sort((x, y) => y[1] - x[1]);
    console.log(`  code compiled after the warm-up, by script: ${ranked.map(([script, n]) => `${script} ${KB(n)}`).join(', ')}`);
  }
  if (worker) {
    figure(`worker JS heap growth after warm-up ${span}`, growth('workerHeap'), pct(growth('workerHeap')), '< 10%', growth('workerHeap') < TARGETS.memoryGrowth);
    figure(`worker WebAssembly heap growth after warm-up ${span}`, growth('wasmHeapBytes'), pct(growth('wasmHeapBytes')), '< 10%', growth('wasmHeapBytes') < TARGETS.memoryGrowth);
  }
  const listenerGrowth = {
    renderer: final.jsEventListeners - baseline.jsEventListeners,
    window: final.listeners.window - baseline.listeners.window,
    document: final.listeners.document - baseline.listeners.document,
    notebook: final.listeners.notebook - baseline.listeners.notebook,
    kernel: kernelListenerTotal(final.kernel) - kernelListenerTotal(baseline.kernel),
  };
  const grown = Object.entries(listenerGrowth).filter(([, n]) => n > 0);
  figure(
    'listener growth after warm-up (every count above)',
    listenerGrowth,
    grown.length ? grown.map(([k, n]) => `${k} +${n}`).join(', ') : 'none',
    'none',
    grown.length === 0,
  );
  const ms = latencies.map((l) => l.ms);
  const first = median(ms.slice(warmup, warmup + window));
  const lastWindow = median(ms.slice(-window));
  const ratio = lastWindow / first;
  figure(
    `p50 latency, last ${window} / first ${window} after warm-up`,
    { first, last: lastWindow, ratio },
    `${lastWindow.toFixed(0)}/${first.toFixed(0)} ms ${ratio.toFixed(2)}x`,
    '<= 1.2x',
    ratio <= TARGETS.p50Ratio,
  );
  figure('executions whose reply or outputs were not as expected', run.unexpectedCount, String(run.unexpectedCount), '0', run.unexpectedCount === 0);
  for (const u of run.unexpected) console.log(`    #${u.execution} ${u.kind}: ${u.status}${u.ename ? ` ${u.ename}` : ''} ${u.outputs}`);
  if (run.pageErrors.length) console.log(`  page errors: ${run.pageErrors.slice(0, 5).join(' | ')}`);
  const byKind = {};
  for (const l of latencies) (byKind[l.kind] ??= []).push(l);
  console.log(`  p50 by cell (ms): ${Object.entries(byKind).map(([kind, list]) => `${kind} ${median(list.map((l) => l.ms)).toFixed(0)}`).join(', ')}`);
  return { figures, met: figures.every((f) => f.met) };
}

/** A script's path, with what a chunk of the bundle holds when its hashed name does not say (lit, DOMPurify). */
function scriptLabel(path) {
  if (!path) return '(no script)';
  const name = path.split('/').at(-1);
  if (!path.startsWith('/dist/chunks/chunk-')) return name;
  let text = '';
  try {
    text = readFileSync(new URL(`..${path}`, import.meta.url), 'utf8');
  } catch {
    return name;
  }
  const holds = [['litHtmlVersions', 'lit'], ['DOMPurify', 'DOMPurify']].filter(([marker]) => text.includes(marker)).map(([, what]) => what);
  return holds.length ? `${name} (${holds.join(', ')})` : name;
}

const interrupted = (run) => (run.setup.interruptBy === 'sleep' ? 'time.sleep()' : 'a loop in Python');

const serverless = plan(option('executions', 2000));
const remoteCount = option('remote', 500);
const { origin, close } = await serve({ port: 0, quiet: true });
const results = { date: new Date().toISOString(), restartEvery, kernels: {} };
let failed = false;
try {
  const run = await soak(origin, serverless);
  results.kernels.pyodide = { ...run, ...report(`Soak: serverless kernel (${run.setup.kernel}), restart every ${restartEvery}, interrupting ${interrupted(run)}`, run) };
  failed ||= !results.kernels.pyodide.met;
  if (remoteCount > 0 && findJupyter()) {
    const jupyter = await startJupyter({ allowOrigin: origin });
    try {
      const remoteRun = await soak(origin, plan(remoteCount), { baseUrl: jupyter.url, token: jupyter.token });
      results.kernels.remote = { ...remoteRun, ...report(`Soak: remote kernel (${remoteRun.setup.kernel} on a loopback Jupyter Server), restart every ${restartEvery}, interrupting ${interrupted(remoteRun)}`, remoteRun) };
      failed ||= !results.kernels.remote.met;
    } finally {
      await jupyter.stop();
    }
  } else if (remoteCount > 0) {
    console.log('\nSoak: remote kernel skipped: no Jupyter Server here (node scripts/jupyter.mjs says what to install).');
  }
} catch (error) {
  failed = true;
  console.error(`\nsoak: could not finish: ${error.stack ?? error}`);
} finally {
  await close();
}
await writeFile(new URL('./soak-results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log('\nWritten to bench/soak-results.json');
process.exit(failed ? 1 : 0);
