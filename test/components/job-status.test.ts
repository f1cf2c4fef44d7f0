// <job-status> alone on a page (as on a page listing recent jobs), over real upload jobs: the shipped worker runner,
// the real embedded DuckDB-WASM and the real ClickHouse server of this test run.
import { expect, fixture, html } from '@open-wc/testing';
import '../../components/job-status/job-status.ts';
import type { JobStatus } from '../../components/job-status/job-status.ts';
import { JOB_MIME, jobSummary, type JobSnapshot } from '../../components/job-status/job-summary.ts';
import { getConnector, registerConnector } from '../../src/data/connectors.ts';
import { ColumnTable } from '../../src/data/table.ts';
import type { JobRecord, JobState } from '../../src/jobs/runner.ts';
import { WorkerJobRunner } from '../../src/jobs/worker-runner.ts';
import { waitFor } from '../helpers.ts';

const server = (window as unknown as { __bentoClickHouse: { url: string; user: string; password: string } }).__bentoClickHouse;
registerConnector({ name: 'duckdb', kind: 'duckdb', label: 'DuckDB (in browser)', options: { bundleURL: '/node_modules/@duckdb/duckdb-wasm/dist/' } });
registerConnector({ name: 'warehouse', kind: 'clickhouse', label: 'Warehouse', options: { url: server.url }, credentials: { user: server.user, password: server.password } });

const STORE = `test-job-status-${Math.random().toString(36).slice(2, 8)}`;
const runners: WorkerJobRunner[] = [];
function newRunner(): WorkerJobRunner {
  const runner = new WorkerJobRunner({ workerURL: '/src/jobs/worker.ts', storeName: STORE, concurrency: 1, resumeOnStart: 'manual', retries: 1, retryDelayMs: 50 });
  runners.push(runner);
  return runner;
}
after(async () => {
  for (const runner of runners) await runner.close().catch(() => {});
});

const fresh = (stem: string) => `${stem}_${Math.random().toString(36).slice(2, 8)}`;

function numbers(rows: number): ColumnTable {
  return ColumnTable.fromArrays([
    { name: 'id', type: 'int64', values: Array.from({ length: rows }, (_, i) => BigInt(i)) },
    { name: 'label', type: 'string', values: Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? null : `row ${i}`)) },
  ]);
}

const shadow = (el: JobStatus) => el.shadowRoot!;
const text = (el: JobStatus) => shadow(el).textContent!.replace(/\s+/g, ' ');
const stateOf = (el: JobStatus) => shadow(el).querySelector('[part=state]')?.textContent;
const button = (el: JobStatus, name: string) => shadow(el).querySelector<HTMLButtonElement>(`button[aria-label="${name} the upload"]`);

async function reaches(el: JobStatus, state: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(() => stateOf(el) === state, `the job to show ${state} (it shows ${stateOf(el)}: ${text(el)})`, timeoutMs);
}

async function untilState(runner: WorkerJobRunner, id: string, states: JobState[]): Promise<JobRecord> {
  return waitFor(async () => {
    const record = await runner.get(id);
    return record && states.includes(record.state) ? record : undefined;
  }, `job ${id} to reach ${states.join(' or ')}`, 60_000);
}

