// 2. Repeat visit: the same page loaded again in the same profile, with the memory snapshot (origin-private storage) and
// the HTTP cache warm, against plain loadPyodide visited again the same way. A second comparison shows how much
// of the time is Pyodide's own: a plain worker restoring a snapshot it stored itself, unchecked; and a floor, the
// same restore on a page that first loads Bento Lite's bundle, as any page of its elements must before a worker
// can start.
//
// Every first visit, ours and the baselines', stays open until Chromium has written its compiled code for
// pyodide.asm.wasm (firstVisit in browser.mjs; V8 writes it some 2 s after the last function it optimised, see
// wasm-cache.mjs): the repeat visit then compiles nothing.
import { bareSnapshotRestore, firstVisit, median, visit, withBrowser } from './browser.mjs';

export async function measure({ origin, runs }) {
  const samples = { bento: [], baseline: [], plainSnapshot: [], snapshotAfterBundle: [], restored: [], codeCacheWritten: [] };
  for (let i = 0; i < runs; i++) {
    await withBrowser(async (browser, profile) => {
      samples.codeCacheWritten.push(await firstVisit(browser, profile, `${origin}/bench/pages/plain-pyodide.html`));
      samples.baseline.push((await visit(browser, `${origin}/bench/pages/plain-pyodide.html`)).ms);
    });
    for (const [list, query] of [[samples.plainSnapshot, ''], [samples.snapshotAfterBundle, '?after-bundle']]) {
      const { ms, written } = await withBrowser((browser, profile) => bareSnapshotRestore(browser, profile, origin, query));
      list.push(ms);
      samples.codeCacheWritten.push(written);
    }
    await withBrowser(async (browser, profile) => {
      samples.codeCacheWritten.push(await firstVisit(browser, profile, `${origin}/bench/pages/notebook.html`, 'window.benchSnapshotSaved !== undefined'));
      const second = await visit(browser, `${origin}/bench/pages/notebook.html`);
      samples.bento.push(second.ms);
      samples.restored.push(second.boot?.source ?? 'unknown');
    });
  }
  if (samples.restored.some((source) => source !== 'restored')) throw new Error(`the notebook did not restore: ${samples.restored}`);
  const unwritten = samples.codeCacheWritten.filter((written) => !written).length;
  if (unwritten) console.log(`\n  note: on ${unwritten} first visit(s) Chromium wrote no compiled wasm code within 30 s; their repeat visits compiled`);
  const bento = { label: '<bento-notebook>, restored from its snapshot', value: median(samples.bento) };
  return [
    {
      title: `2. Repeat visit: page load to the rendered 1+1, snapshot and HTTP cache warm (median of ${runs})`,
      unit: 'ms',
      bento,
      baselines: [
        { label: 'plain loadPyodide in a worker, HTTP cache warm', value: median(samples.baseline) },
        { label: "Pyodide's own snapshot restore (below)", value: median(samples.plainSnapshot), floor: true },
      ],
      ratioTarget: 0.2,
      samples,
    },
    {
      title: `2. Repeat visit, against Pyodide's own snapshot restore (median of ${runs})`,
      unit: 'ms',
      bento,
      baselines: [
        { label: 'plain worker: loadPyodide(_loadSnapshot) from Cache Storage, unchecked', value: median(samples.plainSnapshot) },
        { label: "the same, started once the page has loaded Bento Lite's bundle", value: median(samples.snapshotAfterBundle), floor: true },
      ],
      samples,
    },
  ];
}
