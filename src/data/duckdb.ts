/**
 * The embedded `duckdb` connector: DuckDB-WASM in a worker, loaded on the first query from the page's own server.
 * One engine (one worker, one in-memory DuckDB) serves every duckdb connector of the page; each connector has its
 * own connection and its own attached in-memory database, so the views and tables of one do not collide with
 * another's. Results stream as Arrow record batches and become a ColumnTable batch by batch. Parquet and
 * newline-delimited JSON, which DuckDB-WASM reads only through extensions it does not build in (and would fetch from
 * the internet), are read here in JavaScript into tables when registered (`tables`, dropped files).
 */
import * as duckdb from '@duckdb/duckdb-wasm';
import type { AsyncRecordBatchStreamReader, RecordBatch, Schema } from 'apache-arrow';
import { emptyTable, recordBatchToTable } from './arrow.ts';
import { QueryError, type Connector, type ConnectorConfig, type QueryOptions, type QueryResult } from './connectors.ts';
import { ColumnTable } from './table.ts';
import { DuckDBUploads } from './duckdb-upload.ts';
import type { UploadSink } from './upload.ts';

export interface DuckDBConnectorOptions {
  /**
   * Where DuckDB-WASM's files are served: duckdb-eh.wasm and duckdb-browser-eh.worker.js (and the MVP pair, used
   * only by browsers without WebAssembly exceptions). Default: `duckdb/` beside the Bento Lite bundle.
   */
  bundleURL?: string;
  /**
   * Table name → URL of a .csv, .tsv, .parquet, .json (an array of objects) or .jsonl/.ndjson file (relative URLs
   * resolve against the page). CSV is a view over the file; Parquet and JSON, which DuckDB-WASM reads only through
   * extensions it does not build in, are read once into a table (Parquet in JavaScript, by src/data/parquet.ts).
   */
  tables?: Record<string, string>;
  /**
   * Where DuckDB loads extensions it does not build in (parquet, json, icu, httpfs, ...) from, as
   * `<repository>/<version>/<platform>/<name>.duckdb_extension.wasm`. Default: `extensions` under bundleURL, so
   * nothing leaves the page's server. `https://extensions.duckdb.org` is DuckDB's own (needs the network).
   */
  extensionRepository?: string;
  /**
   * Keep this connector's tables in the origin-private file system (`opfs://bento-<name>.duckdb`), so a table made
   * by `CREATE TABLE` or an upload is still there after a reload. Such a connector has a DuckDB worker of its own,
   * and the file can be open in one tab at a time: a second tab gets an in-memory database, and its label says so.
   */
  persist?: boolean;
}

const DEFAULT_TIMEOUT_MS = 60_000;
/** Downloading and compiling ~34 MB of WebAssembly; generous, but a wrongly served file must not hang forever. */
const START_TIMEOUT_MS = 120_000;

/** The built bundle puts this module in `dist/chunks/`; DuckDB's files are copied to `dist/duckdb/` (scripts/build.mjs). */
function defaultBundleURL(): string {
  return new URL('../duckdb/', import.meta.url).href;
}

function absolute(url: string, directory = false): string {
  const href = new URL(url, globalThis.document?.baseURI ?? globalThis.location?.href).href;
  return directory && !href.endsWith('/') ? `${href}/` : href;
}

const sqlString = (text: string) => `'${text.replaceAll("'", "''")}'`;
const sqlName = (name: string) => `"${name.replaceAll('"', '""')}"`;

// --- The shared engine -------------------------------------------------------------------------------------

interface Engine {
  db: duckdb.AsyncDuckDB;
  /** Rejects when the worker dies; everything waiting on the engine races against it. */
  died: Promise<never>;
  /** e.g. `v1.4.3` */
  version: string;
  /** `wasm_eh` or `wasm_mvp`: the directory DuckDB loads extensions from. */
  platform: string;
  extensionRepository: string;
  /** Names registered in DuckDB's virtual file system → what they point at. */
  files: Map<string, string>;
  /** Whether an extension could be loaded from extensionRepository, asked once per engine. */
  extensions: Map<string, Promise<boolean>>;
}

const engines = new Map<string, Promise<Engine>>();

function engineFor(bundleURL: string, extensionRepository: string, path = ':memory:'): Promise<Engine> {
  const key = `${bundleURL} ${extensionRepository} ${path}`;
  let engine = engines.get(key);
  if (!engine) {
    engine = startEngine(bundleURL, extensionRepository, path);
    engines.set(key, engine);
    // A failed start is not kept: the next query tries again. A worker that dies later is dropped too.
    const forget = () => engines.get(key) === engine && engines.delete(key);
    engine.then((e) => e.died.catch(forget), forget);
  }
  return engine;
}

