// A big notebook, made the same way every time (a seeded generator, no files to commit): 1,000 cells of mixed
// code and Markdown with the outputs real notebooks carry (PNG and SVG images, pandas-like HTML tables, streams,
// errors with ANSI tracebacks, JSON), and the same notebook as nbconvert-style static HTML (plain <pre>, <img>,
// tables, Markdown already rendered): the baseline of the `big-notebook` figure.
//
// Plain JavaScript with no Node imports, so a test can make it in the browser. From the command line:
//   node bench/pages/make-big-notebook.mjs <dir> [cells]   writes <dir>/notebook.ipynb and <dir>/static.html
import { seededRandom as random } from '../../scripts/seeded-random.mjs';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const u32 = (n) => new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

function chunk(type, data) {
  const typed = concat([new TextEncoder().encode(type), data]);
  return concat([u32(data.length), typed, u32(crc32(typed))]);
}

/** zlib with stored (uncompressed) deflate blocks: a valid PNG without a compressor, a few KB as the figure wants. */
function zlibStored(data) {
  const parts = [new Uint8Array([0x78, 0x01])];
  for (let at = 0; at < data.length || at === 0; at += 65535) {
    const block = data.subarray(at, at + 65535);
    const last = at + 65535 >= data.length ? 1 : 0;
    parts.push(new Uint8Array([last, block.length & 255, block.length >>> 8, ~block.length & 255, (~block.length >>> 8) & 255]), block);
    if (data.length === 0) break;
  }
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  parts.push(u32(((b << 16) | a) >>> 0));
  return concat(parts);
}

