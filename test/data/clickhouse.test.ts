import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { getConnector, registerConnector, unregisterConnector, type QueryOptions, type QueryResult } from '../../src/data/connectors.ts';
import { columnValue, type ColumnTable } from '../../src/data/table.ts';
import { columnValues, queryFailure, waitFor } from '../helpers.ts';

// This run's ClickHouse server (web-test-runner.config.mjs), reached same-origin through the test proxy.
const server = (window as unknown as { __bentoClickHouse: { url: string; user: string; readonlyUser: string; password: string } }).__bentoClickHouse;
const TABLE = 'bento_test.all_types'; // filled by scripts/clickhouse.mjs

/** Every error message and server message a test saw, to check that no credential ever shows. */
const seen: string[] = [];

function register(name: string, options: Record<string, unknown> = {}, credentials = { user: server.user, password: server.password }) {
  registerConnector({ name, kind: 'clickhouse', options: { url: server.url, ...options }, credentials });
}

async function query(sql: string, options?: QueryOptions, name = 'warehouse'): Promise<QueryResult> {
  return (await getConnector(name)).query(sql, options);
}

const failure = (promise: Promise<unknown>) => queryFailure(promise, seen);

const values = columnValues;

const instants = (table: ColumnTable, name: string) => values(table, name).map((v) => (v instanceof Date ? v.getTime() : v));

/** Queries still running on the server whose text contains `marker`. */
async function running(marker: string): Promise<string[]> {
  // Split so that this query's own text does not contain the marker.
  const half = marker.length >> 1;
  const { table } = await query(`SELECT query_id FROM system.processes WHERE query LIKE concat('%', '${marker.slice(0, half)}', '${marker.slice(half)}', '%')`);
  return values(table, 'query_id') as string[];
}

const marker = () => `bento-marker-${Math.random().toString(36).slice(2)}`;

/** Runs until killed without writing a byte, so a closed connection alone would not stop it. */
const endless = (tag: string) => `SELECT count() /* ${tag} */ FROM system.numbers WHERE cityHash64(number) % 7 = 3`;

before(() => {
  expect(server, 'the test runner starts ClickHouse and tells the page').to.be.ok;
  performance.setResourceTimingBufferSize(100_000); // the last test reads every request's URL
  register('warehouse');
});

