// Builds dist/: the element bundle, the worker bundle, the Pyodide runtime files copied from the pinned
// `pyodide` npm package and DuckDB-WASM's from `@duckdb/duckdb-wasm`, so pages run offline with no CDN.
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFile, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, gzipSync } from 'node:zlib';
import ts from 'typescript';
import { stdlibBootZip } from './stdlib-bytecode.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const pyodideDir = dirname(createRequire(import.meta.url).resolve('pyodide/package.json'));
const PYODIDE_FILES = ['pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json'];
const duckdbDir = dirname(createRequire(import.meta.url).resolve('@duckdb/duckdb-wasm/dist/duckdb-eh.wasm'));
// EH (WebAssembly exceptions) is what current browsers run; MVP is the fallback for those without them.
const DUCKDB_FILES = ['duckdb-eh.wasm', 'duckdb-browser-eh.worker.js', 'duckdb-mvp.wasm', 'duckdb-browser-mvp.worker.js'];

/**
 * Lit's `css` templates reach the bundle as written (esbuild does not look inside template literals): comments,
 * indentation and line breaks shipped to every page. This strips them, and the spaces after `:` and `,` and
 * around `{`, `}`, `;` and `>`, outside quoted strings (a space between selectors is a combinator, and stays); and
 * writes colours #aabbcc as #abc and numbers 0.5 as .5.
 */
