// The sandboxed kernel (isolation: 'sandbox') against the normal one, in the same run: page load to the rendered 1+1
// in a <bento-notebook>, on a first visit (fresh profile: both boot Python plainly and make a snapshot) and on a repeat
// visit (both restore it; the sandboxed worker, whose opaque origin has no storage and an HTTP cache of its own per
// frame, gets the snapshot and the runtime's big files from the page, and compiles the wasm each time).
import { median, untilWasmCodeCached, visit, withBrowser } from './browser.mjs';

const page = (origin, isolation) => `${origin}/bench/pages/isolation.html?isolation=${isolation}`;

/** A first visit and a repeat visit of `url` in one fresh profile; the first stays open until its snapshot is stored
 * and Chromium has written the compiled wasm, as for a person who keeps the page open a few seconds. */
async function visits(url) {
  return withBrowser(async (browser, profile) => {
    const { result: first, page } = await visit(browser, url, { keepOpen: true });
    await page.waitForFunction('window.benchSnapshotSaved !== undefined', { timeout: 60_000 });
    await untilWasmCodeCached(profile);
    await page.close();
    const repeat = await visit(browser, url);
    if (first.value !== '2' || repeat.value !== '2') throw new Error(`wrong result: ${JSON.stringify({ first, repeat })}`);
    return { first, repeat };
  });
}

export async function measure({ origin, runs }) {
  const samples = { normalFirst: [], sandboxFirst: [], normalRepeat: [], sandboxRepeat: [], sources: [] };
  for (let i = 0; i < runs; i++) {
    // Interleaved, so drift in the machine's load affects both sides alike.
    const normal = await visits(page(origin, 'none'));
    const sandbox = await visits(page(origin, 'sandbox'));
    samples.normalFirst.push(normal.first.ms);
    samples.sandboxFirst.push(sandbox.first.ms);
    samples.normalRepeat.push(normal.repeat.ms);
    samples.sandboxRepeat.push(sandbox.repeat.ms);
    samples.sources.push(`${normal.repeat.boot?.source}/${sandbox.repeat.boot?.source}`);
  }
  if (samples.sources.some((s) => s !== 'restored/restored')) throw new Error(`unexpected boot sources (normal/sandbox): ${samples.sources}`);
  return [
    {
      title: `Sandboxed kernel, first visit: page load to the rendered 1+1 (fresh profile, median of ${runs})`,
      unit: 'ms',
      bento: { label: "<bento-notebook>, isolation: 'sandbox'", value: median(samples.sandboxFirst) },
      baselines: [{ label: '<bento-notebook>, normal kernel', value: median(samples.normalFirst) }],
      samples,
    },
    {
      title: `Sandboxed kernel, repeat visit: snapshot and HTTP cache warm (median of ${runs})`,
      unit: 'ms',
      bento: { label: "<bento-notebook>, isolation: 'sandbox'", value: median(samples.sandboxRepeat) },
      baselines: [{ label: '<bento-notebook>, normal kernel', value: median(samples.normalRepeat) }],
      samples,
    },
  ];
}
