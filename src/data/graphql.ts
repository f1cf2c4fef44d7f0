/**
 * GraphQL over HTTP (the GraphQL-over-HTTP spec) for `%%graphql` and `<graphql-cell>`: the host page registers
 * endpoints with their headers and credentials, which stay in this JavaScript realm; a query comes back as a
 * table (when `path` names a list of objects) or as a plain JSON value.
 *
 * The request is a POST of `{ query, variables }` as application/json, accepting
 * `application/graphql-response+json` first. With that media type a 4xx answer is a request error whose body
 * still carries GraphQL `errors`; with plain `application/json` (older servers) errors come with 200.
 *
 * Results:
 * - `path` is a dot path into the response, `data.orders.nodes` (a path not starting with `data` is read
 *   from `data`). A number picks a list element (`data.orders.edges.0`); a name after a list takes that field
 *   of every element (`data.orders.edges.node` is the list of nodes).
 * - A list of objects becomes a ColumnTable: nested objects flatten to `a.b` columns, lists stay values in a
 *   JSON-encoded string column, the columns are the union of every row's keys (in the order first seen), and
 *   a missing key is a null. Types: bool, int32 (int64 past 32 bits, float64 past 53), float64, string.
 *   Date-times stay strings, because GraphQL has no date type and custom scalars format them many ways;
 *   `pd.to_datetime` reads the ISO ones.
 * - Anything else (no path, a path to an object or a scalar, an empty list, which has no columns to show) is
 *   returned as the value itself.
 *
 * Pagination follows Relay connections: the object on `path` nearest the list that has `pageInfo
 * { hasNextPage endCursor }` is the connection, and the query must declare `$after` and pass it to the
 * connection (`orders(first: 500, after: $after)`); each next page is the same query with `after` set to
 * the previous page's `endCursor`.
 */
import { QueryError } from './connectors.ts';
import type { GraphQLEndpointEntry as Endpoint } from './graphql-endpoints.ts';
import { ColumnBuilder, ColumnTable, type Column, type ColumnType } from './table.ts';
import { countInWords } from '../util/words.ts';

export interface GraphQLProgress {
  pages: number;
  /** Items collected at `path` so far (0 when the result is not a list). */
  rows: number;
}

export interface GraphQLRunOptions {
  /** The endpoint's name; default: the one called `default`, or the only one registered. */
  endpoint?: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  /** Dot path to the result, e.g. `data.orders.nodes` (see the top of this file). */
  path?: string;
  /** Follow the Relay connection on `path` and append its pages. */
  paginate?: boolean;
  /** With `paginate`: stop after this many pages (a note says there were more). Default: no limit. */
  maxPages?: number;
  /** Keep data that came with errors (the errors become notes). Otherwise errors mean no result. */
  allowPartial?: boolean;
  signal?: AbortSignal;
  /** Per request (page); default: the endpoint's `timeoutMs`, else 60 s. */
  timeoutMs?: number;
  onProgress?: (progress: GraphQLProgress) => void;
}

/** One entry of a response's `errors`, as the server sent it (its message with credentials masked). */
export interface GraphQLErrorEntry {
  message: string;
  locations?: Array<{ line: number; column: number }>;
  path?: Array<string | number>;
  extensions?: Record<string, unknown>;
}

export interface GraphQLResult {
  /** The list at `path`, when it is a list of objects. */
  table?: ColumnTable;
  /** Otherwise the value at `path` (or the whole `data`). Present (maybe null) exactly when `table` is not. */
  value?: unknown;
  pages: number;
  /** Rows of `table`, or the length of a list value, else 0. */
  rows: number;
  /** For the user: errors kept with `allowPartial`, pagination stopped at `maxPages`. */
  notes: string[];
  /** The errors that came with kept partial data. */
  errors: GraphQLErrorEntry[];
  /** True when `maxPages` stopped the pagination with pages left. */
  truncated: boolean;
  /** The endpoint's label, for a summary line. */
  from: string;
  elapsedMs: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const ACCEPT = 'application/graphql-response+json, application/json;q=0.9';
/** Errors listed in a message; the rest are counted (all of them stay in `serverMessage`). */
const ERRORS_LISTED = 10;

/**
 * Splits a cell body into the query and its variables: a line `# variables: {"first": 10}` (one JSON object,
 * on one line) gives the variables. The line stays in the query (it is a GraphQL comment), so the line
 * numbers a server reports are the body's.
 */
export function parseGraphQLBody(body: string): { query: string; variables: Record<string, unknown> } {
  let variables: Record<string, unknown> = {};
  let found = 0;
  body.split('\n').forEach((line, index) => {
    const match = /^\s*#\s*variables\s*:(.*)$/i.exec(line);
    if (!match) return;
    const where = `Line ${index + 1} ('# variables:')`;
    if (found) throw new QueryError(`${where}: a second variables line. Put every variable in one JSON object on one line.`);
    found = index + 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(match[1]);
    } catch (error) {
      throw new QueryError(`${where} is not valid JSON: ${(error as Error).message}. Write one JSON object, e.g. # variables: {"first": 10, "city": "Lisbon"}`);
    }
    if (!isPlainObject(parsed)) throw new QueryError(`${where} must be a JSON object such as {"first": 10}, not ${describe(parsed)}.`);
    variables = parsed;
  });
  return { query: body, variables };
}

