/**
 * The ClickHouse side of an upload (upload.ts), for servers as old as 18.16: no EXCHANGE TABLES, no DateTime64,
 * no transactions. What it relies on instead:
 * - each chunk has a table of its own (`bento_stage_<job>_c<n>`, MergeTree, the upload's columns), written by one
 *   `INSERT ... FORMAT Native` of one block: one part, which appears whole or not at all (Native carries the typed
 *   arrays as they are, floats exactly, where 18.16's text formats round some doubles, and declares its row count
 *   up front, so a body cut short is refused). The active parts' row counts in `system.parts` are the record of
 *   which chunks arrived. Every copy of a chunk's insert has the chunk's query id, so the server refuses a second
 *   copy while the first runs; one that arrives after it (a browser resends a POST whose connection broke before
 *   the answer) doubles the chunk's count, and uploadTable drops and writes such a chunk again before verifying.
 * - `create` and `replace` build the new table under a hidden name from the chunk tables' parts (`ATTACH PARTITION
 *   ... FROM` links them: no row is copied, 30 ms for a million rows where an `INSERT ... SELECT` took 250), check
 *   its count, then RENAME it in, and the old one out in the same statement: readers see the old table or the new
 *   one. ClickHouse keeps no row order without an ORDER BY, and an upload does not promise one either.
 * - `append` is one `INSERT ... SELECT` squashed into one block, so an unpartitioned target gets one new part (a
 *   partitioned one a part per partition, each whole). A ledger table records the target's row count first, and
 *   the insert only happens while the target still holds that count: sent twice, it appends once. Afterwards the
 *   target must hold that count plus the staged rows; if another writer changed it meanwhile the job stops and
 *   says so (its staged rows kept) rather than guess. Exactly once, then, holds while nobody else writes the
 *   target during the commit's few statements.
 * - every other statement is idempotent (IF [NOT] EXISTS), and a RENAME that fails is checked: if its source is
 *   gone and its destination there, an earlier copy of it did the work.
 * - every commit first writes the job's ledger (a one-row TinyLog table) and leaves it: with the staging tables
 *   gone, it is how `committed` knows that a job run again has nothing left to do.
 *
 * Types, ColumnTable → ClickHouse (a column with nulls becomes `Nullable(T)`):
 *
 * | column type          | ClickHouse                    | refused before writing                          |
 * |----------------------|-------------------------------|-------------------------------------------------|
 * | int8 … int64         | Int8 … Int64                  |                                                 |
 * | uint8 … uint64       | UInt8 … UInt64                |                                                 |
 * | float32, float64     | Float32, Float64              |                                                 |
 * | bool                 | UInt8 (0/1; 18.16 has no Bool)|                                                 |
 * | string (json too)    | String                        |                                                 |
 * | date                 | Date                          | days outside 1970-01-01 … 2105-12-31            |
 * | timestamp            | DateTime, or DateTime('zone') | fractions of a second; outside 1970 … 2105      |
 *
 * Under `append` the chunk tables still have these types; the server converts them to the target's columns in
 * the commit, and refuses (verbatim) a value a column cannot take. Target columns of a type no upload writes
 * (arrays, tuples, nested, aggregate states) are refused before writing.
 */
import { QueryError } from './connectors.ts';
import type { ClickHouseConnector } from './clickhouse.ts';
import type { ColumnSchema, ColumnTable, ColumnType } from './table.ts';
import { UploadError, type ColumnChecksum, type TableChecksum, type UploadPlan, type UploadSink } from './upload.ts';
import { countInWords } from '../util/words.ts';

const TYPES: Record<ColumnType, string> = {
  int8: 'Int8',
  int16: 'Int16',
  int32: 'Int32',
  int64: 'Int64',
  uint8: 'UInt8',
  uint16: 'UInt16',
  uint32: 'UInt32',
  uint64: 'UInt64',
  float32: 'Float32',
  float64: 'Float64',
  bool: 'UInt8',
  string: 'String',
  date: 'Date',
  timestamp: 'DateTime',
};

