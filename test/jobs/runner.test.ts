import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { getConnector, registerConnector, unregisterConnector, type Connector } from '../../src/data/connectors.ts';
import { ColumnTable, columnValue, type CellValue } from '../../src/data/table.ts';
import { expectSameRows, waitFor } from '../helpers.ts';
import { ACTIVE_JOB_STATES, type JobRecord, type JobRunnerOptions, type JobState } from '../../src/jobs/runner.ts';
import { listStagedCopies, readStagedCopy, writeStagedCopy } from '../../src/jobs/staged-copy.ts';
import { JobStore } from '../../src/jobs/store.ts';
import { jobRunner, WorkerJobRunner } from '../../src/jobs/worker-runner.ts';

// This run's ClickHouse server (web-test-runner.config.mjs), reached same-origin through the test proxy.
const server = (window as unknown as { __bentoClickHouse: { url: string; user: string; password: string } }).__bentoClickHouse;
const DB = 'bento_jobs';
const WAREHOUSE = 'jobs-warehouse';
const EMBEDDED = 'jobs-duckdb';
const workerURL = '/src/jobs/worker.ts';

let warehouse: Connector;
const runners: WorkerJobRunner[] = [];
let count = 0;
const freshName = (stem: string) => `${DB}.${stem}_${++count}_${Math.random().toString(36).slice(2, 8)}`;
const freshStore = () => `jobs-test-${++count}-${Math.random().toString(36).slice(2, 8)}`;

/** A runner over `storeName`, closed after the test; a second one over the same name is the page after a reload. */
function runner(storeName: string, options: JobRunnerOptions = {}): WorkerJobRunner {
  const made = new WorkerJobRunner({ storeName, workerURL, retryDelayMs: 20, ...options });
  runners.push(made);
  return made;
}

/** Resolves with the job's record once `accept` holds for it (or rejects when it ends otherwise). */
function until(jobs: WorkerJobRunner, id: string, accept: (record: JobRecord) => boolean, what: string): Promise<JobRecord> {
  return new Promise((resolve, reject) => {
    const stop = jobs.subscribe(id, (record) => {
      if (!record) return;
      if (accept(record)) {
        queueMicrotask(() => stop());
        resolve(record);
      } else if (['succeeded', 'failed', 'cancelled'].includes(record.state)) {
        queueMicrotask(() => stop());
        reject(new Error(`job ${id} ended ${record.state} while waiting for ${what}: ${record.error?.message ?? ''}`));
      }
    });
  });
}
const inState = (jobs: WorkerJobRunner, id: string, state: JobState) => until(jobs, id, (r) => r.state === state, state);

function values(table: ColumnTable, name: string): CellValue[] {
  const column = table.column(name)!;
  return Array.from({ length: table.numRows }, (_, row) => columnValue(column, row));
}

function simpleTable(rows: number, offset = 0): ColumnTable {
  return ColumnTable.fromArrays([
    { name: 'id', type: 'int64', values: Array.from({ length: rows }, (_, i) => BigInt(i + offset)) },
    { name: 'x', type: 'float64', values: Array.from({ length: rows }, (_, i) => Math.sqrt(i + offset) / 7) },
    { name: 's', type: 'string', values: Array.from({ length: rows }, (_, i) => (i % 5 === 3 ? null : `row ${i + offset} — ✓`)) },
  ]);
}

async function expectHolds(connector: Connector, target: string, source: ColumnTable): Promise<void> {
  expectSameRows((await connector.query(`SELECT * FROM ${target} ORDER BY id`)).table, source);
}

/** The tables a job made on ClickHouse and left (staging, ledger, ...). */
async function leftovers(jobId: string): Promise<CellValue[]> {
  const { table } = await warehouse.query(`SELECT name FROM system.tables WHERE database = '${DB}' AND name LIKE 'bento_%${jobId}%'`);
  return values(table, 'name');
}

async function targetExists(target: string): Promise<boolean> {
  const [database, name] = target.split('.');
  const { table } = await warehouse.query(`SELECT count() AS n FROM system.tables WHERE database = '${database}' AND name = '${name}'`);
  return Number(table.value(0, 0)) === 1;
}