/**
 * Runs `query` on one of `endpoints` (the registry hands its own: graphql-endpoints.ts `runGraphQL`) and returns
 * a table or a value (see the top of this file). Fails with a QueryError whose message says what happened and
 * what to do, and whose `serverMessage` is what the server sent; with `paginate`, a failure or a cancel on any
 * page returns nothing at all.
 */
export async function runGraphQLOn(endpoints: ReadonlyMap<string, Endpoint>, query: string, options: GraphQLRunOptions = {}): Promise<GraphQLResult> {
  const started = performance.now();
  const endpoint = pickEndpoint(endpoints, options.endpoint);
  const name = endpoint.info.name;
  if (!/[^\s]/.test(stripComments(query))) throw new QueryError('There is no query to run: write one, e.g. { shop { name } }.', { connector: name });
  if (!isPlainObject(options.variables ?? {})) throw new QueryError(`The variables must be an object of names to values, not ${describe(options.variables)}.`, { connector: name });
  const variables = { ...options.variables };
  const segments = options.path === undefined ? undefined : parsePath(options.path, name);
  const maxPages = options.maxPages ?? Infinity;
  if (options.maxPages !== undefined && !(Number.isInteger(options.maxPages) && options.maxPages >= 1)) {
    throw new QueryError(`maxPages must be a whole number ≥ 1, not ${options.maxPages}.`, { connector: name });
  }
  if (options.paginate) {
    if (!segments) throw new QueryError('Paginating needs a path naming the list to collect, e.g. data.orders.nodes or data.orders.edges.', { connector: name });
    if (!/\$after\s*:/.test(stripComments(query))) {
      throw new QueryError(
        'Paginating needs the query to declare $after and pass it to the connection, e.g. ' +
          'query ($after: String) { orders(first: 500, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }.',
        { connector: name },
      );
    }
  }
  const client = new Client(endpoint, options);
  const notes: string[] = [];
  const kept: GraphQLErrorEntry[] = [];
  const items: unknown[] = [];
  let value: unknown;
  let pages = 0;
  let truncated = false;
  let cursor: unknown;
  try {
    for (;;) {
      const page = pages + 1;
      const response = await client.post({ query, variables, ...(options.operationName ? { operationName: options.operationName } : {}) }, { page, rows: items.length });
      pages = page;
      if (response.errors?.length) {
        if (response.data == null || !options.allowPartial) throw client.graphQLErrors(response, page, pages > 1 || items.length > 0);
        kept.push(...response.errors);
        notes.push(`${page > 1 ? `Page ${page}: kept` : 'Kept'} partial data despite ${countInWords(response.errors.length, 'error')} (allowPartial); the fields that failed are null:\n${listErrors(response.errors)}`);
      }
      if (response.data === undefined) throw client.failure('answered without data or errors, which is not a GraphQL response.');
      const root = { data: response.data };
      const found = segments ? walk(root, segments, name) : { value: response.data, connection: undefined };
      if (!options.paginate) {
        value = found.value;
        if (Array.isArray(value)) options.onProgress?.({ pages, rows: value.length });
        break;
      }
      if (!Array.isArray(found.value)) throw new QueryError(`Paginating: ${segments!.join('.')} is ${describe(found.value)}, not a list to collect.`, { connector: name });
      items.push(...found.value);
      options.onProgress?.({ pages, rows: items.length });
      const next = nextCursor(found.connection, segments!, cursor, page, name);
      if (next === undefined) break;
      if (pages >= maxPages) {
        truncated = true;
        notes.push(`Stopped at the page limit (maxPages, --max-pages) after ${countInWords(pages, 'page')}; the connection has more.`);
        break;
      }
      cursor = next;
      variables.after = next;
    }
  } catch (error) {
    if (error instanceof QueryError && error.detail.cancelled && pages > 0 && options.paginate) {
      throw new QueryError(`GraphQL query cancelled after ${countInWords(pages, 'page')} (${countInWords(items.length)} rows); nothing was kept.`, error.detail);
    }
    throw error;
  }
  const result = options.paginate ? items : value;
  const base = { pages, notes, errors: kept, truncated, from: endpoint.info.label };
  if (Array.isArray(result) && result.length > 0 && result.every((item) => item === null || isPlainObject(item)) && result.some((item) => item !== null)) {
    const table = tableFromObjects(result);
    return { ...base, table, rows: table.numRows, elapsedMs: performance.now() - started };
  }
  return { ...base, value: result, rows: Array.isArray(result) ? result.length : 0, elapsedMs: performance.now() - started };
}

