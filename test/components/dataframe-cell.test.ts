// %%dataframe: a table from the kernel uploaded as a background job, on the Pyodide kernel and on the real Jupyter
// Server, to the real embedded DuckDB-WASM and the real ClickHouse server; read back with %%sql.
import { expect, fixture, html } from '@open-wc/testing';
import '../../components/sql-cell/sql-magic.ts';
import '../../components/dataframe-cell/dataframe-magic.ts';
import '../../components/dataframe-cell/dataframe-cell.ts';
import '../../components/bento-cell/bento-cell.ts';
import type { BentoCell } from '../../components/bento-cell/bento-cell.ts';
import '../../components/bento-notebook/bento-notebook.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import type { DataFrameCell } from '../../components/dataframe-cell/dataframe-cell.ts';
import type { JobStatus } from '../../components/job-status/job-status.ts';
import { JOB_MIME, jobBundle, type JobSnapshot } from '../../components/job-status/job-summary.ts';
import { getConnector, registerConnector } from '../../src/data/connectors.ts';
import { ColumnTable } from '../../src/data/table.ts';
import { jobRunner, WorkerJobRunner } from '../../src/jobs/worker-runner.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import { PyodideRuntime } from '../../src/kernel/pyodide/runtime.ts';
import { pageKernel } from '../../components/shared/page-kernel.ts';
import { RemoteKernel } from '../../src/kernel/remote/kernel.ts';
import type { Cell } from '../../src/notebook/nbformat.ts';
import { outputText, testRuntimeOptions, waitFor } from '../helpers.ts';
import { jupyterServer } from '../kernel/remote/server.ts';

PyodideRuntime.configureDefault(testRuntimeOptions());
after(() => PyodideRuntime.default().terminate());

const server = (window as unknown as { __bentoClickHouse: { url: string; user: string; password: string } }).__bentoClickHouse;
registerConnector({ name: 'duckdb', kind: 'duckdb', label: 'DuckDB (in browser)', options: { bundleURL: '/node_modules/@duckdb/duckdb-wasm/dist/' } });
registerConnector({ name: 'warehouse', kind: 'clickhouse', label: 'Warehouse', options: { url: server.url }, credentials: { user: server.user, password: server.password } });
// Nothing listens behind /clickhouse-down: an upload there keeps retrying, holding its runner slot meanwhile.
registerConnector({ name: 'down', kind: 'clickhouse', label: 'Unreachable', options: { url: '/clickhouse-down' }, credentials: { user: server.user, password: server.password } });

const fresh = (stem: string) => `${stem}_${Math.random().toString(36).slice(2, 8)}`;
const runner = new WorkerJobRunner({ workerURL: '/src/jobs/worker.ts', storeName: fresh('test-dataframe-cell'), concurrency: 1 });
after(() => runner.close());

async function python(kernel: Kernel | undefined, code: string): Promise<string> {
  const cell = await fixture<BentoCell>(html`<bento-cell .kernel=${kernel}></bento-cell>`);
  cell.source = code;
  const reply = await cell.run();
  expect(reply?.content.status, outputText(cell)).to.equal('ok');
  return outputText(cell);
}

async function duckdbRows(sql: string): Promise<unknown[][]> {
  const { table } = await (await getConnector('duckdb')).query(sql);
  return Array.from({ length: table.numRows }, (_, row) => table.columns.map((_, column) => table.value(row, column)));
}

/** The `<job-status>` a cell's output shows (in the output area's shadow root). */
function outputJobStatus(cell: BentoCell): JobStatus | null {
  const area = cell.shadowRoot!.querySelector('bento-output-area');
  return area?.shadowRoot?.querySelector('job-status') ?? null;
}

const jobState = (el: JobStatus | null) => el?.shadowRoot?.querySelector('[part=state]')?.textContent;

async function shows(el: () => JobStatus | null, state: string): Promise<JobStatus> {
  return waitFor(() => (jobState(el()) === state ? el() : null), `a <job-status> showing ${state} (it shows ${jobState(el())})`, 90_000);
}

