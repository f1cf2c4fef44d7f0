// A notebook that meets work that is not "lite": it offers the server kernel, switches with a replay, farms one cell
// out, or switches by itself (placement="auto"). Real Pyodide in the page, the real Jupyter Server the test runner
// started, whose kernels can import `acme_metrics` (test/placement/server-only/), which has no browser build.
import { expect, fixture, html } from '@open-wc/testing';
import '../../components/bento-notebook/bento-notebook.ts';
import '../../components/sql-cell/sql-magic.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { RemoteKernel } from '../../src/kernel/remote/kernel.ts';
import type { JupyterServerOptions } from '../../src/kernel/remote/server.ts';
import type { PlacementPolicy } from '../../src/placement/placement.ts';
import { registerConnector } from '../../src/data/connectors.ts';
import { codeNotebook, testRuntimeOptions, waitFor } from '../helpers.ts';
import { jupyterServer } from '../kernel/remote/server.ts';

const runtime = new PyodideRuntime(testRuntimeOptions());
registerConnector({ name: 'placement-duckdb', kind: 'duckdb', label: 'DuckDB (in browser)', options: { bundleURL: '/node_modules/@duckdb/duckdb-wasm/dist/' } });

/** Ids of the kernels running on the test Jupyter Server. */
async function serverKernelIds(): Promise<string[]> {
  const { baseUrl, token } = jupyterServer();
  const response = await fetch(new URL('api/kernels', baseUrl), { headers: { Authorization: `token ${token}` } });
  return ((await response.json()) as Array<{ id: string }>).map((k) => k.id);
}
after(() => runtime.terminate());

const notebooks: BentoNotebook[] = [];
afterEach(async () => {
  for (const notebook of notebooks.splice(0)) {
    const kernel = notebook.kernel;
    notebook.remove(); // shuts its farm-out sessions down
    if (kernel instanceof RemoteKernel) await kernel.shutdown().catch(() => {});
  }
});

async function notebookWith(
  cells: string[],
  options: { placement?: PlacementPolicy; servers?: JupyterServerOptions[]; placementOptions?: BentoNotebook['placementOptions'] } = {},
): Promise<BentoNotebook> {
  const el = await fixture<BentoNotebook>(
    html`<bento-notebook
      no-autosave
      placement=${options.placement ?? 'ask'}
      .servers=${options.servers ?? [jupyterServer()]}
      .placementOptions=${options.placementOptions ?? {}}
      .kernel=${new PyodideKernel({ runtime })}
    ></bento-notebook>`,
  );
  el.load(codeNotebook(cells));
  await el.updateComplete;
  notebooks.push(el);
  return el;
}

function notice(notebook: BentoNotebook): HTMLElement | null {
  return notebook.shadowRoot!.querySelector('.notice');
}

function offerButton(notebook: BentoNotebook, label: RegExp): Promise<HTMLButtonElement> {
  return waitFor(
    () => [...(notice(notebook)?.querySelectorAll('button') ?? [])].find((b) => label.test(b.textContent ?? '')),
    `an offer with a button ${label}`,
    60_000,
  );
}

/** The text of a cell's outputs, as nbformat saves them. */
function outputText(notebook: BentoNotebook, index: number): string {
  const cell = notebook.toJSON().cells[index] as { outputs?: Array<Record<string, any>> };
  return (cell.outputs ?? [])
    .map((o) => o.text ?? o.data?.['text/plain'] ?? `${o.ename}: ${o.evalue}`)
    .flat()
    .join('');
}

const SERVER_ONLY = ['x = 20', 'import acme_metrics\ny = x + 1\nprint(acme_metrics.VERSION)', 'y * 2'];

