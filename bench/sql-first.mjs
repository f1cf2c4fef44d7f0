// 4 (issue 16). First SQL result: the demo's %%sql cell (its query, its CSV, its `demo` connector) in a
// <bento-notebook>, Run to the painted result table, on a fresh profile and on the second visit of the same profile,
// against a bare page that starts DuckDB-WASM the way its documentation shows and runs the same query over the
// same file, measured the same two ways, interleaved sample by sample. A third figure: Run on a page open for 5 s
// (Python ready, the page idle, so DuckDB was prepared meanwhile; a third visit of the same profile, so Python's start
// leaves most of the 5 s to DuckDB), against the bare page's cold start. The first two also print a floor: the bare
// page with its database kept in the origin-private file system, as the demo's connector keeps its tables; and the
// same two are measured again with the connector in memory, the bare page's kind of database.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { median, visit, withBrowser } from './browser.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** DuckDB-WASM's own browser module (with apache-arrow) as one file the bare page imports, as a page's bundler would. */
async function bundleDuckDB() {
  const outdir = join(ROOT, 'dist', 'bench-duckdb');
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: { 'duckdb-browser': '@duckdb/duckdb-wasm' },
    bundle: true,
    format: 'esm',
    minify: true,
    outdir,
    logLevel: 'error',
    absWorkingDir: ROOT,
  });
}

export async function measure({ origin, runs }) {
  await bundleDuckDB();
  const bare = `${origin}/bench/pages/duckdb-bare.html`;
  const bento = `${origin}/bench/pages/sql-first.html`;
  const samples = { bareCold: [], bareRepeat: [], keptCold: [], keptRepeat: [], memoryCold: [], memoryRepeat: [], bentoCold: [], bentoRepeat: [], bentoIdle: [], idleDetail: [], bentoPrepared: [], preparedDetail: [] };
  const check = (result, what) => {
    if (result.first !== undefined && result.first !== 'Montreal') throw new Error(`${what}: wrong first row: ${JSON.stringify(result)}`);
    if (result.reply !== undefined && result.reply !== 'ok') throw new Error(`${what}: winters was not bound: ${JSON.stringify(result)}`);
    return result.ms;
  };
  for (let i = 0; i < runs; i++) {
    await withBrowser(async (browser) => {
      samples.bareCold.push(check(await visit(browser, bare), 'bare, cold'));
      samples.bareRepeat.push(check(await visit(browser, bare), 'bare, repeat'));
    });
    await withBrowser(async (browser) => {
      samples.keptCold.push(check(await visit(browser, `${bare}?persist`), 'bare, kept in OPFS, cold'));
      samples.keptRepeat.push(check(await visit(browser, `${bare}?persist`), 'bare, kept in OPFS, repeat'));
    });
    await withBrowser(async (browser) => {
      samples.memoryCold.push(check(await visit(browser, `${bento}?memory`), 'bento in memory, cold'));
      samples.memoryRepeat.push(check(await visit(browser, `${bento}?memory`), 'bento in memory, repeat'));
    });
    await withBrowser(async (browser) => {
      samples.bentoCold.push(check(await visit(browser, bento), 'bento, cold'));
      samples.bentoRepeat.push(check(await visit(browser, bento), 'bento, repeat'));
      const idle = await visit(browser, `${bento}?idle=5000`);
      samples.bentoIdle.push(check(idle, 'bento, open 5 s'));
      samples.idleDetail.push({ pythonReadyAt: Math.round(idle.readyAt), duckdbWorkerAt: idle.duckdbWorkerAt && Math.round(idle.duckdbWorkerAt), runAt: Math.round(idle.started) });
      // The same once the preparation has finished, however long it took: what the 5 s give where they suffice.
      const prepared = await visit(browser, `${bento}?prepared=1`);
      samples.bentoPrepared.push(check(prepared, 'bento, prepared'));
      samples.preparedDetail.push({ pythonReadyAt: Math.round(prepared.readyAt), duckdbWorkerAt: Math.round(prepared.duckdbWorkerAt), preparedAt: Math.round(prepared.preparedAt) });
    });
  }
  const bareCold = median(samples.bareCold);
  // A row of the comparison: the median, and the samples it is the median of (run i of each side comes from run i).
  const row = (label, values) => ({ label, value: median(values), samples: values });
  return [
    {
      title: `4. First SQL result, fresh profile: the demo's %%sql cell, Run (Python ready) to the painted table (median of ${runs})`,
      unit: 'ms',
      bento: row('<bento-notebook> %%sql winters --conn demo (result bound to Python)', samples.bentoCold),
      baselines: [
        row('DuckDB-WASM as documented: import, selectBundle, instantiate, query, <table>', samples.bareCold),
        { ...row('the same with its database kept in OPFS, as the demo keeps its tables', samples.keptCold), floor: true },
      ],
      ratioTarget: 1.1,
      samples,
    },
    {
      title: `4. First SQL result, second visit of the same profile (median of ${runs})`,
      unit: 'ms',
      bento: row('<bento-notebook> %%sql winters --conn demo (result bound to Python)', samples.bentoRepeat),
      baselines: [
        row('DuckDB-WASM as documented, second visit', samples.bareRepeat),
        { ...row('the same with its database kept in OPFS, second visit', samples.keptRepeat), floor: true },
      ],
      ratioTarget: 1.1,
      samples,
    },
    {
      title: `4. The same two with the connector in memory (persist: false), like the bare page's database: fresh profile / second visit (median of ${runs})`,
      unit: 'ms',
      bento: row('<bento-notebook> %%sql, fresh profile', samples.memoryCold),
      baselines: [row('DuckDB-WASM as documented (first figure)', samples.bareCold)],
      ratioTarget: 1.1,
      samples,
    },
    {
      title: `4. (in memory) second visit (median of ${runs})`,
      unit: 'ms',
      bento: row('<bento-notebook> %%sql, second visit', samples.memoryRepeat),
      baselines: [row('DuckDB-WASM as documented, second visit', samples.bareRepeat)],
      ratioTarget: 1.1,
      samples,
    },
    {
      title: `4. First SQL result on a page open for 5 s (Python ready, page idle), third visit of the profile (median of ${runs})`,
      unit: 'ms',
      bento: { label: '<bento-notebook> %%sql, Run at 5 s', value: median(samples.bentoIdle) },
      baselines: [{ label: "DuckDB-WASM's cold start as documented (first figure's baseline)", value: bareCold }],
      ratioTarget: 0.2,
      samples,
    },
    {
      title: `4. The same, Run once DuckDB's idle preparation has finished (however long it took; median of ${runs})`,
      unit: 'ms',
      bento: { label: '<bento-notebook> %%sql, Run on a prepared DuckDB', value: median(samples.bentoPrepared) },
      baselines: [{ label: "DuckDB-WASM's cold start as documented (first figure's baseline)", value: bareCold }],
      ratioTarget: 0.2,
      samples,
    },
  ];
}