async function failureOf(cell: DataFrameCell): Promise<string> {
  try {
    await cell.run();
  } catch (error) {
    const shown = cell.shadowRoot!.querySelector('.error')?.textContent ?? '';
    expect(shown, 'the element shows the same message').to.contain((error as Error).message.split('\n')[0]);
    return (error as Error).message;
  }
  throw new Error('expected the upload to be refused');
}

describe('<dataframe-cell> on a page, from the Pyodide session', () => {
  before(async () => {
    // Pyodide here has no pandas (no network for its packages): tables are Bento tables, as injection makes them.
    await python(undefined, [
      'import datetime',
      'from bento_table import Table',
      'cities = Table.from_dict({"city": ["Oslo", "Cairo", None], "mean_c": [5.7, 21.9, 17.5], "rank": [3, 1, 2], "coastal": [True, False, True],',
      '    "seen": [datetime.datetime(2024, 1, 2, 3, 4, 5), datetime.datetime(2024, 2, 3, 4, 5, 6), datetime.datetime(2024, 3, 4, 5, 6, 7)]})',
      'small = Table.from_dict({"n": [1, 2, 3], "word": ["one", "two", "three"]})',
      'settings = {"a": 1}',
    ].join('\n'));
  });

  it('uploads a Bento table to DuckDB as a job and %%sql reads it back', async () => {
    const target = fresh('cities');
    const cell = await fixture<DataFrameCell>(html`<dataframe-cell .runner=${runner}>%%dataframe cities --to ${target}</dataframe-cell>`);
    expect(cell.source).to.equal(`%%dataframe cities --to ${target}`);
    const result = await cell.run();
    const snapshot = result.data?.[JOB_MIME] as JobSnapshot;
    expect(snapshot).to.include({ target, connector: 'duckdb', mode: 'create', source: 'cities', totalRows: 3 });
    expect(result.summary).to.contain(`Upload job ${snapshot.jobId}: cities (3 rows) to ${target} on duckdb, mode create`);
    await shows(() => cell.shadowRoot!.querySelector('job-status'), 'Succeeded');
    const sql = await fixture<BentoCell>(html`<bento-cell></bento-cell>`);
    sql.source = `%%sql back\nSELECT city, mean_c, rank, coastal, strftime(seen, '%Y-%m-%d %H:%M:%S') AS seen FROM ${target} ORDER BY rank`;
    expect((await sql.run())?.content.status, outputText(sql)).to.equal('ok');
    expect(await python(undefined, 'print([tuple(row) for row in back])')).to.equal(
      "[('Cairo', 21.9, 1, False, '2024-02-03 04:05:06'), (None, 17.5, 2, True, '2024-03-04 05:06:07'), ('Oslo', 5.7, 3, True, '2024-01-02 03:04:05')]\n",
    );
    await expect(cell).to.be.accessible();
  });

  it("writes the magic line from the form's fields, and replaces in chunks", async () => {
    const target = fresh('small');
    const cell = await fixture<DataFrameCell>(html`<dataframe-cell .runner=${runner}></dataframe-cell>`);
    cell.df = 'small';
    cell.to = target;
    cell.mode = 'replace';
    cell.chunkRows = 2;
    await cell.updateComplete;
    expect(cell.source).to.equal(`%%dataframe small --to ${target} --mode replace --chunk-rows 2`);
    await cell.run();
    await shows(() => cell.shadowRoot!.querySelector('job-status'), 'Succeeded');
    expect(await duckdbRows(`SELECT n, word FROM ${target} ORDER BY n`)).to.deep.equal([
      [1n, 'one'],
      [2n, 'two'],
      [3n, 'three'],
    ]);
  });

  it('refuses wrong arguments, a missing variable, a value that is not a table and an existing table before any job starts', async () => {
    const existing = fresh('existing');
    await (await getConnector('duckdb')).query(`CREATE TABLE ${existing} AS SELECT 1 AS n`);
    const jobsBefore = (await runner.list()).length;
    const cell = await fixture<DataFrameCell>(html`<dataframe-cell .runner=${runner}></dataframe-cell>`);
    const refused = async (line: string) => {
      cell.source = line;
      return failureOf(cell);
    };
    const usage = 'Usage: %%dataframe [df] [--to TABLE] [--conn NAME] [--mode create|append|replace] [--chunk-rows N]';
    expect(await refused('%%dataframe cities')).to.equal(`--to is missing: name the table to write, e.g. %%dataframe cities --to trips.\n${usage}`);
    expect(await refused('%%dataframe --to t')).to.equal(`%%dataframe needs the variable to upload (argument df), e.g. %%dataframe df --to trips.\n${usage}`);
    expect(await refused('%%dataframe cities --to t --mode upsert')).to.equal(`--mode must be create, append or replace, not 'upsert'.\n${usage}`);
    expect(await refused('%%dataframe cities --to t --chunk-rows 0')).to.equal(`--chunk-rows must be at least 1.\n${usage}`);
    expect(await refused('%%dataframe cities --to t --limit 3')).to.contain('Unknown option --limit for %%dataframe');
    expect(await refused('%%dataframe cities --to t --conn nowhere')).to.contain("No connector called 'nowhere' is registered on this page.");
    expect(await refused('%%dataframe nothere --to t')).to.contain("there is no variable 'nothere' in this kernel");
    expect(await refused('%%dataframe settings --to t')).to.contain('not a table');
    expect(await refused(`%%dataframe cities --to ${existing}`)).to.contain(`exists already; upload with mode 'append' to add rows to it or 'replace' to replace it.`);
    expect(cell.shadowRoot!.querySelector('.error')!.textContent).to.contain('exists already');
    expect((await runner.list()).length, 'no job was recorded').to.equal(jobsBefore);
    expect(await duckdbRows(`SELECT n FROM ${existing}`), 'the existing table is untouched').to.deep.equal([[1]]);
  });
});

