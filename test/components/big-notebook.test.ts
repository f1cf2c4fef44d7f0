import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../components/bento-notebook/bento-notebook.ts';
import type { BentoCell } from '../../components/bento-cell/bento-cell.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import { PyodideKernel } from '../../src/kernel/pyodide/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { parseNotebook, serializeNotebook } from '../../src/notebook/ipynb.ts';
import { joinSource } from '../../src/notebook/nbformat.ts';
import { codeNotebook, testRuntimeOptions, waitFor } from '../helpers.ts';

// A notebook of a thousand cells renders the cells in view first and the rest later (render-later.ts): what a person
// relies on must not depend on which cells have rendered yet. The notebook is the benchmark's (big-notebook figure),
// served by the test runner from its generator.
const BIG = '/big-notebook.ipynb';

const runtime = new PyodideRuntime(testRuntimeOptions());
after(() => runtime.terminate());

async function bigNotebook(): Promise<BentoNotebook> {
  const el = await fixture<BentoNotebook>(html`<bento-notebook no-autosave src=${BIG} .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
  if (el.cells.length < 1000) await oneEvent(el, 'bento-load');
  return el;
}

/** The cell shows its source (it has rendered), and it is on screen. */
function shownOnScreen(cell: BentoCell): boolean {
  const text = cell.shadowRoot?.querySelector('.static, .markdown:not(.pending), .cm-content')?.textContent ?? '';
  const rect = cell.getBoundingClientRect();
  return text.length > 0 && rect.bottom > 0 && rect.top < innerHeight;
}

describe('a notebook of a thousand cells', () => {
  it('loaded by src, holds every cell and saves exactly what it loaded', async () => {
    const original = await (await fetch(BIG)).text();
    const el = await bigNotebook();
    // At once, before most cells have rendered.
    expect(el.cells.length).to.equal(1000);
    const expected = parseNotebook(original);
    expect(serializeNotebook(el.toJSON())).to.equal(serializeNotebook(expected));
    // And once every cell has rendered.
    await el.updateComplete;
    expect(el.cells.every((cell) => cell.shadowRoot?.querySelector('.cell'))).to.equal(true);
    expect(serializeNotebook(el.toJSON())).to.equal(serializeNotebook(expected));
  });

  it('makes its cells a slice at a time, saves every one meanwhile, and fires bento-load once all are in the page', async () => {
    const text = await (await fetch(BIG)).text();
    const expected = serializeNotebook(parseNotebook(text));
    const el = await fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
    const loaded = oneEvent(el, 'bento-load');
    el.load(text);
    // The first screen is made at once, not the thousand cells; what is saved is the whole notebook all the same.
    expect(el.querySelectorAll('bento-cell').length).to.be.below(1000);
    expect(serializeNotebook(el.toJSON())).to.equal(expected);
    await loaded;
    expect(el.querySelectorAll('bento-cell').length).to.equal(1000);
    expect(serializeNotebook(el.toJSON())).to.equal(expected);
  });

  it('once every cell has rendered, lays the short cells out for good and leaves a very tall one skippable', async () => {
    const text = await (await fetch(BIG)).text();
    const notebook = parseNotebook(text);
    // One cell of 5,000 lines, where skipping its layout while out of view still pays.
    notebook.cells.splice(500, 0, { id: 'tall-cell', cell_type: 'code', metadata: {}, source: Array.from({ length: 5000 }, (_, i) => `x${i} = ${i}`).join('\n'), outputs: [], execution_count: null });
    const el = await fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
    el.load(serializeNotebook(notebook));
    const visibility = (cell: BentoCell) => getComputedStyle(cell).contentVisibility;
    // Scrolling back past a cell laid out for good costs no layout; `auto` would lay it out again each time.
    await waitFor(() => el.cells.filter((cell) => visibility(cell) === 'visible').length >= 990, 'the short cells to be laid out for good', 60_000);
    expect(visibility(el.cells[500])).to.equal('auto');
    expect(el.cells[500].source.split('\n').length).to.equal(5000);
  });

  it('gives every cell to whoever asks for `cells` while they are being made, in order', async () => {
    const text = await (await fetch(BIG)).text();
    const ids = parseNotebook(text).cells.map((cell) => cell.id);
    const el = await fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
    el.load(text);
    expect(el.cells.map((cell) => cell.cellId)).to.deep.equal(ids);
    // Those made at once this way still render, as the notebook's own slices would have made and rendered them.
    await el.updateComplete;
    expect(el.cells.every((cell) => cell.shadowRoot?.querySelector('.cell'))).to.equal(true);
  });

  it('moves to the last cell with the keyboard, scrolled into view and rendered', async () => {
    const el = await bigNotebook();
    // From a cell far below the first screen (as a click there would), a hundred cells down with the arrow key.
    el.cells[900].focus();
    for (let i = 900; i < 999; i++) await sendKeys({ press: 'ArrowDown' });
    const last = el.cells[999];
    await waitFor(() => last.active && document.activeElement === last, 'the last cell is not the active, focused one');
    await waitFor(() => shownOnScreen(last), 'the last cell is not rendered on screen');
    expect(last.shadowRoot!.querySelector('.static')!.textContent).to.equal(last.source);
  });

  it('runs all of a few hundred cells and keeps every result, and shows the last one when it is scrolled to', async () => {
    const el = await fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${new PyodideKernel({ runtime })}></bento-notebook>`);
    el.load(codeNotebook(Array.from({ length: 300 }, (_, i) => `${i} * 2`)));
    const replies = await el.runAll();
    expect(replies.length).to.equal(300);
    expect(replies.every((reply) => reply?.content.status === 'ok')).to.equal(true);
    const results = el.cells.map((cell) => cell.outputs.outputs.map((o) => (o.output_type === 'execute_result' ? joinSource(o.data['text/plain'] as string) : '')).join(''));
    expect(results).to.deep.equal(Array.from({ length: 300 }, (_, i) => String(i * 2)));
    const last = el.cells[299];
    last.scrollIntoView();
    const area = await waitFor(() => last.shadowRoot?.querySelector('bento-output-area')?.shadowRoot?.querySelector('.outputs'), 'the last result is not rendered');
    expect(area.textContent).to.include('598');
  });
});
