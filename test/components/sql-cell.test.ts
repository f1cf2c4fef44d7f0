// <sql-cell> alone (a docs page) and as the face of a `%%sql` notebook cell, on the real embedded DuckDB.
import { expect, fixture, html } from '@open-wc/testing';
import '../../components/sql-cell/sql-magic.ts';
import '../../components/sql-cell/sql-cell.ts';
import '../../components/bento-cell/bento-cell.ts';
import '../../components/bento-notebook/bento-notebook.ts';
import type { SqlCell } from '../../components/sql-cell/sql-cell.ts';
import type { BentoCell } from '../../components/bento-cell/bento-cell.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import { registerConnector } from '../../src/data/connectors.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { joinSource } from '../../src/notebook/nbformat.ts';
import { outputText, shownRows, testRuntimeOptions, waitFor } from '../helpers.ts';
import { RemoteKernel } from '../../src/kernel/remote/kernel.ts';
import { jupyterServer } from '../kernel/remote/server.ts';

PyodideRuntime.configureDefault(testRuntimeOptions());
after(() => PyodideRuntime.default().terminate());

const DUCKDB = { bundleURL: '/node_modules/@duckdb/duckdb-wasm/dist/' };
registerConnector({ name: 'duckdb', kind: 'duckdb', label: 'DuckDB (in browser)', options: DUCKDB });
registerConnector({ name: 'demo', kind: 'duckdb', label: 'Demo data', options: { ...DUCKDB, tables: { temperatures: '/demo/data/city-temperatures.csv' } } });

const rowsOf = shownRows;

describe('<sql-cell> on a documentation page', () => {
  it('runs its query and shows the table without starting Python', async () => {
    const cell = await fixture<SqlCell>(html`<sql-cell connection="demo">
      SELECT city, round(avg(mean_c), 1) AS yearly
      FROM temperatures GROUP BY city ORDER BY yearly DESC
    </sql-cell>`);
    expect(cell.source).to.equal('%%sql --conn demo\nSELECT city, round(avg(mean_c), 1) AS yearly\nFROM temperatures GROUP BY city ORDER BY yearly DESC');
    cell.shadowRoot!.querySelector<HTMLButtonElement>('button.run')!.click();
    await waitFor(() => rowsOf(cell).length === 4, 'the result table', 60_000);
    expect(rowsOf(cell)).to.deep.equal([
      ['Cairo', '21.9'],
      ['Lisbon', '17.5'],
      ['Montreal', '6.8'],
      ['Oslo', '5.7'],
    ]);
    expect(PyodideRuntime.default().state, 'Python was not started').to.equal('stopped');
    await expect(cell).to.be.accessible();
  });

  it('shows what the database said when the SQL is wrong, and keeps the text', async () => {
    const cell = await fixture<SqlCell>(html`<sql-cell>SELEC 1</sql-cell>`);
    await cell.run().catch(() => undefined);
    const error = cell.shadowRoot!.querySelector('.error')!.textContent!;
    expect(error).to.match(/syntax error at or near "SELEC"/);
    expect(cell.source).to.equal('%%sql\nSELEC 1');
  });

  it('names the connectors it knows when told to use one that is not registered', async () => {
    const cell = await fixture<SqlCell>(html`<sql-cell connection="nowhere">SELECT 1</sql-cell>`);
    await cell.run().catch(() => undefined);
    expect(cell.shadowRoot!.querySelector('.error')!.textContent).to.contain("No connector called 'nowhere' is registered on this page. Known: 'duckdb', 'demo'");
  });

  it('binds the result into the page session with into=, for a later <bento-cell>', async () => {
    const sql = await fixture<SqlCell>(html`<sql-cell connection="demo" into="climate">SELECT city, month, mean_c FROM temperatures ORDER BY city, month</sql-cell>`);
    await sql.run();
    const cell = await fixture<BentoCell>(html`<bento-cell>print(len(climate), climate.columns == ["city", "month", "mean_c"] or list(climate.columns))</bento-cell>`);
    await cell.run();
    expect(outputText(cell)).to.equal('48 True\n');
  });

  it('cancels a running query from its Cancel button', async () => {
    const cell = await fixture<SqlCell>(html`<sql-cell>SELECT count(*) FROM range(100000000) a, range(1000) b WHERE a.range % 7 = b.range</sql-cell>`);
    const running = cell.run().then(
      () => 'finished',
      (error: Error) => error.message,
    );
    const cancel = await waitFor(() => cell.shadowRoot!.querySelector<HTMLButtonElement>('button[aria-label="Cancel the query"]'), 'a Cancel button while running');
    await new Promise((resolve) => setTimeout(resolve, 300));
    cancel.click();
    expect(await running).to.match(/cancelled/i);
    // The connection is still good.
    cell.source = '%%sql\nSELECT 7 AS n';
    await cell.run();
    expect(rowsOf(cell)).to.deep.equal([['7']]);
  });
});

