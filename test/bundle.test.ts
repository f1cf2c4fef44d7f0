import { expect } from '@open-wc/testing';
import type * as BentoLite from '../src/index.ts';

// The built package as a page gets it (`npm test` builds first): worker.js and the Pyodide files beside the
// bundle, found with no configuration and no network.
const bundleURL = '/dist/bento-lite.js';

describe('the built bundle', () => {
  it('runs Python with its default, self-hosted assets', async () => {
    const bento: typeof BentoLite = await import(/* @vite-ignore */ bundleURL);
    const runtime = new bento.PyodideRuntime();
    expect(runtime.options.workerURL).to.equal(new URL('/dist/worker.js', location.href).href);
    expect(runtime.options.indexURL).to.equal(new URL('/dist/pyodide/', location.href).href);
    const kernel = new bento.PyodideKernel({ runtime });
    const outputs: unknown[] = [];
    const reply = await kernel.execute('import sys\nsys.version_info[:2] >= (3, 12), 1 + 1', {
      onIOPub: (m) => m.header.msg_type === 'execute_result' && outputs.push(m.content),
    });
    expect(reply.content.status).to.equal('ok');
    expect(outputs).to.have.length(1);
    expect((outputs[0] as { data: Record<string, string> }).data['text/plain']).to.equal('(True, 2)');
    runtime.terminate();
  });

  it('leaves the remote-kernel client and the editor out of what every page loads', async () => {
    const main = await (await fetch(bundleURL)).text();
    expect(main).to.contain('bento-notebook');
    expect(main).not.to.contain('kernel_info_request'); // RemoteKernel: a chunk loaded when a server kernel is picked
    expect(main).not.to.contain('closeBrackets'); // CodeMirror: a chunk loaded when a cell is edited
  });

  it('gives declarative cells the kernel of their notebook, even though cells upgrade first', async () => {
    const frame = document.createElement('iframe');
    frame.srcdoc = `<!doctype html>
      <bento-notebook no-autosave><bento-cell>x = 1</bento-cell><bento-cell>x</bento-cell></bento-notebook>
      <bento-notebook no-autosave><bento-cell>x = 2</bento-cell><bento-cell>x</bento-cell></bento-notebook>
      <script type="module" src="${new URL(bundleURL, location.href).href}"></script>`;
    document.body.append(frame);
    try {
      await new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
      const win = frame.contentWindow as Window & typeof globalThis;
      await win.customElements.whenDefined('bento-notebook');
      const notebooks = [...win.document.querySelectorAll('bento-notebook')] as unknown as Array<{
        runAll(): Promise<unknown>;
        kernel: { session: string };
        cells: Array<{ count: number | null; outputs: { outputs: Array<{ data?: Record<string, string> }> } }>;
      }>;
      for (const notebook of notebooks) await notebook.runAll();
      expect(notebooks[0].kernel.session).not.to.equal(notebooks[1].kernel.session);
      expect(notebooks.map((n) => n.cells.map((c) => c.count))).to.deep.equal([
        [1, 2],
        [1, 2],
      ]);
      expect(notebooks.map((n) => n.cells[1].outputs.outputs[0].data!['text/plain'])).to.deep.equal(['1', '2']);
    } finally {
      frame.remove();
    }
  });
});
