// The IPython magics of the browser kernel that ipykernel cannot be compared with here: %pip (the test server
// serves a real wheel and lockfiles, scripts/test-packages.mjs), %matplotlib, and what cannot work in a browser.
// Everything both kernels have is compared cell by cell in test/kernel/differential.test.ts.
import { expect } from '@open-wc/testing';
import { PyodideKernel } from '../../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../../src/kernel/pyodide/runtime.ts';
import { pyodideKernelForSuite, run, testRuntimeOptions } from '../../helpers.ts';

const WHEEL = '/test-packages/good/bento_hello-1.0.0-py3-none-any.whl';

function resultText(r: Awaited<ReturnType<typeof run>>): string | undefined {
  return r.outputs.find(([t]) => t === 'execute_result')?.[1].data['text/plain'];
}

async function withKernel<T>(options: Parameters<typeof testRuntimeOptions>[0], body: (kernel: PyodideKernel) => Promise<T>): Promise<T> {
  const runtime = new PyodideRuntime(testRuntimeOptions(options));
  try {
    return await body(new PyodideKernel({ runtime }));
  } finally {
    runtime.terminate();
  }
}

describe('Pyodide magics: %pip', () => {
  it('installs a package of the index lockfile, which then imports', async () => {
    await withKernel({ lockFileURL: '/test-packages/good/pyodide-lock.json', packageBaseUrl: '/test-packages/good/' }, async (kernel) => {
      const before = await run(kernel, 'import importlib.util\nimportlib.util.find_spec("bento_hello") is None');
      expect(resultText(before)).to.equal('True');
      const pip = await run(kernel, '%pip install bento-hello');
      expect(pip.reply.content.status).to.equal('ok');
      expect(pip.stdout).to.equal('Successfully installed bento-hello\n');
      // Installed by %pip itself: this cell imports nothing the kernel would load on its own.
      const after = await run(kernel, 'importlib.util.find_spec("bento_hello") is None');
      expect(resultText(after)).to.equal('False');
      expect(resultText(await run(kernel, 'import bento_hello\nbento_hello.greet("pip")'))).to.equal("'hello, pip'");
    });
  });

  it('installs a pure-Python wheel by URL, even one no lockfile lists', async () => {
    await withKernel({}, async (kernel) => {
      const pip = await run(kernel, `%pip install ${location.origin}${WHEEL}`);
      expect(pip.reply.content.status, pip.stderr).to.equal('ok');
      expect(pip.stdout).to.equal('Successfully installed bento_hello-1.0.0-py3-none-any.whl\n');
      expect(resultText(await run(kernel, 'import bento_hello\nbento_hello.__version__'))).to.equal("'1.0.0'");
    });
  });

  it('names the index when a package is not in it, in one line', async () => {
    await withKernel({ packageBaseUrl: '/test-packages/good/' }, async (kernel) => {
      const pip = await run(kernel, '%pip install surely-not-a-package-xyz');
      expect(pip.reply.content.status).to.equal('error');
      expect(pip.stderr.trimEnd().split('\n')).to.have.length(1);
      expect(pip.stderr).to.match(/^UsageError: %pip: 'surely-not-a-package-xyz' is not in the package index \(.*\/test-packages\/good\/\)/);
      expect(pip.outputs.filter(([t]) => t === 'error')).to.deep.equal([]);
    });
  });

  it('says which package failed and where, when the wheel cannot be fetched', async () => {
    await withKernel({}, async (kernel) => {
      const pip = await run(kernel, '%pip install /test-packages/missing/nothing_here-1.0-py3-none-any.whl');
      expect(pip.reply.content.status).to.equal('error');
      const error = pip.outputs.find(([t]) => t === 'error')![1];
      expect(error.evalue).to.contain('nothing_here-1.0-py3-none-any.whl');
    });
  });
});

