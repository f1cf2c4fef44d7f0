// <graphql-cell> alone (a docs page) and as the face of a `%%graphql` notebook cell, against the real GraphQL
// server the test runner starts (scripts/graphql-server.mjs), on the browser kernel and on a Jupyter Server.
import { expect, fixture, html } from '@open-wc/testing';
import '../../components/graphql-cell/graphql-magic.ts';
import '../../components/graphql-cell/graphql-cell.ts';
import '../../components/bento-cell/bento-cell.ts';
import '../../components/bento-notebook/bento-notebook.ts';
import type { GraphQLCell } from '../../components/graphql-cell/graphql-cell.ts';
import type { BentoCell } from '../../components/bento-cell/bento-cell.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import { registerGraphQLEndpoint } from '../../src/data/graphql-endpoints.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { RemoteKernel } from '../../src/kernel/remote/kernel.ts';
import { joinSource } from '../../src/notebook/nbformat.ts';
import { outputText, shownRows, testRuntimeOptions, waitFor } from '../helpers.ts';
import { jupyterServer } from '../kernel/remote/server.ts';

PyodideRuntime.configureDefault(testRuntimeOptions());
after(() => PyodideRuntime.default().terminate());

const server = (window as unknown as { __bentoGraphQL: { url: string; origin: string; token: string } }).__bentoGraphQL;
// The shop needs its token: the cells must use it without it ever reaching Python, outputs or the notebook.
registerGraphQLEndpoint({ name: 'shop', url: `${server.origin}/private`, headers: { Authorization: `Bearer ${server.token}` } });

const rowsOf = shownRows;

/** Runs every cell, going on past errors (runAll stops at the first). */
async function runEach(nb: BentoNotebook) {
  const replies = [];
  for (let i = 0; i < nb.cells.length; i++) replies.push(await nb.run(i));
  return replies;
}

async function notebook(sources: string[], kernel?: Kernel): Promise<BentoNotebook> {
  const nb = await fixture<BentoNotebook>(html`<bento-notebook no-autosave></bento-notebook>`);
  if (kernel) nb.kernel = kernel;
  nb.load({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: sources.map((source, i) => ({ id: `c${i}`, cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null })) });
  await nb.updateComplete;
  return nb;
}

/** Python that prints True when the token is anywhere in the kernel's globals (spelled backwards in the cell's own text). */
const tokenInPython = () =>
  `print(any(${JSON.stringify([...server.token].reverse().join(''))}[::-1] in repr(v) for k, v in globals().items() if k not in ("In", "_ih") and not k.startswith("_i")))`;

