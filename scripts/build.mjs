// Builds dist/: the element bundle, the worker bundle, and the Pyodide runtime files copied from the
// pinned `pyodide` npm package, so pages run offline with no CDN.
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFile, cp, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const pyodideDir = dirname(createRequire(import.meta.url).resolve('pyodide/package.json'));
const PYODIDE_FILES = ['pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json'];

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

export async function build() {
  await rm(dist, { recursive: true, force: true });
  await mkdir(join(dist, 'pyodide'), { recursive: true });
  await Promise.all([
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
  ]);
  analyzeElements();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  await build();
  console.log(`built dist/ in ${Date.now() - started} ms`);
}
