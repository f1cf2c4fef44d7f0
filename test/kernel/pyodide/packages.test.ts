import { expect } from '@open-wc/testing';
import { PyodideKernel } from '../../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../../src/kernel/pyodide/runtime.ts';
import { run, testRuntimeOptions } from '../../helpers.ts';

// The test server builds a real wheel (scripts/test-packages.mjs) and serves it with lockfiles of its own.
async function runWith(options: Parameters<typeof testRuntimeOptions>[0], code: string) {
  const runtime = new PyodideRuntime(testRuntimeOptions(options));
  try {
    return await run(new PyodideKernel({ runtime }), code);
  } finally {
    runtime.terminate();
  }
}

function errorOf(r: Awaited<ReturnType<typeof run>>) {
  return r.outputs.find(([t]) => t === 'error')?.[1];
}

describe('Pyodide packages', () => {
  it('loads a package the cell imports, from a lockfile and wheel served by the page', async () => {
    const r = await runWith(
      { lockFileURL: '/test-packages/good/pyodide-lock.json', packageBaseUrl: '/test-packages/good/' },
      'import bento_hello\nbento_hello.greet("wheel")',
    );
    expect(r.reply.content.status).to.equal('ok');
    expect(r.outputs.find(([t]) => t === 'execute_result')![1].data['text/plain']).to.equal("'hello, wheel'");
  });

  it('names the package when its hash does not match (Pyodide itself resolves silently)', async () => {
    const r = await runWith(
      { lockFileURL: '/test-packages/badhash/pyodide-lock.json', packageBaseUrl: '/test-packages/badhash/' },
      'import bento_hello',
    );
    expect(r.reply.content.status).to.equal('error');
    expect(errorOf(r)!.ename).to.equal('PackageLoadError');
    expect(errorOf(r)!.evalue).to.contain("'bento-hello'");
  });

  it('times out a package download that never answers', async () => {
    const r = await runWith(
      { lockFileURL: '/test-packages/hang/pyodide-lock.json', packageBaseUrl: '/test-packages/hang/', packageTimeoutMs: 2000 },
      'import bento_hello',
    );
    expect(errorOf(r)!.ename).to.equal('PackageLoadError');
    expect(errorOf(r)!.evalue).to.contain("'bento-hello'");
    expect(errorOf(r)!.evalue).to.contain('timed out after 2 s');
    expect(errorOf(r)!.evalue).to.contain(`${location.origin}/test-packages/hang/`);
  });

  it('says which package and which index when the package index is unreachable', async () => {
    const r = await runWith({ packageBaseUrl: 'http://127.0.0.1:9/pyodide/' }, 'import numpy');
    expect(errorOf(r)!.ename).to.equal('PackageLoadError');
    expect(errorOf(r)!.evalue).to.contain("'numpy'");
    expect(errorOf(r)!.evalue).to.contain('http://127.0.0.1:9/pyodide/');
  });

  it('fails to start with the lockfile\'s address and answer when the lockfile is not there', async () => {
    const runtime = new PyodideRuntime(testRuntimeOptions({ lockFileURL: '/test-packages/nowhere/pyodide-lock.json', snapshot: false }));
    try {
      const error = await new PyodideKernel({ runtime }).ready().then(() => undefined, (e: Error) => e);
      expect(error?.message).to.contain(`${location.origin}/test-packages/nowhere/pyodide-lock.json answered 404`);
    } finally {
      runtime.terminate();
    }
  });

  it('explains a module that is in neither the standard library nor the index', async () => {
    const r = await runWith({}, 'import surely_not_a_module_xyz');
    expect(errorOf(r)!.ename).to.equal('ModuleNotFoundError');
    expect((errorOf(r)!.traceback as string[]).join('\n')).to.contain('nor a package of the package index');
  });
});