describe('ClickHouse connector: results', () => {
  it('is registered by name, loads lazily and says where it connects', async () => {
    const connector = await getConnector('warehouse');
    expect(connector.kind).to.equal('clickhouse');
    expect(connector.label).to.equal('ClickHouse at /clickhouse');
  });

  it('keeps every type: 64-bit integers, NaN and nulls, escapes and unicode, dates and instants', async () => {
    const { table, truncated } = await query(`SELECT * FROM ${TABLE} ORDER BY id`);
    expect(truncated).to.equal(false);
    expect(table.numRows).to.equal(4);
    expect(table.schema.map((c) => [c.name, c.type, c.nullable, c.sourceType])).to.deep.equal([
      ['id', 'int32', false, 'Int32'],
      ['i64', 'int64', false, 'Int64'],
      ['u64', 'uint64', false, 'UInt64'],
      ['f64', 'float64', false, 'Float64'],
      ['f64n', 'float64', true, 'Nullable(Float64)'],
      ['flag', 'uint8', false, 'UInt8'],
      ['s', 'string', false, 'String'],
      ['sn', 'string', true, 'Nullable(String)'],
      ['d', 'date', false, 'Date'],
      ['ts', 'timestamp', false, 'DateTime'],
      ['i64n', 'int64', true, 'Nullable(Int64)'],
    ]);
    expect(values(table, 'id')).to.deep.equal([1, 2, 3, 4]);
    expect(values(table, 'i64')).to.deep.equal([9007199254740993n, -9223372036854775808n, -9007199254740993n, 0n]);
    expect(values(table, 'u64')).to.deep.equal([18446744073709551615n, 0n, 9007199254740993n, 1n]);
    const f64 = values(table, 'f64');
    expect([f64[0], Number.isNaN(f64[1]), f64[2], f64[3]]).to.deep.equal([1.5, true, Infinity, -Infinity]);
    const f64n = values(table, 'f64n');
    expect([f64n[0], f64n[1], Number.isNaN(f64n[2]), f64n[3]]).to.deep.equal([2.25, null, true, -0.5]);
    expect(values(table, 'flag')).to.deep.equal([1, 0, 1, 0]);
    expect(values(table, 's')).to.deep.equal(['plain ascii', 'tab\there\nnew line, back\\slash, quote \' and "', 'héllo wörld — 世界 🎉', '']);
    // A string that reads "\N" is not a null.
    expect(values(table, 'sn')).to.deep.equal(['present', null, '\\N', '']);
    // ClickHouse 18 writes day 0 and second 0 as 0000-00-00 (00:00:00).
    expect(instants(table, 'd')).to.deep.equal([Date.UTC(2024, 1, 29), Date.UTC(1970, 0, 2), Date.UTC(2105, 11, 31), 0]);
    expect(instants(table, 'ts')).to.deep.equal([Date.UTC(2024, 1, 29, 23, 59, 59), 1000, Date.UTC(2038, 0, 19, 3, 14, 8), 0]);
    expect(table.column('ts')!.timezone).to.match(/UTC/);
    expect(values(table, 'i64n')).to.deep.equal([9223372036854775807n, null, -1n, 0n]);
  });

  it('reads a DateTime shown in a zone of its own as the same instant', async () => {
    const utc = ['2024-02-29 23:59:59', '2024-07-04 12:00:00', '2024-03-10 07:30:00', '2024-11-03 05:30:00', '2024-10-05 15:45:00'];
    const { table } = await query(
      `SELECT arrayJoin([${utc.map((t) => `toDateTime('${t}')`).join(', ')}]) AS utc, ` +
        `toDateTime(utc, 'America/New_York') AS new_york, toDateTime(utc, 'Asia/Kolkata') AS kolkata, ` +
        `toDateTime(utc, 'Australia/Lord_Howe') AS lord_howe, toNullable(toDateTime(utc, 'Asia/Tokyo')) AS tokyo`,
    );
    const expected = utc.map((t) => Date.parse(`${t.replace(' ', 'T')}Z`));
    for (const name of ['utc', 'new_york', 'kolkata', 'lord_howe', 'tokyo']) expect(instants(table, name), name).to.deep.equal(expected);
    expect(table.column('new_york')!.timezone).to.equal('America/New_York');
    expect(table.column('new_york')!.sourceType).to.equal("DateTime('America/New_York')");
    expect(table.column('tokyo')!.sourceType).to.equal("Nullable(DateTime('Asia/Tokyo'))");
  });

  it('maps the other types, keeping anything without a column type as ClickHouse writes it', async () => {
    const { table } = await query(
      "SELECT toInt8(-128) AS i8, toInt16(-3) AS i16, toUInt16(65535) AS u16, toUInt32(4294967295) AS u32, toFloat32(0.5) AS f32, " +
        "toFixedString('ab', 3) AS fixed, CAST('b' AS Enum8('a' = 1, 'b' = 2)) AS enum, toUUID('01234567-89ab-cdef-0123-456789abcdef') AS uuid, " +
        "toLowCardinality(toNullable('lc')) AS lc, ['x\\ty', 'it''s'] AS arr, toDecimal64(1.5, 3) AS dec, NULL AS nothing",
    );
    expect(table.schema.map((c) => [c.name, c.type, c.nullable])).to.deep.equal([
      ['i8', 'int8', false],
      ['i16', 'int16', false],
      ['u16', 'uint16', false],
      ['u32', 'uint32', false],
      ['f32', 'float32', false],
      ['fixed', 'string', false],
      ['enum', 'string', false],
      ['uuid', 'string', false],
      ['lc', 'string', false],
      ['arr', 'string', false],
      ['dec', 'string', false],
      ['nothing', 'string', true],
    ]);
    expect(table.columns.map((_, i) => table.value(0, i))).to.deep.equal([
      -128, -3, 65535, 4294967295, 0.5, 'ab\0', 'b', '01234567-89ab-cdef-0123-456789abcdef', 'lc', "['x\\ty','it\\'s']", '1.500', null,
    ]);
    expect(table.column('arr')!.sourceType).to.equal('Array(String)');
    expect(table.column('dec')!.sourceType).to.equal('Decimal(18, 3)');
    expect(table.column('lc')!.sourceType).to.equal('LowCardinality(Nullable(String))');
  });

  it('names repeated columns apart', async () => {
    const { table } = await query("SELECT 1, 1, 'a', 'a'");
    expect(table.columnNames).to.deep.equal(['1', '1_1', "'a'", "'a'_1"]);
  });

  it('an empty result keeps its columns; a statement without one is an empty table', async () => {
    const empty = await query('SELECT number FROM system.numbers LIMIT 0');
    expect(empty.table.numRows).to.equal(0);
    expect(empty.table.schema).to.deep.equal([{ name: 'number', type: 'uint64', nullable: false, sourceType: 'UInt64' }]);
    const ddl = await query('CREATE TABLE IF NOT EXISTS bento_test.scratch (a Int8) ENGINE = Memory');
    expect(ddl.table.numRows).to.equal(0);
    expect(ddl.table.columns).to.have.length(0);
  });

  it('uses the configured database for unqualified names', async () => {
    register('warehouse-db', { database: 'bento_test' });
    const { table } = await query('SELECT count() AS n FROM all_types', {}, 'warehouse-db');
    expect(values(table, 'n')).to.deep.equal([4n]);
  });
});

