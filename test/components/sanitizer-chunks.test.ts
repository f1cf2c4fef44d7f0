// The sanitizer and the full Markdown parser are two chunks (components/shared/sanitize-loader.ts): HTML outputs load
// the sanitizer alone; Markdown beyond what shared/markdown.ts renders loads the parser too. A file of its own, so
// that no other test has loaded either chunk in this page first.
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import '../../components/bento-cell/bento-cell.ts';
import type { BentoCell } from '../../components/bento-cell/bento-cell.ts';
import '../../components/bento-output-area/bento-output-area.ts';
import type { BentoOutputArea } from '../../components/bento-output-area/bento-output-area.ts';
import type { Output } from '../../src/notebook/nbformat.ts';

/** Whether the page has requested a module whose path ends with `name`. */
function requested(name: string): boolean {
  return performance.getEntriesByType('resource').some((entry) => new URL(entry.name).pathname.endsWith(name));
}

function sandboxText(area: BentoOutputArea): string {
  return area.shadowRoot!.querySelector('.sandbox-root')?.shadowRoot?.textContent ?? '';
}

describe('the sanitizer and the Markdown parser load apart', () => {
  it('an HTML output loads the sanitizer without the Markdown parser', async () => {
    expect(requested('/sanitize.ts'), 'nothing loaded the sanitizer before').to.equal(false);
    const outputs: Output[] = [{ output_type: 'display_data', data: { 'text/html': '<table><tr><td>42</td></tr></table>' }, metadata: {} }];
    const area = await fixture<BentoOutputArea>(html`<bento-output-area .outputs=${outputs}></bento-output-area>`);
    await area.updateComplete;
    expect(sandboxText(area)).to.equal('42');
    expect(requested('/sanitize.ts')).to.equal(true);
    expect(requested('/markdown-html.ts')).to.equal(false);
    expect(requested('/marked.esm.js'), 'marked itself').to.equal(false);
  });

  it('Markdown beyond the simple renderer, in an output and in a cell, loads the parser and renders', async () => {
    // Strikethrough is left to marked (shared/markdown.ts).
    const outputs: Output[] = [{ output_type: 'display_data', data: { 'text/markdown': 'gone: ~~old~~ new' }, metadata: {} }];
    const area = await fixture<BentoOutputArea>(html`<bento-output-area .outputs=${outputs}></bento-output-area>`);
    await area.updateComplete;
    expect(area.shadowRoot!.querySelector('.sandbox-root')?.shadowRoot?.querySelector('del')?.textContent).to.equal('old');
    expect(requested('/markdown-html.ts')).to.equal(true);
    expect(requested('/marked.esm.js')).to.equal(true);

    const cell = await fixture<BentoCell>(html`<bento-cell type="markdown"></bento-cell>`);
    cell.source = 'also ~~struck~~';
    await cell.updateComplete;
    await waitUntil(() => cell.shadowRoot!.querySelector('del'), 'the cell renders its Markdown through marked');
    expect(cell.shadowRoot!.querySelector('del')!.textContent).to.equal('struck');
  });
});
