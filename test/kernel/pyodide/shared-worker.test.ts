import { expect } from '@open-wc/testing';
import { PyodideKernel } from '../../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../../src/kernel/pyodide/runtime.ts';
import { run, testRuntimeOptions } from '../../helpers.ts';

describe('Pyodide in SharedWorker mode', () => {
  const name = `bento-test-${crypto.randomUUID()}`;
  // Two runtime objects stand for two tabs: each opens its own connection to the SharedWorker named `name`.
  const tabA = new PyodideRuntime(testRuntimeOptions({ mode: 'shared-worker', sharedWorkerName: name }));
  const tabB = new PyodideRuntime(testRuntimeOptions({ mode: 'shared-worker', sharedWorkerName: name }));
  after(() => {
    tabA.terminate();
    tabB.terminate();
  });

  it('shares one runtime between connections, with a namespace per session', async () => {
    const a = new PyodideKernel({ runtime: tabA });
    const b = new PyodideKernel({ runtime: tabB });
    await run(a, 'import json\njson.tab_marker = "set in tab A"\nprivate = 1');
    const r = await run(b, 'import json\njson.tab_marker');
    expect(r.outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal("'set in tab A'");
    const isolatedNs = await run(b, 'private');
    expect(isolatedNs.outputs.find(([t]) => t === 'error')![1].ename).to.equal('NameError');
  });

  it('reports that it cannot be interrupted in place, without pretending', async () => {
    expect(tabA.interruptible).to.be.false;
    const kernel = new PyodideKernel({ runtime: tabA });
    const r = await run(kernel, 'import asyncio\nprint("waiting")\nawait asyncio.sleep(60)', {
      onIOPub: (m) => {
        if (m.header.msg_type === 'stream') void kernel.interrupt();
      },
    });
    // A cell suspended in an await is cancelled; only busy synchronous code cannot be stopped.
    expect(r.outputs.find(([t]) => t === 'error')![1].ename).to.equal('KeyboardInterrupt');
  });
});
