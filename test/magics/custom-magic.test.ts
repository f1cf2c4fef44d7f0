// A host page registers its own magic and element, as the README shows: the notebook gives such cells to the
// element, runs them in order with the Python cells, and saves them as ordinary code cells.
import { expect, fixture, html } from '@open-wc/testing';
import '../../components/bento-notebook/bento-notebook.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import type { BentoCell } from '../../components/bento-cell/bento-cell.ts';
import { ColumnTable } from '../../src/data/table.ts';
import { parseCellMagic, parseMagicArguments, registerCellMagic, type CellMagicSpec, type MagicCellElement, type MagicRunContext } from '../../src/magics/magics.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { joinSource } from '../../src/notebook/nbformat.ts';
import { testRuntimeOptions, waitFor } from '../helpers.ts';
import { RemoteKernel } from '../../src/kernel/remote/kernel.ts';
import { jupyterServer } from '../kernel/remote/server.ts';
import '../../components/bento-cell/bento-cell.ts';

PyodideRuntime.configureDefault(testRuntimeOptions());
after(() => PyodideRuntime.default().terminate());

const WORDS: CellMagicSpec = {
  name: 'words',
  tagName: 'test-words-cell',
  positionals: [{ name: 'var', kind: 'identifier' }],
  options: { upper: { type: 'flag' } },
};

/** `%%words var [--upper]`: the words of the body, as a one-column table bound to `var`. */
class WordsCell extends HTMLElement implements MagicCellElement {
  source = '';
  runs = 0;
  isEditing = false;
  async run(context: MagicRunContext) {
    this.runs++;
    const magic = parseCellMagic(this.source)!;
    const args = parseMagicArguments(WORDS, magic.argText);
    // Work in JavaScript first (a fetch would go here), then inject.
    await new Promise((resolve) => setTimeout(resolve, 200));
    let words = magic.body.split(/\s+/).filter(Boolean);
    if (args.options.upper) words = words.map((w) => w.toUpperCase());
    await context.kernel().inject(args.positionals.var!, ColumnTable.fromArrays([{ name: 'word', type: 'string', values: words }]));
    return { summary: `${words.length} words into ${args.positionals.var}` };
  }
  cancel() {}
  async edit() {}
  stopEditing() {}
}
customElements.define('test-words-cell', WordsCell);
registerCellMagic(WORDS);

/** `%%stuck`: fetches a URL that never answers, with the run's signal and an empty cancel(), as the README's magic does. */
class StuckCell extends HTMLElement implements MagicCellElement {
  source = '';
  started = 0;
  isEditing = false;
  async run({ signal }: MagicRunContext) {
    this.started++;
    const response = await fetch(`/never-answers/${crypto.randomUUID()}`, { signal });
    return { summary: `answered ${response.status}` };
  }
  cancel() {}
  async edit() {}
  stopEditing() {}
}
customElements.define('test-stuck-cell', StuckCell);
registerCellMagic({ name: 'stuck', tagName: 'test-stuck-cell' });

function text(cell: BentoCell): string {
  return cell.outputs.outputs
    .map((o) => (o.output_type === 'stream' ? joinSource(o.text) : o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : joinSource((o.data['text/plain'] as string) ?? '')))
    .join('');
}

async function notebook(...sources: string[]): Promise<BentoNotebook> {
  const nb = await fixture<BentoNotebook>(html`<bento-notebook no-autosave></bento-notebook>`);
  nb.load({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: sources.map((source, i) => ({ id: `c${i}`, cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null })) });
  await nb.updateComplete;
  return nb;
}

