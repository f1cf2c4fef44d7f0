// Untrusted outputs and Markdown: payloads generated from a grammar of dangerous bits (script, event handlers,
// javascript: URLs, embedded documents, refreshes, base URLs, forms, SVG animation of href, CSS url(), Markdown links
// and images, OSC 8 hyperlinks...) in every kind of output and in a Markdown cell of a notebook opened with load().
// Nothing may run, nothing may navigate, and nothing may be fetched. Each payload URL names its case and its bit
// (`/beacon/<case>/<bit>`), so a failure says which bit did it; fast-check prints the seed and path to replay it.
import { expect, fixture, html } from '@open-wc/testing';
import fc from 'fast-check';
import '../../components/bento-notebook/bento-notebook.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { allElements, testRuntimeOptions } from '../helpers.ts';

declare global {
  interface Window {
    __pwned?: number;
  }
}

/** One dangerous bit: `{PWN}` is script that records the case if it runs, `{URL}` a beacon URL, `{N}` the case. */
interface Bit {
  label: string;
  template: string;
}

const bits = (kind: string, entries: Record<string, string>): Bit[] => Object.entries(entries).map(([label, template]) => ({ label: `${kind}-${label}`, template }));

const HTML_BITS = bits('html', {
  script: '<script>{PWN}</script>',
  'script-src': '<script src="{URL}"></script>',
  'img-onerror': '<img src="x" onerror="{PWN}">',
  'img-src': '<img src="{URL}">',
  'img-srcset': '<img srcset="{URL} 2x">',
  'picture-source': '<picture><source srcset="{URL}"><img alt="p"></picture>',
  'svg-onload': '<svg onload="{PWN}"></svg>',
  'details-ontoggle': '<details open ontoggle="{PWN}"><summary>s</summary></details>',
  'input-onfocus': '<input autofocus onfocus="{PWN}">',
  'body-onload': '<body onload="{PWN}">',
  'a-javascript': '<a href="javascript:{PWN}">j</a>',
  'a-javascript-entity': '<a href="jav&#x61;script&colon;{PWN}">e</a>',
  'a-javascript-space': '<a href=" &#14; javascript:{PWN}">s</a>',
  'a-ping': '<a href="#x" ping="{URL}">p</a>',
  'area-javascript': '<map name="m{N}"><area shape="rect" coords="0,0,9,9" href="javascript:{PWN}"></map>',
  'iframe-srcdoc': '<iframe srcdoc="<script>{PWN}</script>"></iframe>',
  'iframe-srcdoc-escaped': '<iframe srcdoc="&lt;img src=x onerror={PWN}&gt;"></iframe>',
  'iframe-src': '<iframe src="{URL}"></iframe>',
  'iframe-javascript': '<iframe src="javascript:{PWN}"></iframe>',
  'meta-refresh': '<meta http-equiv="refresh" content="0;url={URL}">',
  'meta-refresh-javascript': '<meta http-equiv="refresh" content="0;url=javascript:{PWN}">',
  'base-href': '<base href="{URL}/"><img src="relative.png">',
  'form-action': '<form action="{URL}"><input name="q" value="1"><button>go</button></form>',
  'button-formaction': '<button formaction="javascript:{PWN}">go</button>',
  'object-data': '<object data="{URL}"></object>',
  'embed-src': '<embed src="{URL}">',
  'link-stylesheet': '<link rel="stylesheet" href="{URL}">',
  'link-prefetch': '<link rel="prefetch" href="{URL}">',
  'style-import': '<style>@import "{URL}";</style>',
  'style-url': '<style>.b{N} { background: url("{URL}") }</style><div class="b{N}">b</div>',
  'style-font-face': '<style>@font-face { font-family: f{N}; src: url("{URL}") } .f{N} { font-family: f{N} }</style><p class="f{N}">f</p>',
  'style-attribute-url': '<div style="background-image: url({URL})">u</div>',
  'style-attribute-escape': '<div style="background: u\\72l({URL})">e</div>',
  'style-image-set': `<div style="background-image: image-set('{URL}' 1x)">i</div>`,
  'css-expression': '<div style="width: expression({PWN})">x</div>',
  'video-poster': '<video poster="{URL}"></video>',
  'audio-src': '<audio src="{URL}" autoplay></audio>',
  'video-source': '<video><source src="{URL}"></video>',
  'input-image': '<input type="image" src="{URL}">',
  'table-background': '<table background="{URL}"><tr><td>t</td></tr></table>',
  'mxss-math': '<math><mtext><table><mglyph><style><img src=x onerror="{PWN}">',
  'mxss-noscript': '<noscript><p title="</noscript><img src=x onerror={PWN}>"></noscript>',
  template: '<template><script>{PWN}</script></template>',
  comment: '<!--<img src=x onerror="{PWN}">-->',
  xmp: '<xmp><img src=x onerror="{PWN}"></xmp>',
  portal: '<portal src="{URL}"></portal>',
  'img-svg-data': `<img src="data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' onload='{PWN}'/>">`,
});

