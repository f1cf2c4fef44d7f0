// Builds dist/: the element bundle, the worker bundle, the Pyodide runtime files copied from the pinned
// `pyodide` npm package and DuckDB-WASM's from `@duckdb/duckdb-wasm`, so pages run offline with no CDN.
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFile, cp, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const pyodideDir = dirname(createRequire(import.meta.url).resolve('pyodide/package.json'));
const PYODIDE_FILES = ['pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json'];
const duckdbDir = dirname(createRequire(import.meta.url).resolve('@duckdb/duckdb-wasm/dist/duckdb-eh.wasm'));
// EH (WebAssembly exceptions) is what current browsers run; MVP is the fallback for those without them.
const DUCKDB_FILES = ['duckdb-eh.wasm', 'duckdb-browser-eh.worker.js', 'duckdb-mvp.wasm', 'duckdb-browser-mvp.worker.js'];

const shared = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  loader: { '.py': 'text' },
  logLevel: 'warning',
  tsconfig: join(root, 'tsconfig.json'),
};

/** custom-elements.json from the elements' JSDoc (@summary, @slot, @event, @csspart, @cssprop). */
function analyzeElements() {
  const cli = join(dirname(createRequire(import.meta.url).resolve('@custom-elements-manifest/analyzer/package.json')), 'cem.js');
  execFileSync(process.execPath, [cli, 'analyze', '--litelement', '--globs', 'components/**/*.ts', '--outdir', 'dist', '--quiet'], { cwd: root, stdio: 'inherit' });
}

/**
 * DuckDB-WASM and apache-arrow must stay out of what every page loads (the entry and the chunks it imports
 * statically), and src/data/duckdb.ts must sit in dist/chunks/: it finds dist/duckdb/ as `../duckdb/`.
 */
function checkDuckDBIsLazy(metafile) {
  const outputs = metafile.outputs;
  const entry = Object.keys(outputs).find((file) => outputs[file].entryPoint?.endsWith('src/index.ts'));
  const eager = new Set();
  const visit = (file) => {
    if (eager.has(file) || !outputs[file]) return;
    eager.add(file);
    for (const imported of outputs[file].imports) if (imported.kind === 'import-statement') visit(imported.path);
  };
  visit(entry);
  const heavy = (file) => Object.keys(outputs[file].inputs).some((input) => /node_modules\/(@duckdb\/duckdb-wasm|apache-arrow)\//.test(input));
  for (const file of eager) {
    if (heavy(file)) throw new Error(`${file} is loaded by every page but bundles DuckDB-WASM or apache-arrow: import them only dynamically.`);
  }
  for (const [file, output] of Object.entries(outputs)) {
    if (!Object.keys(output.inputs).some((input) => input.endsWith('src/data/duckdb.ts'))) continue;
    const folder = relative(dist, dirname(resolve(file)));
    if (folder !== 'chunks') throw new Error(`src/data/duckdb.ts was bundled into ${file}; its default bundleURL ('../duckdb/') expects dist/chunks/.`);
  }
}

export async function build() {
  await rm(dist, { recursive: true, force: true });
  await mkdir(join(dist, 'pyodide'), { recursive: true });
  await mkdir(join(dist, 'duckdb'), { recursive: true });
  const [main] = await Promise.all([
    // The editor, the highlighter and other heavy parts are dynamic imports: separate chunks a page loads only
    // when it needs them.
    esbuild.build({
      ...shared,
      entryPoints: { 'bento-lite': join(root, 'src/index.ts') },
      outdir: dist,
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      metafile: true,
    }),
    cp(join(root, 'components/themes/bento.css'), join(dist, 'themes/bento.css')),
    // pyodide.mjs carries Node-only branches; they never run in a worker.
    esbuild.build({ ...shared, entryPoints: [join(root, 'src/kernel/pyodide/worker.ts')], outfile: join(dist, 'worker.js'), external: ['node:*', 'ws'] }),
    ...PYODIDE_FILES.map((file) => copyFile(join(pyodideDir, file), join(dist, 'pyodide', file))),
    ...DUCKDB_FILES.map((file) => copyFile(join(duckdbDir, file), join(dist, 'duckdb', file))),
  ]);
  checkDuckDBIsLazy(main.metafile);
  analyzeElements();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  await build();
  console.log(`built dist/ in ${Date.now() - started} ms`);
}