/**
 * Flattens a list of objects (nulls allowed) into columns: nested objects to `a.b`, lists kept as JSON text,
 * the union of every row's keys in first-seen order.
 */
export function tableFromObjects(rows: readonly unknown[]): ColumnTable {
  const columns = new Map<string, unknown[]>();
  const flatRows = rows.map((row) => {
    const flat = new Map<string, unknown>();
    if (isPlainObject(row)) flatten(row, '', flat);
    for (const key of flat.keys()) if (!columns.has(key)) columns.set(key, []);
    return flat;
  });
  for (const [key, values] of columns) for (const flat of flatRows) values.push(flat.get(key) ?? null);
  return new ColumnTable(
    [...columns].map(([name, values]) => buildColumn(name, values)),
    rows.length,
  );
}

// ---- the HTTP exchange ----

interface GraphQLResponse {
  data?: Record<string, unknown> | null;
  errors?: GraphQLErrorEntry[];
  status: number;
}

/** One run's requests: its headers, timeout, cancel and the secrets its messages must never show. */
class Client {
  private readonly secrets = new Set<string>();
  private readonly label: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly options: GraphQLRunOptions,
  ) {
    this.label = endpoint.info.label;
    this.timeoutMs = options.timeoutMs ?? endpoint.config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.remember(endpoint.config.headers ?? {});
  }

  async post(body: Record<string, unknown>, at: { page: number; rows: number }): Promise<GraphQLResponse> {
    const { signal } = this.options;
    const detail = { connector: this.endpoint.info.name };
    if (signal?.aborted) throw new QueryError('GraphQL query cancelled.', { ...detail, cancelled: true });
    const headers = await this.headers();
    let json: string;
    try {
      json = JSON.stringify(body);
    } catch (error) {
      throw new QueryError(`The variables cannot be sent as JSON: ${(error as Error).message}.`, detail);
    }
    const controller = new AbortController();
    let stopped: 'cancelled' | 'timeout' | undefined;
    const onAbort = () => {
      stopped ??= 'cancelled';
      controller.abort();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      stopped ??= 'timeout';
      controller.abort();
    }, this.timeoutMs);
    try {
      let response: Response;
      try {
        response = await fetch(this.endpoint.config.url, {
          method: 'POST',
          headers: { ...headers, 'Content-Type': 'application/json', Accept: ACCEPT },
          body: json,
          credentials: this.endpoint.config.credentials ?? 'same-origin',
          cache: 'no-store',
          signal: controller.signal,
        });
      } catch (error) {
        if (stopped) throw error;
        throw new QueryError(
          `Cannot reach ${this.label}: ${this.redact((error as Error).message)}. Check that the server is running and allows this page's origin (CORS).`,
          detail,
        );
      }
      const text = await response.text();
      return this.read(response, text);
    } catch (error) {
      if (stopped === 'timeout') {
        const where = at.page > 1 ? ` (page ${at.page}, after ${countInWords(at.rows)} rows; nothing was kept)` : '';
        throw new QueryError(
          `${this.label} did not answer within ${seconds(this.timeoutMs)}${where}, so the request was cancelled. If the query is just slow, raise timeoutMs.`,
          { ...detail, timedOut: true },
        );
      }
      if (stopped === 'cancelled') throw new QueryError('GraphQL query cancelled.', { ...detail, cancelled: true });
      throw error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The error of a response whose `errors` leave nothing to keep (or that the user did not ask to keep). */
  graphQLErrors(response: GraphQLResponse, page: number, hadPages: boolean): QueryError {
    const errors = response.errors!;
    const partial = response.data != null && !this.options.allowPartial;
    const where = page > 1 ? ` on page ${page}` : '';
    const status = response.status >= 400 ? ` (HTTP ${response.status})` : '';
    const lead = `${this.label} answered with ${countInWords(errors.length, 'error')}${where}${status}:`;
    const tail = partial
      ? `\nThe answer also had partial data; nothing was kept. Allow partial data (--allow-partial) to keep it with nulls where the errors are.`
      : hadPages
        ? '\nNothing was kept.'
        : '';
    return new QueryError(this.redact(`${lead}\n${listErrors(errors)}${tail}`), {
      connector: this.endpoint.info.name,
      status: response.status,
      serverMessage: this.redact(JSON.stringify({ errors }, null, 2)),
    });
  }

  failure(message: string, extra: { status?: number; serverMessage?: string } = {}): QueryError {
    return new QueryError(this.redact(`${this.label} ${message}`), {
      connector: this.endpoint.info.name,
      ...(extra.status === undefined ? {} : { status: extra.status }),
      ...(extra.serverMessage === undefined ? {} : { serverMessage: this.redact(extra.serverMessage) }),
    });
  }

  private async headers(): Promise<Record<string, string>> {
    const { config } = this.endpoint;
    if (!config.getHeaders) return config.headers ?? {};
    let extra: Record<string, string>;
    try {
      extra = await config.getHeaders();
    } catch (error) {
      throw new QueryError(`${this.label}: the page's getHeaders() failed: ${this.redact((error as Error)?.message ?? String(error))}`, { connector: config.name });
    }
    this.remember(extra ?? {});
    return { ...config.headers, ...extra };
  }

  private remember(headers: Record<string, string>): void {
    for (const value of Object.values(headers)) {
      if (typeof value !== 'string') continue;
      this.secrets.add(value);
      // "Bearer abc…": a server may echo the token without its scheme.
      for (const part of value.split(/\s+/)) if (part.length >= 8) this.secrets.add(part);
    }
  }

  /** The text with every header value this run sent replaced by ***. */
  private redact(text: string): string {
    let out = text;
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) if (secret.length >= 4) out = out.split(secret).join('***');
    return out;
  }

  /** The entry with credentials masked wherever the server might have echoed them. */
  private redactEntry(entry: GraphQLErrorEntry): GraphQLErrorEntry {
    const out = { ...entry, message: this.redact(entry.message) };
    if (entry.extensions !== undefined) {
      try {
        out.extensions = JSON.parse(this.redact(JSON.stringify(entry.extensions)));
      } catch {
        delete out.extensions; // masking broke its JSON: better lost than leaked
      }
    }
    return out;
  }

  /** The response by the spec's rules: the media type says how to read the status. */
  private read(response: Response, text: string): GraphQLResponse {
    const status = response.status;
    const mediaType = (response.headers.get('Content-Type') ?? '').split(';')[0].trim().toLowerCase();
    const isJson = mediaType === 'application/graphql-response+json' || mediaType === 'application/json' || mediaType.endsWith('+json');
    let body: unknown;
    if (isJson) {
      try {
        body = JSON.parse(text);
      } catch {
        throw this.failure(`answered ${status} with ${mediaType} that is not JSON: ${firstLine(text)}`, { status, serverMessage: text });
      }
    }
    const graphQL = isPlainObject(body) && ('data' in body || Array.isArray(body.errors));
    const auth = status === 401 || status === 403 ? " Check the endpoint's headers or credentials (registerGraphQLEndpoint)." : '';
    if (graphQL) {
      const { data, errors } = body as { data?: Record<string, unknown> | null; errors?: unknown[] };
      const entries = Array.isArray(errors) ? errors.map((error) => this.redactEntry(errorEntry(error))) : undefined;
      if (status >= 400 && !entries?.length) throw this.failure(`answered ${status}.${auth}`, { status, serverMessage: text });
      if (status >= 400 && auth) {
        throw this.failure(`answered ${status}: ${entries!.map((e) => e.message).join(' ')}${auth}`, { status, serverMessage: text });
      }
      // A 4xx/5xx GraphQL answer is a request error: any data in it does not count.
      return { data: status >= 400 ? undefined : data, errors: entries, status };
    }
    if (status >= 400) {
      const said = isJson ? firstLine(text) : titleOf(text);
      const gateway = status === 502 || status === 503 || status === 504 ? ' (the server in between could not reach the GraphQL server)' : '';
      throw this.failure(`answered ${status}${gateway}${said ? `: ${said.replace(/\.$/, '')}` : ''}.${auth}`, { status, serverMessage: text });
    }
    const what = isJson ? 'JSON that is not a GraphQL response (no data, no errors)' : `${mediaType || 'an untyped body'}, not JSON`;
    throw this.failure(`answered ${status} with ${what}: is ${this.endpoint.info.url} the GraphQL endpoint?`, { status, serverMessage: text });
  }
}