const SVG_BITS = bits('svg', {
  script: '<svg xmlns="http://www.w3.org/2000/svg"><script>{PWN}</script></svg>',
  'script-href': '<svg xmlns="http://www.w3.org/2000/svg"><script href="{URL}"></script></svg>',
  onload: '<svg xmlns="http://www.w3.org/2000/svg" onload="{PWN}"><rect width="5" height="5"/></svg>',
  'animate-href': '<svg xmlns="http://www.w3.org/2000/svg"><a><animate attributeName="href" values="javascript:{PWN}"/><text x="0" y="10">a</text></a></svg>',
  'set-href': '<svg xmlns="http://www.w3.org/2000/svg"><a><set attributeName="href" to="javascript:{PWN}"/><text x="0" y="10">s</text></a></svg>',
  'animate-onbegin': '<svg xmlns="http://www.w3.org/2000/svg"><animate onbegin="{PWN}" attributeName="x" dur="1s"/></svg>',
  'foreign-object': '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject width="9" height="9"><img src="x" onerror="{PWN}"></foreignObject></svg>',
  'use-data': `<svg xmlns="http://www.w3.org/2000/svg"><use href="data:image/svg+xml,&lt;svg id='x' xmlns='http://www.w3.org/2000/svg'&gt;&lt;image href='x' onerror='{PWN}'/&gt;&lt;/svg&gt;#x"/></svg>`,
  'use-remote': '<svg xmlns="http://www.w3.org/2000/svg"><use href="{URL}#x"/></svg>',
  image: '<svg xmlns="http://www.w3.org/2000/svg"><image href="{URL}" width="9" height="9"/></svg>',
  'image-xlink': '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="{URL}" width="9" height="9"/></svg>',
  'fe-image': '<svg xmlns="http://www.w3.org/2000/svg"><filter id="f{N}"><feImage href="{URL}"/></filter><rect filter="url(#f{N})" width="5" height="5"/></svg>',
  style: '<svg xmlns="http://www.w3.org/2000/svg"><style>rect { fill: url("{URL}") }</style><rect width="5" height="5"/></svg>',
  'handler-attribute': '<svg xmlns="http://www.w3.org/2000/svg"><rect width="5" height="5" onmouseover="{PWN}"/></svg>',
  'a-javascript': '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="javascript:{PWN}"><text y="9">x</text></a></svg>',
});

const MARKDOWN_BITS = bits('md', {
  'link-javascript': '[x{N}](javascript:{PWN})',
  'link-javascript-entity': '[x](jav&#x61;script:{PWN})',
  'link-javascript-escaped': '[x](javascript&#58;{PWN})',
  'link-url': '[x]({URL})',
  image: '![i]({URL})',
  'image-title': '![i]({URL} "t")',
  'image-angle': '![i](<{URL}>)',
  'reference-image': '![r][r{N}]\n\n[r{N}]: {URL}\n',
  autolink: '<{URL}>',
  'autolink-javascript': '<javascript:{PWN}>',
  'gfm-autolink': 'www.beacon.invalid/beacon/{N}/md-gfm-autolink',
  'raw-img-onerror': '<img src="x" onerror="{PWN}">',
  'raw-img': '<img src="{URL}">',
  'html-block-image': '<div>\n\n![i]({URL})\n\n</div>\n',
  'inline-code': '`<img src=x onerror={PWN}>`',
  'fenced-code': '```html\n<script>{PWN}</script>\n```\n',
  heading: '# <img src=x onerror="{PWN}">\n',
  table: '| a |\n|---|\n| <img src=x onerror="{PWN}"> |\n',
  'table-image': '| a |\n|---|\n| ![i]({URL}) |\n',
  'list-image': '- ![i]({URL})\n- b\n',
  'quote-image': '> ![i]({URL})\n',
  'svg-inline': '<svg><a><set attributeName="href" to="javascript:{PWN}"/><text y="9">s</text></a></svg>',
});

