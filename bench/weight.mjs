// 8. Weight and first paint: gzip bytes of the JavaScript a notebook page loads before any cell runs (the page's
// own code; the Python runtime's files load in the worker and are listed apart), against everything an
// interactive session loads (after editing and running a cell); and the time from the bundle's evaluation to
// the first painted cell, against painting the same cells as plain <pre> elements.
import { gzipSync } from 'node:zlib';
import { median, visit, withBrowser } from './browser.mjs';

const isPageCode = (url) => /\/dist\/(bento-lite\.js|chunks\/[^/]+\.js)$/.test(new URL(url).pathname);
const isRuntimeCode = (url) => /\/dist\/(worker\.js|pyodide\/.*\.m?js)$/.test(new URL(url).pathname);

async function weights(origin) {
  return withBrowser(async (browser) => {
    const page = await browser.newPage();
    const loaded = new Map();
    page.on('response', async (response) => {
      const url = response.url();
      if (!isPageCode(url) && !isRuntimeCode(url)) return;
      try {
        loaded.set(url, gzipSync(await response.buffer(), { level: 9 }).length);
      } catch {
        // a worker's response body is not always readable from the page; counted apart below
      }
    });
    await page.goto(`${origin}/bench/pages/weight.html`);
    await page.waitForFunction('window.benchResult !== undefined', { timeout: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const sum = (filter) => [...loaded].filter(([url]) => filter(url)).reduce((total, [, bytes]) => total + bytes, 0);
    const beforeRun = { page: sum(isPageCode), runtime: sum(isRuntimeCode), files: [...loaded.keys()].filter(isPageCode).map((u) => new URL(u).pathname) };
    await page.evaluate(async () => {
      const notebook = document.querySelector('bento-notebook');
      await notebook.cells[1].edit();
      await notebook.run(1);
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { beforeRun, interactive: sum(isPageCode), result: await page.evaluate('window.benchResult') };
  });
}

export async function measure({ origin, runs }) {
  const weight = await weights(origin);
  const paint = { bento: [], baseline: [] };
  for (let i = 0; i < runs; i++) {
    paint.bento.push((await withBrowser((browser) => visit(browser, `${origin}/bench/pages/weight.html`))).firstPaintMs);
    paint.baseline.push((await withBrowser((browser) => visit(browser, `${origin}/bench/pages/weight.html?baseline`))).firstPaintMs);
  }
  return [
    {
      title: `8. Weight: gzip JavaScript a notebook page loads before any cell runs (${weight.beforeRun.files.length} files; the worker and Pyodide's runtime JS, ${(weight.beforeRun.runtime / 1024).toFixed(0)} KB, are apart)`,
      unit: 'bytes',
      bento: { label: 'before any cell runs', value: weight.beforeRun.page },
      baselines: [{ label: 'everything, once a cell was edited and run', value: weight.interactive }],
      absoluteTarget: 60 * 1024,
      extra: weight,
    },
    {
      title: `8. First paint: bundle evaluation to the first painted cell of ten (median of ${runs})`,
      unit: 'ms',
      bento: { label: '<bento-notebook>', value: median(paint.bento) },
      baselines: [{ label: 'the same text as plain <pre> elements', value: median(paint.baseline) }],
      absoluteTarget: 150,
      samples: paint,
    },
  ];
}