/** Ends an engine of its own (a persisted connector's), so its file is free for the next one to open. */
async function stopEngine(bundleURL: string, extensionRepository: string, path: string): Promise<void> {
  const key = `${bundleURL} ${extensionRepository} ${path}`;
  const engine = await engines.get(key)?.catch(() => undefined);
  engines.delete(key);
  if (!engine) return;
  try {
    const conn = await engine.db.connect();
    await conn.query('CHECKPOINT');
    await conn.close();
  } catch {
    // A last checkpoint is a courtesy: the write-ahead log is in the file system too.
  }
  await engine.db.terminate().catch(() => {});
}

async function startEngine(bundleURL: string, extensionRepository: string, path: string): Promise<Engine> {
  const bundle = await duckdb.selectBundle({
    mvp: { mainModule: `${bundleURL}duckdb-mvp.wasm`, mainWorker: `${bundleURL}duckdb-browser-mvp.worker.js` },
    eh: { mainModule: `${bundleURL}duckdb-eh.wasm`, mainWorker: `${bundleURL}duckdb-browser-eh.worker.js` },
  });
  // A same-origin URL: a worker from it loads under COEP require-corp too (no blob: or importScripts trick).
  const worker = new Worker(bundle.mainWorker!);
  let die!: (error: Error) => void;
  const died = new Promise<never>((_, reject) => (die = reject));
  died.catch(() => {});
  let started = false;
  // AsyncDuckDB drops its pending requests without settling them when the worker fails; this is how we find out.
  worker.addEventListener('error', (event) => {
    const detail = event.message ? `: ${event.message}` : '';
    die(
      started
        ? new QueryError(`DuckDB's worker stopped${detail}. Run the query again to start a new one; the tables made so far are gone.`, { serverMessage: event.message })
        : new QueryError(`DuckDB could not start: its worker ${bundle.mainWorker} did not load${detail}. Check the connector's bundleURL.`, { serverMessage: event.message }),
    );
  });
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tooSlow = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new QueryError(`DuckDB did not start within ${START_TIMEOUT_MS / 1000} s: check that ${bundle.mainModule} is served as application/wasm.`, { timedOut: true })),
      START_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([
      (async () => {
        await db.instantiate(bundle.mainModule, bundle.pthreadWorker);
        await db.open({
          path,
          // An opfs:// database is opened (and its write-ahead log found) by DuckDB's worker itself.
          ...(path.startsWith('opfs://') ? { accessMode: duckdb.DuckDBAccessMode.READ_WRITE, opfs: { fileHandling: 'auto' as const } } : {}),
          query: { castBigIntToDouble: false, castDecimalToDouble: false, castTimestampToDate: false },
          // Static file servers often ignore Range requests; read such files whole instead of failing.
          filesystem: { allowFullHTTPReads: true },
        });
      })(),
      died,
      tooSlow,
    ]);
    const conn = await db.connect();
    // DuckDB-WASM 1.32 builds in only core_functions: parquet, json, icu and httpfs are extensions fetched on first
    // use, by default from extensions.duckdb.org with a synchronous request that can hang with no network. Point
    // it at the page's own server and never install.
    await conn.query('SET autoinstall_known_extensions = false');
    await conn.query('SET autoload_known_extensions = true');
    await conn.query(`SET custom_extension_repository = ${sqlString(extensionRepository)}`);
    const version = String((await conn.query('SELECT version() AS v')).get(0)?.v ?? 'unknown');
    await conn.close();
    const platform = bundle.mainModule.endsWith('duckdb-mvp.wasm') ? 'wasm_mvp' : 'wasm_eh';
    started = true;
    return { db, died, version, platform, extensionRepository, files: new Map(), extensions: new Map() };
  } catch (error) {
    worker.terminate();
    die(error instanceof Error ? error : new Error(String(error)));
    if (error instanceof QueryError) throw error;
    throw new QueryError(`DuckDB could not start from ${bundleURL}: ${messageOf(error)}. Check the connector's bundleURL.`, { serverMessage: messageOf(error) });
  } finally {
    clearTimeout(timer);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * DuckDB's error as DuckDB prints it ("Parser Error: syntax error at or near ..."). Some errors cross the worker as
 * DuckDB's serialized form, `{"exception_type":"Parser","exception_message":"..."}`; those are put back into words.
 */
function duckdbMessage(error: unknown): string {
  const message = messageOf(error);
  if (!message.startsWith('{')) return message;
  try {
    const { exception_type: type, exception_message: text } = JSON.parse(message) as { exception_type?: string; exception_message?: string };
    if (typeof text !== 'string') return message;
    return type ? `${type} Error: ${text}` : text;
  } catch {
    return message;
  }
}

// --- Statements and errors -----------------------------------------------------------------------------------

/** DuckDB's tokenizer's type for operators (`;` among them). Comments are not tokens; strings are one token each. */
const OPERATOR_TOKEN = 3;
const SEMICOLON = 0x3b;

/**
 * A script cut into statements at the `;` DuckDB's own tokenizer sees (not those inside strings or comments):
 * DuckDB runs one statement per pending query, and a cell may hold several. Token offsets count UTF-8 bytes.
 */
async function splitStatements(db: duckdb.AsyncDuckDB, sql: string): Promise<string[]> {
  const { offsets, types } = await db.tokenize(sql);
  const bytes = new TextEncoder().encode(sql);
  const text = new TextDecoder();
  const statements: string[] = [];
  let start = 0;
  let tokens = 0;
  for (let i = 0; i < offsets.length; i++) {
    if (types[i] === OPERATOR_TOKEN && bytes[offsets[i]] === SEMICOLON) {
      if (tokens > 0) statements.push(text.decode(bytes.subarray(start, offsets[i])));
      start = offsets[i] + 1;
      tokens = 0;
    } else {
      tokens++;
    }
  }
  if (tokens > 0) statements.push(text.decode(bytes.subarray(start)));
  return statements.map((s) => s.trim());
}

// --- The connector ---------------------------------------------------------------------------------------------

interface Session {
  engine: Engine;
  conn: duckdb.AsyncDuckDBConnection;
  /** The in-memory database attached for this connector (its views and tables live there). */
  database: string;
}

export class DuckDBConnector implements Connector {
  readonly kind = 'duckdb';
  readonly name: string;
  label: string;
  private readonly bundleURL: string;
  private readonly extensionRepository: string;
  private readonly tables: Record<string, string>;
  /** `opfs://...` when the connector keeps its tables (DuckDBConnectorOptions.persist). */
  private readonly persistPath?: string;
  private session?: Promise<Session>;
  /** Queries on one connection run one after another: DuckDB keeps one pending query per connection. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly files = new Set<string>();
  private closed = false;
  /** Staging tables, chunks as Arrow, one transaction per step: duckdb-upload.ts. */
  readonly uploads: UploadSink = new DuckDBUploads(this);

  constructor(config: ConnectorConfig) {
    const options = (config.options ?? {}) as DuckDBConnectorOptions;
    this.name = config.name;
    this.label = config.label ?? 'DuckDB (in browser)';
    this.bundleURL = absolute(options.bundleURL ?? defaultBundleURL(), true);
    this.extensionRepository = absolute(options.extensionRepository ?? `${this.bundleURL}extensions`).replace(/\/+$/, '');
    this.tables = options.tables ?? {};
    if (options.persist) this.persistPath = `opfs://bento-${config.name.replace(/[^\w.-]/g, '_')}.duckdb`;
  }

  /** Whether the tables are kept across reloads (false also when another tab holds the file). */
  persisted = false;

  /** Whether DuckDB is running for this connector with its tables set up (by a query, or by `prepare()`). */
  get started(): boolean {
    return this.startedSession !== undefined && this.startedSession === this.session;
  }
  private startedSession?: Promise<Session>;

  /**
   * Starts DuckDB (download, compile, open) and sets up this connector's tables now, so the first query only runs
   * its SQL. The next queries use the same engine and connection. Rejects as the first query would have.
   *
   * Then reads one row of each table through the path a query takes: DuckDB's WebAssembly is compiled function by
   * function on first call, and a first query otherwise spends most of its time compiling the scan and Arrow code.
   */
  prepare(): Promise<void> {
    // Every SQL cell of a page asks; the first asking does it (again only if DuckDB was restarted since).
    const session = this.ready();
    if (this.preparation?.session !== session) {
      const done = this.warmUp(session);
      this.preparation = { session, done };
      done.catch(() => {
        if (this.preparation?.done === done) this.preparation = undefined;
      });
    }
    return this.preparation!.done;
  }
  private preparation?: { session: Promise<Session>; done: Promise<void> };

  private async warmUp(ready: Promise<Session>): Promise<void> {
    const asked = this.queriesAsked;
    const session = await ready;
    const warmUps = Object.keys(this.tables).map((view) => `SELECT * FROM ${sqlName(view)} LIMIT 1`);
    for (const sql of warmUps.length > 0 ? warmUps : ['SELECT 1 AS n']) {
      // A query asked for meanwhile compiles what it needs itself: it does not wait behind a warm-up.
      await this.exclusive(() => (this.queriesAsked === asked ? this.run(session, sql, { limit: 1, stop: new AbortController().signal }) : undefined)).catch(() => {});
    }
  }
  /** Counts query() calls, so a warm-up gives way to a real query. */
  private queriesAsked = 0;

  async query(sql: string, options: QueryOptions = {}): Promise<QueryResult> {
    const started = performance.now();
    this.queriesAsked++;
    const { signal, limit, onProgress } = options;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (signal?.aborted) throw this.cancelled();
    // Starting DuckDB has a limit of its own (START_TIMEOUT_MS); timeoutMs counts from when it is ready.
    const session = await this.abortable(this.ready(), signal);

    // Settles (rejects) the moment the caller gives up; the work itself stops at its next chance.
    const stop = new AbortController();
    let giveUp!: (error: QueryError) => void;
    const gaveUp = new Promise<never>((_, reject) => (giveUp = reject));
    gaveUp.catch(() => {});
    let running = false;
    const cancel = (error: QueryError) => {
      if (stop.signal.aborted) return;
      stop.abort(error);
      giveUp(error);
      // Only once this query has the connection: before that, the pending query there is someone else's.
      if (running) void session.conn.cancelSent().catch(() => {});
    };
    const onAbort = () => cancel(this.cancelled());
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    const timer = setTimeout(
      () => cancel(new QueryError(`DuckDB: the query ran longer than ${seconds(timeoutMs)} and was cancelled. Narrow it (a filter, a LIMIT) or allow more time.`, { connector: this.name, timedOut: true })),
      timeoutMs,
    );
    try {
      // The checkpoint after the query holds the connection, not the answer: the table is shown while it runs.
      const work = this.exclusive(
        () => {
          if (stop.signal.aborted) throw stop.signal.reason;
          running = true;
          return this.run(session, sql, { limit, onProgress, stop: stop.signal });
        },
        () => this.keep(session),
      );
      const { table, truncated } = await Promise.race([work, gaveUp, session.engine.died]);
      return { table, truncated, elapsedMs: performance.now() - started };
    } catch (error) {
      if (stop.signal.aborted) throw stop.signal.reason;
      if (this.closed) throw new QueryError(`Query cancelled: the DuckDB connector '${this.name}' was closed.`, { connector: this.name, cancelled: true });
      throw this.failure(error, session.engine);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Makes a dropped file queryable as a table named after it (`sales.csv` → `sales`, or `sales_2` when taken): a
   * view over the file, read where it lies; Parquet and JSON are read once into a table instead (see `tables`).
   * Returns the name, an identifier that needs no quoting.
   */
  async registerFile(file: File): Promise<string> {
    const session = await this.ready();
    return this.exclusive(async () => {
      if (!readerFor(file.name)) throw new QueryError(`DuckDB cannot read '${file.name}': drop a .csv, .tsv, .parquet, .json or .jsonl file.`, { connector: this.name });
      const loader = await javascriptLoader(session, file.name);
      if (loader) {
        try {
          const name = await this.freeName(session, file.name);
          await this.loadTable(session, name, loader, file, file.name);
          await this.keep(session);
          return name;
        } catch (error) {
          throw this.failure(error, session.engine);
        }
      }
      const fileName = uniqueFileName(session.engine, file.name);
      await session.engine.db.registerFileHandle(fileName, file, duckdb.DuckDBDataProtocol.BROWSER_FILEREADER, true);
      session.engine.files.set(fileName, `file:${file.name}`);
      this.files.add(fileName);
      try {
        const name = await this.freeName(session, file.name);
        await this.createRelation(session, name, fileName);
        return name;
      } catch (error) {
        this.files.delete(fileName);
        session.engine.files.delete(fileName);
        await session.engine.db.dropFile(fileName).catch(() => {});
        throw this.failure(error, session.engine);
      }
    });
  }

  /**
   * Runs `task` on this connector's connection, after every earlier query, inside one transaction: committed when
   * it resolves, rolled back when it rejects (then with DuckDB's words in a QueryError). Uploads write through it.
   */
  async transaction<T>(task: (conn: duckdb.AsyncDuckDBConnection) => Promise<T>): Promise<T> {
    const session = await this.ready();
    return this.exclusive(async () => {
      await session.conn.query('BEGIN TRANSACTION');
      try {
        const result = await Promise.race([task(session.conn), session.engine.died]);
        await session.conn.query('COMMIT');
        await this.keep(session);
        return result;
      } catch (error) {
        await session.conn.query('ROLLBACK').catch(() => {});
        throw this.failure(error, session.engine);
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const session = await this.session?.catch(() => undefined);
    if (!session) return;
    await session.conn.cancelSent().catch(() => {});
    await this.queue.catch(() => {});
    const { db } = session.engine;
    if (this.persisted) {
      await session.conn.close().catch(() => {});
      await stopEngine(this.bundleURL, this.extensionRepository, this.persistPath!);
      return;
    }
    try {
      await session.conn.close();
      const other = await db.connect();
      await other.query(`DETACH DATABASE IF EXISTS ${sqlName(session.database)}`);
      await other.close();
      for (const file of this.files) {
        session.engine.files.delete(file);
        await db.dropFile(file);
      }
    } catch {
      // The engine may be gone already; nothing is left to release then.
    }
  }

  /** Connects on first use: the shared engine, this connector's connection, its database and its views. */
  private ready(): Promise<Session> {
    if (this.closed) return Promise.reject(new QueryError(`The DuckDB connector '${this.name}' was closed.`, { connector: this.name }));
    if (!this.session) {
      const session = this.connect();
      this.session = session;
      const forget = () => {
        if (this.session === session) this.session = undefined;
      };
      session.then((s) => {
        this.startedSession = session;
        s.engine.died.catch(forget);
      }, forget);
    }
    return this.session;
  }

  private async connect(): Promise<Session> {
    const engine = await this.startEngine().catch((error: unknown) => {
      throw this.failure(error);
    });
    const conn = await Promise.race([engine.db.connect(), engine.died]);
    try {
      // A persisted connector's engine is its own: its main database is the file.
      const database = this.persisted ? String((await conn.query('SELECT current_database() AS d')).get(0)?.d) : await this.attachDatabase(conn);
      const session = { engine, conn, database };
      for (const [view, url] of Object.entries(this.tables)) await this.createTableView(session, view, url);
      // What the write-ahead log of the last visit held (replayed as the file opened) goes into the file now.
      await this.keep(session);
      return session;
    } catch (error) {
      await conn.close().catch(() => {});
      throw this.failure(error, engine);
    }
  }

  /**
   * The shared in-memory engine, or for a persisted connector an engine of its own over its file. When the file
   * cannot be opened (another tab of this site holds it: one writer at a time), the tables live in memory and the
   * label says they are not kept.
   */
  private async startEngine(): Promise<Engine> {
    if (!this.persistPath) return engineFor(this.bundleURL, this.extensionRepository);
    try {
      const engine = await engineFor(this.bundleURL, this.extensionRepository, this.persistPath);
      this.persisted = true;
      return engine;
    } catch (error) {
      if (error instanceof QueryError && error.detail.timedOut) throw error;
      this.persisted = false;
      this.label = `${this.label} (not kept: ${this.persistPath} could not be opened, perhaps in use by another tab: ${messageOf(error)})`;
      return engineFor(this.bundleURL, this.extensionRepository);
    }
  }

  /** `ATTACH ':memory:' AS <connector name>` and USE it, so every connector has a catalog of its own. */
  private async attachDatabase(conn: duckdb.AsyncDuckDBConnection): Promise<string> {
    const base = this.name.replace(/[^\w]/g, '_');
    // The name may be taken (a connector of that name closing) or reserved ('memory', 'system', 'temp').
    for (let n = 1; ; n++) {
      const database = n === 1 ? base : `${base}_${n}`;
      try {
        await conn.query(`ATTACH ':memory:' AS ${sqlName(database)}`);
      } catch (error) {
        if (n < 10) continue;
        throw error;
      }
      await conn.query(`USE ${sqlName(database)}`);
      return database;
    }
  }

  private async createTableView(session: Session, view: string, url: string): Promise<void> {
    const href = absolute(url);
    const path = new URL(href).pathname;
    if (!readerFor(path)) {
      throw new QueryError(`The DuckDB connector '${this.name}' cannot tell the format of table '${view}' (${url}): use a URL ending in .csv, .tsv, .parquet, .json or .jsonl.`, { connector: this.name });
    }
    try {
      const loader = await javascriptLoader(session, path);
      if (loader) {
        // A kept database has the table from the last visit: the file it was read from is what counts.
        if (this.persisted) await session.conn.query(`DROP TABLE IF EXISTS ${sqlName(view)}`);
        await this.loadTable(session, view, loader, await download(href), href);
        return;
      }
      // Registered under its own URL, so `SELECT * FROM '<that URL>'` finds the same file.
      if (session.engine.files.get(href) !== href) {
        await session.engine.db.registerFileURL(href, href, duckdb.DuckDBDataProtocol.HTTP, false);
        session.engine.files.set(href, href);
      }
      await this.createRelation(session, view, href, new URL(href).pathname);
    } catch (error) {
      const failure = this.failure(error, session.engine);
      throw new QueryError(`Table '${view}' of the DuckDB connector '${this.name}' (${url}) could not be loaded. ${failure.message}`, failure.detail);
    }
  }

  /**
   * `name` as a view over a registered file. JSON without DuckDB's json extension (not built into DuckDB-WASM) is
   * read once by DuckDB-WASM's own JSON reader into a table instead: an array of objects or an object of columns.
   */
  private async createRelation(session: Session, name: string, fileName: string, path = fileName): Promise<void> {
    const reader = readerFor(path)!;
    if (reader === 'read_json_auto' && !(await extensionLoads(session, 'json'))) {
      try {
        await session.conn.insertJSONFromPath(fileName, { name, create: true });
        return;
      } catch (error) {
        throw new Error(
          `${duckdbMessage(error)}. DuckDB-WASM's own JSON reader takes an array of objects or an object of columns; ` +
            `for one object a line, name the file .jsonl or .ndjson. Other JSON needs DuckDB's json extension.`,
        );
      }
    }
    await session.conn.query(`CREATE OR REPLACE VIEW ${sqlName(name)} AS SELECT * FROM ${reader}(${sqlString(fileName)})`);
  }

  /**
   * `name` as a table of the rows of `file`, read here in JavaScript: Parquet by src/data/parquet.ts (imported on
   * first use: a chunk of its own), row group by row group as Arrow; newline-delimited JSON as the array of objects
   * DuckDB-WASM's own JSON reader takes. A table half made is dropped again.
   */
  private async loadTable(session: Session, name: string, loader: JavaScriptLoader, file: Blob, label: string): Promise<void> {
    const { db } = session.engine;
    const unreadable = (format: string, error: unknown) =>
      new QueryError(`'${displayName(label)}' could not be read as ${format}: ${messageOf(error)}.`, { connector: this.name, serverMessage: messageOf(error) });
    try {
      if (loader === 'parquet') {
        const { parquetToArrowIPC } = await import('./parquet.ts').catch((error: unknown) => {
          throw new QueryError(`The Parquet reader did not load (${messageOf(error)}): check that the chunks/ folder beside the Bento Lite bundle is served.`, {
            connector: this.name,
          });
        });
        const batches = parquetToArrowIPC(file);
        for (let create = true; ; create = false) {
          const next = await batches.next().catch((error: unknown) => {
            throw unreadable('Parquet', error);
          });
          if (next.done) break;
          await session.conn.insertArrowFromIPCStream(next.value, { name, create });
        }
      } else {
        const json = await ndjsonAsArray(file, label).catch((error: unknown) => {
          throw unreadable('newline-delimited JSON', error);
        });
        const fileName = uniqueFileName(session.engine, `${name}.json`);
        session.engine.files.set(fileName, `ndjson:${label}`);
        try {
          await db.registerFileText(fileName, json);
          await session.conn.insertJSONFromPath(fileName, { name, create: true });
        } finally {
          session.engine.files.delete(fileName);
          await db.dropFile(fileName).catch(() => {});
        }
      }
    } catch (error) {
      await session.conn.query(`DROP TABLE IF EXISTS ${sqlName(name)}`).catch(() => {});
      throw error;
    }
  }

  /**
   * Writes what the kept database's write-ahead log holds into its file (CHECKPOINT), after every write: a page
   * that closes without `close()` (a reload, a closed tab) leaves the log behind, and DuckDB-WASM 1.32 loses
   * commits written after it replays such a log (the next visit sees neither them nor the replayed ones). A
   * checkpoint with nothing to write costs one round trip to DuckDB's worker. One that cannot run now (inside a
   * transaction the user opened) is left to the next write's. See test/jobs/reload.test.ts.
   */
  private async keep(session: Session): Promise<void> {
    // Raced with the worker's death: AsyncDuckDB never settles what a dead worker was asked, and the next task waits.
    if (this.persisted) await Promise.race([session.conn.query('CHECKPOINT'), session.engine.died]).catch(() => {});
  }

  /**
   * Runs `task` when every earlier task of this connection has finished (succeeded or not). `after` runs once
   * `task` has succeeded, and the next task waits for it too, but the result does not.
   */
  private exclusive<T>(task: () => Promise<T> | T, after?: () => Promise<void>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.then(after).catch(() => {});
    return result;
  }

  private async abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!signal) return promise;
    let onAbort!: () => void;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(this.cancelled());
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([promise, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Every statement in order; the last one's rows are the result. */
  private async run(
    session: Session,
    sql: string,
    { limit, onProgress, stop }: { limit?: number; onProgress?: QueryOptions['onProgress']; stop: AbortSignal },
  ): Promise<{ table: ColumnTable; truncated: boolean }> {
    const statements = await splitStatements(session.engine.db, sql);
    if (statements.length === 0) throw new QueryError('There is no SQL statement to run.', { connector: this.name });
    for (const statement of statements.slice(0, -1)) {
      const reader = await session.conn.send(statement, true);
      for (;;) {
        if (stop.aborted) throw stop.reason;
        if ((await reader.next()).done) break;
      }
    }
    if (stop.aborted) throw stop.reason;
    const reader = await session.conn.send(statements.at(-1)!, true);
    return readBatches(reader, { limit, onProgress, stop });
  }

  private async freeName(session: Session, fileName: string): Promise<string> {
    const stem = fileName.replace(/(\.(gz|zst))?$/i, '').replace(/\.[^.]*$/, '') || 'file';
    let base = stem.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)/, 't_');
    const keywords = await session.conn.query(`SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category <> 'unreserved' AND keyword_name = ${sqlString(base.toLowerCase())}`);
    if (keywords.numRows > 0) base = `${base}_file`;
    const taken = await session.conn.query(
      `SELECT lower(table_name) AS name FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema = current_schema()`,
    );
    const names = new Set(taken.toArray().map((row) => String(row.name)));
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? base : `${base}_${n}`;
      if (!names.has(candidate.toLowerCase())) return candidate;
    }
  }

  private cancelled(): QueryError {
    return new QueryError('Query cancelled', { connector: this.name, cancelled: true });
  }

  /** DuckDB's own words (verbatim in serverMessage), and what to do when they are about a missing extension. */
  private failure(error: unknown, engine?: Engine): QueryError {
    if (error instanceof QueryError) return error.detail.connector ? error : new QueryError(error.message, { ...error.detail, connector: this.name });
    const serverMessage = duckdbMessage(error);
    return new QueryError(`DuckDB: ${serverMessage}${engine ? extensionHint(serverMessage, engine) : ''}`, { connector: this.name, serverMessage });
  }
}

/** Reads record batches as they arrive, converting each, until the result ends or `limit` rows are in. */
async function readBatches(
  reader: AsyncRecordBatchStreamReader,
  { limit, onProgress, stop }: { limit?: number; onProgress?: QueryOptions['onProgress']; stop: AbortSignal },
): Promise<{ table: ColumnTable; truncated: boolean }> {
  // Opening reads the schema message; keep it, the reader lets go of it once the stream ends.
  await reader.open();
  let schema: Schema | undefined = reader.schema;
  const parts: ColumnTable[] = [];
  let rows = 0;
  let truncated = false;
  for (;;) {
    if (stop.aborted) throw stop.reason;
    const next = await reader.next();
    if (next.done) break;
    const batch = next.value as RecordBatch;
    schema = batch.schema;
    if (batch.numRows === 0) continue;
    if (limit !== undefined && rows >= limit) {
      // One more non-empty batch proves there were more rows than the limit.
      truncated = true;
      break;
    }
    const take = limit === undefined ? batch.numRows : Math.min(batch.numRows, limit - rows);
    parts.push(recordBatchToTable(take < batch.numRows ? batch.slice(0, take) : batch));
    rows += take;
    onProgress?.({ rows });
    if (take < batch.numRows) {
      truncated = true;
      break;
    }
  }
  // Not draining the rest: the next query on this connection discards DuckDB's half-read result.
  const table = parts.length > 0 ? ColumnTable.concat(parts) : emptyTable(schema);
  return { table, truncated };
}

/** The table function for a file, by its extension. */
function readerFor(path: string): string | undefined {
  const name = path.toLowerCase().replace(/\.(gz|zst)$/, '');
  if (/\.(csv|tsv|txt)$/.test(name)) return 'read_csv_auto';
  if (/\.(parquet|pq)$/.test(name)) return 'read_parquet';
  if (/\.(json|jsonl|ndjson)$/.test(name)) return 'read_json_auto';
  return undefined;
}

type JavaScriptLoader = 'parquet' | 'ndjson';

/**
 * Whether `path` is read here in JavaScript rather than by DuckDB: Parquet and newline-delimited JSON when the
 * extension DuckDB would read them with (parquet, json) cannot be loaded, as in DuckDB-WASM 1.32 offline.
 */
async function javascriptLoader(session: Session, path: string): Promise<JavaScriptLoader | undefined> {
  const reader = readerFor(path);
  const name = path.toLowerCase();
  if (reader === 'read_parquet' && !/\.(gz|zst)$/.test(name)) return (await extensionLoads(session, 'parquet')) ? undefined : 'parquet';
  if (/\.(jsonl|ndjson)(\.gz)?$/.test(name)) return (await extensionLoads(session, 'json')) ? undefined : 'ndjson';
  return undefined;
}

/** The whole file at `url`, from the page's server (or wherever the URL points; the page's own fetch rules apply). */
async function download(url: string): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new QueryError(`${url} could not be fetched: ${messageOf(error)}.`);
  }
  if (!response.ok) throw new QueryError(`${url} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}: check the URL in the connector's tables option.`, { status: response.status });
  return response.blob();
}

/** Newline-delimited JSON (one object a line; `.gz` unpacked by the browser) as the text of one JSON array. */
async function ndjsonAsArray(file: Blob, label: string): Promise<string> {
  const gzipped = /\.gz$/i.test(displayName(label));
  const text = gzipped ? await new Response(file.stream().pipeThrough(new DecompressionStream('gzip'))).text() : await file.text();
  const lines: string[] = [];
  let number = 0;
  for (const line of text.split('\n')) {
    number++;
    const trimmed = line.trim();
    if (trimmed === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      throw new Error(`line ${number} is not JSON (${messageOf(error)})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`line ${number} is not a JSON object; each line must be one object, its row`);
    lines.push(trimmed);
  }
  return `[${lines.join(',\n')}]`;
}

/** A URL's or path's last segment, for messages. */
function displayName(label: string): string {
  return decodeURIComponent(label.replace(/[?#].*$/, '').split('/').pop() || label);
}

function uniqueFileName(engine: Engine, original: string): string {
  const clean = original.replace(/[^\w.-]/g, '_') || 'file';
  const dot = clean.indexOf('.', 1);
  const [stem, extension] = dot > 0 ? [clean.slice(0, dot), clean.slice(dot)] : [clean, ''];
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? clean : `${stem}_${n}${extension}`;
    if (!engine.files.has(candidate)) return candidate;
  }
}

/** Tries `LOAD <name>` once per engine: true when the extension's file was found in the extension repository. */
function extensionLoads(session: Session, name: string): Promise<boolean> {
  let loads = session.engine.extensions.get(name);
  if (!loads) {
    loads = session.conn.query(`LOAD ${name}`).then(
      () => true,
      () => false,
    );
    session.engine.extensions.set(name, loads);
  }
  return loads;
}

function extensionURL(engine: Engine, name: string): string {
  return `${engine.extensionRepository}/${engine.version}/${engine.platform}/${name}.duckdb_extension.wasm`;
}

function extensionHint(message: string, engine: Engine): string {
  const missing = (/required extension '(\w+)'/.exec(message) ?? /exists in the (\w+) extension/.exec(message) ?? /(\w+)\.duckdb_extension/.exec(message))?.[1];
  if (!missing) return '';
  const name = missing.toLowerCase();
  const url = extensionURL(engine, name);
  return (
    `\n\nThis needs DuckDB's '${name}' extension, which DuckDB-WASM does not build in: it loads it on first use from ` +
    `${url}, and that file is not there. Bento Lite works offline and never fetches extensions from the internet on ` +
    `its own: put the file at that URL, or set the connector's extensionRepository option (e.g. to https://extensions.duckdb.org).` +
    (READ_WITHOUT_EXTENSION[name] ?? '')
  );
}

/** What works without the extension: the files Bento Lite reads itself, once registered as tables. */
const READ_WITHOUT_EXTENSION: Record<string, string> = {
  parquet:
    `\n\nTo query a Parquet file without it, register the file as a table: list it in the connector's tables option ` +
    `(tables: { orders: 'data/orders.parquet' }) or drop it on the cell, then query the table by its name (SELECT * FROM orders). ` +
    `Writing Parquet (COPY ... TO) needs the extension itself.`,
  json:
    `\n\nTo query a JSON file without it (an array of objects, or one object a line in a .jsonl/.ndjson file), register ` +
    `the file as a table: list it in the connector's tables option (tables: { events: 'data/events.jsonl' }) or drop it on ` +
    `the cell, then query the table by its name.`,
};

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
