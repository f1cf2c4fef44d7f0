/**
 * ClickHouse over its HTTP interface, as far back as 18.16 (Debian's): the result streams as
 * TabSeparatedWithNamesAndTypes (a names row, a types row, then rows) and becomes columns as bytes arrive.
 * Each query has its own `query_id`, so cancelling or timing out also sends `KILL QUERY` (ClickHouse does not
 * notice a closed connection until it next writes, which an aggregation may not do for minutes).
 *
 * The browser must reach the server same-origin (a reverse proxy such as the test runner's `/clickhouse`) or
 * through a server that answers CORS preflights: the credentials travel in `X-ClickHouse-*` headers, and
 * ClickHouse 18.16 answers a preflight `OPTIONS` with 501.
 */
import { QueryError, type Connector, type ConnectorConfig, type QueryOptions, type QueryResult } from './connectors.ts';
import { ColumnBuilder, ColumnTable, type CellValue, type ColumnType } from './table.ts';
import { ClickHouseUploads } from './clickhouse-upload.ts';
import type { UploadSink } from './upload.ts';
import { countInWords } from '../util/words.ts';

/** `options` of a `clickhouse` connector. */
export interface ClickHouseOptions {
  /** The HTTP interface, absolute or page-relative (`/clickhouse`). Never put credentials here. */
  url: string;
  /** The database unqualified table names refer to; default: the user's default database. */
  database?: string;
  /** Give up (and kill the query) after this long unless a query says otherwise; default 60 s. */
  timeoutMs?: number;
  /** ClickHouse settings sent with every query, e.g. `{ max_threads: 4 }`. */
  settings?: Record<string, string | number | boolean>;
}

const FORMAT = 'TabSeparatedWithNamesAndTypes';
const DEFAULT_TIMEOUT_MS = 60_000;
/** Text is decoded and parsed in slices this big, so one huge network chunk cannot block the page. */
const SLICE_BYTES = 256 * 1024;
/** Parse for at most this long before letting the page paint and handle input. */
const SLICE_MS = 12;
/**
 * ClickHouse reports an exception that happens after the 200 header by writing its text as the body's last
 * line(s): "Code: 395, e.displayText() = DB::Exception: ..." (18.x), "Code: 395. DB::Exception: ..." (later).
 */
const EXCEPTION_START = /^Code: \d+(, e\.displayText\(\) = |\. )DB::Exception: /;
/** A row that looks like an exception is one only if the body ends within this many characters of it. */
const EXCEPTION_MAX_CHARS = 64 * 1024;
/** ClickHouse's "readonly mode" error: the user may not change settings, so limits stay client-side. */
const READONLY_SETTINGS = /^Code: 164\b.*\bsetting\b/;

export class ClickHouseConnector implements Connector {
  readonly kind = 'clickhouse';
  readonly name: string;
  readonly label: string;
  private readonly options: ClickHouseOptions;
  private readonly headers: Record<string, string> = {};
  private readonly password: string;
  private readonly running = new Set<AbortController>();
  private serverTimezone?: string;
  /** Staging tables, chunks in Native format and one-step moves: clickhouse-upload.ts. */
  readonly uploads: UploadSink = new ClickHouseUploads(this);

  constructor(config: ConnectorConfig) {
    const options = (config.options ?? {}) as Partial<ClickHouseOptions>;
    if (typeof options.url !== 'string' || !options.url) {
      throw new TypeError(`ClickHouse connector '${config.name}' needs options.url, e.g. '/clickhouse' or 'https://warehouse.example.com:8443'.`);
    }
    const url = new URL(options.url, baseHref());
    if (url.username || url.password || url.searchParams.has('user') || url.searchParams.has('password')) {
      throw new TypeError(`ClickHouse connector '${config.name}': put the user and password in credentials, not in options.url.`);
    }
    for (const key of Object.keys(options.settings ?? {})) {
      if (!/^\w+$/.test(key)) throw new TypeError(`ClickHouse connector '${config.name}': '${key}' is not a setting name.`);
    }
    this.name = config.name;
    this.options = options as ClickHouseOptions;
    this.label = config.label ?? `ClickHouse at ${options.url}`;
    const { user, password = '' } = config.credentials ?? {};
    this.password = password;
    if (user) {
      // Header values are bytes; sending the UTF-8 bytes lets a non-ASCII password match the server's.
      this.headers['X-ClickHouse-User'] = utf8Bytes(user);
      this.headers['X-ClickHouse-Key'] = utf8Bytes(password);
    }
  }