/** The records as IndexedDB holds them, read without the runner. */
async function storedRecords(storeName: string): Promise<unknown[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(storeName);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  try {
    return await new Promise((resolve, reject) => {
      const request = db.transaction('jobs').objectStore('jobs').getAll();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a rejection');
}

/**
 * A job that holds a slot until cancelled: its connector's URL is one the test server never answers (for two
 * minutes), so the job waits in `staging` on its first request. Under the page's other host name: the requests
 * left hanging there (a cancelled query's KILL) must not use up the browser's connections to the page's origin.
 */
const HANG = 'jobs-hang';
const hangURL = `${location.protocol}//${location.hostname === 'localhost' ? '127.0.0.1' : 'localhost'}:${location.port}/never-answers/clickhouse`;
async function blocker(jobs: WorkerJobRunner): Promise<JobRecord> {
  registerConnector({ name: HANG, kind: 'clickhouse', options: { url: hangURL, timeoutMs: 300_000 } });
  const job = await jobs.submit(simpleTable(10), { connector: HANG, target: 'never_written' });
  return inState(jobs, job.id, 'staging');
}

/**
 * The next chunk insert sent to ClickHouse never arrives (the test proxy drops the connection). Only a chunk's
 * `INSERT ... FORMAT Native` has its statement in the URL (as `FORMAT+Native`).
 */
const cutNextChunk = () => executeServerCommand('clickhouse-cut', { match: 'Native', where: 'request' });
const cutFired = async () => ((await executeServerCommand('clickhouse-cut-fired')) as { fired: boolean }).fired;

before(async () => {
  expect(server, 'the test runner starts ClickHouse and tells the page').to.be.ok;
  registerConnector({ name: WAREHOUSE, kind: 'clickhouse', options: { url: server.url }, credentials: { user: server.user, password: server.password } });
  warehouse = await getConnector(WAREHOUSE);
  await warehouse.query(`CREATE DATABASE IF NOT EXISTS ${DB}`);
});

afterEach(async () => {
  // A cut armed by a test that failed early must not fire in the next one.
  await executeServerCommand('clickhouse-cut', { match: 'nothing will ever match this', where: 'request' });
  for (const made of runners.splice(0)) await made.close();
});

describe('upload jobs to ClickHouse', function () {
  this.timeout(120_000);

  it('a submitted job runs in the worker to succeeded with exactly the source rows; the staging table and the staged copy are gone', async () => {
    const store = freshStore();
    const jobs = runner(store);
    const target = freshName('plain');
    const source = simpleTable(2500);
    const states: JobState[] = [];
    const submitted = await jobs.submit(source, { connector: WAREHOUSE, target, chunkRows: 500, source: 'df' });
    // Recorded, and possibly sending already: a job starts while its staged copy is written.
    expect(ACTIVE_JOB_STATES, `submit resolves with the job active (${submitted.state})`).to.include(submitted.state);
    jobs.subscribe(submitted.id, (record) => record && states.at(-1) !== record.state && states.push(record.state));
    const done = await inState(jobs, submitted.id, 'succeeded');
    expect(done.result).to.deep.include({ rows: 2500, chunks: 5 });
    expect(done.progress).to.include({ rows: 2500, totalRows: 2500, chunksDone: 5 });
    expect(done.progress.stagedBytes, 'the staged copy had the table in it').to.be.greaterThan(2500 * 16);
    expect(states, 'the states it went through, in order').to.include.members(['uploading', 'verifying', 'succeeded']);
    expect(states.indexOf('uploading')).to.be.lessThan(states.indexOf('verifying'));
    await expectHolds(warehouse, target, source);
    expect(await leftovers(done.id)).to.deep.equal([]);
    expect(await readStagedCopy(store, done.id), 'the staged copy is removed after success').to.equal(undefined);
  });

  it('records persist in IndexedDB without credentials, and a new runner over the same store lists them', async () => {
    const store = freshStore();
    const first = runner(store);
    const target = freshName('listed');
    const job = await first.submit(simpleTable(30), { connector: WAREHOUSE, target, mode: 'create' });
    await inState(first, job.id, 'succeeded');
    await first.close();

    const raw = await storedRecords(store);
    expect(raw).to.have.length(1);
    const text = JSON.stringify(raw);
    expect(text, 'no password in the stored record').not.to.include(server.password);
    expect(text, 'no credentials field').not.to.include('credentials');
    expect(raw[0]).to.deep.include({ id: job.id, state: 'succeeded', arguments: { connector: WAREHOUSE, target, mode: 'create' } });

    const again = runner(store);
    const listed = await again.list();
    expect(listed.map((r) => [r.id, r.state])).to.deep.equal([[job.id, 'succeeded']]);
    expect(listed[0].result).to.deep.include({ rows: 30 });
  });

  it('a reload mid-upload: the next runner finds the job, resumes it from the staged copy and it lands exactly once', async () => {
    const store = freshStore();
    // One retry after a long wait: the job sits in `uploading` after the cut, as a page that closes mid-upload.
    const first = runner(store, { retries: 1, retryDelayMs: 600_000 });
    const target = freshName('reload');
    const source = simpleTable(4000);
    await cutNextChunk();
    const job = await first.submit(source, { connector: WAREHOUSE, target, chunkRows: 400 });
    await until(first, job.id, (r) => r.state === 'uploading', 'uploading');
    while (!(await cutFired())) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await first.get(job.id))!.state).to.equal('uploading');
    await first.close();
    expect((await storedRecords(store) as JobRecord[])[0].state, 'the closed page left it running').to.equal('uploading');

    const second = runner(store);
    const done = await inState(second, job.id, 'succeeded');
    expect(done.result?.rows).to.equal(4000);
    await expectHolds(warehouse, target, source);
    expect(await leftovers(job.id)).to.deep.equal([]);
  });

  it('a lost connection pauses the job; after a reload it stays paused until Resume', async () => {
    const store = freshStore();
    const first = runner(store, { retries: 0 });
    const target = freshName('paused');
    const source = simpleTable(3000);
    await executeServerCommand('clickhouse-crash');
    let paused: JobRecord;
    try {
      const job = await first.submit(source, { connector: WAREHOUSE, target, chunkRows: 300 });
      paused = await inState(first, job.id, 'paused');
    } finally {
      await executeServerCommand('clickhouse-recover');
    }
    expect(paused.error?.retryable).to.equal(true);
    expect(paused.error?.message, 'the reason, in words').to.include('ClickHouse');
    expect(await targetExists(target), 'nothing in the target while paused').to.equal(false);
    await first.close();

    const second = runner(store, { retries: 0 });
    expect((await second.get(paused.id))!.state, 'a connection-lost pause waits for a person').to.equal('paused');
    expect(await rejection(second.retry(paused.id))).to.match(/Retry applies to a failed job/);
    await second.resume(paused.id);
    const done = await inState(second, paused.id, 'succeeded');
    expect(done.progress.chunksDone).to.equal(10);
    await expectHolds(warehouse, target, source);
    expect(await leftovers(paused.id)).to.deep.equal([]);
  });

  it('ClickHouse stopped mid-upload: the job pauses, keeps its staged chunks, and Resume completes it exactly once', async () => {
    const store = freshStore();
    const jobs = runner(store, { retries: 0 });
    const target = freshName('crash');
    // Many small chunks, so the server stops while the job is still sending them.
    const source = simpleTable(40_000);
    const job = await jobs.submit(source, { connector: WAREHOUSE, target, chunkRows: 100 });
    let paused: JobRecord;
    try {
      await until(jobs, job.id, (r) => r.progress.chunksDone >= 1, 'a first chunk');
      await executeServerCommand('clickhouse-crash');
      paused = await inState(jobs, job.id, 'paused');
    } finally {
      await executeServerCommand('clickhouse-recover');
    }
    expect(paused.progress.chunksDone, 'chunks staged before the server stopped').to.be.greaterThan(0);
    const stagedBefore = paused.progress.bytes;
    await jobs.resume(job.id);
    const done = await inState(jobs, job.id, 'succeeded');
    expect(done.result?.rows).to.equal(40_000);
    expect(done.progress.bytes, 'bytes over both runs').to.be.greaterThan(stagedBefore);
    await expectHolds(warehouse, target, source);
    expect(await leftovers(job.id)).to.deep.equal([]);
  });

  it("a chunk the server refuses fails the job with ClickHouse's words, the target is not made; Retry lands it once", async () => {
    const store = freshStore();
    const jobs = runner(store, { retries: 0 });
    const target = freshName('refused');
    const source = simpleTable(40_000);
    const job = await jobs.submit(source, { connector: WAREHOUSE, target, chunkRows: 1000 });
    await until(jobs, job.id, (r) => r.progress.chunksDone >= 1, 'a first chunk');
    // Someone remakes the last chunk's table under the job, with a column of another type: the chunk no longer fits.
    // The job makes its chunk tables one after another once the first is there: the last may not exist yet.
    const lastChunk = `${DB}.bento_stage_${job.id}_c39`;
    await waitFor(() => targetExists(lastChunk), 'the job made its last chunk table', 30_000);
    await warehouse.query(`DROP TABLE ${lastChunk}`);
    await warehouse.query(`CREATE TABLE ${lastChunk} (id Int64, x String, s Nullable(String)) ENGINE = MergeTree ORDER BY tuple()`);
    const failed = await inState(jobs, job.id, 'failed');
    expect(failed.error?.serverMessage).to.match(/^Code: 368, e\.displayText\(\) = DB::Exception: Bad cast from type DB::ColumnVector<double> to DB::ColumnString/);
    expect(failed.error?.message).to.contain(failed.error!.serverMessage!);
    expect(await targetExists(target), 'the target after the refusal').to.equal(false);
    await jobs.retry(job.id);
    const done = await inState(jobs, job.id, 'succeeded');
    expect(done.result?.rows).to.equal(40_000);
    await expectHolds(warehouse, target, source);
    expect(await leftovers(job.id)).to.deep.equal([]);
  });

  it('at most `concurrency` jobs run at once; the others wait queued and then run', async () => {
    const store = freshStore();
    const jobs = runner(store, { concurrency: 1 });
    const running = new Set<string>();
    let most = 0;
    jobs.subscribeAll((record) => {
      if (['staging', 'uploading', 'verifying'].includes(record.state)) running.add(record.id);
      else running.delete(record.id);
      most = Math.max(most, running.size);
    });
    // The first job holds the one slot until it is cancelled.
    const holder = await blocker(jobs);
    const targets = [freshName('second'), freshName('third')];
    const sources = [simpleTable(100), simpleTable(150, 100)];
    const waiting = await Promise.all(targets.map((target, i) => jobs.submit(sources[i], { connector: WAREHOUSE, target })));
    for (const job of waiting) expect((await jobs.get(job.id))!.state, 'waits for the slot').to.equal('queued');
    const cancelled = await jobs.cancel(holder.id);
    expect(cancelled.state).to.equal('cancelled');
    for (const job of waiting) await inState(jobs, job.id, 'succeeded');
    expect(most, 'jobs running at once').to.equal(1);
    await expectHolds(warehouse, targets[0], sources[0]);
    await expectHolds(warehouse, targets[1], sources[1]);
  });

  it('a second runner over the same store (another tab) leaves the queued and running jobs of the first alone', async () => {
    const store = freshStore();
    const first = runner(store, { concurrency: 1 });
    const holder = await blocker(first);
    const target = freshName('one_tab');
    const source = simpleTable(60);
    const job = await first.submit(source, { connector: WAREHOUSE, target });
    const other = runner(store);
    expect((await other.list()).map((r) => [r.id, r.state]), 'the other tab sees them as the first left them').to.have.deep.members([
      [holder.id, 'staging'],
      [job.id, 'queued'],
    ]);
    await Promise.resolve();
    expect((await other.get(job.id))!.state, 'and does not start the queued one').to.equal('queued');
    expect(await rejection(other.resume(job.id))).to.match(/Resume applies to a paused job/);
    await first.cancel(holder.id);
    await inState(first, job.id, 'succeeded');
    await expectHolds(warehouse, target, source);
  });

  it('a worker that does not load fails the job with a message naming its URL, instead of leaving it waiting', async () => {
    const jobs = runner(freshStore(), { workerURL: '/nowhere/jobs-worker.js' });
    const said = await jobs.submit(simpleTable(3), { connector: WAREHOUSE, target: freshName('no_worker') }).then(
      (record) => `${record.state}: ${record.error?.message}`,
      (error: Error) => `refused: ${error.message}`,
    );
    expect(said).to.match(/^(failed|refused): The jobs worker did not load from http:.*\/nowhere\/jobs-worker\.js.*check the job runner's workerURL\.$/);
    const later = await rejection(jobs.submit(simpleTable(3), { connector: WAREHOUSE, target: freshName('no_worker') }));
    expect(later).to.match(/The jobs worker did not load/);
  });

  it('jobRunner(), the runner of the page, finds its worker by default', async () => {
    const jobs = jobRunner();
    runners.push(jobs);
    const target = freshName('default_runner');
    const source = simpleTable(25);
    const job = await jobs.submit(source, { connector: WAREHOUSE, target });
    expect(jobRunner(), 'one runner per page').to.equal(jobs);
    await inState(jobs, job.id, 'succeeded');
    await expectHolds(warehouse, target, source);
  });

  it('a table of several megabytes arrives whole, copied in pieces or with its buffers transferred', async () => {
    const jobs = runner(freshStore());
    const source = simpleTable(200_000);
    const bytes = source.buffers().reduce((sum, buffer) => sum + buffer.byteLength, 0);
    expect(bytes, 'more than a few pieces').to.be.greaterThan(4 << 20);
    const copied = freshName('pieces');
    const first = await jobs.submit(source, { connector: WAREHOUSE, target: copied, chunkRows: 50_000 });
    expect(source.buffers().every((buffer) => buffer.byteLength > 0), 'the caller keeps its table').to.equal(true);
    const moved = freshName('transferred');
    const own = simpleTable(200_000);
    const second = await jobs.submit(own, { connector: WAREHOUSE, target: moved, chunkRows: 50_000 }, { transfer: true });
    expect(own.buffers().every((buffer) => buffer.byteLength === 0), 'its buffers went to the worker').to.equal(true);
    await inState(jobs, first.id, 'succeeded');
    await inState(jobs, second.id, 'succeeded');
    await expectHolds(warehouse, copied, source);
    await expectHolds(warehouse, moved, source);
  });

  it("a runner starting removes the copies nobody will use: one no record owns, a failed job's after keepFailedCopiesDays", async () => {
    const store = freshStore();
    const records = await JobStore.open(store);
    const day = 86_400_000;
    const failed = (id: string, daysAgo: number): JobRecord => ({
      id,
      kind: 'upload',
      state: 'failed',
      arguments: { connector: WAREHOUSE, target: freshName('swept') },
      schema: simpleTable(1).schema,
      progress: { rows: 0, totalRows: 3, bytes: 0, stagedBytes: 0, chunks: 1, chunksDone: 0 },
      createdAt: Date.now() - daysAgo * day,
      updatedAt: Date.now() - daysAgo * day,
      finishedAt: Date.now() - daysAgo * day,
      error: { message: 'refused' },
    });
    await records.put(failed('old_failure', 8));
    await records.put(failed('recent_failure', 2));
    for (const id of ['old_failure', 'recent_failure', 'nobody_s']) await writeStagedCopy(store, id, simpleTable(3));
    expect((await listStagedCopies(store)).sort()).to.deep.equal(['nobody_s', 'old_failure', 'recent_failure']);

    const jobs = runner(store);
    await jobs.list();
    for (let tries = 0; (await listStagedCopies(store)).length > 1 && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await listStagedCopies(store), 'the copies left').to.deep.equal(['recent_failure']);
    expect((await jobs.get('old_failure'))?.state, 'the record stays').to.equal('failed');
    // With nothing to retry from, Retry says so.
    await jobs.retry('old_failure');
    const again = await inState(jobs, 'old_failure', 'failed');
    expect(again.error?.message).to.match(/copy of this job's table kept in the browser's storage is gone.*run the upload again/);
  });

  it('a paused job whose staged copy was cut short fails on Resume, saying to run the upload again; forget removes its record', async () => {
    const store = freshStore();
    const jobs = runner(store, { retries: 0 });
    const target = freshName('cleared');
    await executeServerCommand('clickhouse-crash');
    let job: JobRecord;
    try {
      job = await jobs.submit(simpleTable(20), { connector: WAREHOUSE, target });
      await inState(jobs, job.id, 'paused');
    } finally {
      await executeServerCommand('clickhouse-recover');
    }
    expect(await rejection(jobs.forget(job.id))).to.match(/cancel it before forgetting it/);
    // The worker writes the copy in place, magic last: a copy whose write was cut short (the tab closed) has none.
    const folder = await (await navigator.storage.getDirectory()).getDirectoryHandle(store);
    const file = await (await folder.getFileHandle(`${job.id}.table`)).getFile();
    expect(new TextDecoder().decode(new Uint8Array(await file.slice(0, 8).arrayBuffer())), 'a whole copy starts with its magic').to.equal('BENTOTB1');
    const cutShort = await (await folder.getFileHandle(`${job.id}.table`)).createWritable({ keepExistingData: true });
    await cutShort.write({ type: 'write', position: 0, data: new Uint8Array(8) });
    await cutShort.close();
    expect(await readStagedCopy(store, job.id), 'a copy cut short reads as none').to.equal(undefined);
    await jobs.resume(job.id);
    const failed = await inState(jobs, job.id, 'failed');
    expect(failed.error?.message).to.match(/copy of this job's table kept in the browser's storage is gone.*run the upload again/);
    expect(await targetExists(target)).to.equal(false);
    await jobs.forget(job.id);
    expect(await jobs.get(job.id)).to.equal(undefined);
    expect(await storedRecords(store)).to.deep.equal([]);
  });

  it('refuses a connector that is not registered, and bad arguments, before recording anything', async () => {
    const store = freshStore();
    const jobs = runner(store);
    expect(await rejection(jobs.submit(simpleTable(3), { connector: 'nowhere', target: 't' }))).to.match(/No connector called 'nowhere'/);
    expect(await rejection(jobs.submit(simpleTable(3), { connector: WAREHOUSE, target: '' }))).to.match(/needs a target table name/);
    expect(await rejection(jobs.submit(simpleTable(3), { connector: WAREHOUSE, target: 'x', mode: 'upsert' as never }))).to.match(/not one of create, append, replace/);
    expect(await jobs.list()).to.deep.equal([]);
    expect(await rejection(jobs.resume('j0'))).to.match(/There is no job 'j0'/);
  });
});

describe('cancelling upload jobs', function () {
  this.timeout(120_000);

  it('queued: never starts, the target is not made', async () => {
    const store = freshStore();
    const jobs = runner(store, { concurrency: 1 });
    const holder = await blocker(jobs);
    const target = freshName('queued');
    const job = await jobs.submit(simpleTable(50), { connector: WAREHOUSE, target });
    expect((await jobs.get(job.id))!.state).to.equal('queued');
    const cancelled = await jobs.cancel(job.id);
    expect(cancelled.state).to.equal('cancelled');
    expect(cancelled.error?.message).to.match(/^Cancelled/);
    expect((await jobs.cancel(holder.id)).state).to.equal('cancelled');
    expect(await targetExists(target)).to.equal(false);
    expect(await leftovers(job.id)).to.deep.equal([]);
    expect(await readStagedCopy(store, job.id)).to.equal(undefined);
  });

  it('staging (its first request unanswered): stops at once, the staged copy is removed', async () => {
    const store = freshStore();
    const jobs = runner(store);
    const holder = await blocker(jobs);
    expect((await jobs.get(holder.id))!.progress.stagedBytes, 'the copy was written').to.be.greaterThan(0);
    expect((await jobs.cancel(holder.id)).state).to.equal('cancelled');
    expect(await readStagedCopy(store, holder.id)).to.equal(undefined);
  });

  it('uploading: the staging table is dropped and the target is not made', async () => {
    const store = freshStore();
    const jobs = runner(store, { retries: 1, retryDelayMs: 600_000 });
    const target = freshName('uploading');
    await cutNextChunk();
    const job = await jobs.submit(simpleTable(2000), { connector: WAREHOUSE, target, chunkRows: 200 });
    await inState(jobs, job.id, 'uploading');
    while (!(await cutFired())) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await leftovers(job.id)).length, 'the job has a staging table before the cancel').to.be.greaterThan(0);
    const cancelled = await jobs.cancel(job.id);
    expect(cancelled.state).to.equal('cancelled');
    expect(await leftovers(job.id)).to.deep.equal([]);
    expect(await targetExists(target)).to.equal(false);
    expect(await readStagedCopy(store, job.id)).to.equal(undefined);
  });

  it('paused: the staging table is dropped; an append target keeps exactly its rows', async () => {
    const store = freshStore();
    const jobs = runner(store, { retries: 0 });
    const target = freshName('paused_append');
    const before = simpleTable(40);
    const first = await jobs.submit(before, { connector: WAREHOUSE, target });
    await inState(jobs, first.id, 'succeeded');
    const job = await jobs.submit(simpleTable(40_000, 40), { connector: WAREHOUSE, target, mode: 'append', chunkRows: 100 });
    try {
      await until(jobs, job.id, (r) => r.progress.chunksDone >= 1, 'a first chunk');
      await executeServerCommand('clickhouse-crash');
      await inState(jobs, job.id, 'paused');
    } finally {
      await executeServerCommand('clickhouse-recover');
    }
    expect((await leftovers(job.id)).length, 'the staging table is kept while paused').to.be.greaterThan(0);
    expect((await jobs.cancel(job.id)).state).to.equal('cancelled');
    expect(await leftovers(job.id)).to.deep.equal([]);
    expect(await readStagedCopy(store, job.id)).to.equal(undefined);
    await expectHolds(warehouse, target, before);
  });

  it('failed (the target exists under create): cancel leaves the existing table as it was', async () => {
    const store = freshStore();
    const jobs = runner(store);
    const target = freshName('exists');
    const before = simpleTable(20);
    await inState(jobs, (await jobs.submit(before, { connector: WAREHOUSE, target })).id, 'succeeded');
    const job = await jobs.submit(simpleTable(5), { connector: WAREHOUSE, target, mode: 'create' });
    const failed = await inState(jobs, job.id, 'failed');
    expect(failed.error?.message).to.match(/exists already/);
    expect((await jobs.cancel(job.id)).state).to.equal('cancelled');
    expect(await readStagedCopy(store, job.id)).to.equal(undefined);
    await expectHolds(warehouse, target, before);
    expect(await leftovers(job.id)).to.deep.equal([]);
  });

  it('verifying: cancelled before the commit, or finished once the commit started; never half', async () => {
    const store = freshStore();
    const jobs = runner(store, { retries: 1, retryDelayMs: 2_000 });
    const target = freshName('committing');
    const before = simpleTable(10);
    await inState(jobs, (await jobs.submit(before, { connector: WAREHOUSE, target })).id, 'succeeded');
    const source = simpleTable(500, 10);
    const job = await jobs.submit(source, { connector: WAREHOUSE, target, mode: 'append', chunkRows: 100 });
    // The job's id is known only now; the cut lands on the commit's request (its query id names the job), and
    // the job waits to try the commit again, in `verifying`.
    await executeServerCommand('clickhouse-cut', { match: `bento_upload_${job.id}_append`, where: 'request' });
    await until(jobs, job.id, (r) => r.state === 'verifying' || r.state === 'succeeded', 'verifying');
    const ended = await jobs.cancel(job.id);
    // Cancelled while checking the staged rows, or finished because the commit had started: either way the
    // target holds its old rows and the new ones exactly once, or only its old rows, and no staging table.
    if (ended.state === 'cancelled') await expectHolds(warehouse, target, before);
    else {
      expect(ended.state).to.equal('succeeded');
      await expectHolds(warehouse, target, ColumnTable.concat([before, source]));
    }
    expect(await leftovers(job.id)).to.deep.equal([]);
  });
});

