import { expect } from '@open-wc/testing';
import {
  Bool,
  DateMillisecond,
  Float16,
  Int32,
  LargeUtf8,
  makeData,
  makeVector,
  Table,
  TimestampMillisecond,
  TimestampNanosecond,
  TimestampSecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { arrowToTable, recordBatchToTable } from '../../src/data/arrow.ts';
import { getConnector, QueryError, registerConnector, unregisterConnector, type Connector, type QueryResult } from '../../src/data/connectors.ts';
import type { ColumnTable } from '../../src/data/table.ts';
import type * as BentoLite from '../../src/index.ts';

// DuckDB-WASM straight from node_modules, as a host page would serve it: no CDN, no network.
const bundleURL = '/node_modules/@duckdb/duckdb-wasm/dist/';
const fixtureURL = (name: string) => new URL(`/test/data/fixtures/${name}`, location.href).href;
/** A query that would run for hours: only a working cancel lets the next query through. */
const ENDLESS = 'SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b';

async function rejection(promise: Promise<unknown>): Promise<QueryError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(QueryError);
    return error as QueryError;
  }
  throw new Error('Expected the promise to reject');
}

/** Column `name` of `table`, every row as JavaScript shows it. */
function values(table: ColumnTable, name: string): unknown[] {
  const index = table.columnNames.indexOf(name);
  expect(index, `column ${name}`).to.be.at.least(0);
  return Array.from({ length: table.numRows }, (_, row) => table.value(row, index));
}

function rows(table: ColumnTable): unknown[][] {
  return Array.from({ length: table.numRows }, (_, row) => table.columns.map((_c, col) => table.value(row, col)));
}

function workerRequests(): number {
  return performance.getEntriesByType('resource').filter((e) => e.name.includes('duckdb-browser-')).length;
}

/** Whether the page has requested a URL containing `fragment` (modules and chunks included). */
function requested(fragment: string): boolean {
  return performance.getEntriesByType('resource').some((e) => e.name.includes(fragment));
}

// DuckDB-WASM and apache-arrow are hundreds of modules in the dev server: keep every entry, not the first 250.
performance.setResourceTimingBufferSize(100_000);

async function fixtureFile(name: string, as = name): Promise<File> {
  return new File([await (await fetch(fixtureURL(name))).blob()], as);
}

async function gzipped(text: string): Promise<Blob> {
  return new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))).blob();
}

/** `SELECT column_name, data_type` of a table, in order. */
async function columnTypes(connector: Connector, table: string): Promise<string[][]> {
  const { table: result } = await connector.query(
    `SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = current_database() AND table_name = '${table}' ORDER BY ordinal_position`,
  );
  return rows(result) as string[][];
}

