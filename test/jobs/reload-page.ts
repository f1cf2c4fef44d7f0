/**
 * A page as a host page is for upload jobs (test/jobs/reload.test.ts loads it in an iframe and reloads it): it
 * registers its connectors, then makes its job runner, so a job the page before it left running resumes here.
 * The URL's hash says what to set up, and stays the same across a reload: `store`, the job store's name, and
 * `connectors`, a JSON list of ConnectorConfig (credentials included: the hash never reaches the server).
 *
 * It exposes `window.bentoPage`, a promise of ReloadPage. Tables cross the frame as plain arrays: a ColumnTable's
 * typed arrays must come from the realm that checks them.
 */
import { getConnector, registerConnector, type ConnectorConfig } from '../../src/data/connectors.ts';
import { ColumnTable, columnValue, type CellValue, type ColumnType } from '../../src/data/table.ts';
import type { JobRecord, UploadJobArguments } from '../../src/jobs/runner.ts';
import { JobStore } from '../../src/jobs/store.ts';
import { WorkerJobRunner } from '../../src/jobs/worker-runner.ts';

export interface PlainColumn {
  name: string;
  type: ColumnType;
  values: CellValue[];
}

export interface ReloadPage {
  /** The job records as this page found them, before its runner started: what the page before it left. */
  found: JobRecord[];
  jobs: WorkerJobRunner;
  submit(columns: PlainColumn[], args: UploadJobArguments): Promise<JobRecord>;
  /** A query on one of the page's connectors, as `%%sql` runs it; the rows as plain arrays. */
  query(connector: string, sql: string): Promise<PlainColumn[]>;
  /** The connector's label, and for DuckDB whether its tables are kept in the origin-private file system. */
  connectorState(connector: string): Promise<{ label: string; persisted?: boolean }>;
  /** Closes the runner and the connectors, as leaving the page would, and waits for them to let go. */
  close(): Promise<void>;
}

declare global {
  interface Window {
    bentoPage?: Promise<ReloadPage>;
  }
}

async function setUp(): Promise<ReloadPage> {
  const settings = new URLSearchParams(location.hash.slice(1));
  const storeName = settings.get('store');
  if (!storeName) throw new Error('reload-page.html needs #store=<job store name> in its URL.');
  const configs = JSON.parse(settings.get('connectors') ?? '[]') as ConnectorConfig[];
  for (const config of configs) registerConnector(config);
  const store = await JobStore.open(storeName);
  const found = await store.list();
  store.close();
  const jobs = new WorkerJobRunner({ storeName, workerURL: '/src/jobs/worker.ts', retryDelayMs: 20 });
  return {
    found,
    jobs,
    submit: (columns, args) => jobs.submit(ColumnTable.fromArrays(columns), args),
    async query(connector, sql) {
      const { table } = await (await getConnector(connector)).query(sql);
      return table.columns.map((column) => ({
        name: column.name,
        type: column.type,
        values: Array.from({ length: table.numRows }, (_, row) => columnValue(column, row)),
      }));
    },
    async connectorState(connector) {
      const instance = (await getConnector(connector)) as { label: string; persisted?: boolean };
      return { label: instance.label, ...(instance.persisted === undefined ? {} : { persisted: instance.persisted }) };
    },
    async close() {
      await jobs.close();
      for (const config of configs) await (await getConnector(config.name)).close?.();
    },
  };
}

window.bentoPage = setUp();
