import { expect, fixture, fixtureSync, html, nextFrame, oneEvent, waitUntil } from '@open-wc/testing';
import { emulateMedia, sendKeys } from '@web/test-runner-commands';
import '../../components/bento-output-area/bento-output-area.ts';
import type { BentoOutputArea } from '../../components/bento-output-area/bento-output-area.ts';
import { makeMessage, type IOPubMessage, type JSONObject, type MimeBundle } from '../../src/kernel/protocol.ts';
import type { Output } from '../../src/notebook/nbformat.ts';
import { OutputModel } from '../../src/notebook/output-model.ts';
import { allElements, pyodideKernelForSuite, run } from '../helpers.ts';

const PNG_1x1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

declare global {
  interface Window {
    __bentoPwned?: string;
  }
}

const stream = (text: string, name: 'stdout' | 'stderr' = 'stdout'): Output => ({ output_type: 'stream', name, text });
const display = (data: MimeBundle, metadata: JSONObject = {}): Output => ({ output_type: 'display_data', data, metadata });
const streamMessage = (text: string) => makeMessage('stream', { name: 'stdout', text }, { session: 't', channel: 'iopub' }) as IOPubMessage;

async function area(outputs: Output[]): Promise<BentoOutputArea> {
  return fixture<BentoOutputArea>(html`<bento-output-area .outputs=${outputs}></bento-output-area>`);
}

function shadow(el: BentoOutputArea): ShadowRoot {
  return el.shadowRoot!;
}

/** The shadow root holding one sanitized output (HTML, SVG, Markdown). */
function sandboxRoot(el: BentoOutputArea, index = 0): ShadowRoot {
  const hosts = shadow(el).querySelectorAll('.sandbox-root');
  return hosts[index].shadowRoot!;
}

function assertInert(root: ParentNode) {
  const elements = allElements(root);
  const tags = elements.map((e) => e.localName);
  for (const tag of ['script', 'iframe', 'object', 'embed', 'form', 'frame', 'base', 'meta', 'link']) expect(tags).not.to.include(tag);
  for (const e of elements) {
    for (const attribute of e.attributes) {
      expect(attribute.name.startsWith('on'), `${e.localName} has ${attribute.name}`).to.be.false;
      expect(attribute.value.replace(/\s/g, '').toLowerCase(), `${e.localName} ${attribute.name}`).not.to.contain('javascript:');
    }
  }
}

/** Gives an attack every chance to run: images fail to load, frames paint, event loop turns. */
async function settle() {
  for (let i = 0; i < 5; i++) {
    await nextFrame();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** What `root` showed at its first render, before any later task (such as a chunk arriving) could change it. */
function firstRender<T>(root: ShadowRoot, read: (root: ShadowRoot) => T): Promise<T> {
  return new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      observer.disconnect();
      resolve(read(root));
    });
    observer.observe(root, { childList: true, subtree: true, characterData: true });
  });
}

