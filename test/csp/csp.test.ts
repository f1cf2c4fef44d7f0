// The elements run under the strict Content-Security-Policy README asks of a host (scripts/serve.mjs, which the demo
// is served with): a page served under it (web-test-runner.config.mjs, /csp/) runs Python in its worker, a %%sql
// cell on DuckDB-WASM and an HTML output with its own <style>, with no violation of the policy. So does Python sandboxed
// (isolation: 'sandbox') under the policy README gives for it; without its `worker-src data:` the cell fails plainly.
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import { waitFor } from '../helpers.ts';

type PageWindow = Window & { cspViolations: string[] };

/** A test page, served under a policy (web-test-runner.config.mjs, `/csp/` and its variants), in a frame that has loaded. */
async function openPageUnderPolicy(path = '/csp/test/csp/notebook.html'): Promise<HTMLIFrameElement> {
  const frame = document.createElement('iframe');
  frame.src = path;
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

describe('sandboxed Python under a strict Content-Security-Policy', function () {
  this.timeout(120_000);
  let frame: HTMLIFrameElement;
  afterEach(() => frame?.remove());

  /** The page's notebook, once its cell ran; the violations reported meanwhile (the page's, the sandbox's, its workers'). */
  async function runUnder(prefix: string): Promise<{ notebook: BentoNotebook; status?: string; violations: string[] }> {
    await executeServerCommand('csp-reports'); // reports of earlier pages
    frame = await openPageUnderPolicy(`${prefix}test/csp/sandbox.html`);
    const win = frame.contentWindow as PageWindow;
    const notebook = await waitFor(() => win.document.querySelector('bento-notebook') as BentoNotebook | null, 'no notebook');
    await waitFor(() => win.customElements.get('bento-notebook') && notebook.cells.length === 1, 'the notebook did not start');
    const reply = await notebook.run(0).catch(() => undefined);
    const reported = (await executeServerCommand('csp-reports')) as string[];
    return { notebook, status: reply?.content.status, violations: [...win.cspViolations, ...reported] };
  }

  it("runs a cell in the sandbox under README's policy for it (worker-src 'self' data:) with no violation", async () => {
    const { notebook, status, violations } = await runUnder('/csp-sandbox/');
    expect(status, JSON.stringify(notebook.cells[0].outputs.outputs)).to.equal('ok');
    // An opaque origin: the sandbox is in effect, not a plain worker.
    expect(JSON.stringify(notebook.cells[0].outputs.outputs)).to.contain('null 45');
    expect(violations).to.deep.equal([]);
  });

  it('says what is missing, and does not hang, under a policy without worker-src data:', async () => {
    const { notebook, status, violations } = await runUnder('/csp-sandbox-strict/');
    expect(status).to.equal('error');
    expect(JSON.stringify(notebook.cells[0].outputs.outputs)).to.match(/worker-src data:/);
    await waitFor(async () => violations.push(...((await executeServerCommand('csp-reports')) as string[])) && violations.length > 0, 'no violation reported');
    expect(violations.join('\n')).to.match(/worker-src refused data/);
  });
});