describe('ClickHouse connector: a readonly account', () => {
  before(() => register('reader', {}, { user: server.readonlyUser, password: server.password }));

  it('may not change settings, so the limit is kept here', async () => {
    const { table, truncated } = await query('SELECT number FROM system.numbers LIMIT 100000', { limit: 3 }, 'reader');
    expect(values(table, 'number')).to.deep.equal([0n, 1n, 2n]);
    expect(truncated).to.equal(true);
  });

  it('may still cancel its own queries', async () => {
    const tag = marker();
    const controller = new AbortController();
    const result = query(endless(tag), { signal: controller.signal }, 'reader');
    await waitFor(async () => (await running(tag)).length > 0, 'the query to start');
    controller.abort();
    expect((await failure(result)).detail.cancelled).to.equal(true);
    await waitFor(async () => (await running(tag)).length === 0, 'KILL QUERY to end the query on the server');
  });

  it("is told ClickHouse's reason when it tries to write", async () => {
    const error = await failure(query('CREATE TABLE bento_test.not_allowed (a Int8) ENGINE = Memory', {}, 'reader'));
    expect(error.message).to.match(/^ClickHouse at \/clickhouse: Code: 164, .*readonly/);
  });
});

describe('ClickHouse connector: streaming', () => {
  it('streams a million rows into columns, reporting progress and letting the page run', async () => {
    const progress: number[] = [];
    let ticks = 0;
    let ticksWhileParsing = 0;
    const timer = setInterval(() => ticks++, 0);
    let ticksAtFirstProgress = -1;
    try {
      const { table, truncated } = await query('SELECT number, toString(number) AS text, number * 1.5 AS x, now() AS t FROM system.numbers LIMIT 1000000', {
        onProgress: ({ rows }) => {
          progress.push(rows);
          if (ticksAtFirstProgress < 0) ticksAtFirstProgress = ticks;
          ticksWhileParsing = ticks - ticksAtFirstProgress;
        },
      });
      expect(truncated).to.equal(false);
      expect(table.numRows).to.equal(1_000_000);
      expect(table.schema.map((c) => c.type)).to.deep.equal(['uint64', 'string', 'float64', 'timestamp']);
      expect([table.value(0, 0), table.value(0, 1), table.value(0, 2)]).to.deep.equal([0n, '0', 0]);
      expect([table.value(999_999, 0), table.value(999_999, 1), table.value(999_999, 2)]).to.deep.equal([999_999n, '999999', 1_499_998.5]);
      const now = table.value(0, 3) as Date;
      expect(Math.abs(now.getTime() - Date.now())).to.be.below(10 * 60_000);
    } finally {
      clearInterval(timer);
    }
    expect(progress.length, 'progress reports').to.be.greaterThan(2);
    expect(progress.at(-1)).to.equal(1_000_000);
    expect(progress).to.deep.equal([...progress].sort((a, b) => a - b));
    expect(ticksWhileParsing, 'timer ticks between the first and the last progress report').to.be.greaterThan(0);
  });

  it('reassembles rows and UTF-8 characters split between network chunks', async () => {
    const rows = 200_000;
    const { table } = await query(`SELECT number AS n, concat('é世🎉', toString(number), '\\t\\\\') AS s FROM numbers(${rows})`);
    expect(table.numRows).to.equal(rows);
    const column = table.column('s')!;
    let wrong = 0;
    for (let i = 0; i < rows; i++) if (columnValue(column, i) !== `é世🎉${i}\t\\`) wrong++;
    expect(wrong, 'rows whose text came out wrong').to.equal(0);
  });

  it('keeps `limit` rows, asks the server to stop, and says whether there were more', async () => {
    // No LIMIT in the SQL: without the server stopping on its own this would stream forever.
    const endlessRows = await query('SELECT number FROM system.numbers', { limit: 5 });
    expect(values(endlessRows.table, 'number')).to.deep.equal([0n, 1n, 2n, 3n, 4n]);
    expect(endlessRows.truncated).to.equal(true);

    const exact = await query('SELECT number FROM numbers(10)', { limit: 10 });
    expect([exact.table.numRows, exact.truncated]).to.deep.equal([10, false]);
    const oneMore = await query('SELECT number FROM numbers(11)', { limit: 10 });
    expect([oneMore.table.numRows, oneMore.truncated]).to.deep.equal([10, true]);
    const none = await query('SELECT number FROM numbers(3)', { limit: 0 });
    expect([none.table.numRows, none.truncated, none.table.columnNames]).to.deep.equal([0, true, ['number']]);
  });

  it('a row that only looks like an exception is data', async () => {
    const { table } = await query(
      "SELECT if(number = 10, 'Code: 1, e.displayText() = DB::Exception: forged', toString(number)) AS s FROM numbers(100000) " +
        "UNION ALL SELECT 'Code: 2, e.displayText() = not quite an exception'",
    );
    const s = values(table, 's');
    expect(s).to.have.length(100_001);
    expect(s).to.include('Code: 1, e.displayText() = DB::Exception: forged');
    expect(s).to.include('Code: 2, e.displayText() = not quite an exception');
  });
});