describe('<job-status> on a page of its own', () => {
  it('follows an upload to DuckDB to the end: state, rows, bytes, a full bar', async () => {
    const runner = newRunner();
    const target = fresh('status_ok');
    const job = await runner.submit(numbers(2500), { connector: 'duckdb', target, chunkRows: 1000, source: 'numbers' });
    const el = await fixture<JobStatus>(html`<job-status job-id=${job.id} .runner=${runner}></job-status>`);
    const finished = new Promise<CustomEvent | Event>((resolve) => el.addEventListener('bento-job-finish', resolve, { once: true }));
    await reaches(el, 'Succeeded');
    expect(text(el)).to.contain(`→ ${target} on duckdb, create`);
    expect(text(el)).to.contain('2,500 of 2,500 rows');
    expect(text(el)).to.match(/\d+(\.\d)? KB sent/);
    expect(text(el)).to.match(/elapsed/);
    const bar = shadow(el).querySelector('[role=progressbar]')!;
    expect(bar.getAttribute('aria-valuenow')).to.equal('2500');
    expect(bar.getAttribute('aria-valuemax')).to.equal('2500');
    expect(button(el, 'Cancel'), 'no Cancel once finished').to.equal(null);
    const event = (await finished) as unknown as { detail: { jobId: string; state: string; rows: number } };
    expect(event.detail).to.deep.equal({ jobId: job.id, state: 'succeeded', rows: 2500 });
    const stored = await (await getConnector('duckdb')).query(`SELECT count(*) AS n, count(label) AS labelled FROM ${target}`);
    expect([Number(stored.table.value(0, 0)), Number(stored.table.value(0, 1))]).to.deep.equal([2500, 2142]);
    await expect(el).to.be.accessible();
  });

  it("shows the warehouse's own error verbatim when ClickHouse refuses the rows, and offers Retry", async () => {
    const runner = newRunner();
    const clickhouse = await getConnector('warehouse');
    const target = `default.${fresh('status_refused')}`;
    // The target's column takes numbers; the upload brings text: ClickHouse refuses in the commit's conversion.
    await clickhouse.query(`CREATE TABLE ${target} (id Int64, label Int32) ENGINE = MergeTree ORDER BY id`);
    try {
      const job = await runner.submit(numbers(20), { connector: 'warehouse', target, mode: 'append' });
      const el = await fixture<JobStatus>(html`<job-status job-id=${job.id} .runner=${runner}></job-status>`);
      await reaches(el, 'Failed');
      const record = (await runner.get(job.id))!;
      expect(record.error?.serverMessage, 'ClickHouse said why').to.match(/Code: \d+/);
      expect(shadow(el).querySelector('pre.error')!.textContent).to.equal(record.error!.serverMessage);
      expect(button(el, 'Retry'), 'Retry on a failed job').not.to.equal(null);
      expect(text(el)).not.to.contain(server.password);
      await expect(el).to.be.accessible();
    } finally {
      await clickhouse.query(`DROP TABLE IF EXISTS ${target}`);
    }
  });

  it('cancels a running upload from its Cancel button: no target, no staging table left', async () => {
    const runner = newRunner();
    const clickhouse = await getConnector('warehouse');
    const name = fresh('status_cancel');
    // Many small chunks, so the job is still uploading when the button is pressed.
    const job = await runner.submit(numbers(200_000), { connector: 'warehouse', target: `default.${name}`, chunkRows: 500 });
    const el = await fixture<JobStatus>(html`<job-status job-id=${job.id} .runner=${runner}></job-status>`);
    await waitFor(() => (stateOf(el) === 'Uploading' ? button(el, 'Cancel') : null), 'a Cancel button while uploading', 60_000);
    button(el, 'Cancel')!.click();
    await reaches(el, 'Cancelled');
    expect(button(el, 'Cancel')).to.equal(null);
    const left = await clickhouse.query(`SELECT name FROM system.tables WHERE database = 'default' AND (name = '${name}' OR name LIKE 'bento_stage_${job.id}%')`);
    expect(left.table.numRows, 'neither the target nor the staging table').to.equal(0);
  });

  it('resumes a job a closed page left paused, from its Resume button', async () => {
    const first = newRunner();
    const target = fresh('status_resume');
    const job = await first.submit(numbers(3000), { connector: 'duckdb', target, chunkRows: 1000 });
    // As a page closing mid-upload: its runner stops; the next runner over the same store finds the job paused.
    await first.close();
    const second = newRunner();
    const paused = await untilState(second, job.id, ['paused', 'succeeded']);
    const el = await fixture<JobStatus>(html`<job-status job-id=${job.id} .runner=${second}></job-status>`);
    if (paused.state === 'paused') {
      await reaches(el, 'Paused');
      await waitFor(() => button(el, 'Resume'), 'a Resume button');
      button(el, 'Resume')!.click();
    }
    await reaches(el, 'Succeeded');
    const stored = await (await getConnector('duckdb')).query(`SELECT count(*) FROM ${target}`);
    expect(Number(stored.table.value(0, 0))).to.equal(3000);
  });

  it('says when this browser has no record of the job, and shows the state a saved notebook kept', async () => {
    const runner = newRunner();
    const unknown = await fixture<JobStatus>(html`<job-status job-id="nosuchjob" .runner=${runner}></job-status>`);
    await waitFor(() => text(unknown).includes('no record'), 'the missing-job message');
    expect(text(unknown)).to.contain('This browser has no record of job nosuchjob');

    const saved: JobSnapshot = { jobId: 'elsewhere1', state: 'succeeded', rows: 1200, totalRows: 1200, bytes: 9000, target: 'trips', connector: 'duckdb', mode: 'create', source: 'df', updatedAt: 0 };
    const bundle = { 'text/plain': jobSummary(saved), [JOB_MIME]: saved };
    const el = await fixture<JobStatus>(html`<job-status .runner=${runner} .bundle=${bundle}></job-status>`);
    await waitFor(() => text(el).includes('as last saved'), 'the saved state');
    expect(el.jobId, 'the id comes from the saved output').to.equal('elsewhere1');
    expect(stateOf(el)).to.equal('Succeeded');
    expect(text(el)).to.contain('1,200 of 1,200 rows, as last saved');
    await expect(el).to.be.accessible();
  });

  it('takes its colours from the theme tokens', async () => {
    const runner = newRunner();
    const el = await fixture<JobStatus>(html`<job-status job-id="nosuchjob" .runner=${runner} style="--bento-job-background: rgb(1, 2, 3); --bento-job-border: rgb(4, 5, 6)"></job-status>`);
    const box = shadow(el).querySelector('[part=job]')!;
    expect(getComputedStyle(box).backgroundColor).to.equal('rgb(1, 2, 3)');
    expect(getComputedStyle(box).borderTopColor).to.equal('rgb(4, 5, 6)');
  });
});