describe('<graphql-cell> on a documentation page', () => {
  it('runs its query and shows the answer as JSON without starting Python', async () => {
    const cell = await fixture<GraphQLCell>(html`<graphql-cell endpoint="shop">{ shop { name address { city } } }</graphql-cell>`);
    expect(cell.source).to.equal('%%graphql --endpoint shop\n{ shop { name address { city } } }');
    cell.shadowRoot!.querySelector<HTMLButtonElement>('button.run')!.click();
    await waitFor(() => cell.hasResult, 'the answer');
    expect(cell.resultValue).to.deep.equal({ shop: { name: 'Bento Tea Co.', address: { city: 'Lisbon' } } });
    expect(JSON.parse(cell.shadowRoot!.querySelector('pre.value')!.textContent!)).to.deep.equal({ shop: { name: 'Bento Tea Co.', address: { city: 'Lisbon' } } });
    expect(PyodideRuntime.default().state, 'Python was not started').to.equal('stopped');
    await expect(cell).to.be.accessible();
  });

  it('shows a list of objects at its path as a table, all pages of it', async () => {
    const cell = await fixture<GraphQLCell>(html`<graphql-cell endpoint="shop" path="data.orders.nodes" paginate max-pages="3"
      >query ($after: String) { orders(first: 2, after: $after) { nodes { number customer { name } } pageInfo { hasNextPage endCursor } } }</graphql-cell
    >`);
    expect(cell.source.split('\n')[0]).to.equal('%%graphql --endpoint shop --path data.orders.nodes --paginate --max-pages 3');
    await cell.run();
    expect(rowsOf(cell)).to.deep.equal([
      ['1', 'Ana Silva'],
      ['2', 'Bram de Vries'],
      ['3', 'Chloé Peeters'],
      ['4', 'Dario Moreau'],
      ['5', 'Eva Rossi'],
      ['6', 'Filip Nowak'],
    ]);
    const view = cell.shadowRoot!.querySelector('bento-table-view')!;
    expect(view.shadowRoot!.textContent).to.contain('Stopped at the page limit (maxPages, --max-pages) after 3 pages; the connection has more.');
  });

  it('shows the server’s errors with their locations, and keeps the text', async () => {
    const cell = await fixture<GraphQLCell>(html`<graphql-cell endpoint="shop">{ shop { nam } }</graphql-cell>`);
    await cell.run().catch(() => undefined);
    const error = cell.shadowRoot!.querySelector('.error')!.textContent!;
    expect(error).to.contain('• Cannot query field "nam" on type "Shop". Did you mean "name"? (at 1:10)');
    expect(error).not.to.contain(server.token);
    expect(cell.source).to.equal('%%graphql --endpoint shop\n{ shop { nam } }');
  });

  it('binds the answer into the page session with into=, for a later <bento-cell>', async () => {
    const cell = await fixture<GraphQLCell>(html`<graphql-cell endpoint="shop" into="shop_info">{ shop { name orderCount address { city } } }</graphql-cell>`);
    await cell.run();
    const python = await fixture<BentoCell>(html`<bento-cell>print(type(shop_info).__name__, shop_info["shop"]["address"]["city"], shop_info["shop"]["orderCount"] + 1)</bento-cell>`);
    await python.run();
    expect(outputText(python)).to.equal('dict Lisbon 10001\n');
  });

  it('cancels a query that hangs from its Cancel button', async () => {
    const cell = await fixture<GraphQLCell>(html`<graphql-cell endpoint="shop">{ hang }</graphql-cell>`);
    const running = cell.run().then(
      () => 'finished',
      (error: Error) => error.message,
    );
    const cancel = await waitFor(() => cell.shadowRoot!.querySelector<HTMLButtonElement>('button[aria-label="Cancel the query"]'), 'a Cancel button while running');
    cancel.click();
    expect(await running).to.equal('GraphQL query cancelled.');
  });

  it('follows its form: the endpoint picker, the path and "all pages" rewrite the magic line', async () => {
    registerGraphQLEndpoint({ name: 'public', url: server.url });
    const cell = await fixture<GraphQLCell>(html`<graphql-cell endpoint="shop">{ shop { name } }</graphql-cell>`);
    const select = cell.shadowRoot!.querySelector('select')!;
    expect([...select.options].map((o) => o.value)).to.include.members(['shop', 'public']);
    select.value = 'public';
    select.dispatchEvent(new Event('change'));
    const path = cell.shadowRoot!.querySelector<HTMLInputElement>('input[aria-label="Path to the result"]')!;
    path.value = 'data.orders.nodes';
    path.dispatchEvent(new Event('change'));
    const pages = cell.shadowRoot!.querySelector<HTMLInputElement>('input[type="checkbox"]')!;
    pages.click();
    await cell.updateComplete;
    expect(cell.source).to.equal('%%graphql --endpoint public --path data.orders.nodes --paginate\n{ shop { name } }');
  });
});

