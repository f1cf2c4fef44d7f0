import { expect } from '@open-wc/testing';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { DEFAULT_THRESHOLDS, type AfterRunFacts, type PlacementRule, type Verdict } from '../../src/placement/placement.ts';
import { probe } from '../../src/placement/probe.ts';
import { checkAfterRun, checkBeforeRun } from '../../src/placement/rules.ts';
import { STDLIB_MODULES } from '../../src/placement/stdlib-modules.ts';
import { pyodideKernelForSuite, run, testRuntimeOptions } from '../helpers.ts';

const MiB = 2 ** 20;

/** The real kernel, with a count of the executions asked of it (a probe is one), so a test sees when rules cost one. */
function counted(kernel: Kernel): { kernel: Kernel; executions: () => number } {
  let executions = 0;
  const observed = new Proxy(kernel, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (key === 'execute') {
        return (...args: Parameters<Kernel['execute']>) => {
          executions++;
          return target.execute(...args);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { kernel: observed, executions: () => executions };
}

/** Runs `fn` with console.warn collected instead of printed. */
async function warningsDuring<T>(fn: () => Promise<T>): Promise<{ result: T; warnings: unknown[][] }> {
  const warnings: unknown[][] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args);
  try {
    return { result: await fn(), warnings };
  } finally {
    console.warn = original;
  }
}

describe('placement rules', () => {
  const suite = pyodideKernelForSuite();
  const before = (source: string, metadata: Record<string, unknown> = {}, kernel: Kernel = suite.kernel) =>
    checkBeforeRun({ phase: 'before', source, metadata, kernel });
  const after = (facts: Partial<AfterRunFacts>) => checkAfterRun({ phase: 'after', source: 'x', seconds: 1, ...facts });

  describe('before a cell runs: imports', () => {
    it('says nothing about a cell that imports only the standard library, without asking the kernel', async () => {
      const { kernel, executions } = counted(suite.kernel);
      expect(await before('import os, json as j\nfrom collections.abc import Mapping\nfrom __future__ import annotations\nx = 1', {}, kernel)).to.equal(null);
      expect(await before('total = sum(range(10))\nprint(total)', {}, kernel)).to.equal(null);
      expect(executions()).to.equal(0);
    });

    it('names a module that has no browser build', async () => {
      expect(await before('import pandas_but_not_really_acme_metrics as am\nam.run()')).to.deep.equal({
        rule: 'import',
        reason: 'imports `pandas_but_not_really_acme_metrics`, which has no browser build',
        suggests: 'server',
      });
    });

    it('names every missing module once, in the order the cell imports them', async () => {
      const verdict = await before('import os\nfrom acme_metrics.daily import report\nimport acme_ml.train, acme_metrics\nimport acme_io');
      expect(verdict?.reason).to.equal('imports `acme_metrics`, `acme_ml` and `acme_io`, which have no browser build');
      expect((await before('import acme_a\nimport acme_b'))?.reason).to.equal('imports `acme_a` and `acme_b`, which have no browser build');
    });

    it('finds imports the quick look cannot read (after a semicolon, in a function, under a %%time magic)', async () => {
      expect((await before('import os; import acme_semicolon'))?.reason).to.contain('`acme_semicolon`');
      expect((await before('def f():\n    from acme_inner import g\n    return g()'))?.reason).to.contain('`acme_inner`');
      expect((await before('%%time\nimport acme_timed'))?.reason).to.contain('`acme_timed`');
    });

    it('counts a module an earlier cell wrote to the working directory as available, and one written later too', async () => {
      expect((await before('import bento_placement_late'))?.rule).to.equal('import');
      const { kernel, executions } = counted(suite.kernel);
      await run(kernel, "open('bento_placement_late.py', 'w').write('X = 1')");
      const written = executions();
      // The missing verdict above was not remembered: the module is now found, and then known without a probe.
      expect(await before('import bento_placement_late', {}, kernel)).to.equal(null);
      expect(executions()).to.equal(written + 1);
      expect(await before('from bento_placement_late import X', {}, kernel)).to.equal(null);
      expect(executions()).to.equal(written + 1);
      expect((await run(suite.kernel, 'import bento_placement_late\nbento_placement_late.X')).reply.content.status).to.equal('ok');
    });

    it("counts a package of the runtime's lockfile as available (Pyodide loads it on import)", async () => {
      // numpy is in the lockfile the test kernel uses (node_modules/pyodide's) and not loaded: nothing downloads it here.
      expect(await before('import numpy as np\nnp.zeros(3)')).to.equal(null);
    });

    it('leaves out imports the cell guards: try/except ImportError, TYPE_CHECKING, relative imports', async () => {
      expect(await before('try:\n    import acme_fast\nexcept ImportError:\n    acme_fast = None')).to.equal(null);
      expect(await before('try:\n    import acme_fast\nexcept (ValueError, ModuleNotFoundError):\n    pass')).to.equal(null);
      expect(await before('try:\n    import acme_fast\nexcept:\n    pass')).to.equal(null);
      expect(await before('from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import acme_types')).to.equal(null);
      expect(await before('from . import acme_sibling\nfrom .acme_pkg import thing')).to.equal(null);
      // Not guarded: a handler that does not catch ImportError, or an import in the try's else.
      expect((await before('try:\n    import acme_fast\nexcept KeyError:\n    pass'))?.reason).to.contain('`acme_fast`');
      expect((await before('try:\n    pass\nexcept ImportError:\n    pass\nelse:\n    import acme_else'))?.reason).to.contain('`acme_else`');
    });

    it('trusts a %pip install in the same cell to provide the module', async () => {
      expect(await before('%pip install acme-metrics\nimport acme_metrics')).to.equal(null);
      expect((await before('%pip install acme-metrics\nimport acme_other'))?.reason).to.contain('`acme_other`');
    });

    it('says nothing about a cell with a syntax error (the kernel reports it) or one that is not Python', async () => {
      expect(await before('import acme_metrics\nx = (')).to.equal(null);
      expect(await before('%%sql\nselect * from acme_metrics')).to.equal(null);
    });

    it('says nothing when the kernel cannot answer', async () => {
      const runtime = new PyodideRuntime(testRuntimeOptions());
      const stopped = new PyodideKernel({ runtime });
      await stopped.ready();
      await stopped.shutdown();
      runtime.terminate();
      expect(await before('import acme_metrics', {}, stopped)).to.equal(null);
    });

    it("leaves the user's namespace and execution count as they were", async () => {
      await run(suite.kernel, 'x = 1');
      const snapshot = async () => (await run(suite.kernel, 'print(sorted(globals()), len(In), x)', { silent: true })).stdout;
      const was = await snapshot();
      expect(await before('import acme_metrics\nimport numpy')).to.not.equal(null);
      expect(await snapshot()).to.equal(was);
      expect(was).to.contain("'x'");
    });

    it('lists only standard-library modules the runtime has', async () => {
      const answer = await probe<string[]>(suite.kernel, 'import importlib.util\nANSWER = [n for n in ARGS if importlib.util.find_spec(n) is None]', [...STDLIB_MODULES]);
      expect(answer).to.deep.equal([]);
    });
  });

  describe('before a cell runs: asked for a server', () => {
    it('sends a %%remote cell out, whatever it imports', async () => {
      const verdict = { rule: 'remote-magic', reason: 'the cell asks to run on a server kernel (%%remote)', suggests: 'farm-out' };
      expect(await before('%%remote --kernel python3\nimport acme_metrics')).to.deep.equal(verdict);
      expect(await before('\n%%remote\nx = 1')).to.deep.equal(verdict);
      expect(await before('%%remotely\nx = 1')).to.equal(null);
      expect(await before('x = 1  # %%remote')).to.equal(null);
    });

    it('follows the notebook metadata that asks for a server kernel', async () => {
      expect(await before('x = 1', { bento: { placement: 'server' } })).to.deep.equal({
        rule: 'metadata',
        reason: 'the notebook asks for a server kernel (metadata bento.placement)',
        suggests: 'server',
      });
      expect(await before('x = 1', { bento: { placement: 'browser' } })).to.equal(null);
      expect(await before('x = 1', { bento: null })).to.equal(null);
    });
  });

  describe('after a cell ran', () => {
    it('sees a MemoryError', async () => {
      const failed = (await run(suite.kernel, 'raise MemoryError()')).reply;
      expect(await after({ reply: failed })).to.deep.equal({
        rule: 'memory-error',
        reason: 'ran out of memory in the browser (MemoryError)',
        suggests: 'server',
      });
      expect(await after({ reply: (await run(suite.kernel, 'raise ValueError("no")')).reply })).to.equal(null);
      expect(await after({ reply: (await run(suite.kernel, '1 + 1')).reply })).to.equal(null);
    });

    it('sees a runtime that died', async () => {
      expect(await after({ runtimeDied: 'Aborted(OOM)' })).to.deep.equal({
        rule: 'runtime-died',
        reason: 'the Python runtime in this tab stopped while the cell ran (it ran out of memory or crashed)',
        suggests: 'server',
      });
    });

    it('sees heap use above its share of the limit', async () => {
      const threshold = DEFAULT_THRESHOLDS.heapShare * DEFAULT_THRESHOLDS.heapLimitBytes;
      expect(await after({ heapBytes: threshold })).to.equal(null);
      expect((await after({ heapBytes: threshold + 1 }))?.reason).to.equal("uses 1.5 GB of the 2 GB a tab's Python can have");
      expect((await after({ heapBytes: 1.6 * 2 ** 30 }))?.rule).to.equal('heap');
    });

    it('sees tables above the size threshold', async () => {
      expect(await after({ tableBytes: 256 * MiB })).to.equal(null);
      expect(await after({ tableBytes: 256 * MiB + 1 })).to.not.equal(null);
      expect(await after({ tableBytes: 300 * MiB })).to.deep.equal({
        rule: 'table-size',
        reason: 'brought 300 MB of tables into the tab (more than 256 MB)',
        suggests: 'server',
      });
    });

    it('sees a cell that computed for too long', async () => {
      expect(await after({ seconds: 120 })).to.equal(null);
      expect(await after({ seconds: 120.5 })).to.not.equal(null);
      expect(await after({ seconds: 185 })).to.deep.equal({
        rule: 'slow-cell',
        reason: 'computed for 3 min 5 s (more than 2 min)',
        suggests: 'server',
      });
    });

    it('takes the thresholds a host sets, keeping the defaults for the others', async () => {
      const options = { thresholds: { cellSeconds: 10, tableBytes: 0.5 * MiB } };
      expect((await checkAfterRun({ phase: 'after', source: 'x', seconds: 12.5 }, options))?.reason).to.equal('computed for 12.5 s (more than 10 s)');
      expect((await checkAfterRun({ phase: 'after', source: 'x', seconds: 1, tableBytes: MiB }, options))?.reason).to.equal(
        'brought 1 MB of tables into the tab (more than 512 KB)',
      );
      expect((await checkAfterRun({ phase: 'after', source: 'x', seconds: 1, heapBytes: 2 ** 31 }, options))?.rule).to.equal('heap');
      expect(await checkAfterRun({ phase: 'after', source: 'x', seconds: 9 }, options)).to.equal(null);
    });

    it('gives the first rule that speaks', async () => {
      const verdict = await after({ runtimeDied: 'gone', heapBytes: 2 ** 31, tableBytes: 2 ** 30, seconds: 1000 });
      expect(verdict?.rule).to.equal('runtime-died');
    });
  });

  describe("the host's rules", () => {
    const hostVerdict: Verdict = { rule: 'gpu', reason: 'asks for a GPU', suggests: 'server' };

    it('are asked only when the shipped rules found nothing, and their verdict is returned', async () => {
      const asked: string[] = [];
      const rules: PlacementRule[] = [
        { name: 'quiet', check: (facts) => (asked.push(`quiet:${facts.phase}`), null) },
        { name: 'gpu', check: async (facts) => (asked.push(`gpu:${facts.phase}`), facts.source.includes('cuda') ? hostVerdict : null) },
      ];
      expect(await checkBeforeRun({ phase: 'before', source: '%%remote\nimport cuda', metadata: {}, kernel: suite.kernel }, { rules })).to.have.property('rule', 'remote-magic');
      expect(asked).to.deep.equal([]);
      expect(await checkBeforeRun({ phase: 'before', source: 'cuda = 1', metadata: {}, kernel: suite.kernel }, { rules })).to.deep.equal(hostVerdict);
      expect(asked).to.deep.equal(['quiet:before', 'gpu:before']);
      expect(await checkAfterRun({ phase: 'after', source: 'cuda = 2', seconds: 1 }, { rules })).to.deep.equal(hostVerdict);
      expect(await checkAfterRun({ phase: 'after', source: 'cuda = 2', seconds: 500 }, { rules })).to.have.property('rule', 'slow-cell');
      expect(asked).to.have.length(4);
    });

    it('that throw are skipped with a warning, never failing the run', async () => {
      const broken: PlacementRule = {
        name: 'broken',
        check: () => {
          throw new Error('host bug');
        },
      };
      const rejecting: PlacementRule = { name: 'rejecting', check: () => Promise.reject(new Error('host bug')) };
      const alone = await warningsDuring(() => checkAfterRun({ phase: 'after', source: 'x', seconds: 1 }, { rules: [broken] }));
      expect(alone.result).to.equal(null);
      expect(String(alone.warnings[0]?.[0])).to.contain('"broken"');
      const next = await warningsDuring(() =>
        checkBeforeRun({ phase: 'before', source: 'x = 1', metadata: {}, kernel: suite.kernel }, { rules: [rejecting, { name: 'gpu', check: () => hostVerdict }] }),
      );
      expect(next.result).to.deep.equal(hostVerdict);
      expect(String(next.warnings[0]?.[0])).to.contain('"rejecting"');
    });
  });
});