function minifyCss(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split(/('[^']*'|"[^"]*")/)
    .map((part, i) =>
      i % 2
        ? part
        : part
            .replace(/\s+/g, ' ')
            .replace(/([:,]) /g, '$1')
            .replace(/ ?([{};>]) ?/g, '$1')
            .replace(/;}/g, '}')
            // #aabbcc as #abc, and 0.5 as .5 (not in 10.5)
            .replace(/#([0-9a-f])\1([0-9a-f])\2([0-9a-f])\3\b/gi, '#$1$2$3')
            .replace(/(^|[^\w.])0\.(\d)/g, '$1.$2'),
    )
    .join('')
    .trim();
}

/**
 * Lit's `html` templates also reach the bundle as written, each line's indentation kept as text that the browser then
 * collapses. This strips the spaces after every line break in their literal text (found by TypeScript's parser, so
 * `${}` expressions, strings and other templates are left alone); the line breaks stay, so no two words join. Not in
 * a template with a <pre> or <textarea>, where the spaces show.
 */
function minifyHtmlTemplates(source, path) {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const cuts = [];
  const visit = (node) => {
    if (ts.isTaggedTemplateExpression(node) && ts.isIdentifier(node.tag) && (node.tag.text === 'html' || node.tag.text === 'svg')) {
      const t = node.template;
      const parts = ts.isNoSubstitutionTemplateLiteral(t) ? [t] : [t.head, ...t.templateSpans.map((span) => span.literal)];
      // Each part's text between its delimiters: ` or } before it, ${ or ` after it.
      const ranges = parts.map((part) => [part.getStart(file) + 1, part.end - (ts.isTemplateHead(part) || ts.isTemplateMiddle(part) ? 2 : 1)]);
      if (!ranges.some(([from, to]) => /<(pre|textarea)\b/i.test(source.slice(from, to)))) cuts.push(...ranges);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  let out = '';
  let at = 0;
  for (const [from, to] of cuts.sort((a, b) => a[0] - b[0])) {
    out += source.slice(at, from) + source.slice(from, to).replace(/\n[ \t]+/g, '\n');
    at = to;
  }
  return out + source.slice(at);
}

const minifyTemplates = {
  name: 'minify-lit-templates',
  setup(build) {
    build.onLoad({ filter: /components[\\/].*\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const contents = minifyHtmlTemplates(source.replace(/\bcss`([^`]*)`/g, (_, text) => `css\`${minifyCss(text)}\``), args.path);
      return { contents, loader: 'ts' };
    });
  },
};

const shared = {
  bundle: true,
  plugins: [minifyTemplates],
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  // Module scripts are always read as UTF-8: its characters (…, ×, ✕) cost a byte or three instead of six as \u escapes.
  charset: 'utf8',
  loader: { '.py': 'text' },
  logLevel: 'warning',
  tsconfig: join(root, 'tsconfig.json'),
};

/** custom-elements.json from the elements' JSDoc (@summary, @slot, @event, @csspart, @cssprop). */
function analyzeElements() {
  const cli = join(dirname(createRequire(import.meta.url).resolve('@custom-elements-manifest/analyzer/package.json')), 'cem.js');
  execFileSync(process.execPath, [cli, 'analyze', '--litelement', '--globs', 'components/**/*.ts', '--outdir', 'dist', '--quiet'], { cwd: root, stdio: 'inherit' });
}

/** The gzip budget of the JavaScript every page loads before its first cell runs (issue "Startup in a blink"). */
const STARTUP_BUDGET_BYTES = 60 * 1024;

/**
 * What no page may load before it needs it: each is reached only through a dynamic import (the data
 * connectors, the editor, the Markdown renderer and sanitizer, the SQL cell and its table view).
 */
const LAZY_INPUTS = [
  [/node_modules\/(@duckdb\/duckdb-wasm|apache-arrow)\//, 'DuckDB-WASM or apache-arrow'],
  [/node_modules\/(@codemirror|@lezer)\//, 'CodeMirror or lezer (the editor)'],
  [/node_modules\/(marked|dompurify)\//, 'marked or DOMPurify (the Markdown renderer and sanitizer)'],
  [/components\/(sql-cell\/sql-cell|bento-table-view\/bento-table-view)\.ts$/, '<sql-cell> or <bento-table-view>'],
];

/** The entry and every chunk it imports statically: what a page loads with the bundle, before anything else. */
function eagerOutputs(metafile) {
  const outputs = metafile.outputs;
  const entry = Object.keys(outputs).find((file) => outputs[file].entryPoint?.endsWith('src/index.ts'));
  const eager = new Set();
  const visit = (file) => {
    if (eager.has(file) || !outputs[file]) return;
    eager.add(file);
    for (const imported of outputs[file].imports) if (imported.kind === 'import-statement') visit(imported.path);
  };
  visit(entry);
  return [...eager];
}

/**
 * The heavy parts must stay out of what every page loads. Two modules find files beside themselves through
 * import.meta.url: src/kernel/pyodide/runtime.ts must be in dist/bento-lite.js itself (worker.js and pyodide/
 * beside it; a lazy chunk that imports it, even through other modules, would move it into a shared chunk), and
 * src/data/duckdb.ts in dist/chunks/ (it finds dist/duckdb/ as `../duckdb/`).
 */
function checkChunkLayout(metafile) {
  const outputs = metafile.outputs;
  for (const file of eagerOutputs(metafile)) {
    for (const [pattern, what] of LAZY_INPUTS) {
      if (Object.keys(outputs[file].inputs).some((input) => pattern.test(input))) {
        throw new Error(`${file} is loaded by every page but bundles ${what}: import it only dynamically.`);
      }
    }
  }
  for (const [file, output] of Object.entries(outputs)) {
    const inputs = Object.keys(output.inputs);
    if (inputs.some((input) => input.endsWith('src/kernel/pyodide/runtime.ts')) && !output.entryPoint?.endsWith('src/index.ts')) {
      throw new Error(`src/kernel/pyodide/runtime.ts was bundled into ${file}, not the entry: a lazily loaded module imports it; its default worker URL ('./worker.js') expects dist/.`);
    }
    if (inputs.some((input) => input.endsWith('src/jobs/worker-runner.ts')) && relative(dist, dirname(resolve(file))) !== 'chunks') {
      throw new Error(`src/jobs/worker-runner.ts was bundled into ${file}; its default workerURL ('../jobs-worker.js') expects dist/chunks/.`);
    }
    if (!inputs.some((input) => input.endsWith('src/data/duckdb.ts'))) continue;
    const folder = relative(dist, dirname(resolve(file)));
    if (folder !== 'chunks') throw new Error(`src/data/duckdb.ts was bundled into ${file}; its default bundleURL ('../duckdb/') expects dist/chunks/.`);
  }
}

/**
 * Gzip sizes (level 9 and zlib's default, 6) of what a page loads before its first cell runs; throws when they
 * exceed the budget. With `verbose`, also the size of every output and what each eager chunk is made of.
 */
async function checkStartupWeight(metafile, { verbose = false } = {}) {
  const outputs = metafile.outputs;
  const eager = eagerOutputs(metafile);
  const sizes = new Map();
  for (const file of Object.keys(outputs).filter((f) => f.endsWith('.js'))) {
    const bytes = await readFile(join(root, file));
    sizes.set(file, { raw: bytes.length, gzip9: gzipSync(bytes, { level: 9 }).length, gzip6: gzipSync(bytes, { level: constants.Z_DEFAULT_COMPRESSION }).length });
  }
  const total = { raw: 0, gzip9: 0, gzip6: 0 };
  for (const file of eager) for (const key of Object.keys(total)) total[key] += sizes.get(file)[key];
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
  if (verbose) {
    const row = (name, { raw, gzip9, gzip6 }) => console.log(`  ${name.padEnd(52)}${kb(raw).padStart(10)}${kb(gzip9).padStart(10)}${kb(gzip6).padStart(10)}`);
    console.log(`  ${'output (* = loaded by every page with the bundle)'.padEnd(52)}${'raw'.padStart(10)}${'gzip -9'.padStart(10)}${'gzip -6'.padStart(10)}`);
    for (const [file, size] of [...sizes].sort((a, b) => b[1].gzip9 - a[1].gzip9)) row(`${eager.includes(file) ? '* ' : '  '}${relative(dist, resolve(root, file))}`, size);
    row('  total loaded by every page', total);
    for (const file of eager) {
      console.log(`\n  ${relative(dist, resolve(root, file))}: minified bytes by module`);
      const inputs = Object.entries(outputs[file].inputs).filter(([, input]) => input.bytesInOutput > 0).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput);
      for (const [input, { bytesInOutput }] of inputs) console.log(`    ${String(bytesInOutput).padStart(8)}  ${input}`);
    }
  }
  const summary = `${eager.length} files, ${kb(total.gzip9)} gzip -9 (${kb(total.gzip6)} gzip -6), budget ${kb(STARTUP_BUDGET_BYTES)} (${STARTUP_BUDGET_BYTES - Math.max(total.gzip9, total.gzip6)} bytes left)`;
  if (Math.max(total.gzip9, total.gzip6) > STARTUP_BUDGET_BYTES) {
    throw new Error(`The JavaScript every page loads is over budget: ${summary}. Run \`node scripts/build.mjs --analyze\` to see what it is made of.`);
  }
  return summary;
}

export async function build({ analyze = false } = {}) {
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
    // The Vite plugin (`bento-lite/vite`) runs in Node as it is.
    copyFile(join(root, 'src/vite.js'), join(dist, 'vite.js')),
    // pyodide.mjs carries Node-only branches; they never run in a worker.
    esbuild.build({ ...shared, entryPoints: [join(root, 'src/kernel/pyodide/worker.ts')], outfile: join(dist, 'worker.js'), external: ['node:*', 'ws'] }),
    // The upload jobs' worker (src/jobs/worker.ts); its ClickHouse connector is bundled in, it needs no chunks.
    esbuild.build({ ...shared, entryPoints: [join(root, 'src/jobs/worker.ts')], outfile: join(dist, 'jobs-worker.js') }),
    // Its chunk encoder's worker (src/jobs/encoder.ts), which it finds beside itself.
    esbuild.build({ ...shared, entryPoints: [join(root, 'src/jobs/encoder-worker.ts')], outfile: join(dist, 'jobs-encoder.js') }),
    ...PYODIDE_FILES.map((file) => copyFile(join(pyodideDir, file), join(dist, 'pyodide', file))),
    // Beside them: the standard library with the bytecode a start that is not restored imports.
    stdlibBootZip().then((bytes) => writeFile(join(dist, 'pyodide', 'python_stdlib_boot.zip'), bytes)),
    ...DUCKDB_FILES.map((file) => copyFile(join(duckdbDir, file), join(dist, 'duckdb', file))),
  ]);
  checkChunkLayout(main.metafile);
  const weight = await checkStartupWeight(main.metafile, { verbose: analyze });
  analyzeElements();
  return { weight };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  const { weight } = await build({ analyze: process.argv.includes('--analyze') });
  console.log(`built dist/ in ${Date.now() - started} ms; JavaScript every page loads: ${weight}`);
}