describe('a %%graphql cell in a notebook (browser kernel)', () => {
  it('renders as a <graphql-cell>, binds a table for the next cell, and saves as a plain code cell', async () => {
    const source = '%%graphql orders --endpoint shop --path data.orders.nodes\n{ orders(first: 3) { nodes { number total customer { address { city } } tags } } }';
    const nb = await notebook([source, 'print(len(orders), orders["customer.address.city"][1], orders["tags"][0], orders["tags"][1])', tokenInPython()]);
    const element = nb.cells[0].shadowRoot!.querySelector('graphql-cell')!;
    expect(element, 'the magic cell is a <graphql-cell>').to.exist;
    const replies = await nb.runAll();
    expect(replies.map((r) => r?.content.status)).to.deep.equal(['ok', 'ok', 'ok']);
    expect(outputText(nb.cells[2]), 'the token is not in Python').to.equal('False\n');
    expect(outputText(nb.cells[0])).to.match(new RegExp(`^3 rows × 4 columns from GraphQL endpoint 'shop' \\(${server.origin}/private\\) in [\\d.]+ m?s, bound to orders$`));
    // Lists arrive as lists.
    expect(outputText(nb.cells[1])).to.equal("3 Porto ['gift'] ['express', 'gift']\n");
    const saved = nb.toJSON().cells[0];
    expect(saved.cell_type).to.equal('code');
    expect(joinSource(saved.source)).to.equal(source);
    expect(JSON.stringify(nb.toJSON())).not.to.contain(server.token);
  });

  it('sends kernel variables named by --vars, and reads a # variables: line', async () => {
    const nb = await notebook([
      'who = "Greta"',
      '%%graphql greeting --endpoint shop --vars who\nquery ($who: String!, $times: Int) {\n  # variables: {"who": "nobody", "times": 2}\n  hello(name: $who, times: $times)\n}',
      'print(greeting)',
    ]);
    const replies = await nb.runAll();
    expect(replies.map((r) => r?.content.status)).to.deep.equal(['ok', 'ok', 'ok']);
    expect(outputText(nb.cells[2])).to.equal("{'hello': 'Hello, Greta! Hello, Greta!'}\n");
  });

  it('answers wrong arguments with the argument and the usage line, and binds nothing', async () => {
    const usage = 'Usage: %%graphql [var] [--endpoint NAME] [--path PATH] [--paginate] [--max-pages N] [--vars a,b] [--allow-partial]';
    const nb = await notebook([
      '%%graphql df --max-pages abc\n{ shop { name } }',
      '%%graphql df --endpoint shop --paginate\nquery ($after: String) { orders(after: $after) { nodes { id } } }',
      '%%graphql df --endpoint shop\n# variables: {first: 1}\n{ shop { name } }',
      '%%graphql df --endpoint shop --vars "a b"\n{ shop { name } }',
      'print("df" in globals())',
    ]);
    const replies = await runEach(nb);
    expect(replies.slice(0, 4).map((r) => r?.content.status)).to.deep.equal(['error', 'error', 'error', 'error']);
    expect(outputText(nb.cells[0])).to.equal(`UsageError: --max-pages expects a whole number, got 'abc'.\n${usage}`);
    expect(outputText(nb.cells[1])).to.equal(`UsageError: --paginate needs --path naming the list to collect, e.g. --path data.orders.nodes.\n${usage}`);
    expect(outputText(nb.cells[2])).to.match(/^UsageError: Line 1 \('# variables:'\) is not valid JSON: /);
    expect(outputText(nb.cells[2])).to.contain(usage);
    expect(outputText(nb.cells[3])).to.equal(`UsageError: --vars: 'a b' is not a valid Python variable name.\n${usage}`);
    expect(outputText(nb.cells[4])).to.equal('False\n');
  });

  it('binds partial data only with --allow-partial, and keeps the previous value otherwise', async () => {
    const query = '{ shop { name } failing }';
    const nb = await notebook(['answer = "before"', `%%graphql answer --endpoint shop\n${query}`, 'print(answer)', `%%graphql answer --endpoint shop --allow-partial\n${query}`, 'print(answer)']);
    const replies = await runEach(nb);
    expect(replies.map((r) => r?.content.status)).to.deep.equal(['ok', 'error', 'ok', 'ok', 'ok']);
    expect(outputText(nb.cells[1])).to.contain('• The failing field always fails. (at 1:17; path failing)');
    expect(outputText(nb.cells[1])).to.contain('nothing was kept');
    expect(outputText(nb.cells[2])).to.equal('before\n');
    expect(outputText(nb.cells[3])).to.contain('Kept partial data despite 1 error');
    expect(outputText(nb.cells[4])).to.equal("{'shop': {'name': 'Bento Tea Co.'}, 'failing': None}\n");
  });

  it('stops paginating on Interrupt and binds nothing', async () => {
    // Pages from order 300 on never come: the cell waits there until interrupted.
    const query = 'query ($after: String) { orders(first: 100, after: $after, hangAt: 300) { nodes { id } pageInfo { hasNextPage endCursor } } }';
    const nb = await notebook([`%%graphql pages --endpoint shop --path orders.nodes --paginate\n${query}`, 'print("pages" in globals())']);
    const element = nb.cells[0].shadowRoot!.querySelector('graphql-cell')!;
    const running = nb.run(0);
    await waitFor(() => element.shadowRoot!.querySelector('.status')?.textContent?.includes('3 pages, 300 rows'), 'three pages fetched');
    await nb.interrupt();
    const reply = await running;
    expect(reply?.content.status).to.equal('error');
    expect(outputText(nb.cells[0])).to.match(/interrupted|cancelled/i);
    await nb.run(1);
    expect(outputText(nb.cells[1])).to.equal('False\n');
  });
});