describe('a %%dataframe cell in a notebook', () => {
  it('returns at once: the next cell runs while the job waits; the output is a live <job-status>, saved and reattached', async () => {
    const kernel = pageKernel();
    const target = fresh('trips');
    await python(kernel, 'from bento_table import Table\ntrips = Table.from_dict({"id": list(range(1000)), "km": [i * 2 for i in range(1000)]})');
    await duckdbRows('SELECT 1'); // DuckDB started before the blockers below, so the cell's checks are quick
    // The page's runner runs two jobs at once: two uploads to a server that never answers hold both slots (retrying
    // for seconds before they pause), so the cell's job waits in `queued` while the next cell runs.
    const blockers = await Promise.all([1, 2].map(() => jobRunner().submit(pageTable(), { connector: 'down', target: fresh('blocked') })));
    try {
      const upload = await fixture<BentoCell>(html`<bento-cell .kernel=${kernel}></bento-cell>`);
      upload.source = `%%dataframe trips --to ${target} --chunk-rows 250`;
      const reply = await upload.run();
      expect(reply?.content.status, outputText(upload)).to.equal('ok');
      const output = upload.outputs.outputs[0] as { data: Record<string, unknown> };
      const jobId = (output.data[JOB_MIME] as JobSnapshot).jobId;
      const next = await python(kernel, 'print(len(trips), sum(trips["km"]))');
      expect(next).to.equal('1000 999000\n');
      expect((await jobRunner().get(jobId))?.state, 'the job was still waiting when the next cell finished').to.equal('queued');
      const status = await shows(() => outputJobStatus(upload), 'Queued');
      expect(status.jobId).to.equal(jobId);
      for (const blocker of blockers) await jobRunner().cancel(blocker.id);
      await shows(() => outputJobStatus(upload), 'Succeeded');
      expect(await duckdbRows(`SELECT count(*), sum(km) FROM ${target}`)).to.deep.equal([[1000n, 999000]]);

      // Saved: a readable summary and the job's last state, as the element left them in the output.
      const saved = upload.toJSON() as Cell & { outputs: Array<{ data: Record<string, unknown> }> };
      expect(saved.outputs).to.have.length(1);
      expect(saved.outputs[0].data['text/plain']).to.equal(`Upload job ${jobId}: trips (1,000 rows) to ${target} on duckdb, mode create. Succeeded, 1,000 rows written`);
      expect(saved.outputs[0].data[JOB_MIME]).to.include({ jobId, state: 'succeeded', rows: 1000, totalRows: 1000, target });
      // Reopened: the output is the job's <job-status> again, attached to the runner's record.
      const reopened = await fixture<BentoCell>(html`<bento-cell .kernel=${kernel}></bento-cell>`);
      reopened.fromJSON(structuredClone(saved));
      const again = await shows(() => outputJobStatus(reopened), 'Succeeded');
      expect(again.record?.id).to.equal(jobId);
    } finally {
      for (const blocker of blockers) await jobRunner().cancel(blocker.id).catch(() => {});
    }
  });

  it("cancels a job waiting for its turn from the output's Cancel button: no table is made", async () => {
    const kernel = pageKernel();
    const target = fresh('cancelled');
    await python(kernel, 'from bento_table import Table\nqueued = Table.from_dict({"n": [1, 2, 3]})');
    await duckdbRows('SELECT 1');
    const blockers = await Promise.all([1, 2].map(() => jobRunner().submit(pageTable(), { connector: 'down', target: fresh('blocked') })));
    try {
      const upload = await fixture<BentoCell>(html`<bento-cell .kernel=${kernel}></bento-cell>`);
      upload.source = `%%dataframe queued --to ${target}`;
      expect((await upload.run())?.content.status, outputText(upload)).to.equal('ok');
      const status = await shows(() => outputJobStatus(upload), 'Queued');
      status.shadowRoot!.querySelector<HTMLButtonElement>('button[aria-label="Cancel the upload"]')!.click();
      await shows(() => outputJobStatus(upload), 'Cancelled');
      expect(await duckdbRows(`SELECT count(*) FROM information_schema.tables WHERE table_name = '${target}'`)).to.deep.equal([[0n]]);
      expect((upload.toJSON() as Cell & { outputs: Array<{ data: Record<string, unknown> }> }).outputs[0].data[JOB_MIME]).to.include({ state: 'cancelled' });
    } finally {
      for (const blocker of blockers) await jobRunner().cancel(blocker.id).catch(() => {});
    }
  });

  /** A notebook whose cells make a table, upload it to `target` and read it back with %%sql, then use the result. */
  async function uploadThenQuery(target: string): Promise<BentoNotebook> {
    const notebook = await fixture<BentoNotebook>(html`<bento-notebook no-autosave .kernel=${pageKernel()}></bento-notebook>`);
    notebook.load({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        'from bento_table import Table\nlaps = Table.from_dict({"n": list(range(500)), "s": [i * 3 for i in range(500)]})',
        `%%dataframe laps --to ${target} --chunk-rows 100`,
        `%%sql back\nSELECT count(*) AS n, sum(s) AS s FROM ${target}`,
        'print(back["n"][0], int(back["s"][0]))',
      ].map((source) => ({ cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null })),
    });
    await notebook.updateComplete;
    return notebook;
  }

  const sqlStatus = (cell: BentoCell) => cell.shadowRoot!.querySelector('sql-cell')?.shadowRoot?.querySelector('.status')?.textContent ?? '';

  it('Run all: a %%sql cell below waits for the upload of the table it reads, says so, then reads every row', async () => {
    const target = fresh('laps');
    await duckdbRows('SELECT 1');
    const blockers = await Promise.all([1, 2].map(() => jobRunner().submit(pageTable(), { connector: 'down', target: fresh('blocked') })));
    try {
      const notebook = await uploadThenQuery(target);
      const run = notebook.runAll();
      const query = notebook.cells[2];
      await waitFor(() => sqlStatus(query).includes(`waiting for the upload to ${target}`), `the SQL cell saying it waits (it shows '${sqlStatus(query)}')`, 60_000);
      const [job] = (await jobRunner().list()).filter((record) => record.arguments.target === target);
      expect(job.state, 'the upload was still queued when the query came to run').to.equal('queued');
      for (const blocker of blockers) await jobRunner().cancel(blocker.id);
      const replies = await run;
      expect(replies.map((reply) => reply?.content.status)).to.deep.equal(['ok', 'ok', 'ok', 'ok']);
      expect(outputText(notebook.cells[3])).to.equal(`500 ${3 * ((499 * 500) / 2)}\n`);
    } finally {
      for (const blocker of blockers) await jobRunner().cancel(blocker.id).catch(() => {});
    }
  });

  it('Run all: an upload cancelled while the %%sql cell below waits stops the run there, saying why', async () => {
    const target = fresh('laps');
    await duckdbRows('SELECT 1');
    const blockers = await Promise.all([1, 2].map(() => jobRunner().submit(pageTable(), { connector: 'down', target: fresh('blocked') })));
    try {
      const notebook = await uploadThenQuery(target);
      const source = notebook.cells.map((cell) => cell.source);
      const run = notebook.runAll();
      await waitFor(() => sqlStatus(notebook.cells[2]).includes('waiting for the upload'), 'the SQL cell waiting', 60_000);
      const [job] = (await jobRunner().list()).filter((record) => record.arguments.target === target);
      await jobRunner().cancel(job.id);
      const replies = await run;
      expect(replies.map((reply) => reply?.content.status)).to.deep.equal(['ok', 'ok', 'error']);
      expect(outputText(notebook.cells[2])).to.contain(`This query reads ${target}, but the upload of laps to it (job ${job.id}) was cancelled`);
      expect(notebook.cells.map((cell) => cell.source), 'no text lost').to.deep.equal(source);
      expect(await duckdbRows(`SELECT count(*) FROM information_schema.tables WHERE table_name = '${target}'`)).to.deep.equal([[0n]]);
    } finally {
      for (const blocker of blockers) await jobRunner().cancel(blocker.id).catch(() => {});
    }
  });

  it('shows a refusal as the cell error, and records no job', async () => {
    const before = (await jobRunner().list()).length;
    const cell = await fixture<BentoCell>(html`<bento-cell .kernel=${pageKernel()}></bento-cell>`);
    cell.source = '%%dataframe trips --mode create';
    const reply = await cell.run();
    expect(reply?.content.status).to.equal('error');
    expect(outputText(cell)).to.contain('UsageError: --to is missing');
    expect((await jobRunner().list()).length).to.equal(before);
  });
});