  async query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (options.signal?.aborted) throw this.cancelled();
    const controller = new AbortController();
    let stopped: 'cancelled' | 'timeout' | undefined;
    const onAbort = () => {
      stopped ??= 'cancelled';
      controller.abort();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      stopped ??= 'timeout';
      controller.abort();
    }, timeoutMs);
    this.running.add(controller);
    const progress = { sent: false, answered: false, rows: 0 };
    const queryId = newQueryId();
    try {
      const { table, truncated } = await this.run(sql, queryId, options, controller.signal, progress);
      return { table, truncated, elapsedMs: performance.now() - started };
    } catch (error) {
      if (!stopped && !controller.signal.aborted) throw error;
      if (progress.sent) this.kill(queryId);
      if (stopped === 'timeout') {
        const what = progress.answered
          ? `did not finish within ${duration(timeoutMs)} (${countInWords(progress.rows)} rows had arrived)`
          : `did not answer within ${duration(timeoutMs)}`;
        throw new QueryError(`${this.label} ${what}; the query was cancelled.`, { connector: this.name, timedOut: true });
      }
      throw this.cancelled();
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      this.running.delete(controller);
    }
  }

  /** Cancels every running query (on the server too). */
  async close(): Promise<void> {
    for (const controller of this.running) controller.abort();
  }

  /**
   * Runs one statement that returns no rows (DDL, an INSERT), with `body` as its data (`INSERT ... FORMAT Native`
   * then the rows) and `queryId` when the caller needs to find the query later. Rejects with a QueryError that
   * carries the server's text verbatim.
   */
  async command(statement: string, options: { body?: Blob; queryId?: string; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (options.signal?.aborted) throw this.cancelled();
    const controller = new AbortController();
    let timedOut = false;
    const onAbort = () => controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    this.running.add(controller);
    const params = new URLSearchParams({ query_id: options.queryId ?? newQueryId() });
    if (this.options.database) params.set('database', this.options.database);
    for (const [key, value] of Object.entries(this.options.settings ?? {})) params.set(key, String(typeof value === 'boolean' ? Number(value) : value));
    if (options.body) params.set('query', statement);
    try {
      const response = await this.post(options.body ?? statement, params, controller.signal);
      const text = await response.text();
      if (!response.ok) throw this.httpError(response, text);
      // An exception after the 200 header ends the body (see EXCEPTION_START).
      const lines = text.split('\n');
      const exception = lines.findIndex((line) => EXCEPTION_START.test(line));
      if (exception >= 0) {
        const serverMessage = lines.slice(exception).join('\n').trim();
        throw this.failure(serverMessage, serverMessage);
      }
    } catch (error) {
      if (timedOut) throw new QueryError(`${this.label} did not finish a statement within ${duration(timeoutMs)}.`, { connector: this.name, timedOut: true });
      if (controller.signal.aborted) throw this.cancelled();
      if (error instanceof QueryError) throw error;
      // The body of the answer was cut off: the connection was lost.
      throw new QueryError(`Lost the connection to ${this.label}: ${errorText(error)}.`, { connector: this.name });
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      this.running.delete(controller);
    }
  }

  private async run(
    sql: string,
    queryId: string,
    options: QueryOptions,
    signal: AbortSignal,
    progress: { sent: boolean; answered: boolean; rows: number },
  ): Promise<{ table: ColumnTable; truncated: boolean }> {
    const { limit } = options;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw new TypeError(`limit must be a whole number ≥ 0, not ${limit}.`);
    progress.sent = true;
    let response = await this.post(sql, this.queryParams(queryId, limit, true), signal);
    if (!response.ok && limit !== undefined) {
      const text = await bodyText(response);
      // A readonly user may not set max_result_rows: ask again without it and cut the rows here.
      if (!READONLY_SETTINGS.test(text)) throw this.httpError(response, text);
      response = await this.post(sql, this.queryParams(queryId, limit, false), signal);
    }
    if (!response.ok) throw this.httpError(response, await bodyText(response));
    // ClickHouse answers TabSeparated as text/tab-separated-values: a web page here is something else in the way.
    if (/^text\/html\b/i.test(response.headers.get('content-type') ?? '')) {
      throw new QueryError(
        `${this.label} answered with a web page, not a ClickHouse result: something else (a login page, a captive portal, a proxy) answered at ${this.options.url}. Check the connector's url.`,
        { connector: this.name },
      );
    }
    progress.answered = true;

    const parser = new TabSeparatedParser((message, serverMessage) => this.failure(message, serverMessage), limit);
    if (!response.body) return { table: parser.finish(), truncated: false };
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let lastYield = performance.now();
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (signal.aborted) throw error;
          throw new QueryError(
            `Lost the connection to ${this.label} after ${countInWords(parser.rows)} rows: ${errorText(error)}. The result is incomplete; run the query again.`,
            { connector: this.name },
          );
        }
        if (chunk.done) {
          parser.feed(decoder.decode());
          break;
        }
        for (let at = 0; at < chunk.value.length; at += SLICE_BYTES) {
          parser.feed(decoder.decode(chunk.value.subarray(at, at + SLICE_BYTES), { stream: true }));
          if (parser.needsTypes) parser.setTypes(await this.timezoneFor(parser.types!, response, signal));
          if (parser.enough) break;
          if (performance.now() - lastYield > SLICE_MS) {
            progress.rows = parser.rows;
            options.onProgress?.({ rows: parser.rows });
            await yieldToEventLoop();
            if (signal.aborted) throw signal.reason;
            lastYield = performance.now();
          }
        }
        progress.rows = parser.rows;
        if (parser.enough) break;
      }
    } finally {
      // Stops the download when the limit was reached (the server stops soon after by itself: result_overflow_mode=break).
      reader.cancel().catch(() => {});
    }
    if (parser.needsTypes) parser.setTypes(await this.timezoneFor(parser.types!, response, signal));
    const table = parser.finish(); // throws the server's exception if the body ended with one
    options.onProgress?.({ rows: table.numRows });
    return { table, truncated: parser.enough };
  }

  /** The zone a DateTime without its own is shown in: the server's (asked once), when the result has such a column. */
  private async timezoneFor(types: string[], response: Response, signal: AbortSignal): Promise<string> {
    if (!types.some((type) => serverZoned(type))) return 'UTC';
    const header = response.headers.get('X-ClickHouse-Timezone'); // sent by servers from 21.x on
    if (header) return header;
    if (this.serverTimezone) return this.serverTimezone;
    const answer = await this.post('SELECT timezone()', new URLSearchParams({ default_format: 'TabSeparated' }), signal);
    const text = await bodyText(answer);
    if (!answer.ok) throw this.httpError(answer, text);
    return (this.serverTimezone = text.trim());
  }

  private queryParams(queryId: string, limit: number | undefined, limitOnServer: boolean): URLSearchParams {
    const params = new URLSearchParams({ default_format: FORMAT, query_id: queryId });
    if (this.options.database) params.set('database', this.options.database);
    for (const [key, value] of Object.entries(this.options.settings ?? {})) params.set(key, String(typeof value === 'boolean' ? Number(value) : value));
    if (limit !== undefined && limitOnServer) {
      // One row past the limit tells whether there were more (and 0 would mean "no limit" to ClickHouse).
      params.set('max_result_rows', String(limit + 1));
      params.set('result_overflow_mode', 'break');
    }
    return params;
  }

  private async post(body: string | Blob, params: URLSearchParams, signal: AbortSignal): Promise<Response> {
    const url = new URL(this.options.url, baseHref());
    for (const [key, value] of params) url.searchParams.set(key, value);
    try {
      return await fetch(url, {
        method: 'POST',
        body,
        headers: this.headers,
        signal,
        // No cookies: the credentials are the headers, and a 401 with them would make the browser prompt for a
        // password. No referrer: the page's address is none of the warehouse's business.
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
        cache: 'no-store',
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new QueryError(`Cannot reach ${this.label}: ${errorText(error)}.`, { connector: this.name });
    }
  }

  /** Best effort, in the background: the query may not have reached the server yet, so look again a little later. */
  private kill(queryId: string): void {
    void (async () => {
      for (const delayMs of [0, 300, 1500]) {
        if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
        try {
          const response = await this.post(`KILL QUERY WHERE query_id = '${queryId}' ASYNC`, new URLSearchParams({ default_format: 'TabSeparated' }), AbortSignal.timeout(5_000));
          // A row names the query it found; an empty answer means it was not (or no longer) running.
          if (!response.ok || (await response.text()).trim()) return;
        } catch {
          return;
        }
      }
    })();
  }

  private httpError(response: Response, body: string): QueryError {
    const serverMessage = this.redact(body.trim());
    const detail = { connector: this.name, status: response.status, serverMessage };
    if (response.status === 401 || response.status === 403) {
      // ClickHouse 18.16 answers 401 for a wrong password and for an unknown user.
      return new QueryError(`${this.label} answered ${response.status}: check the connector's credentials.`, detail);
    }
    if (/^Code: \d+/.test(serverMessage)) return new QueryError(`${this.label}: ${serverMessage}`, detail);
    const said = serverMessage ? `: ${firstLine(serverMessage)}` : '';
    if (response.status === 502 || response.status === 503 || response.status === 504) {
      return new QueryError(`Cannot reach ${this.label}: the server in between answered ${response.status}${said}`, detail);
    }
    return new QueryError(`${this.label} answered ${response.status}${said}`, detail);
  }

  private redact(text: string): string {
    return this.password ? text.split(this.password).join('***') : text;
  }

  /** The server's exception in the body of a 200, or a result this connector cannot read. */
  private failure(message: string, serverMessage?: string): QueryError {
    return new QueryError(`${this.label}: ${this.redact(message)}`, {
      connector: this.name,
      ...(serverMessage === undefined ? {} : { serverMessage: this.redact(serverMessage) }),
    });
  }

  private cancelled(): QueryError {
    return new QueryError('Query cancelled.', { connector: this.name, cancelled: true });
  }
}

/** How one column's text becomes values. */
interface ColumnReader {
  builder: ColumnBuilder;
  nullable: boolean;
  read: (field: string) => CellValue;
}

/**
 * TabSeparatedWithNamesAndTypes, fed as text in any pieces: a row split across pieces waits for its end.
 * Holds at most one partial row (and a suspected exception), never the whole body.
 */
class TabSeparatedParser {
  rows = 0;
  /** The limit was reached and another row followed: stop reading. */
  enough = false;
  names?: string[];
  types?: string[];
  private readers?: ColumnReader[];
  private carry = '';
  /** Rows that arrived with the header, before setTypes. */
  private readonly waiting: string[] = [];
  /** A line that starts like an exception, and all that followed it. */
  private exception?: { lines: string[]; chars: number };

  constructor(
    private readonly fail: (message: string, serverMessage?: string) => QueryError,
    private readonly limit = Infinity,
  ) {}

  /** The header has arrived: call setTypes (which may need the server's zone) before rows are parsed. */
  get needsTypes(): boolean {
    return Boolean(this.types && !this.readers);
  }

  feed(text: string): void {
    if (this.enough) return;
    const buffer = this.carry + text;
    let start = 0;
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n', start)) {
      this.line(buffer.slice(start, end));
      start = end + 1;
      if (this.enough) return;
    }
    this.carry = buffer.slice(start);
  }

  setTypes(serverTimezone: string): void {
    const names = uniqueNames(this.names!.map(unescapeField));
    this.readers = this.types!.map((type, i) => columnReader(names[i], type, serverTimezone, this.fail));
    for (const line of this.waiting.splice(0)) {
      this.line(line);
      if (this.enough) return;
    }
  }

  /** The table; throws the server's exception if the body ended with one. */
  finish(): ColumnTable {
    if (this.carry) this.line(this.carry); // ClickHouse ends every row with \n; an exception may not
    this.carry = '';
    if (this.exception) {
      const serverMessage = this.exception.lines.join('\n').trim();
      throw this.fail(serverMessage, serverMessage);
    }
    if (!this.names) return new ColumnTable([], 0); // a statement without a result (CREATE, INSERT)
    if (!this.readers) throw this.fail('the result ended after its column names, before their types');
    return new ColumnTable(
      this.readers.map((r) => r.builder.finish()),
      this.rows,
    );
  }

  private line(line: string): void {
    if (this.exception) {
      this.exception.lines.push(line);
      this.exception.chars += line.length + 1;
      if (this.exception.chars > EXCEPTION_MAX_CHARS) {
        // Too much followed: it was data that happens to start like an exception.
        const [first, ...rest] = this.exception.lines;
        this.exception = undefined;
        this.data(first);
        for (const held of rest) if (!this.enough) this.line(held);
      }
    } else if (EXCEPTION_START.test(line)) {
      this.exception = { lines: [line], chars: line.length + 1 };
    } else {
      this.data(line);
    }
  }

  private data(line: string): void {
    if (!this.names) {
      this.names = line.split('\t');
    } else if (!this.types) {
      this.types = line.split('\t').map(unescapeField);
      if (this.types.length !== this.names.length || !this.types.every((type) => /^[A-Z]\w*(\(.*\))?$/.test(type))) {
        throw this.fail(`the answer is not ${FORMAT}; remove the FORMAT clause from the query`);
      }
    } else if (!this.readers) {
      this.waiting.push(line);
    } else if (this.rows >= this.limit) {
      this.enough = true;
    } else {
      this.row(line);
    }
  }

  private row(line: string): void {
    const readers = this.readers!;
    const fields = line.split('\t');
    if (fields.length !== readers.length) {
      throw this.fail(`row ${this.rows + 1} has ${fields.length} fields for ${readers.length} columns`);
    }
    for (let i = 0; i < readers.length; i++) {
      const reader = readers[i];
      const field = fields[i];
      reader.builder.push(reader.nullable && field === '\\N' ? null : reader.read(field));
    }
    this.rows++;
  }
}

