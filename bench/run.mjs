// `npm run bench`: every figure, each next to a baseline measured in the same run, printed with the ratio and
// written to bench/results.json. Usage: npm run bench [-- --runs N] [-- --only cold-start,inject]
import { writeFile } from 'node:fs/promises';
import { serve } from '../scripts/serve.mjs';

const FIGURES = {
  'cold-start': () => import('./cold-start.mjs'),
  inject: () => import('./inject.mjs'),
};

const option = (name) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : undefined;
};
const runs = Number(option('runs') ?? 5);
const only = option('only')?.split(',') ?? Object.keys(FIGURES);
const unknown = only.filter((name) => !(name in FIGURES));
if (unknown.length) throw new Error(`No figure called ${unknown.join(', ')}; there are: ${Object.keys(FIGURES).join(', ')}`);

const format = (value, unit) => `${value.toFixed(value < 10 ? 1 : 0).padStart(8)} ${unit}`;
const { origin, close } = await serve({ port: 0, quiet: true });
const results = { date: new Date().toISOString(), runs, figures: {} };
try {
  for (const name of only) {
    const figure = await (await FIGURES[name]()).measure({ origin, runs });
    // The ratio is against the best baseline: the fairest comparison for us.
    const best = Math.min(...figure.baselines.map((b) => b.value));
    const ratio = figure.bento.value / best;
    const width = Math.max(...[figure.bento, ...figure.baselines].map((row) => row.label.length)) + 12;
    console.log(`\n${figure.title}`);
    console.log(`  ${figure.bento.label.padEnd(width)}${format(figure.bento.value, figure.unit)}`);
    for (const baseline of figure.baselines) console.log(`  ${`baseline: ${baseline.label}`.padEnd(width)}${format(baseline.value, figure.unit)}`);
    console.log(`  ${'ratio (to the best baseline)'.padEnd(width)}${ratio.toFixed(2).padStart(8)}x${figure.target ? `   target <= ${figure.target}x: ${ratio <= figure.target ? 'met' : 'NOT met'}` : ''}`);
    results.figures[name] = { ...figure, ratio };
  }
} finally {
  await close();
}
await writeFile(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