describe('<sql-cell> with a big result', () => {
  it('binds every row but renders only the first 100,000, and says so', async () => {
    const cell = await fixture<SqlCell>(html`<sql-cell into="big">SELECT range AS n, 'row ' || range::VARCHAR AS label FROM range(1000000)</sql-cell>`);
    await cell.run();
    const view = cell.shadowRoot!.querySelector('bento-table-view')!;
    await view.updateComplete;
    const footer = view.shadowRoot!.querySelector('.footer')!.textContent!;
    expect(footer).to.contain('1,000,000 rows × 2 columns (showing the first 100,000)');
    expect(footer).to.contain('all 1,000,000 rows are in big');
    expect(view.shadowRoot!.querySelectorAll('tbody tr.row').length).to.be.lessThan(100);
    const check = await fixture<BentoCell>(html`<bento-cell>print(len(big), big["label"][999999])</bento-cell>`);
    await check.run();
    expect(outputText(check)).to.equal('1000000 row 999999\n');
  });
});

describe('a %%sql cell on a ClickHouse server, into a Jupyter kernel', () => {
  it('streams the rows from ClickHouse and hands them to the server kernel as a DataFrame', async () => {
    const clickhouse = (window as unknown as { __bentoClickHouse: { url: string; user: string; password: string } }).__bentoClickHouse;
    registerConnector({ name: 'warehouse', kind: 'clickhouse', label: 'Warehouse', options: { url: clickhouse.url }, credentials: { user: clickhouse.user, password: clickhouse.password } });
    const kernel = new RemoteKernel({ server: jupyterServer() });
    try {
      const sql = await fixture<BentoCell>(html`<bento-cell .kernel=${kernel}></bento-cell>`);
      sql.source = '%%sql nums --conn warehouse\nSELECT number AS n, toString(number) AS s, toDate(number) AS d FROM system.numbers LIMIT 5000';
      const reply = await sql.run();
      expect(reply?.content.status, outputText(sql)).to.equal('ok');
      const python = await fixture<BentoCell>(html`<bento-cell .kernel=${kernel}>print(type(nums).__name__, len(nums), str(nums["n"].dtype), nums["s"].iloc[-1], nums["d"].iloc[1])</bento-cell>`);
      await python.run();
      expect(outputText(python)).to.equal('DataFrame 5000 uint64 4999 1970-01-02\n');
      // The password went to ClickHouse only: not into the notebook, the outputs, or Python.
      const leak = await fixture<BentoCell>(html`<bento-cell .kernel=${kernel}></bento-cell>`);
      // (The check spells the password backwards: this cell's own text is in the kernel's history.)
      const backwards = [...clickhouse.password].reverse().join('');
      leak.source = `print(any(${JSON.stringify(backwards)}[::-1] in repr(v) for k, v in globals().items() if k not in ("In", "_ih") and not k.startswith("_i")))`;
      await leak.run();
      expect(outputText(leak)).to.equal('False\n');
      expect(JSON.stringify(sql.toJSON())).not.to.contain(clickhouse.password);
    } finally {
      await kernel.shutdown();
    }
  });
});