describe('<bento-output-area>', () => {
  afterEach(() => {
    delete window.__bentoPwned;
  });

  // First in this file: the sanitizer (a chunk of its own) has not been loaded yet.
  it('shows an HTML output as its plain text until the sanitizer has arrived, never as markup', async () => {
    const el = fixtureSync<BentoOutputArea>(
      html`<bento-output-area .outputs=${[display({ 'text/html': '<b>bold</b><img src="data:," onerror="window.__bentoPwned = \'early\'">', 'text/plain': 'plain fallback' })]}></bento-output-area>`,
    );
    const first = await firstRender(shadow(el), (root) => ({
      pending: root.querySelector('.output.pending') !== null,
      text: root.querySelector('.output')?.textContent?.trim(),
      markup: root.querySelectorAll('.output b, .output img, .sandbox-root').length,
    }));
    expect(first).to.deep.equal({ pending: true, text: 'plain fallback', markup: 0 });
    await el.updateComplete;
    expect(shadow(el).querySelector('.output.pending')).to.equal(null);
    expect(sandboxRoot(el).querySelector('b')?.textContent).to.equal('bold');
    assertInert(shadow(el));
    await settle();
    expect(window.__bentoPwned).to.equal(undefined);
  });

  it('shows nothing at all without outputs', async () => {
    const el = await area([]);
    expect(shadow(el).querySelector('.outputs')).to.equal(null);
  });

  it('shows streams as text, stderr distinctly, inside a labelled region', async () => {
    const el = await fixture<BentoOutputArea>(
      html`<bento-output-area label="Output of cell 3" .outputs=${[stream('hello\n'), stream(['warn', 'ing\n'] as unknown as string, 'stderr')]}></bento-output-area>`,
    );
    const region = shadow(el).querySelector('[role="region"]')!;
    expect(region.getAttribute('aria-label')).to.equal('Output of cell 3');
    const outputs = shadow(el).querySelectorAll('[part~="output"]');
    expect(outputs).to.have.length(2);
    expect(outputs[0].getAttribute('part')).to.equal('output stream');
    expect(outputs[0].querySelector('pre')!.textContent).to.equal('hello\n');
    expect(outputs[1].getAttribute('part')).to.equal('output stream stderr');
    expect(outputs[1].textContent).to.contain('warning');
    expect(getComputedStyle(outputs[1]).backgroundColor).not.to.equal(getComputedStyle(outputs[0]).backgroundColor);
  });

  it('shows ANSI colours as styled spans that follow the theme tokens', async () => {
    const wrapper = await fixture<HTMLDivElement>(html`<div>
      <bento-output-area .outputs=${[stream('\x1b[31mred\x1b[0m and \x1b[1;32mbold green\x1b[0m <b>not bold</b>\n')]}></bento-output-area>
    </div>`);
    const el = wrapper.querySelector('bento-output-area')!;
    const red = shadow(el).querySelector('span.ansi-fg-red')!;
    expect(red.textContent).to.equal('red');
    expect(getComputedStyle(red).color).to.equal('rgb(196, 32, 43)');
    const green = shadow(el).querySelector('span.ansi-fg-green.ansi-bold')!;
    expect(green.textContent).to.equal('bold green');
    expect(getComputedStyle(green).fontWeight).to.equal('700');
    expect(shadow(el).querySelector('pre b')).to.equal(null);
    expect(shadow(el).querySelector('pre')!.textContent).to.equal('red and bold green <b>not bold</b>\n');
    wrapper.style.setProperty('--bento-ansi-red', 'rgb(1, 2, 3)');
    expect(getComputedStyle(red).color).to.equal('rgb(1, 2, 3)');
  });

  it('chooses the richest MIME type; widgets fall through to the next type offered', async () => {
    const el = await area([
      display({ 'text/plain': 'plain', 'image/png': PNG_1x1, 'text/html': '<b>rich</b>' }),
      display({ 'application/vnd.jupyter.widget-view+json': { model_id: 'abc' }, 'text/plain': 'IntSlider(value=3)' }),
      display({ 'application/x-unknown': 'x' }),
    ]);
    expect(sandboxRoot(el).querySelector('b')!.textContent).to.equal('rich');
    expect(shadow(el).querySelector('img')).to.equal(null);
    const outputs = shadow(el).querySelectorAll('[part~="output"]');
    expect(outputs[1].querySelector('pre')!.textContent).to.equal('IntSlider(value=3)');
    expect(outputs[2].textContent).to.contain('no format Bento Lite can show');
  });

  it('marks execute results and display data with their parts', async () => {
    const el = await area([
      { output_type: 'execute_result', data: { 'text/plain': '42' }, metadata: {}, execution_count: 1 },
      display({ 'text/plain': 'shown' }),
    ]);
    expect(shadow(el).querySelector('[part~="result"]')!.textContent).to.contain('42');
    expect(shadow(el).querySelector('[part~="display"]')!.textContent).to.contain('shown');
  });

  it('sanitizes HTML: nothing executes and dangerous markup is gone', async () => {
    const attack = [
      '<p id="kept">kept <b>bold</b></p>',
      `<img id="broken" src="data:,not-an-image" onerror="window.__bentoPwned='img'">`,
      `<script>window.__bentoPwned='script'</script>`,
      `<a id="js-link" href="javascript:window.__bentoPwned='link'">link</a>`,
      `<a id="web-link" href="https://example.com/">web</a>`,
      `<iframe srcdoc="<script>parent.__bentoPwned='srcdoc'</script>"></iframe>`,
      `<iframe src="javascript:parent.__bentoPwned='iframe'"></iframe>`,
      `<object data="javascript:window.__bentoPwned='object'"></object><embed src="javascript:window.__bentoPwned='embed'">`,
      `<form action="https://example.com/steal"><input name="q"><button formaction="javascript:window.__bentoPwned='form'">go</button></form>`,
      `<div id="clickable" onclick="window.__bentoPwned='click'">click me</div>`,
      `<svg><animate onbegin="window.__bentoPwned='animate'" attributeName="x" dur="1s"/></svg>`,
      `<math><mtext><table><mglyph><style><img src=x onerror="window.__bentoPwned='mxss'">`,
      `<meta http-equiv="refresh" content="0;url=javascript:window.__bentoPwned='meta'"><base href="https://example.com/">`,
    ].join('\n');
    const el = await area([display({ 'text/html': attack, 'text/plain': 'fallback' })]);
    const root = sandboxRoot(el);
    await waitUntil(() => (root.querySelector('#broken') as HTMLImageElement).complete, 'the broken image should finish loading');
    (root.querySelector('#js-link') as HTMLElement).click();
    (root.querySelector('#clickable') as HTMLElement).click();
    await settle();
    expect(window.__bentoPwned).to.equal(undefined);
    assertInert(shadow(el));
    expect(root.querySelector('#kept')!.textContent).to.equal('kept bold');
    expect(root.querySelector('#js-link')!.hasAttribute('href')).to.be.false;
    const web = root.querySelector('#web-link')!;
    expect(web.getAttribute('href')).to.equal('https://example.com/');
    expect(web.getAttribute('target')).to.equal('_blank');
    expect(web.getAttribute('rel')).to.equal('noopener noreferrer');
    expect(root.querySelector('input')).not.to.equal(null);
  });

  it('keeps an output’s <style> inside that output', async () => {
    const wrapper = await fixture<HTMLDivElement>(html`<div>
      <p id="page-paragraph">page</p>
      <bento-output-area
        .outputs=${[
          display({ 'text/html': '<style>p { color: rgb(255, 0, 0); } button { display: none; }</style><p>styled</p>' }),
          display({ 'text/markdown': 'plain paragraph' }),
          stream(Array.from({ length: 3000 }, (_, i) => `${i}\n`).join('')),
        ]}
      ></bento-output-area>
    </div>`);
    const el = wrapper.querySelector('bento-output-area')!;
    expect(getComputedStyle(sandboxRoot(el, 0).querySelector('p')!).color).to.equal('rgb(255, 0, 0)');
    expect(getComputedStyle(sandboxRoot(el, 1).querySelector('p')!).color).not.to.equal('rgb(255, 0, 0)');
    expect(getComputedStyle(wrapper.querySelector('#page-paragraph')!).color).not.to.equal('rgb(255, 0, 0)');
    expect(getComputedStyle(shadow(el).querySelector('[part="show-all"]')!).display).not.to.equal('none');
  });

  it('keeps HTML that positions itself fixed inside its own box', async () => {
    const el = await area([display({ 'text/html': '<div id="overlay" style="position: fixed; inset: 0; background: red">overlay</div><p>text</p>' })]);
    const box = shadow(el).querySelector('.sandbox')!.getBoundingClientRect();
    const overlay = sandboxRoot(el).querySelector('#overlay')!.getBoundingClientRect();
    expect(overlay.top).to.be.at.least(box.top);
    expect(overlay.left).to.be.at.least(box.left);
    expect(overlay.bottom).to.be.at.most(box.bottom + 1);
    expect(overlay.height).to.be.lessThan(window.innerHeight);
  });

  it('sanitizes SVG inline: no script, no event handlers, no javascript: links', async () => {
    const svg = `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" onload="window.__bentoPwned='onload'">
      <script>window.__bentoPwned='svg-script'</script>
      <a href="javascript:window.__bentoPwned='svg-link'"><text id="label" x="1" y="10">t</text></a>
      <circle id="dot" r="5" cx="10" cy="10" fill="blue"/>
    </svg>`;
    const el = await area([display({ 'image/svg+xml': svg, 'text/plain': '<SVG>' })]);
    const root = sandboxRoot(el);
    (root.querySelector('#label') as unknown as HTMLElement).dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await settle();
    expect(window.__bentoPwned).to.equal(undefined);
    expect(root.querySelector('svg')).not.to.equal(null);
    expect(root.querySelector('#dot')!.getAttribute('fill')).to.equal('blue');
    assertInert(shadow(el));
  });

  it('renders Markdown, sanitized', async () => {
    const md = `# Title\n\nSome **bold** and [a bad link](javascript:window.__bentoPwned='md') <img src="data:,not-an-image" onerror="window.__bentoPwned='md-img'">\n\n- one\n- two`;
    const el = await area([display({ 'text/markdown': md })]);
    const root = sandboxRoot(el);
    await waitUntil(() => root.querySelector('img')?.complete, 'the broken image should finish loading');
    await settle();
    expect(window.__bentoPwned).to.equal(undefined);
    expect(root.querySelector('h1')!.textContent).to.equal('Title');
    expect(root.querySelector('strong')!.textContent).to.equal('bold');
    expect(root.querySelectorAll('li')).to.have.length(2);
    assertInert(shadow(el));
  });

  it('shows PNG and JPEG as images with their size and alt text', async () => {
    const el = await area([
      display({ 'image/png': PNG_1x1, 'text/plain': '<Figure size 640x480 with 1 Axes>' }, { 'image/png': { width: 10, height: 12 } }),
      display({ 'image/jpeg': `${PNG_1x1.slice(0, 40)}\n${PNG_1x1.slice(40)}` }),
      display({ 'image/png': '"><script>window.__bentoPwned=1</script>' }),
    ]);
    const images = shadow(el).querySelectorAll('img');
    expect(images).to.have.length(2);
    expect(images[0].getAttribute('src')).to.equal(`data:image/png;base64,${PNG_1x1}`);
    expect(images[0].getAttribute('width')).to.equal('10');
    expect(images[0].getAttribute('height')).to.equal('12');
    expect(images[0].alt).to.equal('<Figure size 640x480 with 1 Axes>');
    expect(images[1].getAttribute('src')).to.equal(`data:image/jpeg;base64,${PNG_1x1}`);
    expect(images[1].alt).to.equal('Image output');
    await waitUntil(() => images[0].complete && images[0].naturalWidth === 1, 'the PNG should decode');
    expect(shadow(el).querySelectorAll('[part~="output"]')[2].textContent).to.contain('not valid base64');
  });

  it('shows LaTeX source without its delimiters', async () => {
    const el = await area([
      display({ 'text/latex': '$$\\frac{a}{b}$$', 'text/plain': 'fraction' }),
      display({ 'text/latex': '$\\alpha$' }),
      display({ 'text/latex': '\\begin{align} x \\end{align}' }),
    ]);
    const blocks = [...shadow(el).querySelectorAll('pre.latex')].map((p) => p.textContent);
    expect(blocks).to.deep.equal(['\\frac{a}{b}', '\\alpha', '\\begin{align} x \\end{align}']);
  });

  it('shows JSON as a collapsible tree that opens by keyboard', async () => {
    const el = await area([display({ 'application/json': { a: [1, 'two', { b: null }], c: true } })]);
    const root = shadow(el).querySelector('.json > details') as HTMLDetailsElement;
    expect(root.open).to.be.true;
    expect(root.querySelector('summary')!.textContent).to.equal('Object {2 keys}');
    const nested = root.querySelector('.json-children > details') as HTMLDetailsElement;
    expect(nested.open).to.be.false;
    expect(nested.querySelector('summary')!.textContent).to.equal('a: Array(3)');
    const leaf = [...root.querySelectorAll(':scope > .json-children > .json-leaf')].map((e) => e.textContent);
    expect(leaf).to.deep.equal(['c: true']);
    nested.querySelector('summary')!.focus();
    const toggled = oneEvent(nested, 'toggle');
    await sendKeys({ press: 'Enter' });
    await toggled;
    expect(nested.open).to.be.true;
    const items = [...nested.querySelectorAll(':scope > .json-children > *')].map((e) => e.textContent);
    expect(items).to.deep.equal(['0: 1', '1: "two"', '2: Object {1 key}']);
    // Styled by the tree's own sheet, which its chunk adds to the output area's shadow root.
    const children = getComputedStyle(root.querySelector('.json-children')!);
    expect(children.borderInlineStartStyle).to.equal('solid');
    expect(getComputedStyle(shadow(el).querySelector('.json')!).fontFamily).to.contain('monospace');
  });

  it('expands the whole JSON tree when the metadata says expanded, and pages long arrays', async () => {
    const el = await area([
      display({ 'application/json': { deep: { deeper: [1] } } }, { 'application/json': { expanded: true } }),
      display({ 'application/json': Array.from({ length: 1200 }, (_, i) => i) }),
    ]);
    const trees = shadow(el).querySelectorAll('.json');
    expect([...trees[0].querySelectorAll('details')].every((d) => (d as HTMLDetailsElement).open)).to.be.true;
    expect(trees[0].textContent).to.contain('0: 1');
    const list = trees[1].querySelector('.json-children')!;
    expect(list.querySelectorAll(':scope > .json-leaf')).to.have.length(500);
    const more = list.querySelector('button')!;
    expect(more.textContent).to.equal('Show 500 more of 700');
    more.click();
    expect(more.isConnected).to.be.false;
    expect(list.querySelectorAll(':scope > .json-leaf')).to.have.length(1000);
    list.querySelector('button')!.click();
    expect(list.querySelectorAll(':scope > .json-leaf')).to.have.length(1200);
    expect(list.querySelector('button')).to.equal(null);
  });

  it('never runs JavaScript outputs: shows their source with a note', async () => {
    const el = await area([display({ 'application/javascript': "window.__bentoPwned = 'js';", 'text/plain': '<IPython.core.display.Javascript object>' })]);
    await settle();
    expect(window.__bentoPwned).to.equal(undefined);
    expect(shadow(el).querySelector('.javascript-source')!.textContent).to.equal("window.__bentoPwned = 'js';");
    expect(shadow(el).querySelector('.javascript-note')!.textContent).to.contain('never runs');
  });

  it('shows errors as alerts, name and value emphasised, traceback in colour', async () => {
    const el = await area([
      {
        output_type: 'error',
        ename: 'ZeroDivisionError',
        evalue: 'division by zero',
        traceback: ['\x1b[0;31m---------------------------------------------------------------------------\x1b[0m', '\x1b[0;31mZeroDivisionError\x1b[0m: division by zero'],
      },
    ]);
    const error = shadow(el).querySelector('[part~="error"]')!;
    const alert = error.querySelector('[role="alert"]')!;
    expect(alert.querySelector('strong')!.textContent).to.equal('ZeroDivisionError');
    expect(alert.textContent!.replace(/\s+/g, ' ').trim()).to.equal('ZeroDivisionError: division by zero');
    expect(error.querySelectorAll('pre span.ansi-fg-red')).to.have.length(2);
    expect(error.querySelector('pre')!.textContent).to.contain('ZeroDivisionError: division by zero');
  });

  it('truncates long text to its head and tail, with a button that shows all of it', async () => {
    const text = Array.from({ length: 5000 }, (_, i) => `line ${String(i + 1).padStart(5, '0')}\n`).join('');
    const el = await area([stream(text)]);
    const content = () => shadow(el).querySelector('[part~="stream"]')!.textContent!;
    expect(content()).to.contain('line 00001\n');
    expect(content()).to.contain('line 01000\n');
    expect(content()).not.to.contain('line 02500');
    expect(content()).to.contain('line 05000\n');
    const button = shadow(el).querySelector<HTMLButtonElement>('[part="show-all"]')!;
    expect(button.textContent!.trim()).to.equal('Show all (5,000 lines)');
    button.click();
    await el.updateComplete;
    expect(shadow(el).querySelector('[part="show-all"]')).to.equal(null);
    expect(shadow(el).querySelectorAll('pre')).to.have.length(1);
    expect(shadow(el).querySelector('pre')!.textContent).to.equal(text);
  });

  it('truncates one enormous line by characters', async () => {
    const el = await area([{ output_type: 'execute_result', data: { 'text/plain': 'x'.repeat(2 * 1024 * 1024) }, metadata: {}, execution_count: 1 }]);
    const shown = [...shadow(el).querySelectorAll('pre')].map((p) => p.textContent!.length).reduce((a, b) => a + b, 0);
    expect(shown).to.be.at.most(200_000);
    expect(shadow(el).querySelector('[part="show-all"]')!.textContent!.trim()).to.equal('Show all (1 line, 2.0 MB)');
  });

  it('follows a live model, keeping the DOM of text that did not change as a cell prints 100,000 lines', async () => {
    const model = new OutputModel();
    const el = await fixture<BentoOutputArea>(html`<bento-output-area .model=${model}></bento-output-area>`);
    const lines = (from: number, count: number) => Array.from({ length: count }, (_, i) => `line ${String(from + i).padStart(6, '0')}\n`).join('');
    model.apply(streamMessage(lines(0, 3000)));
    await el.updateComplete;
    const firstLine = [...shadow(el).querySelectorAll('pre .block')].find((n) => n.textContent!.includes('line 000000'))!;
    expect(firstLine).not.to.equal(undefined);
    for (let batch = 0; batch < 970; batch++) {
      model.apply(streamMessage(lines(3000 + batch * 100, 100)));
      if (batch % 100 === 0) await el.updateComplete;
    }
    await el.updateComplete;
    expect(firstLine.isConnected, 'the first block should be kept, not rendered again').to.be.true;
    expect(shadow(el).querySelector('[part="show-all"]')!.textContent!.trim()).to.equal('Show all (100,000 lines)');
    const text = shadow(el).querySelector('[part~="stream"]')!.textContent!;
    expect(text).to.contain('line 099999\n');
    expect(text.length).to.be.lessThan(250_000);
    model.clear();
    await el.updateComplete;
    expect(shadow(el).querySelector('[part~="stream"]')).to.equal(null);
  });

  it('shows that earlier stream text was dropped to bound memory', async () => {
    const model = new OutputModel({ streamTextLimit: 1000 });
    model.apply(streamMessage(Array.from({ length: 300 }, (_, i) => `${i}\n`).join('')));
    const el = await fixture<BentoOutputArea>(html`<bento-output-area .model=${model}></bento-output-area>`);
    expect(shadow(el).querySelector('[part="notice"]')!.textContent).to.match(/Earlier output was dropped to save memory: [\d,]+ lines/);
  });

  it('sanitizes a rich output once, and keeps its DOM while other outputs change', async () => {
    const rich = display({ 'text/html': '<details><summary>more</summary>inside</details>' });
    const el = await area([rich]);
    const before = shadow(el).querySelector('.sandbox');
    (sandboxRoot(el).querySelector('details') as HTMLDetailsElement).open = true;
    el.outputs = [rich, stream('next\n')];
    await el.updateComplete;
    expect(shadow(el).querySelector('.sandbox')).to.equal(before);
    expect((sandboxRoot(el).querySelector('details') as HTMLDetailsElement).open).to.be.true;
  });

  it('shows the first and last of very many outputs, and all of them on request', async () => {
    const outputs = Array.from({ length: 1500 }, (_, i) => display({ 'text/plain': `out ${i}` }));
    const el = await area(outputs);
    expect(shadow(el).querySelectorAll('[part~="output"]')).to.have.length(1000);
    const button = shadow(el).querySelector<HTMLButtonElement>('[part="show-all"]')!;
    expect(button.textContent!.trim()).to.equal('Show all (1,500 outputs)');
    button.click();
    await el.updateComplete;
    expect(shadow(el).querySelectorAll('[part~="output"]')).to.have.length(1500);
  });

  it('is light by default, dark under prefers-color-scheme: dark, and themed by tokens', async () => {
    const el = await area([stream('x\n')]);
    expect(getComputedStyle(el).backgroundColor).to.equal('rgb(255, 255, 255)');
    await emulateMedia({ colorScheme: 'dark' });
    try {
      expect(getComputedStyle(el).backgroundColor).to.equal('rgb(13, 17, 23)');
      el.style.setProperty('--bento-color-surface-raised', 'rgb(10, 20, 30)');
      expect(getComputedStyle(el).backgroundColor).to.equal('rgb(10, 20, 30)');
    } finally {
      await emulateMedia({ colorScheme: 'light' });
    }
  });

  it('is accessible', async () => {
    const long = Array.from({ length: 3000 }, (_, i) => `\x1b[32m${i}\x1b[0m\n`).join('');
    const el = await area([
      stream('plain \x1b[31mred\x1b[0m \x1b[34mblue\x1b[0m\n'),
      stream('warning\n', 'stderr'),
      stream(long),
      display({ 'text/html': '<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>' }),
      display({ 'image/png': PNG_1x1, 'text/plain': 'a dot' }),
      display({ 'application/json': { a: [1, 2] } }),
      display({ 'text/markdown': '## Heading\n\ntext' }),
      display({ 'text/latex': '$x^2$' }),
      display({ 'application/javascript': 'console.log(1)' }),
      { output_type: 'error', ename: 'ValueError', evalue: 'bad', traceback: ['\x1b[0;31mValueError\x1b[0m: bad'] },
    ]);
    await expect(el).to.be.accessible();
  });
});

