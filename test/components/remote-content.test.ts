// An untrusted notebook (loaded from `src`) fetches nothing on load: remote images, CSS url()s and SVG references in
// its outputs and Markdown are blocked, with a placeholder where an image was, unless the page sets
// allow-remote-content. Requests are counted as the browser reports them (Resource Timing), and the DOM is
// searched for any URL left that would be fetched.
import { expect, fixture, html } from '@open-wc/testing';
import '../../components/bento-notebook/bento-notebook.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { allElements, testRuntimeOptions, waitFor } from '../helpers.ts';

const runtime = new PyodideRuntime(testRuntimeOptions());
after(() => runtime.terminate());

/** The test server under another name: another origin, as a tracker's would be. */
const crossOrigin = `${location.protocol}//${location.hostname === '127.0.0.1' ? 'localhost' : '127.0.0.1'}:${location.port}`;
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** A notebook whose Markdown and outputs point at `mark`-tagged URLs, cross-origin and on the page's own server. */
function notebookPointingAt(mark: string) {
  const remote = (n: number) => `${crossOrigin}/docs/demo.png?beacon=${mark}-${n}`;
  const own = (n: number) => `/docs/demo.png?beacon=${mark}-${n}`;
  const display = (data: Record<string, string>) => ({ output_type: 'display_data', data, metadata: {} });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: 'markdown', id: 'md', metadata: {}, source: `# Charts\n\n![remote chart](${remote(1)})\n\n<img src="${own(2)}" alt="own chart">\n\n<span style="color: red; background-image: url('${remote(3)}')">styled</span> [a link](${remote(4)})` },
      {
        cell_type: 'code',
        id: 'code',
        metadata: {},
        execution_count: 1,
        source: 'show()',
        outputs: [
          display({
            'text/html':
              `<style>@import url("${remote(5)}"); .bg { background: url(${remote(6)}) } .esc { background: \\75 rl(${remote(7)}) }</style>` +
              `<div class="bg esc">styled</div><img src="${remote(8)}" alt="html chart" srcset="${remote(9)} 2x"><img src="${PNG}" alt="inline chart">` +
              `<video poster="${own(10)}" src="${own(11)}"></video><table background="${remote(12)}"><tr><td style="background:url(${own(13)})">x</td></tr></table>`,
          }),
          display({
            'image/svg+xml': `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="60" height="20"><image href="${remote(14)}" x="0" y="0" width="20" height="20"/><image xlink:href="${own(15)}" x="20" width="20" height="20"/><use href="${own(16)}#shape"/><rect x="40" width="20" height="20" fill="url(${remote(17)}#g)"/></svg>`,
          }),
          display({ 'text/markdown': `![markdown output](${remote(18)})` }),
        ],
      },
    ],
  };
}

/** Attribute values and (adopted) style sheets under `root` that still name a `mark`-tagged URL (links aside: they fetch on a click). */
function urlsLeft(root: Element, mark: string): string[] {
  const left: string[] = [];
  for (const element of allElements(root)) {
    for (const { name, value } of element.attributes) {
      if (value.includes(`beacon=${mark}`) && !(element.localName === 'a' && name === 'href')) left.push(`${element.localName}[${name}]`);
    }
    const sheets = element.shadowRoot?.adoptedStyleSheets ?? [];
    if (sheets.some((sheet) => [...sheet.cssRules].some((rule) => rule.cssText.includes(`beacon=${mark}`)))) left.push(`${element.localName} style sheet`);
  }
  return left;
}