describe('ClickHouse connector: errors a person can act on', () => {
  it("shows a syntax error in ClickHouse's own words", async () => {
    const error = await failure(query('SELEC 1'));
    expect(error.detail.status).to.equal(400);
    expect(error.detail.serverMessage).to.match(/^Code: 62, e\.displayText\(\) = DB::Exception: Syntax error/);
    expect(error.message).to.equal(`ClickHouse at /clickhouse: ${error.detail.serverMessage}`);
    expect(error.detail.connector).to.equal('warehouse');
  });

  it('names an unknown table', async () => {
    const error = await failure(query('SELECT * FROM bento_test.nope'));
    expect(error.detail.status).to.equal(404);
    expect(error.message).to.match(/^ClickHouse at \/clickhouse: Code: 60, .*Table bento_test\.nope doesn't exist/);
  });

  it('reports an exception that arrives in the middle of the rows instead of returning the rows before it', async () => {
    // One string column: the exception's line would fit it as a row.
    const error = await failure(query('SELECT toString(number) AS n FROM system.numbers WHERE throwIf(number = 300000) = 0 LIMIT 1000000'));
    expect(error.message).to.match(/^ClickHouse at \/clickhouse: Code: 395, .*Value passed to 'throwIf' function is non zero/);
    expect(error.detail.serverMessage).to.match(/^Code: 395/);
  });

  it('says the credentials are wrong on 401, without showing them', async () => {
    register('wrong-password', {}, { user: server.user, password: 'not-the-password' });
    const error = await failure(query('SELECT 1', {}, 'wrong-password'));
    expect(error.message).to.equal("ClickHouse at /clickhouse answered 401: check the connector's credentials.");
    expect(error.detail.status).to.equal(401);
    expect(error.detail.serverMessage).to.match(/Wrong password/);
    expect(error.message).not.to.contain('not-the-password');

    register('unknown-user', {}, { user: 'nobody', password: 'x' });
    expect((await failure(query('SELECT 1', {}, 'unknown-user'))).message).to.contain('answered 401');
  });

  it('says when the server cannot be reached', async () => {
    register('down', { url: '/clickhouse-down' });
    const proxied = await failure(query('SELECT 1', {}, 'down'));
    expect(proxied.message).to.match(/^Cannot reach ClickHouse at \/clickhouse-down: the server in between answered 502: Bad gateway/);

    register('nowhere', { url: 'http://127.0.0.1:9/' });
    expect((await failure(query('SELECT 1', {}, 'nowhere'))).message).to.match(/^Cannot reach ClickHouse at http:\/\/127\.0\.0\.1:9\/: /);
  });

  it('says so when the query picks its own FORMAT', async () => {
    expect((await failure(query('SELECT 1 FORMAT JSON'))).message).to.match(/remove the FORMAT clause/);
  });

  it('a connector that is not registered names the ones that are', async () => {
    const error = await failure(getConnector('nope'));
    expect(error.message).to.match(/No connector called 'nope'.*Known: .*'duckdb'.*'warehouse'/);
  });

  it('refuses credentials in the URL', async () => {
    registerConnector({ name: 'url-credentials', kind: 'clickhouse', options: { url: `http://${server.user}:${server.password}@127.0.0.1:9/` } });
    const error = await getConnector('url-credentials').then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).to.match(/put the user and password in credentials/);
    seen.push(error!.message);
  });
});

