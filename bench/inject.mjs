// Injection: 1M rows x 4 columns (int64, float64, string, timestamp) from DuckDB bound to a Python variable,
// against the same rows sent as JSON (json.loads) and as JS arrays (pyodide.toPy), in the same page.
import { measurePage } from './browser.mjs';

export async function measure({ origin, runs }) {
  const result = await measurePage(`${origin}/bench/pages/inject.html?rows=1000000&repeats=${runs}`, { timeoutMs: 600_000 });
  if (result.error) throw new Error(result.error);
  if (!result.check.startsWith('1000000') || result.baselineCheck?.len !== 1000000) throw new Error(`wrong result: ${JSON.stringify(result)}`);
  return {
    title: `5. Injection: 1M rows x 4 columns (int64, float64, string, timestamp) from DuckDB into Python (median of ${runs})`,
    unit: 'ms',
    bento: { label: 'Bento Lite kernel.inject (column buffers)', value: result.bento },
    baselines: [
      { label: 'rows as JSON, json.loads', value: result.json },
      { label: 'rows as JS arrays, pyodide.toPy', value: result.topy },
    ],
    ratioTarget: 0.2,
    samples: result.samples,
  };
}