const LATEX_BITS = bits('latex', {
  href: '$$\\href{javascript:{PWN}}{x}$$',
  includegraphics: '\\includegraphics{{URL}}',
  html: '$<img src=x onerror="{PWN}">$',
  url: '\\url{{URL}}',
});

const ANSI_BITS = bits('ansi', {
  'osc8-javascript': '\x1b]8;;javascript:{PWN}\x07click\x1b]8;;\x07',
  'osc8-url': '\x1b]8;;{URL}\x1b\\link\x1b]8;;\x1b\\',
  'osc-title': '\x1b]0;<img src=x onerror="{PWN}">\x07',
  'sgr-html': '\x1b[31m<img src=x onerror="{PWN}">\x1b[0m',
  'sgr-rgb-break-out': '\x1b[38;2;1;2;3);background:url({URL})m x',
  'sgr-256': '\x1b[38;5;999;48;5;-1mx\x1b[0m',
  unterminated: '\x1b[38;2;',
  'csi-html-params': '\x1b["><img src=x onerror={PWN}>m',
});

const ALL_BITS = [...HTML_BITS, ...SVG_BITS, ...MARKDOWN_BITS, ...LATEX_BITS, ...ANSI_BITS];

/** Text around and between the bits: quotes, brackets, half tags, controls, lone surrogates. */
const glue = fc.oneof(
  fc.constantFrom('', ' ', '\n', '\n\n', '"', "'", '<', '>', '</', '<!--', ']]>', '`', '\\', '\u0000', '\uD800', '\uFEFF', '\x1b', '<svg>', '</svg>', '<math>', '<table>', '<p title="'),
  fc.string({ maxLength: 12 }),
);
const payload = (pool: Bit[]) => fc.array(fc.tuple(glue, fc.constantFrom(...pool)), { minLength: 1, maxLength: 4 });
type Payload = Array<[string, Bit]>;

/** What a case puts in the notebook: one payload per kind, and where its URLs point (another host, or this one). */
interface Case {
  html: Payload;
  svg: Payload;
  markdown: Payload;
  cellMarkdown: Payload;
  latex: Payload;
  json: Payload;
  ansi: Payload;
  remote: boolean;
}

const anyCase: fc.Arbitrary<Case> = fc.record({
  html: payload(HTML_BITS),
  svg: payload(SVG_BITS),
  markdown: payload([...MARKDOWN_BITS, ...HTML_BITS]),
  cellMarkdown: payload([...MARKDOWN_BITS, ...HTML_BITS, ...SVG_BITS]),
  latex: payload([...LATEX_BITS, ...HTML_BITS]),
  json: payload(ALL_BITS),
  ansi: payload([...ANSI_BITS, ...HTML_BITS]),
  remote: fc.boolean(),
});

function beaconURL(n: number, label: string, remote: boolean): string {
  return `${remote ? 'http://beacon.invalid' : ''}/beacon/${n}/${label}`;
}

/** Script that, if it ever runs, records the case (through `top`, so a frame's script counts too). */
function pwn(n: number, label: string): string {
  return label.length % 2 ? `top.__pwned=${n}` : `top.alert(${n})`;
}

function fill(bit: Bit, n: number, remote: boolean): string {
  return bit.template.replaceAll('{PWN}', pwn(n, bit.label)).replaceAll('{URL}', beaconURL(n, bit.label, remote)).replaceAll('{N}', String(n));
}

function text(parts: Payload, n: number, remote: boolean): string {
  return parts.map(([before, bit]) => before + fill(bit, n, remote)).join('');
}

