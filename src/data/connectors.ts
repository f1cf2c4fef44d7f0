/**
 * Connectors: where `%%sql` and `<sql-cell>` get data. The host page registers them with their options and
 * credentials; credentials stay in this JavaScript realm and never reach Python, outputs or saved notebooks.
 * Two kinds ship: `duckdb` (embedded DuckDB-WASM, the default) and `clickhouse` (a ClickHouse server over
 * HTTP); both load lazily, so a page that never queries never downloads them.
 */
import { Listeners } from '../kernel/listeners.ts';
import type { ColumnTable } from './table.ts';
import type { UploadSink } from './upload.ts';

export interface QueryOptions {
  /** Aborting cancels the query (on the server too, where the source supports it). */
  signal?: AbortSignal;
  /** Keep at most this many rows; the result says whether there were more. */
  limit?: number;
  /** Give up after this long with a message that says so; default: the connector's own (60 s). */
  timeoutMs?: number;
  /** Called as rows arrive (streaming sources), for a progress line. */
  onProgress?: (progress: { rows: number }) => void;
}

export interface QueryResult {
  table: ColumnTable;
  /** True when `limit` cut the result short. */
  truncated: boolean;
  elapsedMs: number;
}

export interface Connector {
  readonly name: string;
  readonly kind: string;
  /** Shown in a connection picker, e.g. "ClickHouse at /clickhouse". */
  readonly label: string;
  query(sql: string, options?: QueryOptions): Promise<QueryResult>;
  /**
   * Does ahead of time what the first query would (start an engine, set up the tables), so that query only runs.
   * A cell calls it while the page is idle; a failure is left for the first query to report. Only where it helps.
   */
  prepare?(): Promise<void>;
  /** Makes a file the user dropped queryable; returns the name to use in SQL. Only where the source can. */
  registerFile?(file: File): Promise<string>;
  /** Receives tables in chunks (`uploadTable` in upload.ts drives it). Only where the warehouse can be written. */
  readonly uploads?: UploadSink;
  close?(): Promise<void>;
}

export interface ConnectorConfig {
  name: string;
  /** `duckdb`, `clickhouse`, or a kind registered with `registerConnectorKind`. */
  kind: string;
  /** Kind-specific settings, e.g. `{ url: '/clickhouse', database: 'default' }` or `{ tables: { trips: 'data/trips.csv' } }`. */
  options?: Record<string, unknown>;
  /** Kept in JavaScript only, e.g. `{ user: 'reader', password: '...' }`. */
  credentials?: Record<string, string>;
  /** Picker text; default: derived by the kind. */
  label?: string;
}

export type ConnectorFactory = (config: ConnectorConfig) => Connector | Promise<Connector>;

/** A query failed. `message` is what the user reads; `serverMessage` is the source's own text, verbatim. */
export class QueryError extends Error {
  override name = 'QueryError';
  constructor(
    message: string,
    readonly detail: { connector?: string; status?: number; serverMessage?: string; cancelled?: boolean; timedOut?: boolean } = {},
  ) {
    super(message);
  }
}

/** The connector used when a cell names none: the embedded DuckDB. */
export const DEFAULT_CONNECTOR = 'duckdb';

const kinds = new Map<string, ConnectorFactory>([
  ['duckdb', async (config) => new (await import('./duckdb.ts')).DuckDBConnector(config)],
  ['clickhouse', async (config) => new (await import('./clickhouse.ts')).ClickHouseConnector(config)],
]);
const configs = new Map<string, ConnectorConfig>();
const instances = new Map<string, Promise<Connector>>();
const changes = new Listeners<void>();

/** Teaches the registry a new kind of source (a REST API, a warehouse of your own). */
export function registerConnectorKind(kind: string, factory: ConnectorFactory): void {
  kinds.set(kind, factory);
}

/** Registers (or replaces) a named connector. Its connection is made on first use. */
export function registerConnector(config: ConnectorConfig): void {
  if (!/^[\w.-]+$/.test(config.name)) throw new TypeError(`Connector name '${config.name}' may use letters, digits, '_', '-' and '.' only.`);
  if (!kinds.has(config.kind)) throw new TypeError(`Unknown connector kind '${config.kind}'. Known kinds: ${[...kinds.keys()].join(', ')}.`);
  const previous = instances.get(config.name);
  instances.delete(config.name);
  configs.set(config.name, config);
  void previous?.then((c) => c.close?.()).catch(() => {});
  changes.emit();
}

export function unregisterConnector(name: string): void {
  const previous = instances.get(name);
  instances.delete(name);
  configs.delete(name);
  void previous?.then((c) => c.close?.()).catch(() => {});
  changes.emit();
}

/** Names a picker offers: every registered connector, and the embedded default. */
export function connectorNames(): string[] {
  const names = [...configs.keys()];
  if (!configs.has(DEFAULT_CONNECTOR)) names.unshift(DEFAULT_CONNECTOR);
  return names;
}

export function connectorConfig(name: string): ConnectorConfig | undefined {
  return configs.get(name) ?? (name === DEFAULT_CONNECTOR ? { name, kind: 'duckdb', label: 'DuckDB (in browser)' } : undefined);
}

export function onConnectorsChange(listener: () => void): () => void {
  return changes.add(listener);
}

/** The connector called `name`, connected on first use. Throws a QueryError naming the known ones if there is none. */
export function getConnector(name: string = DEFAULT_CONNECTOR): Promise<Connector> {
  const config = connectorConfig(name);
  if (!config) {
    const known = connectorNames().map((n) => `'${n}'`).join(', ');
    return Promise.reject(new QueryError(`No connector called '${name}' is registered on this page. Known: ${known}. Register it with registerConnector({ name: '${name}', kind, options }).`, { connector: name }));
  }
  let instance = instances.get(name);
  if (!instance) {
    instance = Promise.resolve().then(() => kinds.get(config.kind)!(config));
    instances.set(name, instance);
    // A failed connection is not cached: the next query tries again.
    instance.catch(() => {
      if (instances.get(name) === instance) instances.delete(name);
    });
  }
  return instance;
}