// ---- paths and pages ----

function parsePath(path: string, connector: string): string[] {
  const segments = path.trim().split('.');
  if (!path.trim() || segments.some((s) => !s)) throw new QueryError(`The path '${path}' has an empty part: write names (and list indexes) joined by dots, e.g. data.orders.nodes.`, { connector });
  return segments[0] === 'data' ? segments : ['data', ...segments];
}

/**
 * Follows the path from `{ data }`. Returns the value there and the connection: the last object on the way
 * (before any list) that has `pageInfo`.
 */
function walk(root: Record<string, unknown>, segments: string[], connector: string): { value: unknown; connection: Record<string, unknown> | undefined } {
  let current: unknown = root;
  let connection: Record<string, unknown> | undefined;
  let mapped = false;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const at = segments.slice(0, i).join('.') || 'the response';
    const fail = (what: string) => new QueryError(`The path ${segments.join('.')} stops at ${at}: ${what}`, { connector });
    if (!mapped && isPlainObject(current) && 'pageInfo' in current) connection = current;
    if (Array.isArray(current)) {
      if (/^\d+$/.test(segment)) {
        const index = Number(segment);
        if (index >= current.length) throw fail(`it is a list of ${current.length}, so it has no element ${index}.`);
        current = current[index];
        continue;
      }
      // A name after a list: that field of every element (`edges.node`).
      const objects = current.filter(isPlainObject);
      if (current.length && !objects.some((o) => segment in o)) {
        const fields = objects.length ? Object.keys(objects[0]).join(', ') : 'none';
        throw fail(`its elements have no field '${segment}' (they have: ${fields}).`);
      }
      mapped = true;
      current = current.map((element) => (isPlainObject(element) ? (element[segment] ?? null) : null));
    } else if (isPlainObject(current)) {
      if (!(segment in current)) {
        throw fail(`there is no '${segment}' (it has: ${Object.keys(current).join(', ') || 'nothing'}). The answer holds only the fields the query selects.`);
      }
      current = current[segment];
    } else {
      throw fail(`it is ${describe(current)}, so it has no '${segment}'.`);
    }
  }
  return { value: current, connection };
}