/** A notebook holding the payloads of a case: every output type, a Markdown cell with attachments, a raw cell. */
function notebookOf(c: Case, n: number): object {
  const t = (parts: Payload) => text(parts, n, c.remote);
  const ansi = t(c.ansi);
  const svgAttachment = t(c.svg);
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      {
        id: 'md',
        cell_type: 'markdown',
        metadata: {},
        source: `${t(c.cellMarkdown)}\n\n![a](attachment:a.svg) ![b](attachment:b.png)`,
        attachments: { 'a.svg': { 'image/svg+xml': svgAttachment }, 'b.png': { 'image/png': `AAAA" onerror="${pwn(n, 'png')}` } },
      },
      {
        id: 'code',
        cell_type: 'code',
        metadata: {},
        source: 'x',
        execution_count: 1,
        outputs: [
          { output_type: 'display_data', metadata: {}, data: { 'text/html': t(c.html), 'text/plain': ansi } },
          { output_type: 'display_data', metadata: {}, data: { 'image/svg+xml': t(c.svg) } },
          { output_type: 'display_data', metadata: {}, data: { 'text/markdown': t(c.markdown) } },
          { output_type: 'display_data', metadata: {}, data: { 'text/latex': t(c.latex) } },
          { output_type: 'execute_result', execution_count: 1, metadata: { 'application/json': { expanded: true } }, data: { 'application/json': { [t(c.json)]: [t(c.json), { html: t(c.html) }] } } },
          { output_type: 'display_data', metadata: {}, data: { 'application/vnd.x+json': t(c.json), 'text/plain': ansi } },
          { output_type: 'stream', name: 'stdout', text: ansi },
          { output_type: 'stream', name: 'stderr', text: t(c.html) },
          { output_type: 'error', ename: t(c.ansi), evalue: t(c.html), traceback: [ansi, t(c.markdown)] },
        ],
      },
      { id: 'raw', cell_type: 'raw', metadata: {}, source: t(c.html) },
    ],
  };
}

/** The notebook's DOM has nothing that could run or embed: no script or frame, no handler, no javascript: URL. */
function expectInert(el: BentoNotebook): void {
  const elements = [...allElements(el), ...allElements(el.shadowRoot!)];
  for (const e of elements) {
    expect(['script', 'iframe', 'frame', 'object', 'embed', 'portal', 'base', 'meta', 'link', 'form'], `a <${e.localName}> is shown`).not.to.include(e.localName);
    for (const attribute of e.attributes) {
      expect(/^on/i.test(attribute.name), `<${e.localName}> has ${attribute.name}`).to.be.false;
      expect(attribute.value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase(), `<${e.localName} ${attribute.name}>`).not.to.contain('javascript:');
    }
  }
}

/** Gives an attack every chance: frames paint, images fail, animations begin, the event loop turns. */
async function settle(turns = 2): Promise<void> {
  for (let i = 0; i < turns; i++) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** Requests to beacon URLs the page made, as `<case>/<bit>`. */
const beacons: string[] = [];
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const at = entry.name.indexOf('/beacon/');
    if (at >= 0) beacons.push(entry.name.slice(at + '/beacon/'.length));
  }
});

const alerts: unknown[] = [];
const navigations: string[] = [];
const errors: string[] = [];
const originalAlert = window.alert;
const originalOpen = window.open;
const onBeforeUnload = () => navigations.push('beforeunload');
const onError = (event: ErrorEvent) => errors.push(`error: ${event.message}`);
const onRejection = (event: PromiseRejectionEvent) => errors.push(`unhandled rejection: ${String(event.reason)}`);
const startURL = location.href;
/** What ran, for the one summary line this file logs. */
const tried = { scriptCases: 0, networkCases: 0, bits: 0 };