// ---- types ----

const INTEGERS: Record<string, ColumnType> = {
  Int8: 'int8',
  Int16: 'int16',
  Int32: 'int32',
  Int64: 'int64',
  UInt8: 'uint8',
  UInt16: 'uint16',
  UInt32: 'uint32',
  UInt64: 'uint64',
};
const TEXT_TYPES = /^(String|FixedString\(\d+\)|UUID|Enum(8|16)?\(.*\)|IPv4|IPv6)$/;
const DATETIME = /^DateTime(?:\('((?:[^'\\]|\\.)*)'\))?$/;
const DATETIME64 = /^DateTime64\((\d+)(?:,\s*'((?:[^'\\]|\\.)*)')?\)$/;

/** `T` without the Nullable/LowCardinality wrappers, and whether it may be null. */
function unwrap(sourceType: string): { base: string; nullable: boolean } {
  let base = sourceType;
  let nullable = false;
  for (let m; (m = /^(Nullable|LowCardinality)\((.*)\)$/.exec(base)); base = m[2]) if (m[1] === 'Nullable') nullable = true;
  return { base, nullable };
}

/** A DateTime shown in the server's zone (it names none of its own). */
function serverZoned(sourceType: string): boolean {
  const { base } = unwrap(sourceType);
  return base === 'DateTime' || /^DateTime64\(\d+\)$/.test(base);
}

