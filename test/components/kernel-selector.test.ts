import { expect, fixture, html } from '@open-wc/testing';
import '../../components/bento-notebook/bento-notebook.ts';
import '../../components/kernel-selector/kernel-selector.ts';
import type { BentoCell } from '../../components/bento-cell/bento-cell.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import type { KernelSelector } from '../../components/kernel-selector/kernel-selector.ts';
import { defaultKernel } from '../../src/kernel/default.ts';
import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { RemoteKernel } from '../../src/kernel/remote/kernel.ts';
import { serializeNotebook } from '../../src/notebook/ipynb.ts';
import { joinSource } from '../../src/notebook/nbformat.ts';
import { pageConfiguringAfterTheBundle, testRuntimeOptions, waitFor } from '../helpers.ts';
import { jupyterServer } from '../kernel/remote/server.ts';

PyodideRuntime.configureDefault(testRuntimeOptions());
const runtime = new PyodideRuntime(testRuntimeOptions());
after(() => runtime.terminate());

function options(selector: KernelSelector): string[] {
  return [...selector.shadowRoot!.querySelectorAll('option')].map((o) => o.textContent!.trim());
}

async function pick(selector: KernelSelector, label: string): Promise<void> {
  const select = selector.shadowRoot!.querySelector('select')!;
  const option = await waitFor(() => [...select.options].find((o) => o.textContent!.trim() === label), `no option ${label}`);
  select.value = option.value;
  select.dispatchEvent(new Event('change'));
}

function resultOf(cell: BentoCell): string {
  const out = cell.outputs.outputs.find((o) => o.output_type === 'execute_result' || o.output_type === 'error');
  return out?.output_type === 'error' ? out.ename : joinSource(((out as { data: Record<string, string> })?.data ?? {})['text/plain'] ?? '');
}

describe('<kernel-selector>', () => {
  it('offers Python in the browser and the kernelspecs of the configured Jupyter Server', async () => {
    const { baseUrl, token } = jupyterServer();
    const selector = await fixture<KernelSelector>(html`<kernel-selector server-url=${baseUrl} token=${token!}></kernel-selector>`);
    await waitFor(() => options(selector).length > 1, 'no kernelspecs listed');
    expect(options(selector)).to.deep.equal(['Python (in browser)', 'Python 3 (ipykernel)']);
    await expect(selector).to.be.accessible();
  });

  it('says when a server cannot be listed, and still offers Python in the browser', async () => {
    const selector = await fixture<KernelSelector>(html`<kernel-selector server-url="http://127.0.0.1:9/" token="t"></kernel-selector>`);
    await waitFor(() => options(selector).length > 1, 'no error listed');
    expect(options(selector)[0]).to.equal('Python (in browser)');
    expect(options(selector)[1]).to.match(/Cannot reach the Jupyter Server/);
  });

  it('alone in a page that configures Python after the bundle, leaves the page session to be configured', async () => {
    const { frame, win } = await pageConfiguringAfterTheBundle('<kernel-selector></kernel-selector>', '{ interruptGraceMs: 4321 }');
    try {
      const selector = win.document.querySelector('kernel-selector')!;
      const kernel = await waitFor(() => selector.kernel, 'the selector never showed the page session');
      expect((kernel as PyodideKernel).runtime.options.interruptGraceMs).to.equal(4321);
    } finally {
      frame.remove();
    }
  });

  it('alone on a page, switches the default session used by standalone cells', async () => {
    const { baseUrl, token } = jupyterServer();
    const selector = await fixture<KernelSelector>(html`<kernel-selector server-url=${baseUrl} token=${token!}></kernel-selector>`);
    const cell = await fixture<BentoCell>(html`<bento-cell>import pandas\npandas.__name__</bento-cell>`);
    await pick(selector, 'Python 3 (ipykernel)');
    await waitFor(() => defaultKernel() instanceof RemoteKernel, 'default kernel not switched');
    await cell.run();
    expect(resultOf(cell)).to.equal("'pandas'");
    await pick(selector, 'Python (in browser)');
    await waitFor(() => defaultKernel() instanceof PyodideKernel, 'not switched back');
  });
});

