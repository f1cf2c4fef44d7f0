// 10. The real page: the demo notebook (demo/index.html, served with its Jupyter Server and GraphQL server as
// `npm start` serves it), page load to the painted result of its first code cell, (r) on a repeat visit against
// the one-cell bench page visited the same way, and (c) on a fresh profile against plain loadPyodide (with a floor:
// plain loadPyodide started once the page has loaded Bento Lite's bundle, as the demo's elements must be).
//
// The demo runs nothing by itself: a person presses Shift+Enter (or Run all). The bench does that for them at
// the earliest moment they could, once the page's scripts ran (DOMContentLoaded), with a script puppeteer adds to
// the page (nothing bench-only is in the product): it runs the first code cell with `notebook.run(index)` and
// reports the first animation frame whose output area shows the cell's result. The bench page does the same
// with its `1+1` cell (bench/pages/notebook.html runs it as soon as its module ran).
import { serveDemo } from '../scripts/serve.mjs';
import { median, visit, withBrowser } from './browser.mjs';

/** The first code cell's result ends with `by_city["Oslo"]`, whose repr starts with this. */
const FIRST_RESULT = '[-4.3, -4.0, -0.2';

/**
 * Added to the demo before its own scripts: at DOMContentLoaded, runs the first code cell and sets
 * window.benchResult at the first frame that shows its result.
 */
const RUN_FIRST_CELL = `(${(expected) => {
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const text = (cell) => cell.shadowRoot?.querySelector('bento-output-area')?.shadowRoot?.textContent ?? '';
  addEventListener('DOMContentLoaded', async () => {
    try {
      await customElements.whenDefined('bento-notebook');
      const notebook = document.querySelector('bento-notebook');
      const index = notebook.cells.findIndex((cell) => cell.type === 'code');
      const cell = notebook.cells[index];
      const askedAt = performance.now();
      void notebook.run(index);
      for (;;) {
        await frame();
        if (text(cell).includes(expected)) break;
      }
      window.benchResult = { ms: performance.now(), askedAt };
    } catch (error) {
      window.benchResult = { error: String(error?.stack ?? error) };
    }
  });
}})(${JSON.stringify(FIRST_RESULT)})`;

/** When the page's Python worker started running (ms from navigation): its time origin in the page's clock. */
async function workerStartedAt(page) {
  const [worker] = page.workers();
  if (!worker) return NaN;
  return Math.round((await worker.evaluate('performance.timeOrigin')) - (await page.evaluate('performance.timeOrigin')));
}

/** One visit of the demo in `browser`: its first code cell run at DOMContentLoaded, to its painted result. */
export async function visitDemo(browser, origin, { keepOpen = false } = {}) {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`  [demo page error] ${error.message}`));
  await page.evaluateOnNewDocument(RUN_FIRST_CELL);
  await page.goto(`${origin}/demo/`);
  await page.waitForFunction('window.benchResult !== undefined', { timeout: 120_000, polling: 5 });
  const result = await page.evaluate('window.benchResult');
  if (result.error) throw new Error(`demo: ${result.error}`);
  result.workerAt = await workerStartedAt(page);
  result.boot = await page.evaluate(async () => (await import('/dist/bento-lite.js')).PyodideRuntime.default().bootInfo?.source ?? 'unknown');
  if (keepOpen) return { result, page };
  await page.close();
  return result;
}

/**
 * A first visit that leaves what a repeat visit finds: the snapshot stored, the HTTP cache filled. The draft that
 * autosave kept of the run is deleted: a second visit then shows the page's own cells, like the bench page (which
 * has no autosave), rather than replacing them with the draft's.
 */
export async function firstVisit(browser, origin) {
  const { page } = await visitDemo(browser, origin, { keepOpen: true });
  await page.evaluate(async () => {
    const { PyodideRuntime } = await import('/dist/bento-lite.js');
    await PyodideRuntime.default().snapshotSaved();
    // Autosave waits 400 ms after the last change. The drafts' database (src/notebook/autosave.ts) closes its
    // connection when asked to go, so the deletion is not blocked by the open page.
    await new Promise((resolve) => setTimeout(resolve, 600));
    await new Promise((resolve, reject) => {
      const request = indexedDB.deleteDatabase('bento-lite');
      request.onsuccess = resolve;
      request.onerror = () => reject(request.error);
    });
  });
  await page.close();
}