/** A notebook whose kernel was shut down before it started: rendering outputs never needs Python. */
async function notebook(): Promise<BentoNotebook> {
  const kernel = new PyodideKernel({ runtime: new PyodideRuntime(testRuntimeOptions()) });
  await kernel.shutdown();
  return fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${kernel}></bento-notebook>`);
}

/** Beacons fetched by now (requests still in flight get a moment to finish), by bit. */
async function fetchedBits(): Promise<string[]> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (const entry of observer.takeRecords()) {
    const at = entry.name.indexOf('/beacon/');
    if (at >= 0) beacons.push(entry.name.slice(at + '/beacon/'.length));
  }
  return [...new Set(beacons.map((beacon) => beacon.split('/')[1]!.split(/[#/]/)[0]!))].sort();
}

describe('fuzz: untrusted outputs and Markdown', () => {
  before(async () => {
    observer.observe({ type: 'resource' });
    window.alert = (...args: unknown[]) => void alerts.push(args);
    window.open = (...args: unknown[]) => {
      navigations.push(`window.open(${String(args[0])})`);
      return null;
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    window.addEventListener('error', onError);
    window.addEventListener('unhandledrejection', onRejection);
    // The detector sees a beacon, on this host and on another: a fetch from a payload would not go unnoticed.
    const probes = [beaconURL(0, 'probe-here', false), beaconURL(0, 'probe-remote', true)].map(
      (url) => new Promise((resolve) => Object.assign(new Image(), { src: url, onload: resolve, onerror: resolve })),
    );
    await Promise.all(probes);
    await fetchedBits();
    expect(beacons, 'the detector saw the probes').to.have.members(['0/probe-here', '0/probe-remote']);
    beacons.length = 0;
  });
  after(() => {
    observer.disconnect();
    window.alert = originalAlert;
    window.open = originalOpen;
    window.removeEventListener('beforeunload', onBeforeUnload);
    window.removeEventListener('error', onError);
    window.removeEventListener('unhandledrejection', onRejection);
    delete window.__pwned;
    console.log(
      `fuzz outputs: ${tried.scriptCases + tried.networkCases} notebooks of generated payloads (9 outputs, a Markdown cell and a raw cell each; ` +
        `${tried.scriptCases} checked for script and navigation, ${tried.networkCases} for fetches) and ${tried.bits} dangerous bits alone: nothing ran, navigated or fetched`,
    );
  });

  it('runs no script and does not navigate: generated HTML, SVG, Markdown, LaTeX, JSON and ANSI payloads', async () => {
    const el = await notebook();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(anyCase, async (c) => {
        n++;
        tried.scriptCases++;
        el.load(notebookOf(c, n));
        await el.updateComplete;
        await settle();
        expectInert(el);
        expect(window.__pwned, 'no payload script ran').to.equal(undefined);
        expect(alerts, 'no payload called alert').to.deep.equal([]);
        expect(location.href, 'the page did not navigate').to.equal(startURL);
        expect(navigations, 'nothing navigated or opened a window').to.deep.equal([]);
      }),
      { seed: 0x5eed0003, numRuns: 200, timeout: 5_000, includeErrorInReport: true },
    );
    // Script that would run late (a failed image, an animation that begins) names its case.
    await settle(10);
    expect(window.__pwned, 'no payload script ran (the number is its case)').to.equal(undefined);
    expect(alerts, 'no payload called alert').to.deep.equal([]);
    expect(navigations).to.deep.equal([]);
    expect(errors, 'no window error or unhandled rejection').to.deep.equal([]);
  });

  it('fetches nothing for any dangerous bit on its own, on this host or another', async () => {
    beacons.length = 0;
    const el = await notebook();
    const outputs = ALL_BITS.flatMap((bit) =>
      [false, true].map((remote) => {
        const payload = fill(bit, 1_000_000, remote);
        const mime = bit.label.startsWith('svg-') ? 'image/svg+xml' : bit.label.startsWith('md-') ? 'text/markdown' : bit.label.startsWith('latex-') ? 'text/latex' : 'text/html';
        return bit.label.startsWith('ansi-') ? { output_type: 'stream', name: 'stdout', text: payload } : { output_type: 'display_data', metadata: {}, data: { [mime]: payload } };
      }),
    );
    const markdownCells = [...MARKDOWN_BITS, ...HTML_BITS].flatMap((bit, i) =>
      [false, true].map((remote) => ({ id: `md-${i}-${remote}`, cell_type: 'markdown', metadata: {}, source: fill(bit, 1_000_000, remote) })),
    );
    el.load({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [...markdownCells, { id: 'outputs', cell_type: 'code', metadata: {}, source: '', execution_count: 1, outputs }] });
    await el.updateComplete;
    await settle(10);
    expectInert(el);
    expect(window.__pwned).to.equal(undefined);
    expect(await fetchedBits(), 'bits that fetched').to.deep.equal([]);
    tried.bits = outputs.length + markdownCells.length;
  });

  it('fetches nothing from generated payloads in an untrusted notebook', async () => {
    beacons.length = 0;
    const el = await notebook();
    let n = 1_000;
    await fc.assert(
      fc.asyncProperty(anyCase, async (c) => {
        n++;
        tried.networkCases++;
        el.load(notebookOf(c, n));
        await el.updateComplete;
        await settle();
      }),
      { seed: 0x5eed0004, numRuns: 100, timeout: 5_000, includeErrorInReport: true },
    );
    expect(await fetchedBits(), 'bits that fetched').to.deep.equal([]);
  });
});
