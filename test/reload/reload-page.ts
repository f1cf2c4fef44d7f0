/**
 * A host page that tests load in an iframe and reload for real (./frame.ts). The URL's hash says what to set up, and
 * stays the same across a reload; credentials may go in it (the hash never reaches the server):
 * - `connectors`: a JSON list of ConnectorConfig, registered first;
 * - `store`: upload jobs (test/jobs/reload.test.ts). The page makes its job runner over that job store, so a job the
 *   page before it left running resumes here. It exposes `window.bentoPage`, a promise of ReloadPage. Tables cross
 *   the frame as plain arrays: a ColumnTable's typed arrays must come from the realm that checks them.
 * - `notebook`: a `<bento-notebook>` with autosave on (test/faults/reload-faults.test.ts), as NotebookSettings in
 *   JSON. It exposes `window.bentoNotebookPage`, a promise of NotebookPage, settled once the notebook is up (with
 *   the draft restored, when the page before it left one).
 */
import { getConnector, registerConnector, type ConnectorConfig } from '../../src/data/connectors.ts';
import { ColumnTable, columnValue, type CellValue, type ColumnType } from '../../src/data/table.ts';
import type { JobRecord, UploadJobArguments } from '../../src/jobs/runner.ts';
import { JobStore } from '../../src/jobs/store.ts';
import { WorkerJobRunner } from '../../src/jobs/worker-runner.ts';
import type { BentoNotebook } from '../../components/bento-notebook/bento-notebook.ts';
import type { GraphQLEndpointConfig } from '../../src/data/graphql-endpoints.ts';
import type { SheetSourceConfig } from '../../src/data/sheet-sources.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import type { JupyterServerOptions } from '../../src/kernel/remote/server.ts';

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

export interface NotebookSettings {
  /** The notebook's autosave key: one per test, so tests never see each other's drafts. */
  key: string;
  /**
   * Serverless Python (a new runtime each page load), or a kernel on this Jupyter Server: the page remembers the
   * server kernel's id for the tab (sessionStorage) and reattaches to it after a reload, as a host page may. Or
   * `servers`: the page only configures these servers, and the notebook chooses its kernel (serverless Python first,
   * a server kernel once switched to one or restored with one) and attaches to it again after a reload by itself.
   */
  kernel: 'pyodide' | { server: JupyterServerOptions; requestTimeoutMs?: number } | { servers: JupyterServerOptions[] };
  graphql?: GraphQLEndpointConfig[];
  sheets?: SheetSourceConfig[];
}

export interface NotebookPage {
  notebook: BentoNotebook;
  kernel: Kernel;
  /** Whether the notebook came up from a draft the page before it left. */
  restored: boolean;
  /** The server kernel the page asked to reattach to (the one the page before it used), if any. */
  reattachedTo?: string;
  /** The messages of the notebook's `bento-error` events since the page loaded. */
  errors: string[];
}

declare global {
  interface Window {
    bentoPage?: Promise<ReloadPage>;
    bentoNotebookPage?: Promise<NotebookPage>;
  }
}

const settings = new URLSearchParams(location.hash.slice(1));
const configs = JSON.parse(settings.get('connectors') ?? '[]') as ConnectorConfig[];
for (const config of configs) registerConnector(config);

async function setUp(storeName: string): Promise<ReloadPage> {
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

async function notebookPage({ key, kernel: kind, graphql = [], sheets = [] }: NotebookSettings): Promise<NotebookPage> {
  const [{ DraftStore }, { registerGraphQLEndpoint }, { registerSheetSource }] = await Promise.all([
    import('../../src/notebook/autosave.ts'),
    import('../../src/data/graphql-endpoints.ts'),
    import('../../src/data/sheet-sources.ts'),
    import('../../components/bento-notebook/bento-notebook.ts'),
    import('../../components/sql-cell/sql-magic.ts'),
    import('../../components/graphql-cell/graphql-magic.ts'),
    import('../../components/googlesheet-cell/googlesheet-magic.ts'),
  ]);
  for (const endpoint of graphql) registerGraphQLEndpoint(endpoint);
  for (const source of sheets) registerSheetSource(source);
  const draft = await new DraftStore().load(key);
  const kernelKey = `reload-page-kernel:${key}`;
  let kernel: Kernel;
  let reattachedTo: string | undefined;
  if (kind === 'pyodide' || 'servers' in kind) {
    const [{ PyodideKernel }, { PyodideRuntime }] = await Promise.all([import('../../src/kernel/pyodide/kernel.ts'), import('../../src/kernel/pyodide/runtime.ts')]);
    kernel = new PyodideKernel({ runtime: new PyodideRuntime({ workerURL: '/src/kernel/pyodide/worker.ts', indexURL: '/dist/pyodide/' }) });
  } else {
    const { RemoteKernel } = await import('../../src/kernel/remote/kernel.ts');
    reattachedTo = sessionStorage.getItem(kernelKey) ?? undefined;
    const remote = new RemoteKernel({ server: kind.server, kernelId: reattachedTo, reconnect: { attempts: 2, firstDelayMs: 100 }, requestTimeoutMs: kind.requestTimeoutMs });
    void remote.ready().then(() => sessionStorage.setItem(kernelKey, remote.id!), () => {});
    kernel = remote;
  }
  const notebook = document.createElement('bento-notebook');
  notebook.autosaveKey = key;
  notebook.placement = 'off';
  notebook.kernel = kernel;
  if (typeof kind === 'object' && 'servers' in kind) notebook.servers = kind.servers;
  const errors: string[] = [];
  notebook.addEventListener('bento-error', (event) => errors.push(event.error.message));
  const restored = draft && new Promise<void>((resolve) => notebook.addEventListener('bento-load', (event) => event.source === 'draft' && resolve()));
  document.body.append(notebook);
  await restored;
  await notebook.updateComplete;
  return { notebook, kernel, restored: Boolean(draft), reattachedTo, errors };
}

const storeName = settings.get('store');
if (storeName) window.bentoPage = setUp(storeName);
const notebook = settings.get('notebook');
if (notebook) window.bentoNotebookPage = notebookPage(JSON.parse(notebook) as NotebookSettings);
