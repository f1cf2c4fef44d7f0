// Cold start: page load to the result of `1+1`, fresh browser profile each run, against a plain loadPyodide +
// runPython('1+1') in a worker served by the same server in the same run.
import { measurePage, median } from './browser.mjs';

export async function measure({ origin, runs }) {
  const samples = { bento: [], baseline: [] };
  for (let i = 0; i < runs; i++) {
    // Interleaved, so drift in the machine's load affects both sides alike.
    const baseline = await measurePage(`${origin}/bench/pages/plain-pyodide.html`);
    const bento = await measurePage(`${origin}/bench/pages/bento-cold.html`);
    if (baseline.value !== '2' || bento.value !== '2') throw new Error(`wrong result: ${JSON.stringify({ baseline, bento })}`);
    samples.baseline.push(baseline.ms);
    samples.bento.push(bento.ms);
  }
  return {
    title: `Cold start to the result of 1+1 (fresh profile, median of ${runs})`,
    unit: 'ms',
    bento: { label: 'Bento Lite <PyodideKernel>', value: median(samples.bento) },
    baselines: [{ label: 'plain loadPyodide in a worker', value: median(samples.baseline) }],
    samples,
  };
}