describe('a magic registered by the host page', () => {
  it('renders its cell with the registered element and runs it in JavaScript, then Python sees the variable', async () => {
    const nb = await notebook('%%words w --upper\nhello brave world', 'print(len(w), list(w["word"]))');
    const [magicCell, pythonCell] = nb.cells;
    const element = magicCell.shadowRoot!.querySelector('test-words-cell') as WordsCell;
    expect(element, 'the magic cell is rendered by its element').to.exist;
    expect(element.source).to.equal('%%words w --upper\nhello brave world');
    const replies = await nb.runAll();
    expect(replies.map((r) => r?.content.status)).to.deep.equal(['ok', 'ok']);
    expect(element.runs).to.equal(1);
    expect(text(magicCell)).to.equal('3 words into w');
    expect(text(pythonCell)).to.equal("3 ['HELLO', 'BRAVE', 'WORLD']\n");
  });

  it('keeps the order of runs asked for at once: a Python cell after a magic one waits for it', async () => {
    const nb = await notebook('import time\ntime.sleep(0.3)\nw = None', '%%words w\nlate words', 'print(list(w["word"]))');
    const runs = nb.cells.map((cell) => cell.run());
    await Promise.all(runs);
    expect(text(nb.cells[2])).to.equal("['late', 'words']\n");
  });

  it('saves the cell as an ordinary code cell with its magic line and a one-line output', async () => {
    const nb = await notebook('%%words w\na b');
    await nb.runAll();
    const [cell] = nb.toJSON().cells;
    expect(cell.cell_type).to.equal('code');
    expect(joinSource(cell.source)).to.equal('%%words w\na b');
    expect((cell as { outputs: unknown[] }).outputs).to.deep.equal([{ output_type: 'display_data', data: { 'text/plain': '2 words into w' }, metadata: { bento: { magic: 'summary' } } }]);
  });

  it('shows a wrong argument as a UsageError naming it, and Run all stops there', async () => {
    const nb = await notebook('%%words 1w\nx', 'print("not reached")');
    const replies = await nb.runAll();
    expect(replies.length).to.equal(1);
    expect(replies[0]?.content.status).to.equal('error');
    expect(text(nb.cells[0])).to.equal("UsageError: '1w' is not a valid Python variable name (argument var).\nUsage: %%words [var] [--upper]");
    expect(nb.cells[1].outputs.outputs).to.deep.equal([]);
  });

  it('leaves cells whose magic nobody registered to the kernel', async () => {
    const nb = await notebook('%%nobody_registered_this\n1 + 1');
    expect(nb.cells[0].shadowRoot!.querySelector('test-words-cell, sql-cell')).to.equal(null);
    const [reply] = await nb.runAll();
    // The serverless kernel has no such magic and says so, as IPython does.
    expect(reply?.content.status).to.equal('error');
    expect(text(nb.cells[0])).to.match(/^UsageError: Cell magic `%%nobody_registered_this` not found\./);
  });
});

/** The cell's status line ("not run: an earlier cell failed", "queued", ...). */
async function status(cell: BentoCell): Promise<string> {
  await cell.updateComplete;
  return cell.shadowRoot!.querySelector('.status')?.textContent ?? '';
}

describe('runs queued behind a failed one are not made, as Jupyter aborts them', () => {
  it('a magic cell queued behind a failing Python cell is not run, binds nothing, and says why', async () => {
    const nb = await notebook('import time\ntime.sleep(0.3)\nraise ValueError("stop here")', '%%words queued_words\nnot fetched', 'print("not reached")');
    const element = nb.cells[1].shadowRoot!.querySelector('test-words-cell') as WordsCell;
    // As Shift+Enter on each cell in turn does: every run is asked for before the first one has answered.
    const replies = await Promise.all(nb.cells.map((cell) => cell.run()));
    expect(replies.map((r) => r?.content.status)).to.deep.equal(['error', 'aborted', 'aborted']);
    expect(element.runs, 'the magic did no work').to.equal(0);
    for (const cell of nb.cells.slice(1)) {
      expect(await status(cell)).to.equal('not run: an earlier cell failed');
      expect(cell.count).to.equal(null);
      expect(cell.outputs.outputs).to.deep.equal([]);
    }
    // Run again once the failure has shown: it runs, and nothing was bound before.
    nb.cells[2].source = "print('queued_words' in globals())";
    await nb.run(2);
    expect(text(nb.cells[2])).to.equal('False\n');
    expect((await nb.run(1))?.content.status).to.equal('ok');
    expect(element.runs).to.equal(1);
  });

  it('a Python cell queued behind a failing magic cell is not run; one asked for after the failure runs', async () => {
    const nb = await notebook('%%words 1w\nwrong argument', 'after_magic = True', 'print("after_magic" in globals())');
    const replies = await Promise.all([nb.run(0), nb.run(1)]);
    expect(replies.map((r) => r?.content.status)).to.deep.equal(['error', 'aborted']);
    expect(await status(nb.cells[1])).to.equal('not run: an earlier cell failed');
    await nb.run(2);
    expect(text(nb.cells[2])).to.equal('False\n');
  });

  it('a magic cell queued behind a succeeding one runs', async () => {
    const nb = await notebook('import time\ntime.sleep(0.2)', '%%words fine\nstill fetched', 'print(list(fine["word"]))');
    const replies = await Promise.all(nb.cells.map((cell) => cell.run()));
    expect(replies.map((r) => r?.content.status)).to.deep.equal(['ok', 'ok', 'ok']);
    expect(text(nb.cells[2])).to.equal("['still', 'fetched']\n");
  });
});