function base64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** A width × height RGB PNG of a smooth gradient with some noise (a plot-sized thumbnail). */
function png(rand, width = 48, height = 32) {
  const rows = new Uint8Array(height * (1 + width * 3));
  const [r0, g0, b0] = [rand() * 255, rand() * 255, rand() * 255];
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) {
      const at = row + 1 + x * 3;
      rows[at] = (r0 + x * 3 + rand() * 20) & 255;
      rows[at + 1] = (g0 + y * 4 + rand() * 20) & 255;
      rows[at + 2] = (b0 + (x + y) * 2) & 255;
    }
  }
  const header = concat([u32(width), u32(height), new Uint8Array([8, 2, 0, 0, 0])]);
  const bytes = concat([new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', zlibStored(rows)), chunk('IEND', new Uint8Array())]);
  return base64(bytes);
}

function svg(rand) {
  const points = Array.from({ length: 24 }, (_, i) => `${i * 10},${(60 - rand() * 50).toFixed(1)}`).join(' ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="64" viewBox="0 0 240 64"><rect width="240" height="64" fill="#f6f8fa"/><polyline fill="none" stroke="#0969da" stroke-width="2" points="${points}"/></svg>`;
}

const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A pandas-like DataFrame: its HTML (as `DataFrame._repr_html_` writes it) and its text/plain form. */
function dataFrame(rand, rows = 8) {
  const columns = ['city', 'year', 'population', 'area_km2', 'density', 'growth'];
  const cities = ['Lyon', 'Oslo', 'Porto', 'Turin', 'Graz', 'Ghent', 'Brno', 'Cork', 'Split', 'Malmö'];
  const data = Array.from({ length: rows }, () => {
    const population = Math.floor(rand() * 2e6);
    const area = +(rand() * 900 + 50).toFixed(1);
    return [cities[Math.floor(rand() * cities.length)], 1990 + Math.floor(rand() * 34), population, area, +(population / area).toFixed(2), +(rand() * 4 - 1).toFixed(3)];
  });
  const head = `<thead>\n    <tr style="text-align: right;">\n      <th></th>\n${columns.map((c) => `      <th>${c}</th>\n`).join('')}    </tr>\n  </thead>`;
  const body = data.map((row, i) => `    <tr>\n      <th>${i}</th>\n${row.map((v) => `      <td>${escape(String(v))}</td>\n`).join('')}    </tr>\n`).join('');
  const html = `<div>\n<style scoped>\n    .dataframe tbody tr th:only-of-type {\n        vertical-align: middle;\n    }\n\n    .dataframe tbody tr th {\n        vertical-align: top;\n    }\n\n    .dataframe thead th {\n        text-align: right;\n    }\n</style>\n<table border="1" class="dataframe">\n  ${head}\n  <tbody>\n${body}  </tbody>\n</table>\n</div>`;
  const plain = [['', ...columns].join('  '), ...data.map((row, i) => [i, ...row].join('  '))].join('\n');
  return { html, plain };
}

function traceback(rand, n) {
  const name = ['ZeroDivisionError', 'KeyError', 'ValueError'][n % 3];
  const value = ['division by zero', `'column_${n}'`, `invalid literal for int() with base 10: 'x${n}'`][n % 3];
  return {
    output_type: 'error',
    ename: name,
    evalue: value,
    traceback: [
      '\u001b[0;31m---------------------------------------------------------------------------\u001b[0m',
      `\u001b[0;31m${name}\u001b[0m                         Traceback (most recent call last)`,
      `Cell \u001b[0;32mIn[${n}], line ${1 + Math.floor(rand() * 5)}\u001b[0m\n\u001b[1;32m      1\u001b[0m \u001b[38;5;28;01mdef\u001b[39;00m \u001b[38;5;21mstep\u001b[39m(x):\n\u001b[0;32m----> 2\u001b[0m     \u001b[38;5;28;01mreturn\u001b[39;00m \u001b[38;5;241m1\u001b[39m \u001b[38;5;241m/\u001b[39m x`,
      `\u001b[0;31m${name}\u001b[0m: ${value}`,
    ],
  };
}

const WORDS = 'data model cell kernel value table column row plot result mean sample series index frame query cache worker page'.split(' ');

function sentence(rand, words = 12) {
  const text = Array.from({ length: words }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
  return text[0].toUpperCase() + text.slice(1) + '.';
}

/** A Markdown cell's source and the HTML a renderer makes of it (written side by side, so no parser is needed). */
function markdownCell(rand, n) {
  const kind = n % 5;
  const heading = `Section ${n}: ${WORDS[n % WORDS.length]}`;
  if (kind === 0) return { md: `## ${heading}\n\n${sentence(rand)} See [the docs](https://example.com/docs/${n}).`, html: `<h2>${heading}</h2>\n<p>${sentence(rand)} See <a href="https://example.com/docs/${n}">the docs</a>.</p>` };
  if (kind === 1) {
    const items = [sentence(rand, 5), sentence(rand, 6), sentence(rand, 4)];
    return { md: `### Steps\n\n${items.map((i) => `- ${i}`).join('\n')}`, html: `<h3>Steps</h3>\n<ul>\n${items.map((i) => `<li>${i}</li>`).join('\n')}\n</ul>` };
  }
  if (kind === 2) return { md: `${sentence(rand, 20)} Use \`df.describe()\` and **check** the *mean*:\n\n\`\`\`python\ndf.groupby("city").mean()\n\`\`\``, html: `<p>${sentence(rand, 20)} Use <code>df.describe()</code> and <strong>check</strong> the <em>mean</em>:</p>\n<pre><code class="language-python">df.groupby("city").mean()\n</code></pre>` };
  if (kind === 3) {
    const rows = [[WORDS[n % 19], (rand() * 100).toFixed(1)], [WORDS[(n + 3) % 19], (rand() * 100).toFixed(1)]];
    return {
      md: `| name | value |\n| --- | ---: |\n${rows.map(([a, b]) => `| ${a} | ${b} |`).join('\n')}`,
      html: `<table>\n<thead>\n<tr>\n<th>name</th>\n<th align="right">value</th>\n</tr>\n</thead>\n<tbody>${rows.map(([a, b]) => `<tr>\n<td>${a}</td>\n<td align="right">${b}</td>\n</tr>`).join('\n')}</tbody>\n</table>`,
    };
  }
  const items = [sentence(rand, 4), sentence(rand, 5)];
  return { md: `# ${heading}\n\n1. ${items[0]}\n2. ${items[1]}\n\n> ${sentence(rand, 8)}`, html: `<h1>${heading}</h1>\n<ol>\n<li>${items[0]}</li>\n<li>${items[1]}</li>\n</ol>\n<blockquote>\n<p>${sentence(rand, 8)}</p>\n</blockquote>` };
}

function codeCell(rand, n) {
  const kind = n % 8;
  const count = n;
  const lines = [`# step ${n}`, `values = [x * ${1 + (n % 7)} for x in range(${10 + (n % 50)})]`];
  let outputs;
  if (kind === 0) {
    lines.push('for v in values[:5]:', '    print(v, v ** 2)');
    outputs = [{ output_type: 'stream', name: 'stdout', text: Array.from({ length: 5 }, (_, i) => `${i * (1 + (n % 7))} ${(i * (1 + (n % 7))) ** 2}\n`).join('') }];
  } else if (kind === 1) {
    const df = dataFrame(rand);
    lines.push('df = load_cities(values)', 'df.head(8)');
    outputs = [{ output_type: 'execute_result', execution_count: count, metadata: {}, data: { 'text/html': df.html, 'text/plain': df.plain } }];
  } else if (kind === 2) {
    lines.push('fig = plot(values)', 'fig');
    outputs = [{ output_type: 'display_data', metadata: {}, data: { 'image/png': png(rand), 'text/plain': '<Figure size 480x320 with 1 Axes>' } }];
  } else if (kind === 3) {
    lines.push('sparkline(values)');
    outputs = [{ output_type: 'display_data', metadata: {}, data: { 'image/svg+xml': svg(rand), 'text/plain': '<Sparkline>' } }];
  } else if (kind === 4) {
    lines.push('def step(x):', '    return 1 / x', 'step(0)');
    outputs = [traceback(rand, n)];
  } else if (kind === 5) {
    lines.push('summary = {"n": len(values), "max": max(values)}', 'summary');
    const json = { n: 10 + (n % 50), max: Math.floor(rand() * 1000), tags: [WORDS[n % 19], WORDS[(n + 1) % 19]], nested: { ok: true, ratio: +rand().toFixed(3) } };
    outputs = [{ output_type: 'display_data', metadata: {}, data: { 'application/json': json, 'text/plain': JSON.stringify(json) } }];
  } else if (kind === 6) {
    lines.push('sum(values)');
    outputs = [{ output_type: 'execute_result', execution_count: count, metadata: {}, data: { 'text/plain': String(Math.floor(rand() * 1e6)) } }];
  } else {
    lines.push('import warnings', 'warnings.warn("slow path")');
    outputs = [{ output_type: 'stream', name: 'stderr', text: `analysis/cell_${n}.py:3: UserWarning: slow path\n  warnings.warn("slow path")\n` }];
  }
  return { source: lines.join('\n'), outputs, count };
}

/** Splits text the way Jupyter saves it: a list of lines, each keeping its newline. */
const splitLines = (text) => text.match(/[^\n]*\n|[^\n]+$/g) ?? [];

/** The notebook: `cells` cells, two in five Markdown, the rest code with outputs. Deterministic for a given seed. */
export function makeBigNotebook({ cells = 1000, seed = 16 } = {}) {
  const rand = random(seed);
  const list = [];
  for (let n = 0; n < cells; n++) {
    const id = `cell-${String(n).padStart(4, '0')}`;
    if (n % 5 === 0 || n % 5 === 3) {
      list.push({ id, cell_type: 'markdown', metadata: {}, source: splitLines(markdownCell(rand, n).md) });
    } else {
      const { source, outputs, count } = codeCell(rand, n);
      const saved = outputs.map((o) => {
        if (o.output_type === 'stream') return { ...o, text: splitLines(o.text) };
        if (o.data?.['text/html']) return { ...o, data: { ...o.data, 'text/html': splitLines(o.data['text/html']) } };
        return o;
      });
      list.push({ id, cell_type: 'code', execution_count: count, metadata: {}, source: splitLines(source), outputs: saved });
    }
  }
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }, language_info: { name: 'python' } },
    cells: list,
  };
}