describe('a %%graphql cell in a notebook on a Jupyter Server', () => {
  it('binds a DataFrame and a dict in the server kernel; the token reaches neither Python nor the notebook', async () => {
    const kernel = new RemoteKernel({ server: jupyterServer() });
    try {
      const nb = await notebook(
        [
          '%%graphql orders --endpoint shop --path data.orders.nodes --paginate\nquery ($after: String) { orders(first: 1000, after: $after) { nodes { number paid customer { address { city } } tags } pageInfo { hasNextPage endCursor } } }',
          'print(type(orders).__name__, len(orders), str(orders["number"].dtype), orders["paid"].dtype, orders["customer.address.city"].iloc[0], orders["tags"].iloc[0])',
          '%%graphql shop --endpoint shop\n{ shop { name } viewer { authorized } }',
          'print(shop)',
          tokenInPython(),
          'who, times = "Kaja", 3',
          '%%graphql hi --endpoint shop --vars who,times\nquery ($who: String!, $times: Int) { hello(name: $who, times: $times) }',
          'print(hi["hello"])',
        ],
        kernel,
      );
      const replies = await nb.runAll();
      expect(replies.map((r) => r?.content.status), nb.cells.map(outputText).join('\n')).to.deep.equal(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
      expect(outputText(nb.cells[7])).to.equal('Hello, Kaja! Hello, Kaja! Hello, Kaja!\n');
      expect(outputText(nb.cells[0])).to.match(/^10,000 rows × 4 columns from GraphQL endpoint 'shop'/);
      expect(outputText(nb.cells[1])).to.equal("DataFrame 10000 int32 bool Lisbon ['gift']\n");
      expect(outputText(nb.cells[3])).to.equal("{'shop': {'name': 'Bento Tea Co.'}, 'viewer': {'authorized': True}}\n");
      expect(outputText(nb.cells[4])).to.equal('False\n');
      const saved = JSON.stringify(nb.toJSON());
      expect(saved).not.to.contain(server.token);
    } finally {
      await kernel.shutdown();
    }
  });

  it('stops paginating on Interrupt and binds nothing in the server kernel', async () => {
    const kernel = new RemoteKernel({ server: jupyterServer() });
    try {
      const query = 'query ($after: String) { orders(first: 100, after: $after, hangAt: 200) { nodes { id } pageInfo { hasNextPage endCursor } } }';
      const nb = await notebook(['pages = "before"', `%%graphql pages --endpoint shop --path orders.nodes --paginate\n${query}`, 'print(pages)'], kernel);
      await nb.run(0);
      const element = nb.cells[1].shadowRoot!.querySelector('graphql-cell')!;
      const running = nb.run(1);
      await waitFor(() => element.shadowRoot!.querySelector('.status')?.textContent?.includes('2 pages, 200 rows'), 'two pages fetched');
      await nb.interrupt();
      expect((await running)?.content.status).to.equal('error');
      await nb.run(2);
      expect(outputText(nb.cells[2])).to.equal('before\n');
    } finally {
      await kernel.shutdown();
    }
  });
});