/** ClickHouse 18.16's calendar ends with 2105 (its date tables), though Date and DateTime could count further. */
const LAST_DAY = 49_672; // 2105-12-31
const LAST_SECOND = (LAST_DAY + 1) * 86_400 - 1;
/** One Native block is one part only up to max_insert_block_size rows (1 048 576 by default). */
const MAX_CHUNK_ROWS = 1_000_000;
/** Every chunk table's engine, and the new table's: ATTACH PARTITION ... FROM needs the same structure. */
const CHUNK_ENGINE = 'MergeTree ORDER BY tuple()';
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Target column types an upload cannot fill from a flat table. */
const UNWRITABLE = /^(Array|Tuple|Nested|Map|AggregateFunction|SimpleAggregateFunction|Nothing)\b/;
/**
 * Server errors worth trying again: timeouts, too many queries, network, memory, too many parts, a query with this id
 * still running (216), a query killed, a table locked.
 */
const TRANSIENT_CODES = new Set([159, 160, 202, 209, 210, 216, 241, 252, 394, 473]);
const HUGE = '1000000000000000000';
/** ClickHouse's "Table ... doesn't exist". */
const UNKNOWN_TABLE = 60;

const quoteName = (name: string) => `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
const quoteString = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

interface Names {
  database: string;
  target: string;
  /** Chunk `n`'s table. */
  chunk: (n: number) => string;
  /** Matches the names (unqualified) of the job's chunk tables. */
  chunkPattern: string;
  /** What the ids of the job's own statements start with (chunk inserts, the commit's fill or append). */
  queryPrefix: string;
  /** Every chunk table at once, as a FROM clause. */
  staged: string;
  building: string;
  final: string;
  old: string;
  ledger: string;
}

/** The upload seam of a ClickHouseConnector. */
export class ClickHouseUploads implements UploadSink {
  /** `murmurHash3_32` costs ClickHouse a quarter of `MD5` over a million short strings (35 ms against 130 ms). */
  readonly stringHash = 'murmur3';
  private database?: Promise<string>;
  /** Chunk tables being made (createStaging), by the chunk's query id. */
  private readonly creating = new Map<string, Promise<unknown>>();

  constructor(private readonly connector: ClickHouseConnector) {}

  async check(plan: UploadPlan, table: ColumnTable): Promise<void> {
    if (plan.chunkRows > MAX_CHUNK_ROWS) this.refuse(`chunkRows may be at most ${countInWords(MAX_CHUNK_ROWS)} for ClickHouse (one chunk is one insert block), not ${plan.chunkRows}.`);
    const parts = this.nameParts(plan);
    for (const column of plan.schema) {
      if (!column.name) this.refuse('A column has an empty name; ClickHouse needs a name for every column.');
      if (!TYPES[column.type]) this.refuse(`Column '${column.name}' is of type ${column.type}, which uploads to ClickHouse cannot write (they write ${Object.keys(TYPES).join(', ')}).`);
    }
    checkValues(table, (message) => this.refuse(message));
    // One question, not three: the database (the connector's when the target names none), whether it exists, and
    // whether the target does.
    const database = parts.length === 2 ? quoteString(parts[0]) : this.database ? quoteString(await this.database) : 'currentDatabase()';
    const { table: found } = await this.ask(
      `SELECT ${database}, (SELECT count() FROM system.databases WHERE name = ${database}), ` +
        `(SELECT count() FROM system.tables WHERE database = ${database} AND name = ${quoteString(parts.at(-1)!)})`,
    );
    if (parts.length === 1) this.database ??= Promise.resolve(String(found.value(0, 0)));
    const names = await this.names(plan);
    if (Number(found.value(0, 1)) === 0) this.refuse(`There is no database '${names.database}' on ${this.connector.label}; create it first or name another.`);
    const exists = Number(found.value(0, 2)) > 0;
    if (plan.mode === 'create' && exists) this.refuse(`The table ${names.target} exists already; upload with mode 'append' to add rows to it or 'replace' to replace it.`);
    if (plan.mode === 'append') {
      if (!exists) this.refuse(`The table ${names.target} does not exist; upload with mode 'create' to make it.`);
      const { table: columns } = await this.ask(
        `SELECT name, type FROM system.columns WHERE database = ${quoteString(names.database)} AND table = ${quoteString(plainName(plan.target))}`,
      );
      const types = new Map<string, string>();
      for (let row = 0; row < columns.numRows; row++) types.set(String(columns.value(row, 0)), String(columns.value(row, 1)));
      for (const column of plan.schema) {
        const type = types.get(column.name);
        if (type === undefined) this.refuse(`The table ${names.target} has no column '${column.name}' (it has ${[...types.keys()].map((n) => `'${n}'`).join(', ')}).`);
        if (UNWRITABLE.test(type!.replace(/^(Nullable|LowCardinality)\(/, ''))) {
          this.refuse(`Column '${column.name}' of ${names.target} is ${type}, a type uploads cannot write into; only plain values (numbers, strings, dates, times) can be appended.`);
        }
      }
    }
  }

  async createStaging(plan: UploadPlan): Promise<void> {
    // Every chunk's table up front, at once, so writing a chunk is one round trip. Only the first is waited for (it
    // marks the job as staged even when it has no rows: an empty upload makes an empty target); a chunk's write
    // waits for its own, as the server makes them one after another (~14 ms each, measured).
    const chunks = Math.max(1, Math.ceil(plan.totalRows / plan.chunkRows));
    const first = this.chunkTable(plan, 0);
    // After the first's request, which the server then takes first.
    for (let chunk = 1; chunk < chunks; chunk++) {
      const made = this.chunkTable(plan, chunk);
      made.catch(() => {}); // a chunk whose table is missing makes it as it is written
      this.creating.set(chunkQueryId(plan, chunk), made);
    }
    await first;
  }

  async stagedChunks(plan: UploadPlan): Promise<Map<number, number>> {
    const names = await this.names(plan);
    // The rows of the active parts: an insert's part appears whole when it is done, so a chunk in flight counts 0.
    const { table } = await this.ask(
      `SELECT name, sum(rows) FROM system.parts WHERE active AND database = ${quoteString(names.database)} AND match(table, ${quoteString(names.chunkPattern)}) ` +
        `GROUP BY table AS name`,
    );
    const chunks = new Map<number, number>();
    for (let row = 0; row < table.numRows; row++) chunks.set(chunkNumber(String(table.value(row, 0))), Number(table.value(row, 1)));
    return chunks;
  }

  async writeChunk(plan: UploadPlan, chunk: number, rows: ColumnTable, signal?: AbortSignal): Promise<number> {
    return this.writeEncodedChunk(plan, chunk, encodeChunk(plan, chunk, rows), signal);
  }

  /** Writes a chunk that `encodeChunk` made (the jobs worker encodes ahead, in a worker of its own). */
  async writeEncodedChunk(plan: UploadPlan, chunk: number, body: Blob, signal?: AbortSignal): Promise<number> {
    const names = await this.names(plan);
    await this.tableMade(plan, chunk);
    // The chunk's own query id: ClickHouse refuses a second copy (a retry, a browser's resend) while the first runs.
    const insert = () => this.run(`INSERT INTO ${names.chunk(chunk)} FORMAT Native`, { body, signal, queryId: chunkQueryId(plan, chunk) });
    try {
      await insert();
    } catch (error) {
      // Its table was dropped since createStaging (dropChunk, to write it again): made anew.
      if (serverCode(error) !== UNKNOWN_TABLE) throw error;
      await this.chunkTable(plan, chunk);
      await insert();
    }
    return body.size;
  }

  async dropChunk(plan: UploadPlan, chunk: number): Promise<void> {
    const names = await this.names(plan);
    await this.waitUntilFinished(chunkQueryId(plan, chunk));
    await this.run(`DROP TABLE IF EXISTS ${names.chunk(chunk)}`);
  }

  async stagedChecksum(plan: UploadPlan): Promise<TableChecksum> {
    const names = await this.names(plan);
    const parts = plan.schema.map((c) => `count(${quoteName(c.name)}), sum(${canonical(c)})`);
    const { table } = await this.ask(`SELECT count(), ${parts.join(', ')} FROM ${names.staged}`);
    const columns: ColumnChecksum[] = plan.schema.map((c, i) => ({
      name: c.name,
      nonNull: Number(table.value(0, 1 + 2 * i)),
      sum: BigInt((table.value(0, 2 + 2 * i) as bigint | null) ?? 0n), // a sum over nulls only is null
    }));
    return { rows: Number(table.value(0, 0)), columns };
  }

  async committed(plan: UploadPlan): Promise<boolean> {
    const names = await this.names(plan);
    // A closed page's last statements may still run on the server (its commit's RENAME, the chunk drops): the
    // tables are read once they have ended, or this would judge a commit half-way.
    await this.waitUntilFinished(names.queryPrefix, true);
    // Which of the job's tables exist, in one question rather than one round trip per table.
    const tables = await this.jobTables(names, plan);
    const has = (qualified: string) => tables.has(unqualified(qualified));
    if (!has(names.ledger) || (await this.count(names.ledger)) !== 1) return false;
    // An append moves the rows with one INSERT and then drops the chunk tables: those still there mean it may not
    // have run. Otherwise the ledger is written once the build table exists, and the build table becomes `final`
    // and then the target: with neither left, the rows were moved in (chunk tables left over are only litter).
    if (plan.mode === 'append' && chunkNumbers(tables, names).length > 0) return false;
    return !has(names.building) && !has(names.final);
  }

  async commit(plan: UploadPlan): Promise<void> {
    const names = await this.names(plan);
    if (plan.mode === 'append') {
      await this.append(plan, names);
      return;
    }
    // Every statement under the job's query id prefix, so a later run can wait until none of them still runs.
    const statement = () => `${names.queryPrefix}commit_${Math.random().toString(36).slice(2, 10)}`;
    const run = (sql: string) => this.run(sql, { queryId: statement() });
    // Which of the job's tables exist, in one question: each step below would otherwise ask, one round trip each.
    const tables = await this.jobTables(names, plan);
    const has = (qualified: string) => tables.has(unqualified(qualified));
    const chunks = chunkNumbers(tables, names);
    let final = has(names.final);
    if (chunks.length > 0 && !final) {
      // Built under another name from the chunks' own parts (ATTACH PARTITION ... FROM links them, nothing is
      // copied), and renamed when whole: `final` existing means it holds every row. A build cut short (a retry, an
      // ALTER the browser sent twice) is made again from the start, its ledger first: a ledger with neither the
      // build table nor `final` says the commit went through (committed()).
      const columns = plan.schema.map((c) => `${quoteName(c.name)} ${clickHouseType(c)}`).join(', ');
      if (has(names.building)) {
        await run(`DROP TABLE IF EXISTS ${names.ledger}`);
        await run(`DROP TABLE IF EXISTS ${names.building}`);
      }
      await run(`CREATE TABLE ${names.building} (${columns}) ENGINE = ${CHUNK_ENGINE}`);
      // At once: each is a few milliseconds on the server, and the round trips were most of the commit's time.
      const [staged] = await Promise.all([
        this.count(names.staged),
        this.writeLedger(names, 0n, plan.totalRows, has(names.ledger) && !has(names.building), statement),
        ...chunks.map((chunk) => run(`ALTER TABLE ${names.building} ATTACH PARTITION tuple() FROM ${names.chunk(chunk)}`)),
      ]);
      const built = await this.count(names.building);
      if (built !== staged) throw new UploadError(`${names.building} holds ${built} rows of ${staged} after it was filled; the commit will be tried again.`, { retryable: true });
      await this.rename(`${names.building} TO ${names.final}`, names.building, names.final, statement());
      final = true;
    } else if (final) {
      await this.writeLedger(names, 0n, plan.totalRows, has(names.ledger), statement);
    }
    if (!final) return;
    if (plan.mode === 'replace' && has(names.target)) {
      await this.rename(`${names.target} TO ${names.old}, ${names.final} TO ${names.target}`, names.final, names.target, statement());
      await run(`DROP TABLE IF EXISTS ${names.old}`);
    } else {
      // Under create, a table made by someone else meanwhile makes this fail: theirs stays.
      await this.rename(`${names.final} TO ${names.target}`, names.final, names.target, statement());
    }
    // The chunk tables hold nothing the new table needs (its parts are its own links): dropStaging removes them with
    // the ledger, once the outcome is recorded.
  }

  async dropStaging(plan: UploadPlan): Promise<void> {
    const names = await this.names(plan);
    // A table made after the listing below would be left behind.
    const made = [...this.creating.entries()].filter(([id]) => id.startsWith(chunkQueryId(plan, '')));
    await Promise.all(made.map(([id, making]) => making.then(() => this.creating.delete(id), () => this.creating.delete(id))));
    // Only what exists, at once: after a success that is the ledger alone, one statement.
    const tables = await this.jobTables(names, plan);
    if (chunkNumbers(tables, names).length > 0) await this.waitUntilFinished(names.queryPrefix, true);
    const job = [...tables].filter((name) => name !== plainName(plan.target));
    await Promise.all(job.map((name) => this.run(`DROP TABLE IF EXISTS ${quoteName(names.database)}.${quoteName(name)}`)));
  }

  /**
   * One guarded INSERT ... SELECT: it inserts only while the target holds the row count the ledger recorded, so the
   * same statement run twice (a retry after a lost answer, or the browser's own resend) appends once. The query id
   * is the job's, so ClickHouse refuses a second copy while the first still runs.
   */
  private async append(plan: UploadPlan, names: Names): Promise<void> {
    const queryId = `bento_upload_${plan.jobId}_append`;
    if ((await this.chunkTables(names)).length === 0) return;
    if (!(await this.exists(names.ledger)) || (await this.count(names.ledger)) !== 1) {
      await this.writeLedger(names, BigInt(await this.count(names.target)), await this.count(names.staged));
    } else {
      // An earlier try may still be running on the server.
      await this.waitUntilFinished(queryId);
    }
    const { table: ledger } = await this.ask(`SELECT target_rows, staged_rows FROM ${names.ledger}`);
    const before = BigInt(ledger.value(0, 0) as bigint);
    const staged = BigInt(ledger.value(0, 1) as bigint);
    const list = plan.schema.map((c) => quoteName(c.name)).join(', ');
    // One block: the squashing before the insert waits for this many rows or bytes, i.e. for all of them.
    await this.run(
      `INSERT INTO ${names.target} (${list}) SELECT ${list} FROM ${names.staged} WHERE (SELECT count() FROM ${names.target}) = ${before} ` +
        `SETTINGS min_insert_block_size_rows = ${HUGE}, min_insert_block_size_bytes = ${HUGE}`,
      { queryId },
    );
    const now = BigInt(await this.count(names.target));
    if (now !== before + staged) {
      throw new UploadError(
        `Cannot tell whether the rows of upload ${plan.jobId} were appended to ${names.target}: it held ${before} rows before, ${staged} were to be added, and it holds ${now} now (another writer meanwhile?). ` +
          `The staged rows are kept in the tables ${names.chunk(0)} and on, and the record in ${names.ledger}; check the table, then drop those.`,
        { ambiguous: true, jobId: plan.jobId },
      );
    }
    await this.dropChunkTables(names);
  }

  /** Makes chunk `chunk`'s table unless it exists; resolves with its qualified name. */
  private async chunkTable(plan: UploadPlan, chunk: number): Promise<string> {
    const names = await this.names(plan);
    const columns = plan.schema.map((c) => `${quoteName(c.name)} ${clickHouseType(c)}`);
    await this.run(`CREATE TABLE IF NOT EXISTS ${names.chunk(chunk)} (${columns.join(', ')}) ENGINE = ${CHUNK_ENGINE}`, { queryId: `${chunkQueryId(plan, chunk)}_create` });
    return names.chunk(chunk);
  }

  /** Settles once createStaging's statement for chunk `chunk`'s table has ended, however it ended. */
  private async tableMade(plan: UploadPlan, chunk: number): Promise<void> {
    const id = chunkQueryId(plan, chunk);
    await this.creating.get(id)?.catch(() => {});
    this.creating.delete(id);
  }

  /** The numbers of the job's chunk tables, in order. */
  private async chunkTables(names: Names): Promise<number[]> {
    const { table } = await this.ask(`SELECT name FROM system.tables WHERE database = ${quoteString(names.database)} AND match(name, ${quoteString(names.chunkPattern)})`);
    return chunkNumbers(new Set(Array.from({ length: table.numRows }, (_, row) => String(table.value(row, 0)))), names);
  }

  /** The (unqualified) names of the tables the job made, and the target's when it exists. */
  private async jobTables(names: Names, plan: UploadPlan): Promise<Set<string>> {
    const { table } = await this.ask(
      `SELECT name FROM system.tables WHERE database = ${quoteString(names.database)} AND (match(name, ${quoteString(`^bento_stage_${plan.jobId}_(c[0-9]+|building|final|old|ledger)$`)}) OR name = ${quoteString(plainName(plan.target))})`,
    );
    return new Set(Array.from({ length: table.numRows }, (_, row) => String(table.value(row, 0))));
  }

  private async dropChunkTables(names: Names): Promise<void> {
    // A cancelled lane's statements may still run on the server after the page gave up on them (a chunk table made
    // after this listed the tables would stay): every statement of the job ends first.
    await this.waitUntilFinished(names.queryPrefix, true);
    await Promise.all((await this.chunkTables(names)).map((chunk) => this.run(`DROP TABLE IF EXISTS ${names.chunk(chunk)}`)));
  }

  /**
   * The job's ledger, made as its commit starts and kept after it (dropStaging removes it): the target's row count
   * before an append and the rows to add. With the staging tables gone, it says the commit went through.
   */
  private async writeLedger(names: Names, targetRows: bigint, stagedRows: number, exists?: boolean, statement?: () => string): Promise<void> {
    const present = exists ?? (await this.exists(names.ledger));
    if (present && (await this.count(names.ledger)) === 1) return;
    // Empty only when a crash came between its creation and its row: made again.
    if (present) await this.run(`DROP TABLE IF EXISTS ${names.ledger}`, { queryId: statement?.() });
    await this.run(`CREATE TABLE IF NOT EXISTS ${names.ledger} ENGINE = TinyLog AS SELECT toUInt64(${targetRows}) AS target_rows, toUInt64(${stagedRows}) AS staged_rows`, {
      queryId: statement?.(),
    });
  }

  /** RENAME TABLE, done once even when sent twice: a failure after which `from` is gone and `to` exists was a success. */
  private async rename(clause: string, from: string, to: string, queryId?: string): Promise<void> {
    try {
      await this.run(`RENAME TABLE ${clause}`, { queryId });
    } catch (error) {
      if ((await this.exists(from)) || !(await this.exists(to))) throw error;
    }
  }

  private async count(table: string): Promise<number> {
    return Number((await this.ask(`SELECT count() FROM ${table}`)).table.value(0, 0));
  }

  /** Waits until no query with id `queryId` runs on the server, or with an id starting with it when `prefix`. */
  private async waitUntilFinished(queryId: string, prefix = false): Promise<void> {
    const which = prefix ? `substring(query_id, 1, ${queryId.length}) = ${quoteString(queryId)}` : `query_id = ${quoteString(queryId)}`;
    for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
      const { table } = await this.ask(`SELECT count() FROM system.processes WHERE ${which}`);
      if (Number(table.value(0, 0)) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** Every name the job uses, qualified with the target's database (the connector's when the target names none). */
  private async names(plan: UploadPlan): Promise<Names> {
    const parts = this.nameParts(plan);
    if (parts.length === 1 && !this.database) {
      this.database = this.ask('SELECT currentDatabase()').then(({ table }) => String(table.value(0, 0)));
      // A failed question is asked again next time.
      this.database.catch(() => (this.database = undefined));
    }
    const database = parts.length === 2 ? parts[0] : await this.database!;
    const q = (name: string) => `${quoteName(database)}.${quoteName(name)}`;
    const job = `bento_stage_${plan.jobId}`;
    const chunkPattern = `^${job}_c[0-9]+$`;
    return {
      database,
      target: q(parts.at(-1)!),
      chunk: (n) => q(`${job}_c${n}`),
      chunkPattern,
      queryPrefix: `bento_upload_${plan.jobId}_`,
      staged: `merge(${quoteString(database)}, ${quoteString(chunkPattern)})`,
      building: q(`${job}_building`),
      final: q(`${job}_final`),
      old: q(`${job}_old`),
      ledger: q(`${job}_ledger`),
    };
  }

  /** The target's name as `[table]` or `[database, table]`; refuses a name an upload does not take. */
  private nameParts(plan: UploadPlan): string[] {
    const parts = plan.target.split('.');
    if (parts.length > 2 || !parts.every((p) => NAME.test(p) && p.length <= 200)) {
      this.refuse(`'${plan.target}' is not a table name an upload takes: use letters, digits and '_' (not first a digit), optionally after a database and a dot, e.g. 'analytics.trips'.`);
    }
    if (/^bento_stage_/i.test(parts.at(-1)!)) this.refuse(`'${plan.target}' is a name uploads keep for their staging tables; choose another.`);
    return parts;
  }

  private async exists(qualified: string): Promise<boolean> {
    const { table } = await this.ask(`EXISTS TABLE ${qualified}`);
    return Number(table.value(0, 0)) === 1;
  }

  private async ask(sql: string) {
    try {
      return await this.connector.query(sql);
    } catch (error) {
      throw classify(error);
    }
  }

  private async run(statement: string, options: { body?: Blob; queryId?: string; signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.connector.command(statement, options);
    } catch (error) {
      throw classify(error);
    }
  }

  private refuse(message: string): never {
    throw new UploadError(message, { retryable: false });
  }
}

/** A server error as an UploadError that says whether trying again may help; the rest stay QueryErrors. */
function classify(error: unknown): unknown {
  if (!(error instanceof QueryError)) return error;
  const code = /^Code: (\d+)/.exec(error.detail.serverMessage ?? '')?.[1];
  if (code === undefined) return error;
  return new UploadError(error.message, { ...error.detail, retryable: TRANSIENT_CODES.has(Number(code)) });
}

/** The number at the end of a chunk table's name (`bento_stage_<job>_c<n>`). */
function chunkNumber(table: string): number {
  return Number(table.slice(table.lastIndexOf('_c') + 2));
}

/** The numbers of the job's chunk tables among `tables` (unqualified names), in order. */
function chunkNumbers(tables: Set<string>, names: Names): number[] {
  const pattern = new RegExp(names.chunkPattern);
  return [...tables].filter((name) => pattern.test(name)).map(chunkNumber).sort((a, b) => a - b);
}

/** `db`.`name` → name (names here never hold a backtick). */
function unqualified(qualified: string): string {
  return qualified.slice(qualified.lastIndexOf('.') + 1).replace(/`/g, '');
}