describe('a %%sql cell in a notebook', () => {
  async function notebook(...sources: string[]): Promise<BentoNotebook> {
    const nb = await fixture<BentoNotebook>(html`<bento-notebook no-autosave></bento-notebook>`);
    nb.load({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: sources.map((source, i) => ({ id: `c${i}`, cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null })) });
    await nb.updateComplete;
    return nb;
  }

  it('renders as a <sql-cell>, binds its result for the next cell, and saves as a plain code cell', async () => {
    const nb = await notebook('%%sql warm --conn demo\nSELECT city, max(mean_c) AS hottest FROM temperatures GROUP BY city ORDER BY hottest DESC LIMIT 2', 'print(len(warm))');
    const sql = nb.cells[0].shadowRoot!.querySelector('sql-cell')!;
    expect(sql, 'the magic cell is a <sql-cell>').to.exist;
    expect(sql.hasAttribute('show-magic')).to.equal(true);
    const replies = await nb.runAll();
    expect(replies.map((r) => r?.content.status)).to.deep.equal(['ok', 'ok']);
    expect(rowsOf(sql)).to.deep.equal([
      ['Cairo', '28.2'],
      ['Lisbon', '23.5'],
    ]);
    expect(outputText(nb.cells[0])).to.match(/^2 rows × 2 columns from Demo data in [\d.]+ m?s, bound to warm$/);
    expect(outputText(nb.cells[1])).to.equal('2\n');
    const saved = nb.toJSON().cells[0];
    expect(saved.cell_type).to.equal('code');
    expect(joinSource(saved.source)).to.equal('%%sql warm --conn demo\nSELECT city, max(mean_c) AS hottest FROM temperatures GROUP BY city ORDER BY hottest DESC LIMIT 2');
  });

  it('shows its execution count like any other cell, numbered by the kernel in run order', async () => {
    const nb = await notebook('x = 1', '%%sql answer\nSELECT 42 AS n', 'print(answer["n"][0])');
    await nb.runAll();
    const counts = nb.cells.map((cell) => cell.count);
    expect(counts[0]).to.be.a('number');
    expect(counts, 'one count each, in order').to.deep.equal([counts[0], counts[0]! + 1, counts[0]! + 2]);
    await nb.updateComplete;
    expect(nb.cells[1].shadowRoot!.querySelector('[part="prompt"]')!.textContent).to.equal(`[${counts[1]}]:`);
    expect(nb.toJSON().cells[1]).to.include({ execution_count: counts[1] });
    expect(outputText(nb.cells[2])).to.equal('42\n');
  });

  it('answers a wrong argument with the argument and the usage line, and binds nothing', async () => {
    const nb = await notebook('%%sql df --limit abc\nSELECT 1', 'print("df" in globals())');
    const [reply] = await nb.runAll();
    expect(reply?.content.status).to.equal('error');
    expect(outputText(nb.cells[0])).to.equal("UsageError: --limit expects a whole number, got 'abc'.\nUsage: %%sql [var] [--conn NAME] [--limit N]");
    await nb.run(1);
    expect(outputText(nb.cells[1])).to.equal('False\n');
  });

  it('keeps the previous value of the variable when the query fails', async () => {
    const nb = await notebook('kept = "before"', '%%sql kept\nSELECT * FROM no_such_table', 'print(kept)');
    await nb.run(0);
    await nb.run(1);
    expect(outputText(nb.cells[1])).to.match(/^QueryError: .*Catalog Error: Table with name no_such_table does not exist/s);
    await nb.run(2);
    expect(outputText(nb.cells[2])).to.equal('before\n');
  });

  it('stops a running query when the notebook restarts', async () => {
    registerConnector({ name: 'stuck', kind: 'clickhouse', label: 'A warehouse that never answers', options: { url: '/never-answers/clickhouse' } });
    const nb = await notebook('%%sql answer --conn stuck\nSELECT 42 AS answer');
    const running = nb.run(0);
    await waitFor(() => nb.cells[0].state === 'running', 'the query never started');
    expect(await nb.restart()).to.equal(true);
    const reply = await running;
    expect(reply?.content.status).to.equal('error');
    expect(outputText(nb.cells[0])).to.match(/restarted/);
  });

  it('follows edits of the connection picker in the %%sql line', async () => {
    const nb = await notebook('%%sql df\nSELECT 1');
    const sql = nb.cells[0].shadowRoot!.querySelector('sql-cell')!;
    const select = sql.shadowRoot!.querySelector('select')!;
    select.value = 'demo';
    select.dispatchEvent(new Event('change'));
    await sql.updateComplete;
    expect(nb.cells[0].source).to.equal('%%sql df --conn demo\nSELECT 1');
    expect(joinSource(nb.toJSON().cells[0].source)).to.equal('%%sql df --conn demo\nSELECT 1');
  });
});