describe('upload jobs to DuckDB-WASM (the page connector, driven from the worker)', function () {
  this.timeout(120_000);
  let embedded: Connector;

  before(async () => {
    registerConnector({ name: EMBEDDED, kind: 'duckdb', options: { bundleURL: '/node_modules/@duckdb/duckdb-wasm/dist/' } });
    embedded = await getConnector(EMBEDDED);
  });
  after(() => unregisterConnector(EMBEDDED));

  it('succeeds with exactly the source rows, readable by the page connector', async () => {
    const jobs = runner(freshStore());
    const source = simpleTable(1200);
    const job = await jobs.submit(source, { connector: EMBEDDED, target: 'uploaded_by_job', chunkRows: 250 });
    const done = await inState(jobs, job.id, 'succeeded');
    expect(done.result).to.deep.include({ rows: 1200, chunks: 5 });
    await expectHolds(embedded, 'uploaded_by_job', source);
    const { table } = await embedded.query(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name LIKE 'bento_%${job.id}%'`);
    expect(Number(table.value(0, 0)), 'no staging table left').to.equal(0);
  });

  it('a reload: a queued job resumes in the next runner and lands once', async () => {
    const store = freshStore();
    const first = runner(store, { concurrency: 1 });
    const holder = await blocker(first);
    const source = simpleTable(700);
    const job = await first.submit(source, { connector: EMBEDDED, target: 'uploaded_after_reload', chunkRows: 100 });
    expect((await first.get(job.id))!.state).to.equal('queued');
    await first.close();
    // The holder's connector is not registered on the reloaded page: it stays paused, saying so; the DuckDB job goes on.
    unregisterConnector(HANG);
    const second = runner(store, { concurrency: 1 });
    const left = (await second.get(holder.id))!;
    expect(left.state).to.equal('paused');
    expect(left.error?.message).to.include(`no connector called '${HANG}'`);
    await inState(second, job.id, 'succeeded');
    await expectHolds(embedded, 'uploaded_after_reload', source);
    expect(await readStagedCopy(store, job.id)).to.equal(undefined);
  });
});