describe('stopping a magic cell', () => {
  async function stuckRun(): Promise<{ nb: BentoNotebook; cell: BentoCell; running: Promise<unknown> }> {
    const nb = await notebook('%%stuck\nwaits for an answer', 'print("not reached")');
    const cell = nb.cells[0];
    const element = cell.shadowRoot!.querySelector('test-stuck-cell') as StuckCell;
    const running = nb.runAll();
    await waitFor(() => element.started === 1 && cell.state === 'running', 'the magic never started');
    return { nb, cell, running };
  }

  async function shownError(cell: BentoCell): Promise<string> {
    await cell.updateComplete;
    const area = cell.shadowRoot!.querySelector('bento-output-area')!;
    await area.updateComplete;
    return area.shadowRoot!.textContent!.replace(/\s+/g, ' ').trim();
  }

  it('Interrupt aborts the signal of a running magic: its fetch ends and the cell says so', async () => {
    const { nb, cell, running } = await stuckRun();
    await nb.interrupt();
    const replies = (await running) as Array<{ content: { status: string } } | undefined>;
    expect(replies.map((r) => r?.content.status), 'Run all stops at the interrupted cell').to.deep.equal(['error']);
    expect(text(cell)).to.match(/^KeyboardInterrupt: .*interrupted/);
    expect(await shownError(cell)).to.match(/KeyboardInterrupt.*interrupted/);
    expect(nb.cells[1].outputs.outputs).to.deep.equal([]);
  });

  it('Restart aborts it too', async () => {
    const { nb, cell, running } = await stuckRun();
    expect(await nb.restart()).to.equal(true);
    await running;
    expect(cell.state).to.equal('error');
    expect(text(cell)).to.match(/^KeyboardInterrupt: .*restarted/);
  });

  it("the cell's cancel() aborts it", async () => {
    const { cell, running } = await stuckRun();
    cell.cancel();
    await running;
    expect(cell.state).to.equal('error');
    expect(text(cell)).to.match(/^KeyboardInterrupt: /);
  });
});

describe('magics on a Jupyter Server kernel', () => {
  let kernel: RemoteKernel;
  before(async () => {
    kernel = new RemoteKernel({ server: jupyterServer() });
    await kernel.ready();
  });
  after(() => kernel.shutdown());

  it('runs a registered magic in the page and injects into the server kernel: the same cell, another kernel', async () => {
    const magic = await fixture<BentoCell>(html`<bento-cell .kernel=${kernel}></bento-cell>`);
    magic.source = '%%words w --upper\nfrom the page';
    const reply = await magic.run();
    expect(reply?.content.status).to.equal('ok');
    const python = await fixture<BentoCell>(html`<bento-cell .kernel=${kernel}>print(type(w).__name__, w["word"].tolist())</bento-cell>`);
    await python.run();
    expect(text(python)).to.equal("DataFrame ['FROM', 'THE', 'PAGE']\n");
  });

  it('a magic cell queued behind a failing Python cell is not run there either, nor the code queued behind it', async () => {
    const cells = await Promise.all(
      ['import time\ntime.sleep(0.3)\nraise ValueError("stop here")', '%%words remote_words\nnot fetched', 'remote_after = True'].map((source) =>
        fixture<BentoCell>(html`<bento-cell .kernel=${kernel} .source=${source}></bento-cell>`),
      ),
    );
    const replies = await Promise.all(cells.map((cell) => cell.run()));
    expect(replies.map((r) => r?.content.status)).to.deep.equal(['error', 'aborted', 'aborted']);
    expect(await status(cells[1])).to.equal('not run: an earlier cell failed');
    const check = await fixture<BentoCell>(html`<bento-cell .kernel=${kernel}>print('remote_words' in globals(), 'remote_after' in globals())</bento-cell>`);
    await check.run();
    expect(text(check)).to.equal('False False\n');
  });

  it("hands a magic nobody registered to the kernel untouched: IPython's own %%timeit works", async () => {
    const cell = await fixture<BentoCell>(html`<bento-cell .kernel=${kernel}></bento-cell>`);
    cell.source = '%%timeit -n1 -r1\nsum(range(1000))';
    const reply = await cell.run();
    expect(reply?.content.status).to.equal('ok');
    expect(text(cell)).to.match(/per loop/);
  });
});