/**
 * Chunk `chunk` of an upload as the body of its insert: one Native block. Refuses (UploadError) a value the mapping
 * cannot hold, again here since check() may have seen the schema only. A pure function of its arguments, so the
 * jobs worker runs it in another worker ahead of the chunk's write.
 */
export function encodeChunk(plan: Pick<UploadPlan, 'schema' | 'chunkRows'>, chunk: number, rows: ColumnTable): Blob {
  checkValues(rows, (message) => {
    throw new UploadError(message.replace(/ row (\d+):/, (_, row: string) => ` row ${chunk * plan.chunkRows + Number(row)}:`), { retryable: false });
  });
  return nativeBlock(plan.schema, rows);
}

/** ClickHouse's error code in a failure's server message, if any. */
function serverCode(error: unknown): number | undefined {
  const message = error instanceof UploadError || error instanceof QueryError ? error.detail.serverMessage : undefined;
  const code = /^Code: (\d+)/.exec(message ?? '')?.[1];
  return code === undefined ? undefined : Number(code);
}

/** The query id of chunk `chunk`'s insert: the same for every copy of it. */
/** The query id of chunk `chunk`'s statements (with `''`: what every chunk's starts with). */
function chunkQueryId(plan: UploadPlan, chunk: number | ''): string {
  return `bento_upload_${plan.jobId}_c${chunk}`;
}

