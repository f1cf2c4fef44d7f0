// A %%magic cell whose element is a chunk not loaded yet (<sql-cell>, <googlesheet-cell>, <dataframe-cell>): it shows
// the magic's badge over its text at once, loads the element once its kernel has started, or at once when it is run
// or edited, and never loses its text. Each test uses another magic: once loaded, an element stays loaded in this page.
// Real Pyodide, real DuckDB-WASM, real CodeMirror.
import { expect, fixture, html } from '@open-wc/testing';
import '../../components/sql-cell/sql-magic.ts';
import '../../components/googlesheet-cell/googlesheet-magic.ts';
import '../../components/dataframe-cell/dataframe-magic.ts';
import '../../components/bento-cell/bento-cell.ts';
import '../../components/bento-notebook/bento-notebook.ts';
import type { BentoCell } from '../../components/bento-cell/bento-cell.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import { registerConnector, registerConnectorKind } from '../../src/data/connectors.ts';
import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { outputText, testRuntimeOptions, waitFor } from '../helpers.ts';

PyodideRuntime.configureDefault(testRuntimeOptions());
const runtimes: PyodideRuntime[] = [PyodideRuntime.default()];
after(() => runtimes.forEach((runtime) => runtime.terminate()));

performance.setResourceTimingBufferSize(100_000);
// The embedded DuckDB, as a kind of its own that notes whether <sql-cell> was defined when the connector was made.
const connectorsMade: { sqlCellDefined: boolean }[] = [];
registerConnectorKind('duckdb-noted', async (config) => {
  connectorsMade.push({ sqlCellDefined: customElements.get('sql-cell') !== undefined });
  return new (await import('../../src/data/duckdb.ts')).DuckDBConnector(config);
});
registerConnector({ name: 'local', kind: 'duckdb-noted', options: { bundleURL: '/node_modules/@duckdb/duckdb-wasm/dist/' } });

/** A notebook of code cells on a kernel of its own, which starts booting now. */
async function notebook(...sources: string[]): Promise<{ nb: BentoNotebook; kernel: PyodideKernel }> {
  const runtime = new PyodideRuntime(testRuntimeOptions());
  runtimes.push(runtime);
  const kernel = new PyodideKernel({ runtime });
  const nb = await fixture<BentoNotebook>(html`<bento-notebook no-autosave></bento-notebook>`);
  nb.kernel = kernel;
  nb.load({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: sources.map((source, i) => ({ id: `c${i}`, cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null })) });
  await nb.updateComplete;
  return { nb, kernel };
}

/** What the cell shows before its element has loaded: the badge and the text, or null once the element is there. */
function standIn(cell: BentoCell): { badge: string; text: string; highlighted: boolean } | null {
  const badge = cell.shadowRoot!.querySelector('.badge');
  const pre = cell.shadowRoot!.querySelector('pre.static');
  if (!badge || !pre) return null;
  return { badge: badge.textContent!, text: pre.textContent!, highlighted: pre.querySelector('[class^="tok-"]') !== null };
}

const element = (cell: BentoCell, tag: string) => cell.shadowRoot!.querySelector(tag) as (HTMLElement & { source: string; updateComplete: Promise<unknown> }) | null;

describe('a magic cell before its element has loaded', () => {
  it('shows the badge over its text while the kernel starts, and its element with the same text once the kernel has started', async () => {
    const source = '%%googlesheet orders --sheet Orders\nhttps://docs.google.com/spreadsheets/d/1AbC/edit';
    const { nb, kernel } = await notebook(source);
    let kernelIdleAt: number | undefined;
    kernel.onStatusChange(({ status }) => {
      if (status === 'idle') kernelIdleAt ??= performance.now();
    });
    const cell = nb.cells[0];
    expect(kernel.status, 'the kernel is still starting').to.equal('starting');
    expect(standIn(cell)).to.deep.equal({ badge: 'Sheet', text: source, highlighted: false });
    await expect(cell).to.be.accessible();

    const sheet = await waitFor(() => element(cell, 'googlesheet-cell'), 'the element never loaded', 120_000);
    expect(sheet.source).to.equal(source);
    expect(cell.source).to.equal(source);
    expect(standIn(cell), 'the stand-in is gone').to.equal(null);
    const chunk = performance.getEntriesByType('resource').find((entry) => entry.name.includes('/components/googlesheet-cell/googlesheet-cell.ts'))!;
    expect(kernelIdleAt, 'the kernel started').to.be.a('number');
    expect(chunk.startTime, 'the element waited for the kernel to start').to.be.greaterThan(kernelIdleAt!);
    expect(cell.count, 'nothing ran').to.equal(null);
  });

  it('runs when Run comes before the element has loaded, in order, with the height it had, its connector started meanwhile', async () => {
    const source = '%%sql answer --conn local\nSELECT 42 AS answer';
    const { nb, kernel } = await notebook(source, 'print(answer["answer"][0])');
    const cell = nb.cells[0];
    expect(kernel.status, 'the kernel is still starting').to.equal('starting');
    expect(customElements.get('sql-cell'), 'not loaded yet').to.equal(undefined);
    expect(standIn(cell)).to.deep.equal({ badge: 'SQL', text: source, highlighted: false });
    const badgeHeight = cell.shadowRoot!.querySelector('.badge')!.getBoundingClientRect().height;

    const replies = await nb.runAll();
    expect(replies.map((reply) => reply?.content.status)).to.deep.equal(['ok', 'ok']);
    expect(outputText(nb.cells[1])).to.equal('42\n');
    // The Run asked for the connector (its chunk, its engine) beside <sql-cell>'s chunk, not once that had loaded.
    expect(connectorsMade).to.deep.equal([{ sqlCellDefined: false }]);
    const sql = element(cell, 'sql-cell')!;
    expect(sql.source).to.equal(source);
    expect(cell.source).to.equal(source);
    await sql.updateComplete;
    // One line of controls: the badge's line was as tall, so the text below did not move.
    expect(sql.shadowRoot!.querySelector('.header')!.getBoundingClientRect().height).to.be.closeTo(badgeHeight, 0.5);
  });

  it('opens the editor on its text when it is edited before the element has loaded', async () => {
    const source = '%%dataframe winters --to cold_cities';
    const { nb } = await notebook(source);
    const cell = nb.cells[0];
    expect(customElements.get('dataframe-cell'), 'not loaded yet').to.equal(undefined);
    expect(standIn(cell)?.text).to.equal(source);
    cell.shadowRoot!.querySelector<HTMLElement>('pre.static')!.click();
    const upload = await waitFor(() => element(cell, 'dataframe-cell'), 'the element never loaded');
    const editor = await waitFor(() => upload.shadowRoot!.querySelector('.cm-content'), 'the editor never opened');
    expect(editor.textContent).to.equal(source);
    expect(cell.source).to.equal(source);
    expect(nb.toJSON().cells[0].source).to.equal(source);
  });
});
