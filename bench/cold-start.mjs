// Cold start: page load to the rendered result of `1+1`, fresh browser profile each run, against a plain
// loadPyodide + runPython('1+1') in a worker served by the same server in the same run. Prints medians and
// the ratio; writes bench/results.json. Usage: npm run bench [-- --runs N]
import { writeFile } from 'node:fs/promises';
import { serve } from '../scripts/serve.mjs';
import { measurePage, median } from './browser.mjs';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const { origin, close } = await serve({ port: 0, quiet: true });
const samples = { bento: [], baseline: [] };
try {
  for (let i = 0; i < runs; i++) {
    // Interleaved, so drift in the machine's load affects both sides alike.
    const baseline = await measurePage(`${origin}/bench/pages/plain-pyodide.html`);
    const bento = await measurePage(`${origin}/bench/pages/bento-cold.html`);
    if (baseline.value !== '2' || bento.value !== '2') throw new Error(`wrong result: ${JSON.stringify({ baseline, bento })}`);
    samples.baseline.push(baseline.ms);
    samples.bento.push(bento.ms);
    process.stdout.write('.');
  }
} finally {
  await close();
}
const bento = median(samples.bento);
const baseline = median(samples.baseline);
const ratio = bento / baseline;
console.log(`\n\nCold start to the result of 1+1 (headless Chromium, fresh profile, median of ${runs})`);
console.log(`  Bento Lite <PyodideKernel>         ${bento.toFixed(0).padStart(6)} ms`);
console.log(`  baseline: plain loadPyodide worker ${baseline.toFixed(0).padStart(6)} ms`);
console.log(`  ratio                              ${ratio.toFixed(2).padStart(6)}x`);
const results = { date: new Date().toISOString(), coldStart: { runs, bentoMs: bento, baselineMs: baseline, ratio, samples } };
await writeFile(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