describe('a %%dataframe cell on a Jupyter Server kernel', () => {
  it('uploads a DataFrame to ClickHouse and to DuckDB; %%sql reads them back; no credential in outputs or the notebook', async () => {
    const kernel = new RemoteKernel({ server: jupyterServer() });
    const clickhouse = await getConnector('warehouse');
    const remoteTarget = `default.${fresh('remote')}`;
    const localTarget = fresh('remote_local');
    try {
      await python(kernel, 'import pandas as pd\nsales = pd.DataFrame({"shop": ["a", "b", "c", None], "amount": [1.5, 2.25, -3.0, 4.0], "units": [1, 2, 3, 4]})');
      const toClickHouse = await fixture<BentoCell>(html`<bento-cell .kernel=${kernel}></bento-cell>`);
      toClickHouse.source = `%%dataframe sales --to ${remoteTarget} --conn warehouse`;
      expect((await toClickHouse.run())?.content.status, outputText(toClickHouse)).to.equal('ok');
      const toDuckDB = await fixture<BentoCell>(html`<bento-cell .kernel=${kernel}></bento-cell>`);
      toDuckDB.source = `%%dataframe sales --to ${localTarget}`;
      expect((await toDuckDB.run())?.content.status, outputText(toDuckDB)).to.equal('ok');
      await shows(() => outputJobStatus(toClickHouse), 'Succeeded');
      await shows(() => outputJobStatus(toDuckDB), 'Succeeded');

      const read = await fixture<BentoCell>(html`<bento-cell .kernel=${kernel}></bento-cell>`);
      read.source = `%%sql remote --conn warehouse\nSELECT shop, amount, units FROM ${remoteTarget} ORDER BY units`;
      expect((await read.run())?.content.status, outputText(read)).to.equal('ok');
      const readLocal = await fixture<BentoCell>(html`<bento-cell .kernel=${kernel}></bento-cell>`);
      readLocal.source = `%%sql local\nSELECT shop, amount, units FROM ${localTarget} ORDER BY units`;
      expect((await readLocal.run())?.content.status, outputText(readLocal)).to.equal('ok');
      expect(await python(kernel, 'print(remote.values.tolist() == local.values.tolist(), local.values.tolist())')).to.equal(
        "True [['a', 1.5, 1], ['b', 2.25, 2], ['c', -3.0, 3], [None, 4.0, 4]]\n",
      );

      // Column types nobody can take are refused before a job: one pandas cannot hand over, one ClickHouse cannot store.
      await python(kernel, 'odd = pd.DataFrame({"z": [1 + 2j, 3 - 1j]})\nprecise = pd.DataFrame({"at": pd.to_datetime(["2024-01-01 00:00:00.250"])})');
      const jobsBefore = (await jobRunner().list()).length;
      const refused = await fixture<BentoCell>(html`<bento-cell .kernel=${kernel}></bento-cell>`);
      refused.source = `%%dataframe odd --to ${fresh('odd')}`;
      expect((await refused.run())?.content.status).to.equal('error');
      expect(outputText(refused)).to.match(/TableError: .*'z'.*complex/);
      refused.source = `%%dataframe precise --to default.${fresh('precise')} --conn warehouse`;
      expect((await refused.run())?.content.status).to.equal('error');
      expect(outputText(refused)).to.match(/UploadError: .*fraction/i);
      expect((await jobRunner().list()).length, 'no job was recorded').to.equal(jobsBefore);

      const saved = JSON.stringify([toClickHouse.toJSON(), toDuckDB.toJSON()]);
      expect(saved).to.contain(remoteTarget);
      expect(saved, 'no password in the saved cells').not.to.contain(server.password);
      expect(outputJobStatus(toClickHouse)!.shadowRoot!.textContent).not.to.contain(server.password);
    } finally {
      await clickhouse.query(`DROP TABLE IF EXISTS ${remoteTarget}`).catch(() => {});
      await kernel.shutdown();
    }
  });
});