function plainName(target: string): string {
  return target.split('.').at(-1)!;
}

function clickHouseType(column: ColumnSchema): string {
  let type = TYPES[column.type];
  if (column.type === 'timestamp' && column.timezone) type = `DateTime(${quoteString(column.timezone)})`;
  return column.nullable ? `Nullable(${type})` : type;
}

/** A ClickHouse expression of a column's canonical 64-bit form (upload.ts); `sum` of it wraps modulo 2⁶⁴. */
function canonical(column: ColumnSchema): string {
  const c = quoteName(column.name);
  switch (column.type) {
    case 'float32':
    case 'float64':
      return `if(isNaN(${c}), 9221120237041090560, reinterpretAsUInt64(reinterpretAsString(toFloat64(${c}))))`;
    case 'string':
      return `toUInt64(murmurHash3_32(${c}))`;
    case 'timestamp':
      return `toUInt64(${c}) * 1000000`;
    default:
      return `toUInt64(${c})`;
  }
}

/** Values the mapping above cannot hold, found before anything is written. */
function checkValues(table: ColumnTable, refuse: (message: string) => never): void {
  for (const column of table.columns) {
    const { values, valid } = column;
    if (column.type === 'date') {
      for (let row = 0; row < table.numRows; row++) {
        if (valid && !valid[row]) continue;
        const day = values[row] as number;
        if (day < 0 || day > LAST_DAY) refuse(`Column '${column.name}' row ${row + 1}: ClickHouse's Date holds 1970-01-01 to 2105-12-31, not ${isoDay(day)}.`);
      }
    } else if (column.type === 'timestamp') {
      // Through 32-bit halves, not a BigInt per row; exact for every value in range (below 2^53 µs).
      const words = new Int32Array(values.buffer, values.byteOffset, table.numRows * 2);
      const at = (row: number) => new Date(Number((values as BigInt64Array)[row] / 1000n)).toISOString();
      for (let row = 0; row < table.numRows; row++) {
        if (valid && !valid[row]) continue;
        const micros = words[2 * row + 1] * 4_294_967_296 + (words[2 * row] >>> 0);
        if (micros < 0 || micros > LAST_SECOND * 1_000_000) refuse(`Column '${column.name}' row ${row + 1}: ClickHouse's DateTime holds 1970 to 2105, not ${at(row)}.`);
        if (micros % 1_000_000 !== 0) {
          refuse(`Column '${column.name}' row ${row + 1}: ClickHouse's DateTime keeps whole seconds and this value has a fraction (${at(row)}); round the column to seconds first.`);
        }
      }
    }
  }
}