describe('duckdb connector (DuckDB-WASM in a worker)', () => {
  let db: Connector;

  before(async () => {
    registerConnector({
      name: 'test-duckdb',
      kind: 'duckdb',
      options: { bundleURL, tables: { cities: 'test/data/fixtures/cities.csv', events: 'test/data/fixtures/events.json' } },
    });
    db = await getConnector('test-duckdb');
  });
  after(() => unregisterConnector('test-duckdb'));

  it('loads nothing until the first query', async () => {
    expect(globalThis.crossOriginIsolated === true).to.equal((globalThis as { __bentoExpectIsolated?: boolean }).__bentoExpectIsolated === true);
    expect(db.kind).to.equal('duckdb');
    expect(db.label).to.equal('DuckDB (in browser)');
    expect(workerRequests()).to.equal(0);
    const { table } = await db.query('SELECT 42 AS answer');
    expect(rows(table)).to.deep.equal([[42]]);
    expect(workerRequests()).to.equal(1);
    // Its tables are CSV and JSON: the Parquet reader is not needed, and not loaded.
    expect(requested('/src/data/parquet.ts')).to.be.false;
    expect(requested('/hyparquet')).to.be.false;
  });

  it('keeps every column type, with nulls', async () => {
    const { table } = await db.query(`
      SELECT * FROM (VALUES
        (1::TINYINT, 2::SMALLINT, 3::INTEGER, 9007199254740993::BIGINT, 255::UTINYINT, 65535::USMALLINT, 4294967295::UINTEGER,
         18446744073709551615::UBIGINT, 1.5::FLOAT, 2.25::DOUBLE, true, 'héllo wörld 🦆', DATE '2024-02-29',
         TIMESTAMP '2024-02-29 12:34:56.789012', TIMESTAMPTZ '2024-02-29 12:34:56+00', 12.34::DECIMAL(10,2), -170141183460469231731687303715884105727::HUGEINT,
         INTERVAL 1 DAY + INTERVAL 3 MONTH + INTERVAL 5 SECOND, [1, 2], {'a': 1, 'b': 'x'}, MAP {'k': 'v'}, '\\xAAb'::BLOB, TIME '12:34:56.5'),
        (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        (-128, -32768, -2147483648, -9223372036854775808, 0, 0, 0, 0, -0.25, -1e300, false, '', DATE '1969-12-31',
         TIMESTAMP '1969-12-31 23:59:59.999999', TIMESTAMPTZ '1970-01-01 00:00:00+00', -0.01, 0, INTERVAL 0 SECOND, [], {'a': NULL, 'b': 'it''s'}, MAP {}, ''::BLOB, TIME '00:00:00')
      ) AS t(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, flag, text, day, ts, tstz, dec, huge, span, list, struct, map, blob, clock)`);
    expect(table.numRows).to.equal(3);
    expect(table.schema.map((c) => [c.name, c.type])).to.deep.equal([
      ['i8', 'int8'],
      ['i16', 'int16'],
      ['i32', 'int32'],
      ['i64', 'int64'],
      ['u8', 'uint8'],
      ['u16', 'uint16'],
      ['u32', 'uint32'],
      ['u64', 'uint64'],
      ['f32', 'float32'],
      ['f64', 'float64'],
      ['flag', 'bool'],
      ['text', 'string'],
      ['day', 'date'],
      ['ts', 'timestamp'],
      ['tstz', 'timestamp'],
      ['dec', 'float64'],
      ['huge', 'float64'],
      ['span', 'string'],
      ['list', 'string'],
      ['struct', 'string'],
      ['map', 'string'],
      ['blob', 'string'],
      ['clock', 'string'],
    ]);
    expect(table.schema.every((c) => c.nullable)).to.be.true;
    expect(table.column('i64')!.sourceType).to.equal('Int64');
    expect(table.column('dec')!.sourceType).to.equal('Decimal[10e+2]');

    expect(values(table, 'i8')).to.deep.equal([1, null, -128]);
    expect(values(table, 'i16')).to.deep.equal([2, null, -32768]);
    expect(values(table, 'i32')).to.deep.equal([3, null, -2147483648]);
    expect(values(table, 'i64')).to.deep.equal([9007199254740993n, null, -9223372036854775808n]);
    expect(values(table, 'u8')).to.deep.equal([255, null, 0]);
    expect(values(table, 'u16')).to.deep.equal([65535, null, 0]);
    expect(values(table, 'u32')).to.deep.equal([4294967295, null, 0]);
    expect(values(table, 'u64')).to.deep.equal([18446744073709551615n, null, 0n]);
    expect(values(table, 'f32')).to.deep.equal([1.5, null, -0.25]);
    expect(values(table, 'f64')).to.deep.equal([2.25, null, -1e300]);
    expect(values(table, 'flag')).to.deep.equal([true, null, false]);
    expect(values(table, 'text')).to.deep.equal(['héllo wörld 🦆', null, '']);
    expect(values(table, 'dec')).to.deep.equal([12.34, null, -0.01]);
    expect(values(table, 'huge')).to.deep.equal([-1.7014118346046923e38, null, 0]);

    // Dates and timestamps are instants: days and microseconds since 1970-01-01 UTC.
    expect(values(table, 'day')).to.deep.equal([new Date(Date.UTC(2024, 1, 29)), null, new Date(Date.UTC(1969, 11, 31))]);
    const ts = table.column('ts')!;
    expect(ts.values[0]).to.equal(BigInt(Date.UTC(2024, 1, 29, 12, 34, 56, 789)) * 1000n + 12n);
    expect(ts.values[2]).to.equal(-1n);
    expect(ts.timezone).to.be.undefined;
    const tstz = table.column('tstz')!;
    expect(tstz.timezone).to.equal('UTC');
    expect(values(table, 'tstz')).to.deep.equal([new Date(Date.UTC(2024, 1, 29, 12, 34, 56)), null, new Date(0)]);

    // Types without a columnar layout arrive as readable text.
    expect(values(table, 'span')).to.deep.equal(['3 months 1 day 00:00:05', null, '00:00:00']);
    expect(values(table, 'list')).to.deep.equal(['[1, 2]', null, '[]']);
    expect(values(table, 'struct')).to.deep.equal(["{'a': 1, 'b': 'x'}", null, "{'a': NULL, 'b': 'it''s'}"]);
    expect(values(table, 'map')).to.deep.equal(["{'k'='v'}", null, '{}']);
    expect(values(table, 'blob')).to.deep.equal(['\\xAAb', null, '']);
    expect(values(table, 'clock')).to.deep.equal(['12:34:56.5', null, '00:00:00']);

    // The layout the kernels rely on: a null is a 0 (or an empty string) with valid[row] = 0.
    const text = table.column('text')!;
    expect(Array.from(text.valid!)).to.deep.equal([1, 0, 1]);
    expect(Array.from(text.offsets!)).to.deep.equal([0, 18, 18, 18]);
    expect(Array.from(table.column('i32')!.values as Int32Array)).to.deep.equal([3, 0, -2147483648]);
    expect(Array.from(table.column('flag')!.values as Uint8Array)).to.deep.equal([1, 0, 0]);
  });

  it('names columns uniquely and keeps the schema of an empty result', async () => {
    const { table } = await db.query('SELECT 1 AS a, 2 AS a, 3 AS b WHERE false');
    expect(table.numRows).to.equal(0);
    expect(table.columnNames).to.deep.equal(['a', 'a_1', 'b']);
    expect(table.schema.map((c) => c.type)).to.deep.equal(['int32', 'int32', 'int32']);
  });

  it('reads a CSV table given by URL in options.tables', async () => {
    const { table } = await db.query('SELECT city, population, founded FROM cities ORDER BY population DESC');
    expect(rows(table)).to.deep.equal([
      ['São Paulo', 12325232n, new Date(Date.UTC(1554, 0, 25))],
      ['Kyoto', 1463723n, new Date(Date.UTC(794, 10, 18))],
      ['Zürich', 421878n, new Date(Date.UTC(1218, 0, 1))],
      ['Reykjavík', 131136n, null],
    ]);
  });

  it('reads a file a query names by URL', async () => {
    const { table } = await db.query(`SELECT count(*) AS n, max(country) AS last FROM '${fixtureURL('cities.csv')}'`);
    expect(rows(table)).to.deep.equal([[4n, 'JP']]);
  });

  it('reads a JSON table offline with DuckDB-WASM’s own JSON reader', async () => {
    const { table } = await db.query('SELECT id, kind, score, ok, "at" FROM events ORDER BY id');
    expect(rows(table)).to.deep.equal([
      [1, 'click', 0.5, true, new Date('2024-03-01T10:00:00Z')],
      [2, 'view', null, false, new Date('2024-03-01T10:05:00Z')],
      [3, null, 2.25, true, new Date('2024-03-02T08:30:00Z')],
    ]);
  });

  it('says that SQL cannot read Parquet or JSON files itself offline, and how to register them, without hanging', async () => {
    const extension = `${new URL(bundleURL, location.href).href}extensions/v1.4.3/wasm_eh/parquet.duckdb_extension.wasm`;
    for (const sql of [`SELECT * FROM read_parquet('${fixtureURL('orders.parquet')}')`, `SELECT * FROM '${fixtureURL('orders.parquet')}'`, `COPY (SELECT 1 AS x) TO 'out.parquet' (FORMAT parquet)`]) {
      const error = await rejection(db.query(sql));
      expect(error.detail.serverMessage).to.contain("Extension Autoloading Error: An error occurred while trying to automatically install the required extension 'parquet'");
      expect(error.message).to.match(/^DuckDB: Extension Autoloading Error/);
      expect(error.message).to.contain(error.detail.serverMessage);
      expect(error.message).to.contain(`This needs DuckDB's 'parquet' extension, which DuckDB-WASM does not build in`);
      expect(error.message).to.contain(extension);
      expect(error.message).to.contain('extensionRepository');
      expect(error.message).to.contain("To query a Parquet file without it, register the file as a table: list it in the connector's tables option");
      expect(error.message).to.contain('or drop it on the cell, then query the table by its name');
    }
    // JSON through SQL needs the json extension too; whole-file tables (options.tables, dropped files) work without it.
    const json = await rejection(db.query(`SELECT * FROM read_json_auto('${fixtureURL('events.json')}')`));
    expect(json.message).to.contain("This needs DuckDB's 'json' extension");
    expect(json.message).to.contain('To query a JSON file without it (an array of objects, or one object a line in a .jsonl/.ndjson file), register the file as a table');
    expect(rows((await db.query('SELECT 1 AS still_fine')).table)).to.deep.equal([[1]]);
  });

  describe('Parquet and newline-delimited JSON, read in JavaScript', () => {
    let files: Connector;

    before(async () => {
      registerConnector({
        name: 'test-files',
        kind: 'duckdb',
        options: {
          bundleURL,
          tables: { orders: 'test/data/fixtures/orders.parquet', types: 'test/data/fixtures/types.parquet', log: 'test/data/fixtures/events.jsonl' },
        },
      });
      files = await getConnector('test-files');
    });
    after(() => unregisterConnector('test-files'));

    it('reads a Parquet table given by URL in options.tables (written by pyarrow)', async () => {
      const { table } = await files.query('SELECT * FROM orders ORDER BY id');
      expect(table.schema.map((c) => [c.name, c.type, c.nullable])).to.deep.equal([
        ['id', 'int64', false],
        ['name', 'string', true],
        ['amount', 'float64', true],
      ]);
      expect(rows(table)).to.deep.equal([
        [1n, 'alpha', 1.5],
        [2n, null, 2.5],
        [3n, 'gamma', null],
      ]);
      expect(await columnTypes(files, 'orders')).to.deep.equal([
        ['id', 'BIGINT'],
        ['name', 'VARCHAR'],
        ['amount', 'DOUBLE'],
      ]);
      // The reader came in as a module of its own, when the first Parquet table was made; these files need no codec.
      expect(requested('/src/data/parquet.ts')).to.be.true;
      expect(requested('/src/data/parquet-compressors.ts')).to.be.false;
    });

    it('keeps the types DuckDB’s own Parquet reader gives (written by DuckDB, Snappy)', async () => {
      // What native DuckDB's read_parquet says of this file, but for UUID, which arrives as its text.
      expect(await columnTypes(files, 'types')).to.deep.equal([
        ['i64', 'BIGINT'],
        ['u64', 'UBIGINT'],
        ['i32', 'INTEGER'],
        ['i16', 'SMALLINT'],
        ['i8', 'TINYINT'],
        ['u8', 'UTINYINT'],
        ['f32', 'FLOAT'],
        ['f64', 'DOUBLE'],
        ['flag', 'BOOLEAN'],
        ['text', 'VARCHAR'],
        ['day', 'DATE'],
        ['ts', 'TIMESTAMP'],
        ['tstz', 'TIMESTAMP WITH TIME ZONE'],
        ['ts_ms', 'TIMESTAMP'],
        ['ts_ns', 'TIMESTAMP_NS'],
        ['dec', 'DECIMAL(10,2)'],
        ['dec38', 'DECIMAL(38,10)'],
        ['blob', 'BLOB'],
        ['tags', 'VARCHAR[]'],
        ['point', 'STRUCT(x DOUBLE, "label" VARCHAR)'],
        ['attrs', 'MAP(VARCHAR, INTEGER)'],
        ['clock', 'TIME'],
        ['id', 'VARCHAR'],
      ]);
      const { table } = await files.query('SELECT * FROM types ORDER BY rowid');
      expect(table.numRows).to.equal(3);
      expect(values(table, 'i64')).to.deep.equal([9007199254740993n, null, -9223372036854775808n]);
      expect(values(table, 'u64')).to.deep.equal([18446744073709551615n, null, 0n]);
      expect(values(table, 'i32')).to.deep.equal([2147483647, null, -2147483648]);
      expect(values(table, 'i16')).to.deep.equal([-32768, null, 32767]);
      expect(values(table, 'i8')).to.deep.equal([-128, null, 127]);
      expect(values(table, 'u8')).to.deep.equal([255, null, 0]);
      expect(values(table, 'f32')).to.deep.equal([1.5, null, -0.25]);
      expect(values(table, 'f64')).to.deep.equal([2.25, null, -1e300]);
      expect(values(table, 'flag')).to.deep.equal([true, null, false]);
      expect(values(table, 'text')).to.deep.equal(['héllo wörld 🦆', null, '']);
      expect(values(table, 'day')).to.deep.equal([new Date(Date.UTC(2024, 1, 29)), null, new Date(Date.UTC(1969, 11, 31))]);
      // Timestamps to the microsecond, before 1970 too; nanoseconds floored to microseconds by the Arrow conversion.
      const micros = (ms: number, extra = 0n) => BigInt(ms) * 1000n + extra;
      expect(Array.from(table.column('ts')!.values as BigInt64Array)).to.deep.equal([micros(Date.UTC(2024, 1, 29, 12, 34, 56, 789), 12n), 0n, -1n]);
      expect(Array.from(table.column('ts_ms')!.values as BigInt64Array)).to.deep.equal([micros(Date.UTC(2024, 1, 29, 12, 34, 56, 789)), 0n, -1000n]);
      expect(Array.from(table.column('ts_ns')!.values as BigInt64Array)).to.deep.equal([micros(Date.UTC(2024, 1, 29, 12, 34, 56, 123), 456n), 0n, -1n]);
      expect(table.column('ts')!.timezone).to.be.undefined;
      expect(table.column('tstz')!.timezone).to.equal('UTC');
      expect(values(table, 'tstz')).to.deep.equal([new Date(Date.UTC(2024, 1, 29, 12, 34, 56, 500)), null, new Date(0)]);
      expect(values(table, 'ts').map((v) => v === null)).to.deep.equal([false, true, false]);
      expect(values(table, 'dec')).to.deep.equal([12.34, null, -0.01]);
      expect(values(table, 'blob')).to.deep.equal(['\\xAAb', null, '']);
      expect(values(table, 'tags')).to.deep.equal(["['a', NULL, 'c']", null, '[]']);
      expect(values(table, 'point')).to.deep.equal(["{'x': 1.5, 'label': 'p'}", null, "{'x': NULL, 'label': NULL}"]);
      expect(values(table, 'attrs')).to.deep.equal(["{'k'=1, 'j'=NULL}", null, '{}']);
      expect(values(table, 'clock')).to.deep.equal(['12:34:56.5', null, '00:00:00']);
      expect(values(table, 'id')).to.deep.equal(['123e4567-e89b-12d3-a456-426614174000', null, '00000000-0000-0000-0000-000000000000']);

      // Exact where a double would not be, and queryable as DuckDB's own types.
      const { table: exact } = await files.query(`
        SELECT dec38::VARCHAR AS d, i64 + 1 AS next, tags[3] AS third, len(tags) AS n, point.label AS label, attrs['k'] AS k,
               typeof(ts_ns) AS ns, epoch_ns(ts_ns) AS nanos
        FROM types WHERE i64 IS NOT NULL ORDER BY i64 DESC`);
      expect(rows(exact)).to.deep.equal([
        ['12345678901234567890.0123456789', 9007199254740994n, 'c', 3n, 'p', 1, 'TIMESTAMP_NS', 1709210096123456789n],
        ['-0.0000000001', -9223372036854775807n, null, 0n, null, null, 'TIMESTAMP_NS', -1n],
      ]);
    });

    it('reads every row group of a ZSTD-compressed file, loading the codecs only then', async () => {
      expect(requested('/src/data/parquet-compressors.ts')).to.be.false;
      const name = await files.registerFile!(await fixtureFile('readings.parquet'));
      expect(name).to.equal('readings');
      expect(requested('/src/data/parquet-compressors.ts')).to.be.true;
      const { table } = await files.query(`
        SELECT count(*) AS n, count(value) AS measured, sum(n) AS total, max(value) AS top, count(DISTINCT sensor) AS sensors,
               min("at") AS first, max("at") AS last
        FROM readings`);
      expect(rows(table)).to.deep.equal([[5000n, 4995n, 12497500, 2499.5, 3n, new Date('2024-01-01T00:00:00Z'), new Date(Date.UTC(2024, 0, 1) + 4999_000)]]);
      const { table: some } = await files.query('SELECT n, sensor, value FROM readings WHERE n IN (7, 2047, 2048, 4999) ORDER BY n');
      expect(rows(some)).to.deep.equal([
        [7n, 'sensor 1', null],
        [2047n, 'sensor 1', 1023.5],
        [2048n, 'sensor 2', 1024],
        [4999n, 'sensor 1', 2499.5],
      ]);
    });

    it('makes a dropped Parquet file a table, with the same values and types as through tables', async () => {
      const name = await db.registerFile!(await fixtureFile('orders.parquet'));
      expect(name).to.equal('orders');
      const { table } = await db.query(`SELECT * FROM ${name} ORDER BY id`);
      expect(table.schema.map((c) => [c.name, c.type])).to.deep.equal([
        ['id', 'int64'],
        ['name', 'string'],
        ['amount', 'float64'],
      ]);
      expect(rows(table)).to.deep.equal([
        [1n, 'alpha', 1.5],
        [2n, null, 2.5],
        [3n, 'gamma', null],
      ]);
      const types = await db.registerFile!(await fixtureFile('types.parquet', 'All Types.parquet'));
      expect(types).to.equal('All_Types');
      expect(rows((await db.query(`SELECT i64, ts, tstz FROM ${types} WHERE i64 > 0`)).table)).to.deep.equal([
        [9007199254740993n, new Date(Date.UTC(2024, 1, 29, 12, 34, 56, 789)), new Date(Date.UTC(2024, 1, 29, 12, 34, 56, 500))],
      ]);
      expect(await db.registerFile!(await fixtureFile('orders.parquet'))).to.equal('orders_2');
      expect(rows((await db.query('SELECT count(*) AS n FROM orders_2')).table)).to.deep.equal([[3n]]);
    });

    it('reads newline-delimited JSON, by URL and dropped, gzipped too', async () => {
      const { table } = await files.query('SELECT id, kind, score, ok, "at" FROM log ORDER BY id');
      expect(rows(table)).to.deep.equal([
        [1, 'click', 0.5, true, new Date('2024-03-01T10:00:00Z')],
        [2, 'view', null, false, new Date('2024-03-01T10:05:00Z')],
        [3, null, 2.25, true, new Date('2024-03-02T08:30:00Z')],
      ]);
      const lines = '{"k": "a", "v": 1}\r\n{"k": "b", "v": 2, "extra": true}\n';
      const plain = await db.registerFile!(new File([lines], 'lines.ndjson'));
      expect(plain).to.equal('lines');
      expect(rows((await db.query(`SELECT k, v FROM ${plain} ORDER BY v`)).table)).to.deep.equal([
        ['a', 1],
        ['b', 2],
      ]);
      const packed = await db.registerFile!(new File([await gzipped(lines)], 'lines.jsonl.gz'));
      expect(packed).to.equal('lines_2');
      expect(rows((await db.query(`SELECT count(*) AS n, sum(v) AS total FROM ${packed}`)).table)).to.deep.equal([[2n, 3]]);
    });

    it('says which file could not be read and why, and leaves no table behind', async () => {
      const broken = await rejection(db.registerFile!(new File(['id,name\n1,a\n'], 'broken.parquet')));
      expect(broken.message).to.equal("'broken.parquet' could not be read as Parquet: parquet file invalid (footer != PAR1).");
      expect(broken.detail).to.include({ connector: 'test-duckdb', serverMessage: 'parquet file invalid (footer != PAR1)' });
      const truncated = await rejection(db.registerFile!(new File([(await (await fixtureFile('types.parquet')).arrayBuffer()).slice(0, 2000)], 'cut.parquet')));
      expect(truncated.message).to.match(/^'cut\.parquet' could not be read as Parquet: /);

      const lines = await rejection(db.registerFile!(new File(['{"a": 1}\n{"a": 2,}\n'], 'bad.jsonl')));
      expect(lines.message).to.match(/^'bad\.jsonl' could not be read as newline-delimited JSON: line 2 is not JSON \(.+\)\.$/);
      const array = await rejection(db.registerFile!(new File(['{"a": 1}\n[1, 2]\n'], 'rows.jsonl')));
      expect(array.message).to.equal("'rows.jsonl' could not be read as newline-delimited JSON: line 2 is not a JSON object; each line must be one object, its row.");

      // Damaged near its end (inside the last row group: the footer, the last 8 + n bytes, is intact), after two
      // row groups went into DuckDB: the half-made table is dropped.
      const bytes = new Uint8Array(await (await fixtureFile('readings.parquet')).arrayBuffer());
      const footer = bytes.length - 8 - new DataView(bytes.buffer).getInt32(bytes.length - 8, true);
      bytes.fill(0xff, footer - 700, footer - 300);
      const damaged = await rejection(db.registerFile!(new File([bytes], 'damaged.parquet')));
      expect(damaged.message).to.equal("'damaged.parquet' could not be read as Parquet: column 'at': invalid zstd data.");

      // No half-made table took the names.
      expect(await db.registerFile!(new File(['x\n1\n'], 'damaged.csv'))).to.equal('damaged');
      expect(await db.registerFile!(new File(['x\n1\n'], 'broken.csv'))).to.equal('broken');
      expect(await db.registerFile!(new File(['x\n1\n'], 'bad.csv'))).to.equal('bad');
      expect(rows((await db.query('SELECT 1 AS fine')).table)).to.deep.equal([[1]]);
    });

    it('names the table and URL when a Parquet table of options.tables cannot be loaded', async () => {
      registerConnector({ name: 'test-missing', kind: 'duckdb', options: { bundleURL, tables: { gone: 'test/data/fixtures/nowhere.parquet' } } });
      try {
        const error = await rejection((await getConnector('test-missing')).query('SELECT * FROM gone'));
        expect(error.message).to.equal(
          `Table 'gone' of the DuckDB connector 'test-missing' (test/data/fixtures/nowhere.parquet) could not be loaded. ` +
            `${fixtureURL('nowhere.parquet')} answered 404 Not Found: check the URL in the connector's tables option.`,
        );
        expect(error.detail).to.include({ connector: 'test-missing', status: 404 });
      } finally {
        unregisterConnector('test-missing');
      }
    });
  });

  it('makes a dropped file queryable under a unique, sanitised name', async () => {
    const sales = new File(['region,amount\nnorth,10\nsouth,32\n'], 'sales.csv', { type: 'text/csv' });
    const name = await db.registerFile!(sales);
    expect(name).to.equal('sales');
    expect(rows((await db.query(`SELECT sum(amount) AS total, count(*) AS n FROM ${name}`)).table)).to.deep.equal([[42, 2n]]); // SUM(BIGINT) is a HUGEINT: a float64 here
    // Quoted works too: DuckDB looks a quoted name up as a table before it tries it as a file.
    expect(rows((await db.query(`SELECT region FROM '${name}' ORDER BY amount`)).table)).to.deep.equal([['north'], ['south']]);

    const again = await db.registerFile!(new File(['region,amount\neast,1\n'], 'sales.csv'));
    expect(again).to.equal('sales_2');
    expect(rows((await db.query(`SELECT (SELECT count(*) FROM sales) AS a, (SELECT count(*) FROM sales_2) AS b`)).table)).to.deep.equal([[2n, 1n]]);

    expect(await db.registerFile!(new File(['x\n1\n'], 'Q3 report (final).csv'))).to.equal('Q3_report__final_');
    expect(await db.registerFile!(new File(['x\n1\n'], '2024.csv'))).to.equal('t_2024');
    expect(await db.registerFile!(new File(['x\n1\n'], 'select.csv'))).to.equal('select_file');
    const json = await db.registerFile!(new File(['[{"k": "a", "v": 1}, {"k": "b", "v": 2}]'], 'pairs.json'));
    expect(rows((await db.query(`SELECT k, v FROM ${json} ORDER BY v`)).table)).to.deep.equal([
      ['a', 1],
      ['b', 2],
    ]);

    const refused = await rejection(db.registerFile!(new File(['x'], 'notes.docx')));
    expect(refused.message).to.equal("DuckDB cannot read 'notes.docx': drop a .csv, .tsv, .parquet, .json or .jsonl file.");
  });

  it('streams a million rows, converting batch by batch', async () => {
    const progress: number[] = [];
    const { table, truncated } = await db.query(
      `SELECT range AS i, range * 1.5 AS f, 'row ' || range AS s, TIMESTAMP '2024-01-01' + to_seconds(range) AS t FROM range(1000000)`,
      { onProgress: ({ rows }) => progress.push(rows) },
    );
    expect(truncated).to.be.false;
    expect(table.numRows).to.equal(1_000_000);
    expect(table.schema.map((c) => c.type)).to.deep.equal(['int64', 'float64', 'string', 'timestamp']);
    expect(rows(table.head(2))).to.deep.equal([
      [0n, 0, 'row 0', new Date('2024-01-01T00:00:00Z')],
      [1n, 1.5, 'row 1', new Date('2024-01-01T00:00:01Z')],
    ]);
    expect(table.columns.map((_c, col) => table.value(999_999, col))).to.deep.equal([999_999n, 1_499_998.5, 'row 999999', new Date(Date.UTC(2024, 0, 1) + 999_999_000)]);
    expect(progress.length).to.be.greaterThan(1);
    expect(progress).to.deep.equal([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).to.equal(1_000_000);
  });

  it('keeps at most `limit` rows and says whether there were more', async () => {
    const cut = await db.query('SELECT range AS i FROM range(100000)', { limit: 5000 });
    expect(cut.truncated).to.be.true;
    expect(cut.table.numRows).to.equal(5000);
    expect(values(cut.table, 'i').at(-1)).to.equal(4999n);

    const exact = await db.query('SELECT range AS i FROM range(2048)', { limit: 2048 });
    expect([exact.truncated, exact.table.numRows]).to.deep.equal([false, 2048]);
    const oneMore = await db.query('SELECT range AS i FROM range(2049)', { limit: 2048 });
    expect([oneMore.truncated, oneMore.table.numRows]).to.deep.equal([true, 2048]);
    const under = await db.query('SELECT range AS i FROM range(10)', { limit: 100 });
    expect([under.truncated, under.table.numRows]).to.deep.equal([false, 10]);
    const none = await db.query('SELECT range AS i FROM range(10)', { limit: 0 });
    expect([none.truncated, none.table.numRows, none.table.columnNames]).to.deep.equal([true, 0, ['i']]);
    // The connection is free for the next query although the last result was not read to its end.
    expect(rows((await db.query('SELECT 7 AS n')).table)).to.deep.equal([[7]]);
  });

  it('runs every statement of a script and returns the last one’s rows', async () => {
    const { table } = await db.query(`
      CREATE OR REPLACE TABLE notes AS SELECT * FROM (VALUES (1, 'semi;colon'), (2, '-- not a comment')) t(id, body); -- a ; in a comment
      /* and ; here */ INSERT INTO notes VALUES (3, 'x');
      SELECT id, body FROM notes ORDER BY id;`);
    expect(rows(table)).to.deep.equal([
      [1, 'semi;colon'],
      [2, '-- not a comment'],
      [3, 'x'],
    ]);
    // The tokenizer counts UTF-8 bytes; the statements come back whole all the same.
    expect(rows((await db.query("SELECT 'ü🦆;' AS a; SELECT 'ö' || $$;$$ AS b")).table)).to.deep.equal([['ö;']]);
    const empty = await rejection(db.query('  -- nothing here\n ; '));
    expect(empty.message).to.equal('There is no SQL statement to run.');
  });

  it('reports a syntax error in DuckDB’s own words, and stays usable', async () => {
    const error = await rejection(db.query('SELEC 1'));
    expect(error.message).to.match(/^DuckDB: Parser Error: syntax error at or near "SELEC"/);
    expect(error.detail.serverMessage).to.match(/^Parser Error: syntax error at or near "SELEC"\n\nLINE 1: SELEC 1/);
    expect(error.detail.connector).to.equal('test-duckdb');
    expect(rows((await db.query('SELECT 1 AS ok')).table)).to.deep.equal([[1]]);
  });

  it('reports an unknown table', async () => {
    const error = await rejection(db.query('SELECT * FROM no_such_table'));
    expect(error.message).to.match(/^DuckDB: Catalog Error: Table with name no_such_table does not exist!/);
    expect(error.detail.serverMessage).to.match(/^Catalog Error: Table with name no_such_table does not exist!/);
  });

  it('cancels a running query when its signal aborts, and answers the next one', async () => {
    const controller = new AbortController();
    const running = db.query(ENDLESS, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    const error = await rejection(running);
    expect(error.message).to.equal('Query cancelled');
    expect(error.detail).to.include({ cancelled: true, connector: 'test-duckdb' });
    expect(rows((await db.query('SELECT 1 AS next')).table)).to.deep.equal([[1]]);

    const before = new AbortController();
    before.abort();
    expect((await rejection(db.query('SELECT 1', { signal: before.signal }))).detail.cancelled).to.be.true;
  });

  it('cancels a query still waiting for the connection without touching the one that runs', async () => {
    const slow = db.query('SELECT count(*) AS n FROM range(3000000) WHERE range % 7 = 0');
    const controller = new AbortController();
    const queued = db.query('SELECT 2', { signal: controller.signal });
    controller.abort();
    expect((await rejection(queued)).detail.cancelled).to.be.true;
    expect(rows((await slow).table)).to.deep.equal([[428572n]]);
  });

  it('runs concurrent queries one after another on its connection', async () => {
    const results = await Promise.all([1, 2, 3].map((n) => db.query(`SELECT ${n} AS n, count(*) AS c FROM range(${n * 100000})`)));
    expect(results.map((r: QueryResult) => rows(r.table)[0])).to.deep.equal([
      [1, 100000n],
      [2, 200000n],
      [3, 300000n],
    ]);
  });

  it('gives up after timeoutMs, saying how long it waited, and answers the next query', async () => {
    const error = await rejection(db.query(ENDLESS, { timeoutMs: 500 }));
    expect(error.detail).to.include({ timedOut: true, connector: 'test-duckdb' });
    expect(error.message).to.contain('longer than 0.5 s');
    expect(rows((await db.query('SELECT 2 AS next')).table)).to.deep.equal([[2]]);
  });

  it('shares one engine between connectors, each with a database of its own', async () => {
    registerConnector({ name: 'test-other', kind: 'duckdb', options: { bundleURL } });
    try {
      const other = await getConnector('test-other');
      await db.query('CREATE OR REPLACE TABLE mine AS SELECT 1 AS x');
      const hidden = await rejection(other.query('SELECT * FROM mine'));
      expect(hidden.message).to.contain('Catalog Error: Table with name mine does not exist');
      // The same worker: a file registered through one connector is in the other's file system.
      await db.registerFile!(new File(['x\n5\n'], 'shared.csv'));
      expect(rows((await other.query(`SELECT x FROM 'shared.csv'`)).table)).to.deep.equal([[5n]]);
      expect(workerRequests()).to.equal(1);
    } finally {
      unregisterConnector('test-other');
    }
  });

  it('says where it looked when DuckDB cannot start, and tries again on the next query', async () => {
    registerConnector({ name: 'test-nowhere', kind: 'duckdb', options: { bundleURL: '/nowhere/' } });
    try {
      const connector = await getConnector('test-nowhere');
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = await rejection(connector.query('SELECT 1'));
        expect(error.message).to.equal(`DuckDB could not start: its worker ${new URL('/nowhere/duckdb-browser-eh.worker.js', location.href).href} did not load. Check the connector's bundleURL.`);
        expect(error.detail.connector).to.equal('test-nowhere');
      }
    } finally {
      unregisterConnector('test-nowhere');
    }
  });

  it('rejects an unregistered connector name, naming the known ones', async () => {
    const error = await rejection(getConnector('warehouse'));
    expect(error.message).to.contain("No connector called 'warehouse'");
    expect(error.message).to.contain("'duckdb'");
    expect(error.message).to.contain("'test-duckdb'");
  });
});

describe('duckdb connector in the built bundle', () => {
  it('finds DuckDB-WASM in dist/duckdb/ with no configuration', async () => {
    // `npm test` builds dist/ first; the bundle keeps DuckDB in a lazy chunk and its files beside itself.
    const built = '/dist/bento-lite.js';
    const bento: typeof BentoLite = await import(/* @vite-ignore */ built);
    const main = await (await fetch(built)).text();
    expect(main).not.to.contain('AsyncDuckDB');
    expect(main).not.to.contain('RecordBatchReader');
    const duckdb = await bento.getConnector();
    expect(duckdb.name).to.equal('duckdb');
    const { table } = await duckdb.query(`SELECT count(*) AS n FROM '${fixtureURL('cities.csv')}'`);
    expect(table.value(0, 0)).to.equal(4n);
    expect(performance.getEntriesByType('resource').some((e) => e.name.endsWith('/dist/duckdb/duckdb-browser-eh.worker.js'))).to.be.true;
    bento.unregisterConnector('duckdb');
  });

  it('loads the Parquet reader as a chunk of its own, only when a Parquet file is used', async () => {
    const built = '/dist/bento-lite.js';
    const bento: typeof BentoLite = await import(/* @vite-ignore */ built);
    const chunks = () => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((path) => path.startsWith('/dist/chunks/'));
    bento.registerConnector({ name: 'built-csv', kind: 'duckdb', options: { tables: { cities: 'test/data/fixtures/cities.csv' } } });
    bento.registerConnector({ name: 'built-parquet', kind: 'duckdb', options: { tables: { orders: 'test/data/fixtures/orders.parquet' } } });
    try {
      expect((await (await bento.getConnector('built-csv')).query('SELECT count(*) AS n FROM cities')).table.value(0, 0)).to.equal(4n);
      const before = chunks();
      expect(before.some((path) => /\/duckdb-\w+\.js$/.test(path))).to.be.true;
      expect(before.some((path) => path.includes('/parquet'))).to.be.false;
      for (const path of [built, ...before]) expect(await (await fetch(path)).text()).not.to.contain('parquet file invalid');

      const { table } = await (await bento.getConnector('built-parquet')).query('SELECT id, name FROM orders ORDER BY id DESC LIMIT 1');
      expect(rows(table)).to.deep.equal([[3n, 'gamma']]);
      const added = chunks().filter((path) => !before.includes(path));
      const reader = added.filter((path) => /\/parquet-\w+\.js$/.test(path));
      expect(reader).to.have.length(1);
      expect(await (await fetch(reader[0])).text()).to.contain('parquet file invalid');
      // orders.parquet is uncompressed: the codecs' chunk stays on the server.
      expect(added.some((path) => path.includes('/parquet-compressors-'))).to.be.false;
    } finally {
      bento.unregisterConnector('built-csv');
      bento.unregisterConnector('built-parquet');
    }
  });
});

describe('Arrow → ColumnTable for types DuckDB does not produce', () => {
  it('widens Float16, rebases LargeUtf8 offsets, turns DateMillisecond into days', () => {
    const table = new Table({
      half: vectorFromArray([1.5, null, -2], new Float16()),
      large: vectorFromArray(['ä', null, 'long text'], new LargeUtf8()),
      date: vectorFromArray([new Date(Date.UTC(2020, 0, 2)), null, new Date(Date.UTC(1969, 11, 31, 12))], new DateMillisecond()),
    });
    const converted = recordBatchToTable(table.batches[0]);
    expect(converted.schema.map((c) => c.type)).to.deep.equal(['float32', 'string', 'date']);
    expect(rows(converted)).to.deep.equal([
      [1.5, 'ä', new Date(Date.UTC(2020, 0, 2))],
      [null, null, null],
      [-2, 'long text', new Date(Date.UTC(1969, 11, 31))],
    ]);
    expect(converted.column('large')!.sourceType).to.equal('LargeUtf8');
  });

  it('turns timestamps of any unit into UTC microseconds and keeps the zone', () => {
    const nanos = makeData({ type: new TimestampNanosecond('Europe/Zurich'), data: new BigInt64Array([1_700_000_000_123_456_789n, -1n]) });
    const millis = makeData({ type: new TimestampMillisecond(), data: new BigInt64Array([1_700_000_000_123n, -1n]) });
    const secs = makeData({ type: new TimestampSecond('UTC'), data: new BigInt64Array([1_700_000_000n, -1n]) });
    const table = new Table({ nanos: makeVector(nanos), millis: makeVector(millis), secs: makeVector(secs) });
    const converted = recordBatchToTable(table.batches[0]);
    expect(Array.from(converted.column('nanos')!.values as BigInt64Array)).to.deep.equal([1_700_000_000_123_456n, -1n]);
    expect(Array.from(converted.column('millis')!.values as BigInt64Array)).to.deep.equal([1_700_000_000_123_000n, -1000n]);
    expect(Array.from(converted.column('secs')!.values as BigInt64Array)).to.deep.equal([1_700_000_000_000_000n, -1_000_000n]);
    expect(converted.column('nanos')!.timezone).to.equal('Europe/Zurich');
    expect(converted.column('secs')!.timezone).to.equal('UTC');
    expect(converted.column('millis')!.timezone).to.be.undefined;
  });

  it('honours the offsets of a sliced batch (bit-packed booleans, validity, strings)', () => {
    const table = new Table({
      flag: vectorFromArray([true, false, null, true, true, false, true, false, false, true, null], new Bool()),
      text: vectorFromArray(['a', 'bb', null, 'ccc', 'd', 'ee', 'f', 'g', 'h', 'ii', null], new Utf8()),
      n: vectorFromArray([0, 1, null, 3, 4, 5, 6, 7, 8, 9, null], new Int32()),
    });
    const sliced = recordBatchToTable(table.batches[0].slice(2, 11));
    expect(rows(sliced)).to.deep.equal([
      [null, null, null],
      [true, 'ccc', 3],
      [true, 'd', 4],
      [false, 'ee', 5],
      [true, 'f', 6],
      [false, 'g', 7],
      [false, 'h', 8],
      [true, 'ii', 9],
      [null, null, null],
    ]);
    expect(Array.from(sliced.column('text')!.offsets!)).to.deep.equal([0, 0, 3, 4, 6, 7, 8, 9, 11, 11]);
  });

  it('appends the batches of a table, and keeps the columns of one with none', () => {
    const first = new Table({ n: vectorFromArray([1, null], new Int32()), s: vectorFromArray(['a', 'b'], new Utf8()) });
    const second = new Table({ n: vectorFromArray([3], new Int32()), s: vectorFromArray([null], new Utf8()) });
    const both = arrowToTable(new Table([...first.batches, ...second.batches]));
    expect(rows(both)).to.deep.equal([
      [1, 'a'],
      [null, 'b'],
      [3, null],
    ]);
    const empty = arrowToTable(new Table(first.schema));
    expect([empty.numRows, empty.schema.map((c) => [c.name, c.type])]).to.deep.equal([
      0,
      [
        ['n', 'int32'],
        ['s', 'string'],
      ],
    ]);
  });
});

describe('duckdb connector with persist: tables kept in the origin-private file system', () => {
  const config = { name: 'kept', kind: 'duckdb', options: { bundleURL, persist: true, tables: { temps: '/demo/data/city-temperatures.csv' } } };

  before(async () => {
    // A run of the suite before this one left its file: start from none.
    const root = await navigator.storage.getDirectory();
    for (const file of ['bento-kept.duckdb', 'bento-kept.duckdb.wal']) await root.removeEntry(file).catch(() => {});
  });
  after(() => unregisterConnector('kept'));

  it('finds a table made before the connector was closed, as after a reload, and still reads its files', async () => {
    registerConnector(config);
    const first = await getConnector('kept');
    await first.query('CREATE TABLE uploads AS SELECT range AS id, range * 1.5 AS score FROM range(2500)');
    await first.query("INSERT INTO uploads VALUES (9999, -1)");
    expect((first as unknown as { persisted: boolean }).persisted).to.equal(true);
    // Closing ends the connector's own DuckDB worker, as leaving the page does; the next one opens the file anew.
    unregisterConnector('kept');
    await first.close?.();
    registerConnector(config);
    const again = await getConnector('kept');
    expect(again).not.to.equal(first);
    const { table } = await again.query('SELECT count(*)::INTEGER AS n, max(id)::INTEGER AS top, sum(score)::DOUBLE AS total FROM uploads');
    expect(rows(table)).to.deep.equal([[2501, 9999, 1.5 * (2499 * 2500) / 2 - 1]]);
    const { table: temps } = await again.query('SELECT count(*)::INTEGER AS n FROM temps');
    expect(values(temps, 'n')).to.deep.equal([48]);
    expect(again.label).to.equal('DuckDB (in browser)');
  });
});