/** The cursor of the next page, or undefined when there is none; an error when the connection cannot page. */
function nextCursor(connection: Record<string, unknown> | undefined, segments: string[], previous: unknown, page: number, connector: string): unknown {
  const parent = segments.slice(0, -1).join('.');
  const ask = `select pageInfo { hasNextPage endCursor } in ${parent || 'the connection'}`;
  if (!connection) throw new QueryError(`Paginating: no object on the path ${segments.join('.')} has pageInfo; ${ask}.`, { connector });
  const info = connection.pageInfo;
  if (!isPlainObject(info) || !('hasNextPage' in info) || !('endCursor' in info)) throw new QueryError(`Paginating: pageInfo lacks hasNextPage or endCursor; ${ask}.`, { connector });
  if (!info.hasNextPage) return undefined;
  if (info.endCursor == null) throw new QueryError(`Paginating: page ${page} says it has a next page but its endCursor is null, so there is no way to ask for it.`, { connector });
  if (previous !== undefined && info.endCursor === previous) {
    throw new QueryError(`Paginating: page ${page} ended at the same cursor as the page before. Does the connection take after: $after?`, { connector });
  }
  return info.endCursor;
}

function pickEndpoint(endpoints: ReadonlyMap<string, Endpoint>, name: string | undefined): Endpoint {
  const known = [...endpoints.keys()];
  const list = known.length ? `Registered: ${known.map((n) => `'${n}'`).join(', ')}.` : 'None is registered on this page.';
  if (name !== undefined) {
    const endpoint = endpoints.get(name);
    if (!endpoint) throw new QueryError(`No GraphQL endpoint called '${name}'. ${list} The page registers one with registerGraphQLEndpoint({ name: '${name}', url }).`, { connector: name });
    return endpoint;
  }
  const endpoint = endpoints.get('default') ?? (known.length === 1 ? endpoints.get(known[0]) : undefined);
  if (!endpoint) throw new QueryError(`Name the GraphQL endpoint to ask (--endpoint NAME). ${list}`);
  return endpoint;
}

