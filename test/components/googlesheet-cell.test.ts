// <googlesheet-cell> alone (a docs page) and as the face of a `%%googlesheet` notebook cell, on both kernels, reading
// from this run's stand-in for Google (scripts/fake-google.mjs; Google itself is unreachable from the test machines).
import { expect, fixture, html } from '@open-wc/testing';
import '../../components/googlesheet-cell/googlesheet-magic.ts';
import '../../components/googlesheet-cell/googlesheet-cell.ts';
import '../../components/bento-cell/bento-cell.ts';
import '../../components/bento-notebook/bento-notebook.ts';
import type { GoogleSheetCell } from '../../components/googlesheet-cell/googlesheet-cell.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import { registerSheetSource, unregisterSheetSource } from '../../src/data/sheet-sources.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { RemoteKernel } from '../../src/kernel/remote/kernel.ts';
import { joinSource } from '../../src/notebook/nbformat.ts';
import { outputText, shownRows, testRuntimeOptions, waitFor } from '../helpers.ts';
import { jupyterServer } from '../kernel/remote/server.ts';

const google = (window as unknown as { __bentoFakeGoogle: { url: string; apiKey: string; token: string } }).__bentoFakeGoogle;

PyodideRuntime.configureDefault(testRuntimeOptions());
after(() => PyodideRuntime.default().terminate());

before(() => {
  registerSheetSource({ name: 'public', csvBase: google.url, retry: { baseDelayMs: 5 } });
  registerSheetSource({ name: 'team', label: 'Team sheets', apiBase: google.url, getAccessToken: async () => google.token });
});
after(() => {
  unregisterSheetSource('public');
  unregisterSheetSource('team');
});

const rowsOf = shownRows;

const USAGE = 'Usage: %%googlesheet [var] [--sheet NAME] [--range A1:F] [--header N] [--no-header] [--source NAME]';

describe('<googlesheet-cell> on a documentation page', () => {
  it('reads a public sheet and shows the table without starting Python', async () => {
    const cell = await fixture<GoogleSheetCell>(html`<googlesheet-cell sheet="Customers">https://docs.google.com/spreadsheets/d/public-orders/edit</googlesheet-cell>`);
    expect(cell.source).to.equal('%%googlesheet --sheet Customers\nhttps://docs.google.com/spreadsheets/d/public-orders/edit');
    cell.shadowRoot!.querySelector<HTMLButtonElement>('button.run')!.click();
    await waitFor(() => rowsOf(cell).length === 2, 'the result table');
    expect(rowsOf(cell)).to.deep.equal([
      ['1', 'Ada', '2020-03-01'],
      ['2', 'Grace', '2021-11-30'],
    ]);
    expect(cell.result!.schema.map((c) => c.type)).to.deep.equal(['int64', 'string', 'date']);
    expect(PyodideRuntime.default().state, 'Python was not started').to.equal('stopped');
    await expect(cell).to.be.accessible();
  });

  it('shows the notes on renamed headers under the table', async () => {
    const cell = await fixture<GoogleSheetCell>(html`<googlesheet-cell .header=${3}>header-quirks</googlesheet-cell>`);
    expect(cell.source).to.equal('%%googlesheet --header 3\nheader-quirks');
    await cell.run();
    const view = cell.shadowRoot!.querySelector('bento-table-view')!;
    await view.updateComplete;
    const footer = view.shadowRoot!.querySelector('.footer')!.textContent!;
    expect(footer).to.contain("'region' appears more than once in the header: column 3 is named 'region_3'.");
    expect(footer).to.contain("Columns 2, 6 have no header: named 'column_2', 'column_6'.");
  });

  it('says what to do when a sheet is not shared publicly, and keeps the text', async () => {
    const cell = await fixture<GoogleSheetCell>(html`<googlesheet-cell>private-orders</googlesheet-cell>`);
    await cell.run().catch(() => undefined);
    expect(cell.shadowRoot!.querySelector('.error')!.textContent).to.contain('the sheet is not shared publicly; register a source with an API key or token');
    expect(cell.source).to.equal('%%googlesheet\nprivate-orders');
  });

  it('follows the form: source picker, tab, range and header row write the magic line', async () => {
    const cell = await fixture<GoogleSheetCell>(html`<googlesheet-cell>public-orders</googlesheet-cell>`);
    const select = cell.shadowRoot!.querySelector('select')!;
    expect([...select.options].map((o) => o.textContent)).to.include('Team sheets');
    select.value = 'team';
    select.dispatchEvent(new Event('change'));
    const field = (label: string) => cell.shadowRoot!.querySelector<HTMLInputElement>(`input[aria-label="${label}"]`)!;
    field('Tab').value = 'Orders';
    field('Tab').dispatchEvent(new Event('change'));
    field('Range (A1 notation)').value = 'A1:C';
    field('Range (A1 notation)').dispatchEvent(new Event('change'));
    await cell.updateComplete;
    expect(cell.source).to.equal('%%googlesheet --sheet Orders --range A1:C --source team\npublic-orders');
    cell.source = '%%googlesheet out --no-header\npublic-orders';
    await cell.updateComplete;
    expect(cell.noHeader).to.equal(true);
    expect(field('Header row').disabled).to.equal(true);
  });
});