async function firstVisitOfBenchPage(browser, origin) {
  const { page } = await visit(browser, `${origin}/bench/pages/notebook.html`, { keepOpen: true });
  await page.waitForFunction('window.benchSnapshotSaved !== undefined', { timeout: 60_000 });
  await page.close();
}

export async function measure({ runs }) {
  // Served like `npm start` serves the demo: config.js then names a Jupyter Server and a GraphQL server, as a
  // person trying the demo has them.
  const demo = await serveDemo({ port: 0, quiet: true });
  const { origin } = demo;
  const repeat = { demo: [], benchPage: [], demoWorkerAt: [], benchWorkerAt: [], restored: [] };
  const cold = { demo: [], plain: [], plainAfterBundle: [], demoWorkerAt: [] };
  try {
    for (let i = 0; i < runs; i++) {
      // Interleaved, so drift in the machine's load affects both sides alike.
      await withBrowser(async (browser) => {
        await firstVisitOfBenchPage(browser, origin);
        const { result, page } = await visit(browser, `${origin}/bench/pages/notebook.html`, { keepOpen: true });
        repeat.benchPage.push(result.ms);
        repeat.benchWorkerAt.push(await workerStartedAt(page));
        await page.close();
      });
      await withBrowser(async (browser) => {
        await firstVisit(browser, origin);
        const second = await visitDemo(browser, origin);
        repeat.demo.push(second.ms);
        repeat.demoWorkerAt.push(second.workerAt);
        repeat.restored.push(second.boot);
      });
      for (const [list, query] of [[cold.plain, ''], [cold.plainAfterBundle, '?after-bundle']]) {
        const plain = await withBrowser((browser) => visit(browser, `${origin}/bench/pages/plain-pyodide.html${query}`));
        if (plain.value !== '2') throw new Error(`wrong result: ${JSON.stringify(plain)}`);
        list.push(plain.ms);
      }
      const fresh = await withBrowser((browser) => visitDemo(browser, origin));
      cold.demo.push(fresh.ms);
      cold.demoWorkerAt.push(fresh.workerAt);
    }
  } finally {
    await demo.close();
  }
  if (repeat.restored.some((source) => source !== 'restored')) throw new Error(`the demo did not restore its snapshot: ${repeat.restored}`);
  const servers = `${demo.jupyter ? 'with' : 'without'} a Jupyter Server${demo.graphql ? ' and the GraphQL server' : ''}`;
  return [
    {
      title: `10r. Real page, repeat visit: demo/index.html (${servers}), page load to its first code cell's painted result, snapshot and HTTP cache warm (median of ${runs}; the Python worker ran from ${median(repeat.demoWorkerAt)} ms on the demo, ${median(repeat.benchWorkerAt)} ms on the bench page)`,
      unit: 'ms',
      bento: { label: 'demo notebook, first code cell', value: median(repeat.demo) },
      baselines: [{ label: 'the one-cell bench page (1+1), visited the same way', value: median(repeat.benchPage) }],
      ratioTarget: 1.2,
      samples: repeat,
    },
    {
      title: `10c. Real page, cold: the same on a fresh profile (median of ${runs}; the Python worker ran from ${median(cold.demoWorkerAt)} ms)`,
      unit: 'ms',
      bento: { label: 'demo notebook, first code cell', value: median(cold.demo) },
      baselines: [
        { label: 'plain loadPyodide in a worker (1+1)', value: median(cold.plain) },
        { label: "the same, started once the page has loaded Bento Lite's bundle", value: median(cold.plainAfterBundle), floor: true },
      ],
      ratioTarget: 1.0,
      samples: cold,
    },
  ];
}