describe('placement in a notebook', function () {
  this.timeout(180_000);

  it('offers the server kernel for a cell that imports a server-only library, and Switch replays the notebook there', async () => {
    const notebook = await notebookWith(SERVER_ONLY);
    expect((await notebook.run(0))?.content.status).to.equal('ok');
    const running = notebook.run(1);
    const switchButton = await offerButton(notebook, /^Switch to /);
    expect(notice(notebook)!.textContent).to.match(/Cell 2 imports `acme_metrics`, which has no browser build/);
    expect(notice(notebook)!.textContent).to.include('Run this cell on');
    expect(notice(notebook)!.textContent).to.include('Stay in the browser');
    await expect(notice(notebook)).to.be.accessible();
    switchButton.click();
    const reply = await running;
    expect(reply?.content.status).to.equal('ok');
    expect(notebook.kernel).to.be.instanceOf(RemoteKernel);
    // Cell 1 was replayed on the server (x exists there), then cell 2 ran there.
    expect(outputText(notebook, 1)).to.include('1.0');
    expect((await notebook.run(2))?.content.status).to.equal('ok');
    expect(outputText(notebook, 2)).to.equal('42');
    const saved = notebook.toJSON();
    expect((saved.metadata.kernelspec as { name: string }).name).to.equal('python3');
    expect((saved.metadata.bento as any).placement.kernel).to.equal('python3');
    expect((saved.metadata.bento as any).placement.reason).to.include('acme_metrics');
    // Nothing of the text was lost.
    expect(saved.cells.map((c) => c.source)).to.deep.equal(SERVER_ONLY);
  });

  it('runs just that cell on the server (farm-out), and its variables come back to the browser', async () => {
    const notebook = await notebookWith(SERVER_ONLY);
    await notebook.run(0);
    const running = notebook.run(1);
    (await offerButton(notebook, /^Run this cell on /)).click();
    expect((await running)?.content.status).to.equal('ok');
    expect(notebook.kernel).to.be.instanceOf(PyodideKernel);
    expect(outputText(notebook, 1)).to.match(/in: x .*out: y/s);
    expect(outputText(notebook, 1)).to.include('1.0');
    expect((await notebook.run(2))?.content.status).to.equal('ok');
    expect(outputText(notebook, 2)).to.equal('42');
    // The farmed-out cell is numbered in the notebook's own sequence, not the server session's.
    const counts = notebook.toJSON().cells.map((c) => (c as { execution_count: number }).execution_count);
    expect(counts[1]).to.equal(counts[0] + 1);
    expect(counts[2]).to.equal(counts[1] + 1);
  });

  it('Stay runs the cell in the browser (where the import fails) and does not ask again', async () => {
    const notebook = await notebookWith(SERVER_ONLY);
    await notebook.run(0);
    const running = notebook.run(1);
    (await offerButton(notebook, /^Stay/)).click();
    expect((await running)?.content.status).to.equal('error');
    expect(outputText(notebook, 1)).to.include('acme_metrics');
    expect((await notebook.run(1))?.content.status).to.equal('error');
    expect(notice(notebook)?.querySelector('button:not([aria-label="Dismiss"])') ?? null).to.equal(null);
    expect(notebook.kernel).to.be.instanceOf(PyodideKernel);
  });

  it('switches by itself with placement="auto"', async () => {
    const notebook = await notebookWith(SERVER_ONLY, { placement: 'auto' });
    const replies = await notebook.runAll();
    expect(replies.map((r) => r?.content.status)).to.deep.equal(['ok', 'ok', 'ok']);
    expect(notebook.kernel).to.be.instanceOf(RemoteKernel);
    expect(outputText(notebook, 2)).to.equal('42');
    expect(notice(notebook)!.textContent).to.match(/Switched to .*imports `acme_metrics`.*Replayed the 1 cell/);
  });

  it('never looks with placement="off"', async () => {
    const notebook = await notebookWith(SERVER_ONLY, { placement: 'off' });
    const replies = await notebook.runAll();
    expect(replies.map((r) => r?.content.status)).to.deep.equal(['ok', 'error']);
    expect(outputText(notebook, 1)).to.include('ModuleNotFoundError');
    expect(notice(notebook)).to.equal(null);
  });

  it('says what is missing when no server is configured', async () => {
    const notebook = await notebookWith(SERVER_ONLY, { servers: [] });
    await notebook.run(0);
    expect((await notebook.run(1))?.content.status).to.equal('error');
    const text = await waitFor(() => notice(notebook)?.textContent, 'the no-server message');
    expect(text).to.include('imports `acme_metrics`');
    expect(text).to.include('configures no Jupyter Server');
    expect(text).to.include('servers property');
  });

  it('gives the memory verdict to a cell that allocates past what a tab can hold', async () => {
    const notebook = await notebookWith(['big = bytearray(2**31 - 1)']);
    expect((await notebook.run(0))?.content.status).to.equal('error');
    expect(outputText(notebook, 0)).to.include('MemoryError');
    await offerButton(notebook, /^Switch to /);
    expect(notice(notebook)!.textContent).to.include('Cell 1 ran out of memory in the browser');
  });

  it('a %%remote cell runs on the server while the notebook stays in the browser', async () => {
    const notebook = await notebookWith(['n = 4', '%%remote\nimport acme_metrics\nm = n * 10', 'm + 2']);
    expect((await notebook.runAll()).map((r) => r?.content.status)).to.deep.equal(['ok', 'ok', 'ok']);
    expect(notebook.kernel).to.be.instanceOf(PyodideKernel);
    expect(outputText(notebook, 2)).to.equal('42');
    expect(notice(notebook)).to.equal(null);
  });

  it('a %%remote cell without a server says so in the cell', async () => {
    const notebook = await notebookWith(['%%remote\nprint(1)'], { servers: [] });
    expect((await notebook.run(0))?.content.status).to.equal('error');
    expect(outputText(notebook, 0)).to.match(/FarmOutError: .*configures no Jupyter Server/);
  });

  it('a switch replays the cells run so far and stops at the first that fails there', async () => {
    const notebook = await notebookWith(['x = 20', 'import platform\nassert platform.system() == "Emscripten", "only in a browser"', ...SERVER_ONLY.slice(1)], { placement: 'auto' });
    await notebook.run(0);
    expect((await notebook.run(1))?.content.status).to.equal('ok');
    await notebook.run(2);
    expect(notebook.kernel).to.be.instanceOf(RemoteKernel);
    // Cell 2 holds only in a browser: the replay stops there, and says so.
    const text = notice(notebook)!.textContent!;
    expect(text).to.match(/replay stopped at Cell 2 \(AssertionError: only in a browser\)/);
    expect(notice(notebook)!.classList.contains('error')).to.equal(true);
    expect(outputText(notebook, 1)).to.include('AssertionError');
  });

  it('gives the heap verdict, measured from the runtime, above the share a host allows', async () => {
    const notebook = await notebookWith(['a = 1'], { placementOptions: { thresholds: { heapLimitBytes: 2 ** 20, heapShare: 0.5 } } });
    expect((await notebook.run(0))?.content.status).to.equal('ok');
    await offerButton(notebook, /^Switch to /);
    expect(notice(notebook)!.textContent).to.match(/Cell 1 uses [\d.]+ [MG]B of the 1(\.0)? MB/);
  });

  it('gives the table-size verdict to a %%sql cell whose result is above the threshold', async () => {
    const notebook = await notebookWith(['%%sql t --conn placement-duckdb\nSELECT range AS n FROM range(1000)'], { placementOptions: { thresholds: { tableBytes: 4000 } } });
    expect((await notebook.run(0))?.content.status, outputText(notebook, 0)).to.equal('ok');
    await offerButton(notebook, /^Switch to /);
    expect(notice(notebook)!.textContent).to.match(/Cell 1 brought [\d.]+ KB of tables into the tab \(more than [\d.]+ KB\)/);
  });

  it('shuts the farm-out session down with the notebook', async () => {
    const before = new Set(await serverKernelIds());
    const notebook = await notebookWith(['n = 1', '%%remote\nm = n + 1']);
    expect((await notebook.runAll()).map((r) => r?.content.status)).to.deep.equal(['ok', 'ok']);
    const farmed = (await serverKernelIds()).filter((id) => !before.has(id));
    expect(farmed).to.have.length(1);
    notebook.remove();
    await waitFor(async () => !(await serverKernelIds()).includes(farmed[0]), 'the farm-out kernel shut down', 30_000);
  });

  it('a notebook saved after a switch opens on the server kernel again', async () => {
    const notebook = await notebookWith(SERVER_ONLY, { placement: 'auto' });
    await notebook.runAll();
    const saved = notebook.toJSON();
    const reopened = await notebookWith([]);
    reopened.load(saved);
    await waitFor(() => reopened.kernel instanceof RemoteKernel, 'the reopened notebook on the server kernel', 30_000);
    expect(reopened.toJSON().cells.map((c) => c.source)).to.deep.equal(SERVER_ONLY);
  });
});