describe('remote content in an untrusted notebook', () => {
  const requested: string[] = [];
  const observer = new PerformanceObserver((list) => requested.push(...list.getEntries().map((entry) => entry.name)));
  before(() => observer.observe({ type: 'resource' }));
  after(() => observer.disconnect());
  const urls: string[] = [];
  after(() => urls.forEach((url) => URL.revokeObjectURL(url)));

  async function open(mark: string, allow: boolean): Promise<BentoNotebook> {
    const src = URL.createObjectURL(new Blob([JSON.stringify(notebookPointingAt(mark))], { type: 'application/json' }));
    urls.push(src);
    const el = await fixture<BentoNotebook>(
      html`<bento-notebook no-autosave src=${src} ?allow-remote-content=${allow} .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`,
    );
    await waitFor(() => el.cells.length === 2, 'notebook not loaded');
    await el.updateComplete;
    // Each output shows once the sanitizer's chunk is there: the SVG output is the last to render.
    await waitFor(() => allElements(el).some((e) => e.localName === 'svg' && e.querySelector('rect')), 'outputs not rendered');
    return el;
  }

  it('makes no request for images, CSS url()s or SVG references, cross-origin or its own server, and shows placeholders', async () => {
    const blocked = await open('blocked', false);
    // The same content where the page allows it loads its images: by then the blocked copy would have asked too.
    const allowed = await open('allowed', true);
    await waitFor(() => ['allowed-1', 'allowed-2', 'allowed-8', 'allowed-18'].every((mark) => requested.some((url) => url.endsWith(`beacon=${mark}`))), 'allowed images not loaded');

    expect(requested.filter((url) => url.includes('beacon=blocked'))).to.deep.equal([]);
    expect(urlsLeft(blocked, 'blocked')).to.deep.equal([]);
    expect(urlsLeft(allowed, 'allowed')).to.not.deep.equal([]);

    const host = new URL(crossOrigin).host;
    const placeholders = allElements(blocked).filter((e) => e.hasAttribute('aria-label')).map((e) => e.getAttribute('aria-label'));
    expect(placeholders).to.include(`Image "remote chart" from ${host} was not loaded: this notebook may not fetch remote content.`);
    expect(placeholders).to.include(`Image "own chart" from ${location.host} was not loaded: this notebook may not fetch remote content.`);
    expect(placeholders).to.include(`Image "html chart" from ${host} was not loaded: this notebook may not fetch remote content.`);
    expect(placeholders).to.include(`Image "markdown output" from ${host} was not loaded: this notebook may not fetch remote content.`);
    expect(placeholders.filter((label) => label?.startsWith(`An image from`))).to.have.length(2); // the two SVG <image>s
    const markdown = blocked.cells[0].shadowRoot!.textContent!;
    expect(markdown).to.contain(`[Image "remote chart" from ${host} was not loaded`);

    // What fetches nothing stays: data: images, links (opening in a new tab), the rest of the styles.
    const elements = allElements(blocked);
    expect(elements.some((e) => e.localName === 'img' && e.getAttribute('src') === PNG)).to.be.true;
    const link = elements.find((e) => e.localName === 'a' && e.textContent === 'a link')!;
    expect([link.getAttribute('target'), link.getAttribute('rel')]).to.deep.equal(['_blank', 'noopener noreferrer']);
    const span = elements.find((e) => e.localName === 'span' && e.textContent === 'styled');
    expect(span?.getAttribute('style')).to.equal('color: red;');
    await expect(blocked).to.be.accessible({ ignoredRules: ['color-contrast'] });
  });

  it('blocks a notebook given to load() as well, and leaves a notebook the page wrote alone', async () => {
    const el = await fixture<BentoNotebook>(
      html`<bento-notebook no-autosave .kernel=${new PyodideKernel({ runtime })}><bento-cell type="markdown">![page chart](/docs/demo.png?beacon=page-1)</bento-cell></bento-notebook>`,
    );
    await el.updateComplete;
    expect(urlsLeft(el, 'page')).to.deep.equal(['img[src]']);
    el.load(notebookPointingAt('loaded'));
    await el.updateComplete;
    await waitFor(() => allElements(el).some((e) => e.localName === 'svg' && e.querySelector('rect')), 'outputs not rendered');
    expect(urlsLeft(el, 'loaded')).to.deep.equal([]);
  });
});