describe('<bento-output-area> with the Pyodide kernel', () => {
  const suite = pyodideKernelForSuite();

  it('renders what a real cell prints, displays and raises', async () => {
    const model = new OutputModel();
    const el = await fixture<BentoOutputArea>(html`<bento-output-area .model=${model}></bento-output-area>`);
    await run(suite.kernel, 'from IPython.display import display, HTML\nprint("\\x1b[32mgreen\\x1b[0m")\ndisplay(HTML("<i onclick=\\"alert(1)\\">italic</i>"))\n1/0', {
      onIOPub: (m) => model.apply(m),
    });
    await el.updateComplete;
    expect(shadow(el).querySelector('[part~="stream"] span.ansi-fg-green')!.textContent).to.equal('green');
    const italic = sandboxRoot(el).querySelector('i')!;
    expect(italic.textContent).to.equal('italic');
    expect(italic.hasAttribute('onclick')).to.be.false;
    const error = shadow(el).querySelector('[part~="error"]')!;
    expect(error.querySelector('[role="alert"] strong')!.textContent).to.equal('ZeroDivisionError');
    expect(error.querySelector('pre')!.textContent).to.contain('----> 4 1/0');
    expect(error.querySelectorAll('pre span[class^="ansi-"]').length).to.be.greaterThan(0);
  });
});
