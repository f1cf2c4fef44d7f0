// 1. Cold start: fresh browser profile, page load to the rendered result of 1+1 in a <bento-notebook>, against
// a plain loadPyodide + runPython('1+1') in a worker on the same server.
import { measurePage, median } from './browser.mjs';

export async function measure({ origin, runs }) {
  const samples = { bento: [], baseline: [] };
  for (let i = 0; i < runs; i++) {
    // Interleaved, so drift in the machine's load affects both sides alike.
    const baseline = await measurePage(`${origin}/bench/pages/plain-pyodide.html`);
    const bento = await measurePage(`${origin}/bench/pages/notebook.html`);
    if (baseline.value !== '2' || bento.value !== '2') throw new Error(`wrong result: ${JSON.stringify({ baseline, bento })}`);
    samples.baseline.push(baseline.ms);
    samples.bento.push(bento.ms);
  }
  return {
    title: `1. Cold start: page load to the rendered 1+1 (fresh profile each run, median of ${runs})`,
    unit: 'ms',
    bento: { label: '<bento-notebook>', value: median(samples.bento) },
    baselines: [{ label: 'plain loadPyodide in a worker', value: median(samples.baseline) }],
    samples,
  };
}