describe('<bento-notebook> with a Jupyter Server', () => {
  async function notebook(): Promise<BentoNotebook> {
    const { baseUrl, token } = jupyterServer();
    const el = await fixture<BentoNotebook>(
      html`<bento-notebook no-autosave server-url=${baseUrl} token=${token!} .kernel=${new PyodideKernel({ runtime })}>
        <bento-cell>import sys\nx = 41</bento-cell>
        <bento-cell>x + 1</bento-cell>
      </bento-notebook>`,
    );
    await el.updateComplete;
    return el;
  }

  it('runs the same cells on the server kernel, keeps text and outputs, and saves the choice', async () => {
    const el = await notebook();
    await el.runAll();
    expect(resultOf(el.cells[1])).to.equal('42');
    const selector = el.shadowRoot!.querySelector('kernel-selector')!;
    await pick(selector, 'Python 3 (ipykernel)');
    await waitFor(() => el.kernel instanceof RemoteKernel, 'kernel not switched');
    expect(el.cells.map((c) => c.source)).to.deep.equal(['import sys\nx = 41', 'x + 1']);
    expect(resultOf(el.cells[1])).to.equal('42');
    expect(el.shadowRoot!.querySelector('.notice')!.textContent).to.match(/starts fresh/);
    const fresh = await el.run(1);
    expect(fresh?.content.status).to.equal('error'); // x does not move between kernels
    await el.runAll();
    expect(resultOf(el.cells[1])).to.equal('42');
    expect(el.cells[0].count).to.equal(2);
    expect(el.toJSON().metadata.kernelspec).to.deep.include({ name: 'python3' });
    expect(serializeNotebook(el.toJSON())).not.to.contain(jupyterServer().token!); // the token stays in JavaScript
    await pick(selector, 'Python (in browser)');
    await waitFor(() => el.kernel instanceof PyodideKernel, 'not switched back');
    expect(el.toJSON().metadata.kernelspec).to.deep.include({ name: 'python' });
  });

  it('keeps the kernel when the page cancels bento-kernel-change-request', async () => {
    const el = await notebook();
    const before = el.kernel;
    el.addEventListener('bento-kernel-change-request', (e) => e.preventDefault());
    await pick(el.shadowRoot!.querySelector('kernel-selector')!, 'Python 3 (ipykernel)');
    await new Promise((r) => setTimeout(r, 100));
    expect(el.kernel).to.equal(before);
  });

  const savedOnTheServer = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' } },
    cells: [
      { id: 'a', cell_type: 'code', source: 'import sys\nx = 41\nsys.platform', metadata: {}, execution_count: null, outputs: [] },
      { id: 'b', cell_type: 'code', source: 'x + 1', metadata: {}, execution_count: null, outputs: [] },
    ],
  };

  it('runs cells asked for right after opening such a notebook on the server kernel, and stays there', async () => {
    const el = await notebook();
    el.load(savedOnTheServer);
    const replies = await el.runAll();
    expect(replies.map((r) => r?.content.status)).to.deep.equal(['ok', 'ok']);
    expect(resultOf(el.cells[0]), 'the first cell ran on the server').to.equal("'linux'");
    expect(el.kernel).to.be.instanceOf(RemoteKernel);
    // No swap after the run: the next run still sees x.
    const again = await el.run(1);
    expect(again?.content.status).to.equal('ok');
    expect(resultOf(el.cells[1])).to.equal('42');
  });

  it('keeps a kernel the person chose while the saved one was being looked up', async () => {
    const el = await notebook();
    el.load(savedOnTheServer);
    void el.switchKernel({ kind: 'pyodide' });
    const replies = await el.runAll();
    expect(replies.map((r) => r?.content.status)).to.deep.equal(['ok', 'ok']);
    expect(resultOf(el.cells[0])).to.equal("'emscripten'");
    expect(el.kernel).to.be.instanceOf(PyodideKernel);
    expect(el.toJSON().metadata.kernelspec).to.deep.include({ name: 'python' });
  });

  it('opens a notebook saved with the server kernel on that kernel', async () => {
    const el = await notebook();
    el.load({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' } },
      cells: [{ id: 'a', cell_type: 'code', source: 'import pandas\npandas.__name__', metadata: {}, execution_count: null, outputs: [] }],
    });
    await waitFor(() => el.kernel instanceof RemoteKernel, 'saved kernel not honoured');
    await el.run(0);
    expect(resultOf(el.cells[0])).to.equal("'pandas'");
  });
});
