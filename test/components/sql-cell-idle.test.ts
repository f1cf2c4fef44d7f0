// A page holding a SQL cell starts DuckDB while it is idle, once its notebook's kernel has started, so the first Run
// only queries; a page without one never loads DuckDB. Real Pyodide, real DuckDB-WASM.
import { expect, fixture, html } from '@open-wc/testing';
import '../../components/sql-cell/sql-magic.ts';
import '../../components/bento-cell/bento-cell.ts';
import '../../components/bento-notebook/bento-notebook.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import { getConnector, registerConnector } from '../../src/data/connectors.ts';
import type { DuckDBConnector } from '../../src/data/duckdb.ts';
import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { outputText, shownRows, testRuntimeOptions, waitFor } from '../helpers.ts';

PyodideRuntime.configureDefault(testRuntimeOptions());
const runtimes: PyodideRuntime[] = [PyodideRuntime.default()];
after(() => runtimes.forEach((runtime) => runtime.terminate()));

registerConnector({
  name: 'demo',
  kind: 'duckdb',
  options: { bundleURL: '/node_modules/@duckdb/duckdb-wasm/dist/', tables: { temperatures: '/demo/data/city-temperatures.csv' } },
});

// A test page loads hundreds of modules from source: room for every entry (the default keeps 250).
performance.setResourceTimingBufferSize(100_000);

/** What this page fetched of DuckDB: its worker scripts and the connector's module. */
const fetched = (part: string) => performance.getEntriesByType('resource').filter((entry) => entry.name.includes(part));
const duckdbWorkers = () => fetched('/@duckdb/duckdb-wasm/dist/duckdb-browser-').filter((entry) => entry.name.endsWith('.worker.js'));

async function notebook(kernel: PyodideKernel | undefined, ...sources: string[]): Promise<BentoNotebook> {
  const nb = await fixture<BentoNotebook>(html`<bento-notebook no-autosave></bento-notebook>`);
  if (kernel) nb.kernel = kernel;
  nb.load({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: sources.map((source, i) => ({ id: `c${i}`, cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null })) });
  await nb.updateComplete;
  return nb;
}

const idleFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('DuckDB prepared while the page is idle', () => {
  it('is never loaded by a notebook without a SQL cell', async () => {
    const nb = await notebook(undefined, 'x = 6 * 7', 'print(x)');
    await nb.runAll();
    expect(outputText(nb.cells[1])).to.equal('42\n');
    // Long enough for an idle callback after the kernel started: a preparation would have begun.
    await idleFor(2500);
    expect(duckdbWorkers(), 'no DuckDB worker').to.have.length(0);
    expect(fetched('/src/data/duckdb.ts'), 'not even the connector module').to.have.length(0);
  });

  it('is started by a notebook holding a %%sql cell once its kernel has started, and the first Run uses it', async () => {
    // A runtime of its own, so this notebook's kernel boots here and the order can be seen.
    const runtime = new PyodideRuntime(testRuntimeOptions());
    runtimes.push(runtime);
    const kernel = new PyodideKernel({ runtime });
    let kernelStartedAt: number | undefined;
    kernel.onStatusChange(({ status }) => {
      if (status === 'idle') kernelStartedAt ??= performance.now();
    });
    const nb = await notebook(
      kernel,
      '%%sql winters --conn demo\nSELECT city, country, mean_c AS january_c\nFROM temperatures\nWHERE month = 1\nORDER BY january_c',
      'print(list(winters["city"]))',
    );
    const connector = (await getConnector('demo')) as DuckDBConnector;
    await waitFor(() => connector.started, 'DuckDB started without a run', 120_000);
    expect(nb.cells.map((cell) => cell.count), 'no cell has run').to.deep.equal([null, null]);
    const workers = duckdbWorkers();
    expect(workers, 'one DuckDB worker').to.have.length(1);
    expect(kernelStartedAt, 'the kernel had started').to.be.a('number');
    expect(workers[0].startTime, "DuckDB waited for Python's start").to.be.greaterThan(kernelStartedAt!);

    const replies = await nb.runAll();
    expect(replies.map((reply) => reply?.content.status)).to.deep.equal(['ok', 'ok']);
    const sql = nb.cells[0].shadowRoot!.querySelector('sql-cell')!;
    expect(shownRows(sql)).to.deep.equal([
      ['Montreal', 'Canada', '-9.7'],
      ['Oslo', 'Norway', '-4.3'],
      ['Lisbon', 'Portugal', '11.6'],
      ['Cairo', 'Egypt', '14.0'],
    ]);
    expect(outputText(nb.cells[1])).to.equal("['Montreal', 'Oslo', 'Lisbon', 'Cairo']\n");
    expect(duckdbWorkers(), 'the run used the prepared DuckDB').to.have.length(1);
  });
});
