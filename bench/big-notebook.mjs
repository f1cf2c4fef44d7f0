// 6 (issue 16). A big notebook: 1,000 cells of code, Markdown and outputs (images, tables, tracebacks, JSON) loaded
// by <bento-notebook src=...>: navigation to the first painted screen, and the longest main-thread task while
// scrolling top to bottom; against the same notebook as nbconvert-style static HTML, measured the same way and
// interleaved sample by sample. bench/pages/make-big-notebook.mjs makes both files; bench/pages/big-probe.js watches.
import { mkdir, writeFile } from 'node:fs/promises';
import { median, withBrowser } from './browser.mjs';
import { makeBigNotebook, makeStaticHtml } from './pages/make-big-notebook.mjs';

const CELLS = 1000;
/** How long the page is left alone between the first scroll and the second: its background rendering is done by then. */
const SETTLE_MS = 8000;

async function writePages() {
  const dir = new URL('./pages/big/', import.meta.url);
  await mkdir(dir, { recursive: true });
  await writeFile(new URL('notebook.ipynb', dir), JSON.stringify(makeBigNotebook({ cells: CELLS }), null, 1));
  await writeFile(new URL('static.html', dir), makeStaticHtml({ cells: CELLS, script: '<script src="../big-probe.js"></script>' }));
}

/** One visit: the first screen, then a scroll to the bottom; long tasks split into those of the load and the scroll. */
async function sample(origin, path) {
  return withBrowser(async (browser) => {
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error(`  [page error] ${error.message}`));
    await page.goto(`${origin}${path}`);
    await page.waitForFunction('window.bigProbe?.firstScreenMs !== undefined', { timeout: 60_000, polling: 20 });
    // A reader takes in the first screen for a moment, then scrolls (whatever the page still does meanwhile counts).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const scroll = await page.evaluate(() => window.bigProbe.scroll());
    // Then the reader scrolls through it again, once whatever the page does in the background is done.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const again = await page.evaluate(() => window.bigProbe.scroll());
    await new Promise((resolve) => setTimeout(resolve, 200));
    const probe = await page.evaluate(() => ({ ...window.bigProbe, scroll: undefined, cells: document.querySelector('bento-notebook')?.cells.length ?? document.querySelectorAll('.cell').length }));
    await page.close();
    const during = (entries, from, to) => entries.filter((e) => e.start + e.duration > from && e.start < to);
    const longest = (entries) => Math.max(0, ...entries.map((e) => e.duration));
    const scrolling = during(probe.tasks, scroll.start, scroll.end);
    return {
      firstScreenMs: probe.firstScreenMs,
      fcpMs: probe.fcpMs,
      cells: probe.cells,
      scrollMs: scroll.end - scroll.start,
      height: scroll.height,
      scrollLongestTaskMs: longest(scrolling),
      scrollLongTasks: scrolling.length,
      againLongestTaskMs: longest(during(probe.tasks, again.start, again.end)),
      againLongestFrameMs: longest(during(probe.frames, again.start, again.end)),
      scrollLongestFrameMs: longest(during(probe.frames, scroll.start, scroll.end)),
      loadLongestTaskMs: longest(during(probe.tasks, 0, scroll.start)),
    };
  });
}

export async function measure({ origin, runs }) {
  await writePages();
  const samples = { bento: [], baseline: [] };
  for (let i = 0; i < runs; i++) {
    samples.bento.push(await sample(origin, '/bench/pages/big-notebook.html'));
    samples.baseline.push(await sample(origin, '/bench/pages/big/static.html'));
  }
  for (const [name, list] of Object.entries(samples)) {
    const wrong = list.find((s) => s.cells !== CELLS);
    if (wrong) throw new Error(`${name}: the page showed ${wrong.cells} cells, not ${CELLS}`);
  }
  const of = (side, key) => median(samples[side].map((s) => s[key]));
  return [
    {
      title: `6 (issue 16). A big notebook (${CELLS} cells, src=): navigation to the first painted screen (median of ${runs})`,
      unit: 'ms',
      bento: { label: '<bento-notebook src=...>', value: of('bento', 'firstScreenMs') },
      baselines: [{ label: 'the same notebook as static nbconvert-style HTML', value: of('baseline', 'firstScreenMs') }],
      ratioTarget: 2,
      samples,
    },
    {
      title: `6 (issue 16). A big notebook: longest main-thread task while scrolling it top to bottom (0: none over 50 ms; longest animation frame: ${of('bento', 'scrollLongestFrameMs').toFixed(0)} ms, static ${of('baseline', 'scrollLongestFrameMs').toFixed(0)} ms; longest task while loading: ${of('bento', 'loadLongestTaskMs').toFixed(0)} ms, static ${of('baseline', 'loadLongestTaskMs').toFixed(0)} ms)`,
      unit: 'ms',
      bento: { label: '<bento-notebook src=...>', value: of('bento', 'scrollLongestTaskMs') },
      baselines: [{ label: 'the same notebook as static nbconvert-style HTML', value: of('baseline', 'scrollLongestTaskMs') }],
      absoluteTarget: 50,
      samples,
    },
    {
      title: `6 (issue 16). A big notebook: the same, scrolled top to bottom again after ${SETTLE_MS / 1000} s left alone (longest animation frame: ${of('bento', 'againLongestFrameMs').toFixed(0)} ms, static ${of('baseline', 'againLongestFrameMs').toFixed(0)} ms)`,
      unit: 'ms',
      bento: { label: '<bento-notebook src=...>', value: of('bento', 'againLongestTaskMs') },
      baselines: [{ label: 'the same notebook as static nbconvert-style HTML', value: of('baseline', 'againLongestTaskMs') }],
      absoluteTarget: 50,
      samples,
    },
  ];
}
