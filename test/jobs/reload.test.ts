/**
 * Upload jobs across a real reload: the page that submits a job is a document of its own (test/reload/reload-page.html in an
 * iframe), and `location.reload()` unloads it mid-job, so the browser kills its jobs worker and DuckDB worker,
 * aborts its fetches and releases its Web Locks, as when a person reloads the demo. The reloaded page registers
 * the same connectors, makes its runner over the same store, and must finish the job by itself.
 * (runner.test.ts simulates a reload by closing one runner and making another in the same page.)
 */
import { expect } from '@open-wc/testing';
import { getConnector, registerConnector, type Connector, type ConnectorConfig } from '../../src/data/connectors.ts';
import { ColumnTable, columnValue, type CellValue } from '../../src/data/table.ts';
import { expectSameRows } from '../helpers.ts';
import { ACTIVE_JOB_STATES, type JobRecord, type JobState } from '../../src/jobs/runner.ts';
import { readStagedCopy } from '../../src/jobs/staged-copy.ts';
import { openFrame, pageIn, reloadFrame, type ReloadPage } from '../reload/frame.ts';
import type { PlainColumn } from '../reload/reload-page.ts';

// This run's ClickHouse server (web-test-runner.config.mjs), reached same-origin through the test proxy.
const server = (window as unknown as { __bentoClickHouse: { url: string; user: string; password: string } }).__bentoClickHouse;
const DB = 'bento_reload';
const WAREHOUSE = 'reload-warehouse';
const bundleURL = '/node_modules/@duckdb/duckdb-wasm/dist/';

let warehouse: Connector;
let count = 0;
const suffix = () => `${++count}_${Math.random().toString(36).slice(2, 8)}`;
const freshName = (stem: string) => `${DB}.${stem}_${suffix()}`;
const freshStore = () => `jobs-reload-${suffix()}`;
const warehouseConfig = (): ConnectorConfig => ({ name: WAREHOUSE, kind: 'clickhouse', options: { url: server.url }, credentials: { user: server.user, password: server.password } });

function simpleColumns(rows: number): PlainColumn[] {
  return [
    { name: 'id', type: 'int64', values: Array.from({ length: rows }, (_, i) => BigInt(i)) },
    { name: 'x', type: 'float64', values: Array.from({ length: rows }, (_, i) => Math.sqrt(i) / 7) },
    { name: 's', type: 'string', values: Array.from({ length: rows }, (_, i) => (i % 5 === 3 ? null : `row ${i} — ✓`)) },
  ];
}

function values(table: ColumnTable, name: string): CellValue[] {
  const column = table.column(name)!;
  return Array.from({ length: table.numRows }, (_, row) => columnValue(column, row));
}


/** The tables a job made on ClickHouse and left (staging, ledger, ...). */
async function leftovers(jobId: string): Promise<CellValue[]> {
  const { table } = await warehouse.query(`SELECT name FROM system.tables WHERE database = '${DB}' AND name LIKE 'bento_%${jobId}%'`);
  return values(table, 'name');
}

/** The ClickHouse target holds every source row once; nothing of the job is left on ClickHouse or in OPFS. */
async function expectLandedOnce(store: string, jobId: string, target: string, source: ColumnTable): Promise<void> {
  expectSameRows((await warehouse.query(`SELECT * FROM ${target} ORDER BY id`)).table, source);
  expect(await leftovers(jobId), 'staging tables left on ClickHouse').to.deep.equal([]);
  expect(await readStagedCopy(store, jobId), 'the staged copy in OPFS').to.equal(undefined);
}

/** Opens reload-page.html with these settings (kept in its hash, so a reload keeps them). */
async function openPage(store: string, connectors: ConnectorConfig[]): Promise<{ frame: HTMLIFrameElement; page: ReloadPage }> {
  const frame = await openFrame(new URLSearchParams({ store, connectors: JSON.stringify(connectors) }));
  return { frame, page: await pageIn(frame, 'bentoPage') };
}

/** Reloads the page for real and resolves with the new document's page. */
async function reload(frame: HTMLIFrameElement): Promise<ReloadPage> {
  await reloadFrame(frame);
  return pageIn(frame, 'bentoPage');
}

/** Resolves with the job's record once `accept` holds for it (or rejects when it ends otherwise). */
function until(page: ReloadPage, id: string, accept: (record: JobRecord) => boolean, what: string): Promise<JobRecord> {
  return new Promise((resolve, reject) => {
    const stop = page.jobs.subscribe(id, (record) => {
      if (!record) return;
      if (accept(record)) {
        queueMicrotask(() => stop());
        resolve(record);
      } else if (['succeeded', 'failed', 'cancelled', 'paused'].includes(record.state)) {
        queueMicrotask(() => stop());
        reject(new Error(`job ${id} ended ${record.state} while waiting for ${what}: ${record.error?.message ?? ''}`));
      }
    });
  });
}
const inState = (page: ReloadPage, id: string, state: JobState) => until(page, id, (r) => r.state === state, state);
const midUpload = (page: ReloadPage, id: string) => until(page, id, (r) => r.state === 'uploading' && r.progress.chunksDone >= 1, 'a first chunk');