type Fail = (message: string) => QueryError;

function columnReader(name: string, sourceType: string, serverTimezone: string, fail: Fail): ColumnReader {
  const { base, nullable } = unwrap(sourceType);
  const make = (type: ColumnType, read: (field: string) => CellValue, timezone?: string): ColumnReader => ({
    builder: new ColumnBuilder(name, type, { sourceType, ...(timezone ? { timezone } : {}) }),
    nullable,
    read,
  });
  const integer = INTEGERS[base];
  if (integer) return make(integer, integer.endsWith('64') ? BigInt : Number);
  if (base === 'Float32' || base === 'Float64') return make(base === 'Float32' ? 'float32' : 'float64', parseFloatField);
  if (base === 'Bool') return make('bool', (field) => field === 'true' || field === '1');
  if (TEXT_TYPES.test(base)) return make('string', unescapeField);
  if (base === 'Date' || base === 'Date32') return make('date', parseDays);
  let m = DATETIME.exec(base);
  if (m) {
    const zone = m[1] ?? serverTimezone;
    return make('timestamp', timestampReader(zone, 0, fail), zone);
  }
  m = DATETIME64.exec(base);
  if (m) {
    const zone = m[2] ?? serverTimezone;
    return make('timestamp', timestampReader(zone, Number(m[1]), fail), zone);
  }
  // Arrays, tuples, decimals, maps, ...: ClickHouse's own literal text, e.g. ['a','b'] or 1.500.
  return make('string', (field) => field);
}