function isoDay(day: number): string {
  const date = new Date(day * 86_400_000);
  return Number.isNaN(date.getTime()) ? `day ${day}` : date.toISOString().slice(0, 10);
}

// --- Native format ------------------------------------------------------------------------------------------

const encoder = new TextEncoder();

function varint(value: number, out: number[] = []): number[] {
  let n = value;
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function nativeString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(text);
  return Uint8Array.from([...varint(bytes.length), ...bytes]);
}

/**
 * One Native block (ClickHouse's columnar wire format as the HTTP interface reads it): the column and row counts as
 * varints, then per column its name, its type and its values — fixed-width values as little-endian arrays, strings
 * as a varint length and the bytes, a Nullable column's null map (1 = null) before its values.
 */
export function nativeBlock(schema: readonly ColumnSchema[], rows: ColumnTable): Blob {
  const n = rows.numRows;
  const parts: BlobPart[] = [Uint8Array.from(varint(schema.length)), Uint8Array.from(varint(n))];
  schema.forEach((column, index) => {
    const data = rows.columns[index];
    parts.push(nativeString(column.name), nativeString(clickHouseType(column)));
    if (column.nullable) {
      const nulls = new Uint8Array(n);
      if (data.valid) for (let row = 0; row < n; row++) nulls[row] = data.valid[row] ? 0 : 1;
      parts.push(nulls);
    }
    const values = data.values;
    switch (column.type) {
      case 'string': {
        const offsets = data.offsets!;
        const bytes = values as Uint8Array;
        const out = new Uint8Array(offsets[n] - offsets[0] + 5 * n);
        let at = 0;
        for (let row = 0; row < n; row++) {
          let length = offsets[row + 1] - offsets[row];
          while (length >= 0x80) {
            out[at++] = (length & 0x7f) | 0x80;
            length >>>= 7;
          }
          out[at++] = length;
          const start = offsets[row];
          const end = offsets[row + 1];
          // Short strings byte by byte: a subarray per row (a new view object each) cost more than the copy.
          if (end - start < 64) for (let i = start; i < end; i++) out[at++] = bytes[i];
          else {
            out.set(bytes.subarray(start, end), at);
            at += end - start;
          }
        }
        parts.push(out.subarray(0, at));
        break;
      }
      case 'bool':
        parts.push(Uint8Array.from(values as Uint8Array, (v) => (v ? 1 : 0)));
        break;
      case 'date':
        parts.push(new Uint16Array(values as Int32Array));
        break;
      case 'timestamp': {
        // Through 32-bit halves: a BigInt per row would dominate the encoding. Values are whole seconds ≥ 0 (checked).
        const words = new Uint32Array(values.buffer, values.byteOffset, n * 2);
        const seconds = new Uint32Array(n);
        for (let row = 0; row < n; row++) seconds[row] = Math.round((words[2 * row + 1] * 4_294_967_296 + words[2 * row]) / 1_000_000);
        parts.push(seconds);
        break;
      }
      default:
        parts.push(new Uint8Array(values.buffer as ArrayBuffer, values.byteOffset, values.byteLength));
    }
  });
  return new Blob(parts);
}