/** What the reloaded page found of the job: left running (not finished) by the page before it. */
function foundLeftRunning(page: ReloadPage, id: string): JobRecord {
  const found = page.found.find((record) => record.id === id);
  expect(found, 'the reloaded page finds the job in its store').to.be.ok;
  expect(ACTIVE_JOB_STATES, `the job as the unloaded page left it (${found!.state})`).to.include(found!.state);
  return found!;
}

/** Closes what the page holds, removes the frame; then the job store's database and OPFS folder. */
async function removePage(frame: HTMLIFrameElement | undefined, store: string): Promise<void> {
  if (frame) {
    await (await pageIn(frame, 'bentoPage').catch(() => undefined))?.close().catch(() => {});
    frame.remove();
  }
  await new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(store);
    request.onsuccess = request.onerror = request.onblocked = resolve;
  });
  await (await navigator.storage.getDirectory()).removeEntry(store, { recursive: true }).catch(() => {});
}

before(async () => {
  expect(server, 'the test runner starts ClickHouse and tells the page').to.be.ok;
  registerConnector(warehouseConfig());
  warehouse = await getConnector(WAREHOUSE);
  await warehouse.query(`CREATE DATABASE IF NOT EXISTS ${DB}`);
});

describe('upload jobs across a real page reload', function () {
  this.timeout(120_000);

  it('ClickHouse, reloaded mid-upload: the reloaded page finishes the job; every row once, no staging table, no staged copy', async () => {
    const store = freshStore();
    const target = freshName('mid_upload');
    const columns = simpleColumns(12_000);
    const source = ColumnTable.fromArrays(columns);
    let frame: HTMLIFrameElement | undefined;
    try {
      const opened = await openPage(store, [warehouseConfig()]);
      frame = opened.frame;
      // Many small chunks, so the reload lands while the job is still sending them.
      const job = await opened.page.submit(columns, { connector: WAREHOUSE, target, chunkRows: 100 });
      const running = await midUpload(opened.page, job.id);
      expect(running.progress.chunksDone, 'chunks on the warehouse when the page reloads').to.be.below(running.progress.chunks);

      const page = await reload(frame);
      foundLeftRunning(page, job.id);
      const done = await inState(page, job.id, 'succeeded');
      expect(done.result?.rows).to.equal(12_000);
      await expectLandedOnce(store, job.id, target, source);
    } finally {
      await removePage(frame, store);
      await warehouse.query(`DROP TABLE IF EXISTS ${target}`).catch(() => {});
    }
  });

  it('ClickHouse, reloaded right after submit (queued or staging): the reloaded page runs the job and it lands once', async () => {
    const store = freshStore();
    const target = freshName('just_submitted');
    const columns = simpleColumns(3000);
    const source = ColumnTable.fromArrays(columns);
    let frame: HTMLIFrameElement | undefined;
    try {
      const opened = await openPage(store, [warehouseConfig()]);
      frame = opened.frame;
      const job = await opened.page.submit(columns, { connector: WAREHOUSE, target, chunkRows: 500 });
      // A job may start sending while its copy is written: submit resolves with it queued or already running.
      expect(['queued', 'staging', 'uploading', 'verifying'], `submit resolves with the job active (${job.state})`).to.include(job.state);

      const page = await reload(frame);
      const found = foundLeftRunning(page, job.id);
      expect(['queued', 'staging', 'uploading', 'verifying'], `the job as the unloaded page left it (${found.state})`).to.include(found.state);
      const done = await inState(page, job.id, 'succeeded');
      expect(done.result).to.deep.include({ rows: 3000, chunks: 6 });
      await expectLandedOnce(store, job.id, target, source);
    } finally {
      await removePage(frame, store);
      await warehouse.query(`DROP TABLE IF EXISTS ${target}`).catch(() => {});
    }
  });

  it('ClickHouse, reloaded as its first chunks are sent, its staged copy perhaps not whole yet: the job ends once, with every row once or with nothing of it anywhere', async () => {
    const store = freshStore();
    const target = freshName('before_staged');
    const columns = simpleColumns(200_000);
    const source = ColumnTable.fromArrays(columns);
    let frame: HTMLIFrameElement | undefined;
    try {
      const opened = await openPage(store, [warehouseConfig()]);
      frame = opened.frame;
      // Not awaited: submit resolves once the copy is written, and the job sends chunks before that.
      const sending = new Promise<JobRecord>((resolve) => opened.page.jobs.subscribeAll((record) => record.state === 'uploading' && resolve(record)));
      opened.page.submit(columns, { connector: WAREHOUSE, target, chunkRows: 10_000 }).catch(() => {});
      const running = await sending;

      const page = await reload(frame);
      foundLeftRunning(page, running.id);
      const ended = await until(page, running.id, (r) => r.state === 'succeeded' || r.state === 'failed', 'its end');
      if (ended.state === 'succeeded') {
        // The copy was whole before the reload: the job resumed from it.
        expect(ended.result?.rows).to.equal(200_000);
        await expectLandedOnce(store, running.id, target, source);
      } else {
        // The copy was not whole: the job cannot resume, says so, and nothing of it is left on the warehouse.
        expect(ended.error?.message).to.match(/copy of this job's table .* is gone .*run the upload again/);
        const made = await warehouse.query(`SELECT count() AS n FROM system.tables WHERE database = '${DB}' AND name = '${target.split('.')[1]}'`);
        expect(Number(made.table.value(0, 0)), 'the target was not made').to.equal(0);
        expect(await leftovers(running.id), 'staging tables left on ClickHouse').to.deep.equal([]);
      }
    } finally {
      await removePage(frame, store);
      await warehouse.query(`DROP TABLE IF EXISTS ${target}`).catch(() => {});
    }
  });

  it('DuckDB kept in OPFS (persist), reloaded mid-upload: the reloaded page reopens the file, finishes the job, and its %%sql reads the table', async () => {
    const store = freshStore();
    const name = `reload_duckdb_${suffix()}`;
    const embedded: ConnectorConfig = { name, kind: 'duckdb', options: { bundleURL, persist: true } };
    const target = 'uploaded_across_reload';
    const columns = simpleColumns(20_000);
    const source = ColumnTable.fromArrays(columns);
    let frame: HTMLIFrameElement | undefined;
    try {
      const opened = await openPage(store, [embedded]);
      frame = opened.frame;
      const job = await opened.page.submit(columns, { connector: name, target, chunkRows: 100 });
      const running = await midUpload(opened.page, job.id);
      expect(running.progress.chunksDone, 'chunks in DuckDB when the page reloads').to.be.below(running.progress.chunks);
      expect((await opened.page.connectorState(name)).persisted, 'the first page has the file').to.equal(true);

      // The reloaded page opens the file the dying page's DuckDB worker held (the browser frees it as the worker ends).
      const page = await reload(frame);
      foundLeftRunning(page, job.id);
      const done = await inState(page, job.id, 'succeeded');
      expect(done.result?.rows).to.equal(20_000);
      expect(await page.connectorState(name), 'the reloaded page keeps its tables in the file, not in memory').to.deep.equal({ label: 'DuckDB (in browser)', persisted: true });
      expectSameRows(ColumnTable.fromArrays(await page.query(name, `SELECT * FROM ${target} ORDER BY id`)), source);
      const staging = await page.query(name, `SELECT count(*)::INTEGER AS n FROM information_schema.tables WHERE table_name LIKE 'bento_%${job.id}%'`);
      expect(staging[0].values, 'staging tables left in DuckDB').to.deep.equal([0]);
      expect(await readStagedCopy(store, job.id), 'the staged copy in OPFS').to.equal(undefined);

      // The table is in the file: the page after the next reload reads it too.
      const next = await reload(frame);
      const kept = await next.query(name, `SELECT count(*)::INTEGER AS n FROM ${target}`);
      expect(kept[0].values, 'rows after another reload').to.deep.equal([20_000]);
      expect((await next.connectorState(name)).persisted).to.equal(true);
    } finally {
      await removePage(frame, store);
      await removeDuckDBFiles(name);
    }
  });

  it('DuckDB kept in OPFS: tables made by pages that were never closed (reloaded each time) are all there after the next reload', async () => {
    const store = freshStore();
    const name = `reload_duckdb_${suffix()}`;
    let frame: HTMLIFrameElement | undefined;
    const tables = async (page: ReloadPage) => (await page.query(name, 'SELECT table_name FROM information_schema.tables ORDER BY table_name'))[0].values;
    try {
      const opened = await openPage(store, [{ name, kind: 'duckdb', options: { bundleURL, persist: true } }]);
      frame = opened.frame;
      await opened.page.query(name, 'CREATE TABLE first_visit AS SELECT range AS id FROM range(1000)');
      // The second page opens the file with the first one's write-ahead log in it, then writes after it.
      const second = await reload(frame);
      expect(await tables(second)).to.deep.equal(['first_visit']);
      await second.query(name, 'CREATE TABLE second_visit AS SELECT range AS id FROM range(1000)');
      const third = await reload(frame);
      expect(await tables(third), 'the tables of both visits').to.deep.equal(['first_visit', 'second_visit']);
      expect(await third.connectorState(name)).to.deep.equal({ label: 'DuckDB (in browser)', persisted: true });
    } finally {
      await removePage(frame, store);
      await removeDuckDBFiles(name);
    }
  });
});

async function removeDuckDBFiles(connector: string): Promise<void> {
  const root = await navigator.storage.getDirectory();
  for (const file of [`bento-${connector}.duckdb`, `bento-${connector}.duckdb.wal`]) await root.removeEntry(file).catch(() => {});
}