// ---- values ----

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '0': '\0', a: '\x07', v: '\v', e: '\x1b' };

/** TSV escapes: \t \n \\ \' \0 \b \f \r (and the rest ClickHouse reads). */
function unescapeField(field: string): string {
  if (field.indexOf('\\') < 0) return field;
  return field.replace(/\\(.)/gs, (_, c: string) => ESCAPES[c] ?? c);
}

function parseFloatField(field: string): number {
  const n = +field;
  if (n === n) return n;
  if (field === 'inf' || field === '+inf') return Infinity;
  if (field === '-inf') return -Infinity;
  return NaN; // nan, -nan
}

const digits = (text: string, at: number, count: number): number => {
  let n = 0;
  for (let i = at; i < at + count; i++) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
};

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** "YYYY-MM-DD"; ClickHouse 18 writes day 0 as 0000-00-00. */
function parseDays(field: string): number {
  const year = digits(field, 0, 4);
  return year === 0 ? 0 : daysFromCivil(year, digits(field, 5, 2), digits(field, 8, 2));
}

/**
 * "YYYY-MM-DD hh:mm:ss[.fff]" on the wall clock of `zone` → microseconds since the epoch (UTC). Also takes the
 * other output formats a newer server may be set to (unix seconds, ISO 8601 with a zone).
 */