// ---- flattening ----

function flatten(object: Record<string, unknown>, prefix: string, out: Map<string, unknown>): void {
  for (const [key, value] of Object.entries(object)) {
    const name = prefix + key;
    if (isPlainObject(value)) flatten(value, `${name}.`, out);
    else out.set(name, value);
  }
}

/** One column from its values: the narrowest type that holds them all; lists and mixtures as JSON text. */
function buildColumn(name: string, values: unknown[]): Column {
  let bools = 0;
  let ints = 0;
  let floats = 0;
  let strings = 0;
  let others = 0;
  let int32 = true;
  let safe = true;
  for (const value of values) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'boolean') bools++;
    else if (typeof value === 'number' && Number.isInteger(value)) {
      ints++;
      if (value < -2_147_483_648 || value > 2_147_483_647) int32 = false;
      if (!Number.isSafeInteger(value)) safe = false;
    } else if (typeof value === 'number') floats++;
    else if (typeof value === 'string') strings++;
    else others++;
  }
  const kinds = [bools, ints || floats, strings, others].filter(Boolean).length;
  let type: ColumnType = 'string';
  if (kinds === 1 && bools) type = 'bool';
  else if (kinds === 1 && ints && !floats) type = int32 ? 'int32' : safe ? 'int64' : 'float64';
  else if (kinds === 1 && (ints || floats)) type = 'float64';
  const json = kinds > 1 || others > 0;
  const builder = new ColumnBuilder(name, type, json ? { encoding: 'json' } : {});
  for (const value of values) {
    if (value === null || value === undefined) builder.push(null);
    else if (json) builder.push(JSON.stringify(value));
    else builder.push(value as string | number | boolean);
  }
  return builder.finish();
}

// ---- small helpers ----

function errorEntry(error: unknown): GraphQLErrorEntry {
  if (isPlainObject(error) && typeof error.message === 'string') return error as unknown as GraphQLErrorEntry;
  return { message: JSON.stringify(error) };
}

/** One line per error: its message, where in the query (line:column) and where in the answer (path). */
function listErrors(errors: GraphQLErrorEntry[]): string {
  const lines = errors.slice(0, ERRORS_LISTED).map((error) => {
    const where: string[] = [];
    if (Array.isArray(error.locations) && error.locations.length) where.push(`at ${error.locations.map((l) => `${l.line}:${l.column}`).join(', ')}`);
    if (Array.isArray(error.path) && error.path.length) where.push(`path ${error.path.join('.')}`);
    return `  • ${error.message}${where.length ? ` (${where.join('; ')})` : ''}`;
  });
  if (errors.length > ERRORS_LISTED) lines.push(`  … and ${errors.length - ERRORS_LISTED} more.`);
  return lines.join('\n');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value === 'number' ? 'the number' : 'the value'} ${String(value)}`;
}

/** The query without `#` comments (a `# variables:` line is one), for checks that must not see them. */
function stripComments(query: string): string {
  return query.replace(/#[^\n]*/g, '');
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${+(ms / 1000).toFixed(1)} s`;
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** An HTML error page's title (a proxy's "502 Bad Gateway"), or the text's first line. */
function titleOf(text: string): string {
  const title = /<title>([^<]*)<\/title>/i.exec(text);
  return title ? title[1].trim() : firstLine(text);
}
