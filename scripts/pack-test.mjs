// The package where people install it (run by `npm test`, or alone: `node scripts/pack-test.mjs`): `npm pack`,
// the tarball installed into a fresh app, then a notebook cell `1+1` run to `2` in headless Chromium on two pages:
// built by Vite (with the package's one documented step, `bento-lite/vite`), and a plain static page with no
// bundler that loads dist/ from node_modules. Also checks what the tarball holds.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { build } from 'vite';
import { CHROMIUM_ARGS, ensureChromium } from './chromium.mjs';
import { serve } from './serve.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = createRequire(import.meta.url)('../package.json');
/** Files above this size are only the runtimes (Pyodide's and DuckDB's wasm, the stdlib). */
const LARGE_BYTES = 2 * 1024 * 1024;
const LARGE_ALLOWED = /^dist\/(pyodide\/(pyodide\.asm\.wasm|python_stdlib(_boot)?\.zip)|duckdb\/duckdb-(eh|mvp)\.wasm|chunks\/editor-[^/]+\.js\.map)$/;

/** The README's Vite step, as it is there (test/readme.test.ts checks that this script runs it). */
const VITE_SAMPLE = "import bentoLite from 'bento-lite/vite';";

async function readmeViteConfig() {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((match) => match[1]).find((code) => code.includes(VITE_SAMPLE));
  if (!block) throw new Error(`README.md has no js block with ${VITE_SAMPLE}: the Vite step this test runs.`);
  return block;
}

const APP_FILES = {
  'package.json': JSON.stringify({ name: 'bento-pack-check', private: true, type: 'module' }),
  // The Vite app (vite.config.js is the README's): the package imported by name.
  'index.html': `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>Vite app</title>
<bento-notebook no-autosave><bento-cell>1+1</bento-cell></bento-notebook>
<script type="module" src="./main.js"></script>\n`,
  'main.js': `import 'bento-lite';\nimport 'bento-lite/themes/bento.css';\n`,
  // The plain page: the README's "Embed a notebook", files served as they are from node_modules.
  'static/index.html': `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>Static page</title>
<link rel="stylesheet" href="/node_modules/bento-lite/dist/themes/bento.css" />
<script type="module" src="/node_modules/bento-lite/dist/bento-lite.js"></script>
<bento-notebook no-autosave><bento-cell>1+1</bento-cell></bento-notebook>\n`,
};

function run(command, args, cwd) {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/** What `npm pack` put in the tarball: no tests or sources, the entry points present, nothing large but runtimes. */
function checkContents(files) {
  const problems = [];
  const paths = new Set(files.map((file) => file.path));
  for (const file of files) {
    if (!/^(dist\/|package\.json$|README\.md$|LICENSE)/.test(file.path)) problems.push(`${file.path} is packed (only dist/, package.json and the README are)`);
    if (file.size > LARGE_BYTES && !LARGE_ALLOWED.test(file.path)) problems.push(`${file.path} is ${(file.size / 1e6).toFixed(1)} MB`);
  }
  const targets = [pkg.main, pkg.types, ...Object.values(pkg.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)))];
  for (const target of targets) {
    const path = target.replace(/^\.\//, '');
    const found = path.includes('*') ? [...paths].some((p) => p.startsWith(path.slice(0, path.indexOf('*')))) : paths.has(path);
    if (!found) problems.push(`package.json names ${target}, which the tarball does not hold`);
  }
  if (problems.length) throw new Error(`npm pack:\n  ${problems.join('\n  ')}`);
}

/** Opens `url`, runs the notebook's cell and resolves with its text/plain output; throws on any page error or 404. */
async function runCellOn(browser, url) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('console', (message) => message.type() === 'error' && problems.push(`console error: ${message.text()}`));
  page.on('response', (response) => response.status() >= 400 && problems.push(`${response.status()} ${response.url()}`));
  try {
    await page.goto(url);
    await page.waitForFunction(() => customElements.get('bento-notebook') && document.querySelector('bento-notebook').cells.length === 1, { timeout: 30_000 });
    const output = await page.evaluate(async () => {
      const notebook = document.querySelector('bento-notebook');
      const reply = await notebook.run(0);
      return { status: reply?.content.status, text: notebook.cells[0].outputs.outputs.map((o) => o.data?.['text/plain'] ?? o.text).join('') };
    });
    if (problems.length) throw new Error(`${url}:\n  ${problems.join('\n  ')}`);
    if (output.status !== 'ok' || output.text !== '2') throw new Error(`${url}: the cell 1+1 gave ${JSON.stringify(output)}`);
    return output.text;
  } finally {
    await page.close();
  }
}

export async function packTest() {
  const work = await mkdtemp(join(tmpdir(), 'bento-pack-'));
  try {
    // prepack builds dist/ and its type declarations, and says so on stdout before npm's JSON.
    const out = run('npm', ['pack', '--json', '--pack-destination', work], root);
    const [packed] = JSON.parse(out.slice(out.search(/^\[/m)));
    checkContents(packed.files);
    console.log(`npm pack: ${packed.filename}, ${(packed.size / 1e6).toFixed(1)} MB, ${packed.entryCount} files`);

    const app = join(work, 'app');
    for (const [file, text] of Object.entries({ ...APP_FILES, 'vite.config.js': await readmeViteConfig() })) {
      await mkdir(dirname(join(app, file)), { recursive: true });
      await writeFile(join(app, file), text);
    }
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(work, packed.filename)], app);
    await build({ root: app, configFile: join(app, 'vite.config.js'), logLevel: 'error' });

    // The Vite build served at its own root, as its default base expects; the plain page from the app folder.
    const servers = [await serve({ root: join(app, 'dist'), port: 0, isolated: false, quiet: true }), await serve({ root: app, port: 0, isolated: false, quiet: true })];
    const profile = await mkdtemp(join(tmpdir(), 'bento-pack-profile-'));
    const browser = await puppeteer.launch({ executablePath: ensureChromium(), headless: true, userDataDir: profile, args: CHROMIUM_ARGS });
    try {
      for (const [what, url] of [['a Vite build', `${servers[0].origin}/index.html`], ['a static page with no bundler', `${servers[1].origin}/static/index.html`]]) {
        await runCellOn(browser, url);
        console.log(`the packed package runs 1+1 = 2 in ${what}`);
      }
    } finally {
      await browser.close();
      await Promise.all(servers.map((server) => server.close()));
      await rm(profile, { recursive: true, force: true });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await packTest();
