// 4. Main-thread freedom: the longest main-thread task (PerformanceObserver 'longtask') while a cell burns
// CPU for 3 s, against the same loop in Pyodide run on the main thread.
import { measurePage, median } from './browser.mjs';

export async function measure({ origin, runs }) {
  const samples = { bento: [], baseline: [] };
  for (let i = 0; i < Math.min(runs, 3); i++) {
    const bento = await measurePage(`${origin}/bench/pages/main-thread.html`);
    const baseline = await measurePage(`${origin}/bench/pages/main-thread.html?baseline`);
    if (bento.value !== 'ok' || baseline.value !== 'done') throw new Error(`wrong result: ${JSON.stringify({ bento, baseline })}`);
    samples.bento.push(bento.longestTaskMs);
    samples.baseline.push(baseline.longestTaskMs);
  }
  return {
    title: '4. Main-thread freedom: longest main-thread task while a cell computes for 3 s (0: none over 50 ms)',
    unit: 'ms',
    bento: { label: 'cell in <bento-notebook> (Pyodide in a worker)', value: median(samples.bento) },
    baselines: [{ label: 'Pyodide on the main thread', value: median(samples.baseline) }],
    absoluteTarget: 50,
    samples,
  };
}
