// `npm run bench`: every figure, each next to a baseline measured in the same run, printed with the ratio and
// written to bench/results.json. Usage: npm run bench [-- --runs N] [-- --only cold-start,inject]
//
// A figure module exports measure({ origin, runs }) resolving with one comparison or several:
// { title, unit, bento: { label, value }, baselines: [{ label, value, floor? }], ratioTarget?, absoluteTarget?, extra? }.
import { writeFile } from 'node:fs/promises';
import { serve } from '../scripts/serve.mjs';
import { median } from './browser.mjs';

const FIGURES = {
  'cold-start': () => import('./cold-start.mjs'),
  'repeat-visit': () => import('./repeat-visit.mjs'),
  'exec-overhead': () => import('./exec-overhead.mjs'),
  'main-thread': () => import('./main-thread.mjs'),
  inject: () => import('./inject.mjs'),
  memory: () => import('./memory.mjs'),
  interrupt: () => import('./interrupt.mjs'),
  weight: () => import('./weight.mjs'),
  upload: () => import('./upload.mjs'),
  'big-notebook': () => import('./big-notebook.mjs'),
  'wasm-cache': () => import('./wasm-cache.mjs'),
  'real-page': () => import('./real-page.mjs'),
  'sql-first': () => import('./sql-first.mjs'),
  sandbox: () => import('./sandbox.mjs'),
};

const option = (name) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : undefined;
};
const runs = Number(option('runs') ?? 5);
const only = option('only')?.split(',') ?? Object.keys(FIGURES);
const unknown = only.filter((name) => !(name in FIGURES));
if (unknown.length) throw new Error(`No figure called ${unknown.join(', ')}; there are: ${Object.keys(FIGURES).join(', ')}`);

const format = (value, unit) => {
  if (unit === 'bytes') return `${(value / 1024).toFixed(1).padStart(8)} KB`;
  if (unit === 'MB') return `${(value / 2 ** 20).toFixed(1).padStart(8)} MB`;
  return `${value.toFixed(value < 10 ? 1 : 0).padStart(8)} ${unit}`;
};

/** Prints one comparison; returns it with its ratio and verdicts. */
function print(comparison) {
  const { title, unit, bento, baselines, ratioTarget, absoluteTarget } = comparison;
  // The ratio is against the best (smallest) baseline: the least flattering comparison for us. A baseline marked
  // `floor` is not one to beat but what the machine allows (a bare page doing the least possible): printed with its
  // own ratio beside the target's.
  const targets = baselines.filter((b) => !b.floor);
  const best = Math.min(...targets.map((b) => b.value));
  const ratio = bento.value / best;
  const width = Math.max(...[bento, ...baselines].map((row) => row.label.length + (row.floor ? 20 : 0))) + 12;
  const verdicts = [];
  if (ratioTarget !== undefined) verdicts.push(`target <= ${ratioTarget}x: ${ratio <= ratioTarget ? 'met' : 'NOT met'}`);
  if (absoluteTarget !== undefined) verdicts.push(`target <= ${format(absoluteTarget, unit).trim()}: ${bento.value <= absoluteTarget ? 'met' : 'NOT met'}`);
  // A row given with its `samples` (one per run) prints their range: on a two-core machine one run's median can be
  // 0.3x from the next, and the range says how far to trust it.
  const range = (row) => (row.samples?.length > 1 ? `   (${format(Math.min(...row.samples), unit).trim()} to ${format(Math.max(...row.samples), unit).trim()} over ${row.samples.length})` : '');
  console.log(`\n${title}`);
  console.log(`  ${bento.label.padEnd(width)}${format(bento.value, unit)}${range(bento)}`);
  for (const baseline of baselines) console.log(`  ${`${baseline.floor ? 'floor' : 'baseline'}: ${baseline.label}`.padEnd(width)}${format(baseline.value, unit)}${range(baseline)}`);
  console.log(`  ${'ratio (to the best baseline)'.padEnd(width)}${ratio.toFixed(2).padStart(8)}x   ${verdicts.join('; ')}`);
  // Runs measure both sides one after the other: the median of each run's own ratio leaves out what drifts between runs.
  const bestRow = targets.find((b) => b.value === best);
  if (bento.samples?.length > 1 && bestRow.samples?.length === bento.samples.length) {
    const paired = median(bento.samples.map((value, i) => value / bestRow.samples[i]));
    console.log(`  ${'ratio, median of each run\'s own'.padEnd(width)}${paired.toFixed(2).padStart(8)}x`);
  }
  for (const floor of baselines.filter((b) => b.floor)) {
    console.log(`  ${`ratio to the floor: ${floor.label}`.padEnd(width)}${(bento.value / floor.value).toFixed(2).padStart(8)}x   (the floor is ${(floor.value / best).toFixed(2)}x the best baseline)`);
  }
  return { ...comparison, ratio, met: verdicts.every((v) => v.endsWith(': met')) };
}

const { origin, close } = await serve({ port: 0, quiet: true });
const results = { date: new Date().toISOString(), runs, figures: {} };
let failed = false;
try {
  for (const name of only) {
    try {
      const measured = await (await FIGURES[name]()).measure({ origin, runs });
      results.figures[name] = (Array.isArray(measured) ? measured : [measured]).map(print);
    } catch (error) {
      failed = true;
      console.error(`\n${name}: could not be measured: ${error.stack ?? error}`);
      results.figures[name] = { error: String(error) };
    }
  }
} finally {
  await close();
}
await writeFile(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log('\nWritten to bench/results.json');
process.exit(failed ? 1 : 0);