describe('ClickHouse connector: cancelling and timeouts', () => {
  it('cancelling stops the query on the server too', async () => {
    const tag = marker();
    const controller = new AbortController();
    const result = query(endless(tag), { signal: controller.signal });
    const ids = await waitFor(async () => {
      const found = await running(tag);
      return found.length > 0 && found;
    }, 'the query to show in system.processes');
    expect(ids[0]).to.match(/^bento-[0-9a-f]{32}$/);
    controller.abort();
    const error = await failure(result);
    expect(error.message).to.equal('Query cancelled.');
    expect(error.detail.cancelled).to.equal(true);
    await waitFor(async () => (await running(tag)).length === 0, 'KILL QUERY to end the query on the server');
  });

  it('an already cancelled signal sends nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await failure(query('SELECT 1', { signal: controller.signal }))).detail.cancelled).to.equal(true);
  });

  it('gives up after timeoutMs, says how long and where, and kills the query', async () => {
    const tag = marker();
    const error = await failure(query(endless(tag), { timeoutMs: 1000 }));
    expect(error.message).to.equal('ClickHouse at /clickhouse did not answer within 1 s; the query was cancelled.');
    expect(error.detail.timedOut).to.equal(true);
    await waitFor(async () => (await running(tag)).length === 0, 'KILL QUERY to end the query on the server');
  });

  it("takes the connector's own timeout when the query sets none", async () => {
    register('impatient', { timeoutMs: 1500 });
    const error = await failure(query(endless(marker()), {}, 'impatient'));
    expect(error.message).to.equal('ClickHouse at /clickhouse did not answer within 1.5 s; the query was cancelled.');
  });

  it('unregistering a connector cancels its running queries', async () => {
    register('short-lived');
    const tag = marker();
    const result = query(endless(tag), {}, 'short-lived');
    await waitFor(async () => (await running(tag)).length > 0, 'the query to start');
    unregisterConnector('short-lived');
    expect((await failure(result)).detail.cancelled).to.equal(true);
    await waitFor(async () => (await running(tag)).length === 0, 'KILL QUERY to end the query on the server');
  });
});

describe('ClickHouse connector: a server that dies', () => {
  let down = false;
  after(async () => {
    if (down) await executeServerCommand('clickhouse-start'); // for whatever runs after this file
  });

  it('losing the server mid-result is an error, not a short result; it answers again once restarted', async () => {
    let killed: Promise<unknown> | undefined;
    const error = await failure(
      query('SELECT number, toString(number) AS text FROM system.numbers', {
        onProgress: () => {
          down = true;
          killed ??= executeServerCommand('clickhouse-kill');
        },
      }),
    );
    await killed;
    expect(error.message).to.match(/^Lost the connection to ClickHouse at \/clickhouse after [\d,]+ rows: .*The result is incomplete/);

    expect((await failure(query('SELECT 1'))).message).to.match(/^Cannot reach ClickHouse at \/clickhouse: the server in between answered 502/);

    await executeServerCommand('clickhouse-start');
    down = false;
    expect(values((await query('SELECT 1 AS one')).table, 'one')).to.deep.equal([1]);
  });
});

describe('ClickHouse connector: credentials', () => {
  it('never appear in an error message or a request URL', () => {
    expect(seen.length).to.be.greaterThan(10);
    for (const text of seen) expect(text).not.to.contain(server.password);
    const urls = performance.getEntriesByType('resource').map((entry) => entry.name).filter((url) => url.includes('clickhouse'));
    expect(urls.length).to.be.greaterThan(10);
    for (const url of urls) {
      expect(url).not.to.contain(server.password);
      expect(new URL(url).searchParams.has('user')).to.equal(false);
    }
  });
});