function timestampReader(zone: string, scale: number, fail: Fail): (field: string) => bigint {
  const toUtc = wallClockToUtc(zone, fail);
  return (field) => {
    if (field.length >= 19 && field.charCodeAt(10) === 32) {
      const year = digits(field, 0, 4);
      if (year === 0) return 0n; // the epoch, written 0000-00-00 00:00:00 by ClickHouse 18
      const wall = daysFromCivil(year, digits(field, 5, 2), digits(field, 8, 2)) * 86_400 + digits(field, 11, 2) * 3600 + digits(field, 14, 2) * 60 + digits(field, 17, 2);
      return micros(toUtc(wall), fractionMicros(field, 19, scale));
    }
    if (/^-?\d+(\.\d+)?$/.test(field)) {
      const [seconds, fraction = ''] = field.split('.');
      return micros(Number(seconds), fractionMicros(`.${fraction}`, 0, fraction.length));
    }
    const ms = Date.parse(field);
    if (Number.isNaN(ms)) throw fail(`cannot read '${field}' as a DateTime`);
    return BigInt(ms) * 1000n;
  };
}

function fractionMicros(field: string, dot: number, scale: number): number {
  if (!scale || field.charCodeAt(dot) !== 46) return 0;
  const text = field.slice(dot + 1, dot + 7).padEnd(6, '0');
  return Number(text) * (field.charCodeAt(dot + 1) === 45 ? -1 : 1);
}