const ANSI_CLASSES = { 30: 'ansi-black', 31: 'ansi-red', 32: 'ansi-green', 33: 'ansi-yellow', 34: 'ansi-blue', 35: 'ansi-magenta', 36: 'ansi-cyan', 37: 'ansi-white' };

/** ANSI colours as nbconvert writes them: spans with classes. */
function ansiHtml(text) {
  let open = false;
  const out = escape(text).replace(/\u001b\[([\d;]*)m/g, (_, codes) => {
    const color = codes.split(';').map(Number).find((c) => ANSI_CLASSES[c]);
    const close = open ? '</span>' : '';
    open = color !== undefined;
    return open ? `${close}<span class="${ANSI_CLASSES[color]}-fg">` : close;
  });
  return open ? `${out}</span>` : out;
}

const join = (value) => (Array.isArray(value) ? value.join('') : String(value));

function staticOutput(output) {
  if (output.output_type === 'stream') return `<div class="output_area"><pre class="${output.name}">${escape(join(output.text))}</pre></div>`;
  if (output.output_type === 'error') return `<div class="output_area"><pre class="error">${ansiHtml(output.traceback.join('\n'))}</pre></div>`;
  const data = output.data;
  if (data['text/html']) return `<div class="output_area output_html">${join(data['text/html'])}</div>`;
  if (data['image/svg+xml']) return `<div class="output_area output_svg">${join(data['image/svg+xml'])}</div>`;
  if (data['image/png']) return `<div class="output_area output_png"><img src="data:image/png;base64,${data['image/png']}" alt="${escape(join(data['text/plain']))}"></div>`;
  if (data['application/json']) return `<div class="output_area output_json"><pre>${escape(JSON.stringify(data['application/json'], null, 2))}</pre></div>`;
  return `<div class="output_area"><pre>${escape(join(data['text/plain']))}</pre></div>`;
}

/**
 * The same notebook as nbconvert's `--to html` writes it, reduced to its markup: each cell a <div>, the code in a
 * plain <pre>, outputs as <pre>, <img>, tables and SVG, Markdown rendered to HTML. `script` goes at the end of <head>.
 */
export function makeStaticHtml({ cells = 1000, seed = 16, script = '' } = {}) {
  const rand = random(seed);
  const parts = [];
  for (let n = 0; n < cells; n++) {
    if (n % 5 === 0 || n % 5 === 3) {
      parts.push(`<div class="cell text_cell"><div class="rendered_html">${markdownCell(rand, n).html}</div></div>`);
    } else {
      const { source, outputs, count } = codeCell(rand, n);
      parts.push(`<div class="cell code_cell"><div class="input"><div class="prompt">In [${count}]:</div><pre class="input_area">${escape(source)}</pre></div>${outputs.map(staticOutput).join('')}</div>`);
    }
  }
  const style = `body{font:14px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem}
.cell{margin:.5rem 0;padding:.25rem .5rem}.prompt{font:12px monospace;color:#59636e}
pre{font:13px/1.4 ui-monospace,monospace;background:#f6f8fa;padding:.5rem;overflow-x:auto;margin:.25rem 0}
pre.stderr{background:#fff8e5}pre.error{background:#fff0ef}.ansi-red-fg{color:#c4202b}.ansi-green-fg{color:#116329}
table{border-collapse:collapse}td,th{padding:2px 8px;border:1px solid #d1d9e0;text-align:right}.output_html{overflow-x:auto}`;
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>A big notebook (static)</title><style>${style}</style>${script}</head>\n<body>\n${parts.join('\n')}\n</body></html>\n`;
}

// From the command line: writes both files into the given folder.
if (typeof process !== 'undefined' && process.argv?.[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const [{ mkdir, writeFile }, { join: joinPath }] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const dir = process.argv[2] ?? '.';
  const cells = Number(process.argv[3] ?? 1000);
  await mkdir(dir, { recursive: true });
  await writeFile(joinPath(dir, 'notebook.ipynb'), JSON.stringify(makeBigNotebook({ cells }), null, 1));
  await writeFile(joinPath(dir, 'static.html'), makeStaticHtml({ cells }));
}