describe('a saved %%dataframe output after a reload', () => {
  it('reattaches to the job a closed page left mid-upload, which then finishes with every row once', async () => {
    const clickhouse = await getConnector('warehouse');
    const target = `default.${fresh('reloaded')}`;
    // The page that started the upload: the default store, so the next page's runner finds the job.
    const closing = new WorkerJobRunner({ workerURL: '/src/jobs/worker.ts' });
    const rows = 200_000;
    const table = ColumnTable.fromArrays([{ name: 'id', type: 'int64', values: Array.from({ length: rows }, (_, i) => BigInt(i)) }]);
    const job = await closing.submit(table, { connector: 'warehouse', target, chunkRows: 500, source: 'big' });
    await waitFor(async () => ((await closing.get(job.id))?.progress.chunksDone ?? 0) > 0, 'a first chunk on the warehouse', 60_000);
    const saved = { id: 'c1', cell_type: 'code', metadata: {}, execution_count: 1, source: `%%dataframe big --to ${target} --conn warehouse`, outputs: [{ output_type: 'display_data', metadata: {}, data: jobBundle((await closing.get(job.id))!) }] };
    await closing.close(); // the page closes mid-upload

    // The notebook reopened in a new page: its output is the job's <job-status>, on that page's runner.
    const frame = document.createElement('iframe');
    frame.srcdoc = `<!doctype html><script type="module">
      import * as bento from '${location.origin}/src/index.ts';
      bento.registerConnector(${JSON.stringify({ name: 'warehouse', kind: 'clickhouse', options: { url: server.url }, credentials: { user: server.user, password: server.password } })});
      const cell = document.createElement('bento-cell');
      document.body.append(cell);
      cell.fromJSON(${JSON.stringify(saved)});
      window.cell = cell;
    </script>`;
    document.body.append(frame);
    try {
      const cell = await waitFor(() => (frame.contentWindow as unknown as { cell?: BentoCell }).cell, 'the reopened page');
      await shows(() => outputJobStatus(cell), 'Succeeded');
      const stored = await clickhouse.query(`SELECT count(), uniqExact(id), sum(id) FROM ${target}`);
      expect([0, 1, 2].map((i) => String(stored.table.value(0, i)))).to.deep.equal([String(rows), String(rows), String((rows * (rows - 1)) / 2)]);
    } finally {
      frame.remove();
      await clickhouse.query(`DROP TABLE IF EXISTS ${target}`).catch(() => {});
    }
  });
});

/** A small table for the blocking jobs (never uploaded: their server does not answer). */
function pageTable(): ColumnTable {
  return ColumnTable.fromArrays([{ name: 'n', type: 'int32', values: [1, 2, 3] }]);
}