describe('a %%googlesheet cell in a notebook', () => {
  async function notebook(kernel: Kernel | undefined, ...sources: string[]): Promise<BentoNotebook> {
    const nb = await fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${kernel}></bento-notebook>`);
    nb.load({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: sources.map((source, i) => ({ id: `c${i}`, cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null })) });
    await nb.updateComplete;
    return nb;
  }

  /** Spelled backwards in the checking cell: that cell's own text is in the kernel's history. */
  const tokenAbsent = () =>
    `print(any(${JSON.stringify([...google.token].reverse().join(''))}[::-1] in repr(v) for k, v in globals().items() if k not in ("In", "_ih") and not k.startswith("_i")))`;

  for (const kernelKind of ['pyodide', 'jupyter'] as const) {
    describe(`on the ${kernelKind === 'pyodide' ? 'browser (Pyodide)' : 'Jupyter Server'} kernel`, () => {
      let kernel: Kernel | undefined;
      before(() => {
        kernel = kernelKind === 'jupyter' ? new RemoteKernel({ server: jupyterServer() }) : undefined;
      });
      after(async () => {
        await kernel?.shutdown();
      });

      it('renders as a <googlesheet-cell>, binds the sheet for the next cell, and saves as a plain code cell', async () => {
        const check =
          kernelKind === 'jupyter'
            ? 'print(type(orders).__name__, len(orders), str(orders["order_id"].dtype), str(orders["paid"].dtype), orders["amount"].iloc[0], str(orders["ordered_on"].iloc[1])[:10], orders["note"].iloc[1])'
            : 'print(type(orders).__name__, len(orders), orders["order_id"][0], orders["amount"][0], orders["paid"][1], orders["ordered_on"][1], orders["note"][1])';
        const nb = await notebook(kernel, '%%googlesheet orders --sheet Orders\nhttps://docs.google.com/spreadsheets/d/public-orders/edit#gid=0', check);
        const cell = nb.cells[0].shadowRoot!.querySelector('googlesheet-cell')!;
        expect(cell, 'the magic cell is a <googlesheet-cell>').to.exist;
        expect(cell.hasAttribute('show-magic')).to.equal(true);
        const replies = await nb.runAll();
        expect(replies.map((r) => r?.content.status), outputText(nb.cells[0])).to.deep.equal(['ok', 'ok']);
        expect(outputText(nb.cells[0])).to.match(/^4 rows × 8 columns from Google Sheets \(public link\): public-orders · Orders in [\d.]+ m?s, bound to orders$/);
        expect(outputText(nb.cells[1])).to.equal(
          kernelKind === 'jupyter' ? 'DataFrame 4 int64 boolean 1234.5 2024-02-29 line one\nline two\n' : 'Table 4 1001 1234.5 False 2024-02-29 line one\nline two\n',
        );
        expect(joinSource(nb.toJSON().cells[0].source)).to.equal('%%googlesheet orders --sheet Orders\nhttps://docs.google.com/spreadsheets/d/public-orders/edit#gid=0');
      });

      it('reads a private sheet through a registered source; the token never reaches Python, outputs or the saved notebook', async () => {
        const nb = await notebook(kernel, '%%googlesheet people --source team --sheet Customers\nprivate-orders', 'print(list(people["name"]))', tokenAbsent());
        const replies = await nb.runAll();
        expect(replies.map((r) => r?.content.status), outputText(nb.cells[0])).to.deep.equal(['ok', 'ok', 'ok']);
        expect(outputText(nb.cells[0])).to.contain('from Team sheets: private-orders · Customers');
        expect(outputText(nb.cells[1])).to.equal("['Ada', 'Grace']\n");
        expect(outputText(nb.cells[2])).to.equal('False\n');
        expect(JSON.stringify(nb.toJSON())).not.to.contain(google.token);
      });

      it('answers a wrong argument with the argument and the usage line, and binds nothing', async () => {
        const nb = await notebook(kernel, '%%googlesheet df --header 2 --no-header\npublic-orders', '%%googlesheet df --tab Orders\npublic-orders', 'print("df" in globals())');
        await nb.run(0);
        expect(outputText(nb.cells[0])).to.equal(`UsageError: --header N and --no-header contradict each other: give one of them.\n${USAGE}`);
        await nb.run(1);
        expect(outputText(nb.cells[1])).to.equal(`UsageError: Unknown option --tab for %%googlesheet (it takes --sheet, --range, --header, --no-header, --source).\n${USAGE}`);
        await nb.run(2);
        expect(outputText(nb.cells[2])).to.equal('False\n');
      });

      it("stops a read Google has not answered when the notebook's Interrupt is pressed, and binds nothing", async () => {
        const nb = await notebook(kernel, `%%googlesheet stuck --sheet Orders\nhang-${Math.random().toString(36).slice(2)}`, 'print("stuck" in globals())');
        const running = nb.run(0);
        const cell = nb.cells[0].shadowRoot!.querySelector('googlesheet-cell')!;
        await waitFor(() => cell.isRunning, 'the read never started');
        await nb.interrupt();
        const reply = await running;
        expect(reply?.content.status).to.equal('error');
        expect(outputText(nb.cells[0])).to.match(/interrupted|cancelled/i);
        await nb.run(1);
        expect(outputText(nb.cells[1])).to.equal('False\n');
      });
    });
  }
});