function micros(seconds: number, fraction: number): bigint {
  const value = seconds * 1_000_000 + fraction;
  return Number.isSafeInteger(value) ? BigInt(value) : BigInt(seconds) * 1_000_000n + BigInt(fraction);
}

const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/UCT', 'UCT', 'GMT', 'Etc/GMT', 'Etc/GMT0', 'Etc/GMT+0', 'Etc/GMT-0', 'GMT0', 'Universal', 'Etc/Universal', 'Zulu', 'Etc/Zulu']);

/**
 * A function from wall-clock seconds in `zone` to UTC seconds. Offsets are cached per wall-clock hour (a
 * result usually spans few), except for hours in which the offset changes. A wall time that occurs twice
 * (the hour a DST change repeats) resolves to the earlier instant: the text alone cannot tell them apart.
 */
function wallClockToUtc(zone: string, fail: Fail): (wall: number) => number {
  if (UTC_ZONES.has(zone)) return (wall) => wall;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw fail(`times are shown in the zone '${zone}', which this browser does not know`);
  }
  const offsetAt = (utc: number): number => {
    const parts: Record<string, number> = {};
    for (const part of format.formatToParts(utc * 1000)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
    return daysFromCivil(parts.year, parts.month, parts.day) * 86_400 + parts.hour * 3600 + parts.minute * 60 + parts.second - utc;
  };
  const resolve = (wall: number): number => {
    const first = wall - offsetAt(wall);
    return wall - offsetAt(first);
  };
  const hours = new Map<number, number | null>(); // wall-clock hour -> its offset, or null when it changes within
  return (wall) => {
    const hour = Math.floor(wall / 3600);
    let offset = hours.get(hour);
    if (offset === undefined) {
      const start = hour * 3600;
      const startOffset = start - resolve(start);
      offset = startOffset === start + 3599 - resolve(start + 3599) ? startOffset : null;
      hours.set(hour, offset);
    }
    return offset === null ? resolve(wall) : wall - offset;
  };
}

// ---- plumbing ----

/** Names made unique the way DuckDB does (`a`, `a_1`): `SELECT 1, 1` has two columns called "1". */
function uniqueNames(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((name) => {
    let unique = name;
    for (let n = 1; seen.has(unique); n++) unique = `${name}_${n}`;
    seen.add(unique);
    return unique;
  });
}

/** What a relative `url` is relative to: the document's base URL (a `<base>` or an srcdoc frame's parent), as for links. */
function baseHref(): string | undefined {
  return (globalThis as { document?: { baseURI: string } }).document?.baseURI ?? (globalThis as { location?: { href: string } }).location?.href;
}

/** A fresh id ClickHouse can find the query by; getRandomValues works on plain-http pages too. */
function newQueryId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `bento-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function utf8Bytes(text: string): string {
  return String.fromCharCode(...new TextEncoder().encode(text));
}

async function bodyText(response: Response): Promise<string> {
  try {
    return (await response.text()).slice(0, EXCEPTION_MAX_CHARS);
  } catch {
    return '';
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message.replace(/\.$/, '') : String(error);
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0];
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

/**
 * Lets the page paint, handle input and run its other tasks (kernel messages, timers) between slices of a long
 * result. A posted message is a plain task, unclamped unlike setTimeout; scheduler.yield() would put this
 * continuation ahead of the page's other tasks.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}
