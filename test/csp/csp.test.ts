// The elements run under the strict Content-Security-Policy README asks of a host (scripts/serve.mjs, which the demo
// is served with): a page served under it (web-test-runner.config.mjs, /csp/) runs Python in its worker, a %%sql
// cell on DuckDB-WASM and an HTML output with its own <style>, with no violation of the policy.
import { expect } from '@open-wc/testing';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import { waitFor } from '../helpers.ts';

type PageWindow = Window & { cspViolations: string[] };

/** The test page, served under the policy (web-test-runner.config.mjs, `/csp/`), in a frame that has loaded. */
async function openPageUnderPolicy(): Promise<HTMLIFrameElement> {
  const frame = document.createElement('iframe');
  frame.src = '/csp/test/csp/notebook.html';
  const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  document.body.append(frame);
  await loaded;
  return frame;
}

describe('a page under a strict Content-Security-Policy', () => {
  let frame: HTMLIFrameElement;
  afterEach(() => frame?.remove());

  it('runs a code cell, a %%sql cell and a styled HTML output with no violation', async () => {
    frame = await openPageUnderPolicy();
    const win = frame.contentWindow as PageWindow;
    const notebook = await waitFor(() => win.document.querySelector('bento-notebook') as BentoNotebook | null, 'no notebook');
    await waitFor(() => win.customElements.get('bento-notebook') && notebook.cells.length === 3, 'the notebook did not start');

    const replies = await notebook.runAll();
    expect(replies.map((reply) => reply?.content.status)).to.deep.equal(['ok', 'ok', 'ok']);
    const [code, sql, styled] = notebook.cells;
    expect(JSON.stringify(code.outputs.outputs)).to.contain('45');
    expect(JSON.stringify(sql.outputs.outputs)).to.contain('4 rows');
    const b = await waitFor(() => {
      const area = styled.shadowRoot!.querySelector('bento-output-area')!;
      return area.shadowRoot!.querySelector('.sandbox-root')?.shadowRoot?.querySelector('b');
    }, 'the HTML output did not render');
    // Its <style> and style attribute both apply: the one as an adopted sheet, the other under style-src-attr.
    expect([win.getComputedStyle(b).color, win.getComputedStyle(b).fontSize]).to.deep.equal(['rgb(200, 0, 0)', '20px']);
    expect(win.cspViolations).to.deep.equal([]);
  });

  it('is enforced: an inline script of the page is refused', async () => {
    frame = await openPageUnderPolicy();
    const win = frame.contentWindow as PageWindow & { ranInline?: boolean };
    const script = win.document.createElement('script');
    script.textContent = 'window.ranInline = true;';
    win.document.body.append(script);
    await waitFor(() => win.cspViolations.length > 0, 'no violation reported');
    expect(win.ranInline).to.equal(undefined);
    expect(win.cspViolations[0]).to.match(/^script-src-elem refused inline/);
  });
});