describe('Pyodide magics', () => {
  const suite = pyodideKernelForSuite();

  it('%matplotlib inline is accepted and points matplotlib at the inline backend', async () => {
    const r = await run(suite.kernel, '%matplotlib inline');
    expect(r.reply.content.status).to.equal('ok');
    expect(r.outputs.map(([t]) => t)).to.deep.equal(['execute_input']);
    const backend = await run(suite.kernel, 'import os, importlib\nos.environ["MPLBACKEND"], callable(importlib.import_module("bento_inline").show)');
    expect(resultText(backend)).to.equal("('module://bento_inline', True)");
  });

  it('%matplotlib with a GUI backend says in one line that only inline works here', async () => {
    const r = await run(suite.kernel, '%matplotlib qt');
    expect(r.reply.content.status).to.equal('error');
    expect(r.stderr).to.equal('UsageError: %matplotlib qt cannot run here: the browser kernel shows figures inline only (%matplotlib inline).\n');
  });

  for (const [label, code] of [
    ['a shell command', '!ls -l'],
    ['a shell command assigned', 'files = !ls'],
    ['%%bash', '%%bash\necho hi'],
    ['%%sh', '%%sh\necho hi'],
    ['%conda', '%conda install numpy'],
    ['a shell command inside a loop', 'for i in range(2):\n    !echo {i}'],
  ]) {
    it(`${label} says in one clear line that it cannot run in a browser`, async () => {
      const r = await run(suite.kernel, code);
      expect(r.reply.content.status).to.equal('error');
      expect(r.stdout).to.equal('');
      expect(r.stderr.trimEnd().split('\n')).to.have.length(1);
      expect(r.stderr).to.match(/^UsageError: .* cannot run here: the browser kernel has no shell or server file system to run it in; run this cell on a Jupyter kernel instead\.\n$/);
    });
  }

  it('%run of a file the browser does not have says so in one line', async () => {
    const r = await run(suite.kernel, '%run analysis.py');
    expect(r.reply.content.status).to.equal('error');
    expect(r.stderr.trimEnd().split('\n')).to.have.length(1);
    expect(r.stderr).to.contain("%run analysis.py cannot run here");
    expect(r.stderr).to.contain("there is no file 'analysis.py'");
  });

  it('%run runs a file that lives in the browser, and its names land in the namespace', async () => {
    await run(suite.kernel, '%%writefile helper.py\nimport sys\nANSWER = 42\nprint("ran with", sys.argv[1:])');
    const r = await run(suite.kernel, '%run helper.py one two');
    expect(r.reply.content.status).to.equal('ok');
    expect(r.stdout).to.equal("ran with ['one', 'two']\n");
    expect(resultText(await run(suite.kernel, 'ANSWER'))).to.equal('42');
  });

  it('obj? pages the inspection as the execute_reply payload, as ipykernel does', async () => {
    await run(suite.kernel, 'def area(w, h=1):\n    """Width times height."""\n    return w * h');
    const r = await run(suite.kernel, 'area?');
    expect(r.reply.content.status).to.equal('ok');
    const payload = (r.reply.content as unknown as { payload: Array<{ source: string; data: Record<string, string>; start: number }> }).payload;
    expect(payload).to.have.length(1);
    expect(payload[0].source).to.equal('page');
    const text = payload[0].data['text/plain'].replace(/\x1b\[[0-9;]*m/g, '');
    expect(text).to.contain('Signature: area(w, h=1)');
    expect(text).to.contain('Docstring: Width times height.');
    expect(text).to.contain('Type:      function');
    const source = await run(suite.kernel, 'area??');
    const sourceText = (source.reply.content as unknown as { payload: Array<{ data: Record<string, string> }> }).payload[0].data['text/plain'];
    expect(sourceText.replace(/\x1b\[[0-9;]*m/g, '')).to.contain('return w * h');
  });

  it('completes magic names after % and %%, with those of the user', async () => {
    const line = await suite.kernel.complete('%tim', 4);
    expect(line.matches).to.deep.equal(['%time', '%timeit']);
    expect([line.cursor_start, line.cursor_end]).to.deep.equal([0, 4]);
    const cell = await suite.kernel.complete('%%wri', 5);
    expect(cell.matches).to.deep.equal(['%%writefile']);
    await run(suite.kernel, 'from IPython.core.magic import register_line_magic\n@register_line_magic\ndef timeline(line):\n    return line');
    const indented = await suite.kernel.complete('for i in range(2):\n    %time', 28);
    expect(indented.matches).to.deep.equal(['%time', '%timeit', '%timeline']);
    expect(indented.cursor_start).to.equal(23);
  });

  it("IPython.get_ipython() is the shell in a cell, and None for a library (which would want all of IPython's)", async () => {
    await run(suite.kernel, '%%writefile probe_lib.py\nfrom IPython import get_ipython\ndef probe():\n    return get_ipython()');
    const r = await run(suite.kernel, 'import probe_lib\nfrom IPython import get_ipython\n(probe_lib.probe() is None, get_ipython() is not None)');
    expect(resultText(r)).to.equal('(True, True)');
    const magic = await run(suite.kernel, '%env BENTO_AFTER_IMPORT=1');
    expect(magic.stdout).to.equal('env: BENTO_AFTER_IMPORT=1\n');
  });

  it('tells IPython syntax complete, as ipykernel does', async () => {
    expect((await suite.kernel.isComplete('%time x = 1')).status).to.equal('complete');
    expect((await suite.kernel.isComplete('len?')).status).to.equal('complete');
    expect((await suite.kernel.isComplete('files = !ls')).status).to.equal('complete');
    expect(await suite.kernel.isComplete('for i in range(3):\n    %time i')).to.deep.equal({ status: 'incomplete', indent: '    ' });
  });

  it('%reset without -f asks first, through input()', async () => {
    await run(suite.kernel, 'keep_me = 1');
    const declined = await run(suite.kernel, '%reset', { onInput: async () => 'n' });
    expect(declined.stdout).to.equal('Nothing done.\n');
    expect(resultText(await run(suite.kernel, 'keep_me'))).to.equal('1');
    const prompts: string[] = [];
    await run(suite.kernel, '%reset', {
      onInput: async ({ prompt }) => {
        prompts.push(prompt);
        return 'y';
      },
    });
    expect(prompts).to.deep.equal(['Once deleted, variables cannot be recovered. Proceed (y/[n])? ']);
    expect(resultText(await run(suite.kernel, '"keep_me" in dir()'))).to.equal('False');
  });
});
