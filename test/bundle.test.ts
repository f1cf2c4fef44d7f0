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
});
