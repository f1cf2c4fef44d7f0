import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { getConnector, registerConnector, type Connector } from '../../src/data/connectors.ts';
import { ColumnTable, columnValue, type CellValue, type ColumnType } from '../../src/data/table.ts';
import { murmur3 } from '../../src/util/murmur3.ts';
import { compareChecksums, discardUpload, rowsView, tableChecksum, uploadTable, UploadError, type UploadOptions, type UploadPlan, type UploadResult } from '../../src/data/upload.ts';
import { columnValues, expectSameRows } from '../helpers.ts';

// This run's ClickHouse server (web-test-runner.config.mjs), reached same-origin through the test proxy.
const server = (window as unknown as { __bentoClickHouse: { url: string; user: string; readonlyUser: string; password: string } }).__bentoClickHouse;
const DB = 'bento_upload';

let warehouse: Connector;
let tableCount = 0;
const freshName = (stem: string) => `${DB}.${stem}_${++tableCount}_${Math.random().toString(36).slice(2, 8)}`;
const freshJob = () => `job_${Math.random().toString(36).slice(2, 10)}`;

async function sql(text: string): Promise<ColumnTable> {
  return (await warehouse.query(text)).table;
}

/** Tables an upload left in the test database: its staging, building, final, old and ledger tables. */
async function leftovers(jobId: string): Promise<string[]> {
  const table = await sql(`SELECT name FROM system.tables WHERE database = '${DB}' AND name LIKE 'bento_stage_${jobId}%'`);
  return Array.from({ length: table.numRows }, (_, row) => String(table.value(row, 0)));
}

/** A column's values, dates and instants as milliseconds (comparable with deep equality). */
function values(table: ColumnTable, name: string): CellValue[] {
  return columnValues(table, name).map((value) => (value instanceof Date ? value.getTime() : value));
}

/** `rows` rows of id (0…rows-1, plus `offset`), a float, a string with nulls: what the fault tests upload. */
function simpleTable(rows: number, offset = 0): ColumnTable {
  return ColumnTable.fromArrays([
    { name: 'id', type: 'int64', values: Array.from({ length: rows }, (_, i) => BigInt(i + offset)) },
    { name: 'x', type: 'float64', values: Array.from({ length: rows }, (_, i) => Math.sqrt(i + offset) / 7) },
    { name: 's', type: 'string', values: Array.from({ length: rows }, (_, i) => (i % 5 === 3 ? null : `row ${i + offset} — ✓\t"${'x'.repeat(i % 11)}"`)) },
  ]);
}

/** The target read back in id order: exactly the source rows, once each, is what every test demands. */
async function readBack(target: string): Promise<ColumnTable> {
  return sql(`SELECT * FROM ${target} ORDER BY id`);
}

async function expectHolds(target: string, source: ColumnTable): Promise<void> {
  expectSameRows(await readBack(target), source);
}

async function failure(promise: Promise<unknown>): Promise<UploadError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UploadError) return error;
    throw error;
  }
  throw new Error('expected the upload to fail');
}

const upload = (table: ColumnTable, options: UploadOptions): Promise<UploadResult> => uploadTable(warehouse, table, { retryDelayMs: 20, ...options });

before(async () => {
  expect(server, 'the test runner starts ClickHouse and tells the page').to.be.ok;
  registerConnector({ name: 'upload-warehouse', kind: 'clickhouse', options: { url: server.url }, credentials: { user: server.user, password: server.password } });
  warehouse = await getConnector('upload-warehouse');
  await warehouse.query(`CREATE DATABASE IF NOT EXISTS ${DB}`);
});

describe('chunks as views', () => {
  it('rowsView reads the same rows as slice, without copying a buffer', () => {
    const table = simpleTable(50);
    const view = rowsView(table, 17, 33);
    const copy = table.slice(17, 33);
    for (const name of table.columnNames) expect(values(view, name), name).to.deep.equal(values(copy, name));
    expect(view.buffers().every((buffer) => table.buffers().includes(buffer)), 'every buffer is the table\'s').to.equal(true);
    expect(copy.buffers().some((buffer) => table.buffers().includes(buffer))).to.equal(false);
    // What uploads compute from a chunk is the same from a view as from a copy.
    expect(tableChecksum(view, 'murmur3')).to.deep.equal(tableChecksum(copy, 'murmur3'));
    expect(tableChecksum(view)).to.deep.equal(tableChecksum(copy));
  });
});

describe('checksums', () => {
  it("digest strings with ClickHouse's own murmurHash3_32 when the sink says so", async () => {
    const texts = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'héllo wörld', '日本語のテキスト', 'x'.repeat(1000)];
    const { table: server } = await warehouse.query(`SELECT ${texts.map((text, i) => `toString(murmurHash3_32('${text}')) AS h${i}`).join(', ')}`);
    const bytes = texts.map((text) => new TextEncoder().encode(text));
    const ours = bytes.map((b) => String(murmur3(b, 0, b.length)));
    expect(ours).to.deep.equal(texts.map((_, i) => server.value(0, i)));
    // And inside a checksum: a string column's sum is the sum of the digests.
    const table = ColumnTable.fromArrays([{ name: 's', type: 'string', values: ['abc', 'héllo wörld'] }]);
    const sum = tableChecksum(table, 'murmur3').columns[0].sum;
    expect(sum).to.equal(BigInt(ours[3]) + BigInt(ours[6]));
    expect(sum).to.not.equal(tableChecksum(table).columns[0].sum);
  });

  it('are the same for the same values however the table is cut, and differ when one value does', () => {
    const table = simpleTable(1000);
    const whole = tableChecksum(table);
    const parts = [table.slice(0, 333), table.slice(333, 900), table.slice(900)].map((part) => tableChecksum(part));
    const summed = whole.columns.map((c, i) => ({ ...c, sum: parts.reduce((s, p) => (s + p.columns[i].sum) & ((1n << 64n) - 1n), 0n), nonNull: parts.reduce((n, p) => n + p.columns[i].nonNull, 0) }));
    expect(summed).to.deep.equal(whole.columns);
    const changed = table.slice(0);
    (changed.column('x')!.values as Float64Array)[10] += 1e-12;
    expect(compareChecksums(whole, tableChecksum(changed))).to.match(/ in column 'x' \(their checksums do not match/);
    expect(compareChecksums(whole, tableChecksum(table.slice(1)))).to.match(/999 staged rows where 1,000 were sent/);
  });
});

describe('uploads to ClickHouse', () => {
  it('create: every supported type arrives exactly, and nothing of the job is left', async () => {
    const rows = 7;
    const types: Array<[string, ColumnType, CellValue[]]> = [
      ['id', 'int32', [0, 1, 2, 3, 4, 5, 6]],
      ['i8', 'int8', [-128, 127, 0, -1, 1, null, 5]],
      ['i16', 'int16', [-32768, 32767, 0, -1, 1, 2, 3]],
      ['i32', 'int32', [-2147483648, 2147483647, 0, -1, 1, 2, null]],
      ['i64', 'int64', [-9223372036854775808n, 9223372036854775807n, 9007199254740993n, -1n, 0n, null, 1n]],
      ['u8', 'uint8', [0, 255, 1, 2, 3, 4, 5]],
      ['u16', 'uint16', [0, 65535, 1, 2, 3, 4, 5]],
      ['u32', 'uint32', [0, 4294967295, 1, 2, 3, 4, null]],
      ['u64', 'uint64', [0n, 18446744073709551615n, 9007199254740993n, 2n, 3n, 4n, 5n]],
      ['f32', 'float32', [0.5, -3.25, Infinity, -Infinity, NaN, null, 1e-38]],
      ['f64', 'float64', [0.1, -0, 5e-324, 1.7976931348623157e308, NaN, Infinity, 1 / 3]],
      ['flag', 'bool', [true, false, null, true, false, true, false]],
      ['s', 'string', ['plain', 'tab\there\nnew line, back\\slash, quote \' and "', 'héllo — 世界 🎉', '', null, '\\N', 'x'.repeat(300)]],
      ['d', 'date', [0, 19782, 49672, null, 1, 365, 11016].map((day) => (day === null ? null : new Date(day * 86_400_000)))],
      ['ts', 'timestamp', [0, 1709251199000, 4291747199000, null, 1000, 86_400_000, 1700000000000].map((ms) => (ms === null ? null : new Date(ms)))],
    ];
    const source = ColumnTable.fromArrays([
      ...types.map(([name, type, column]) => ({ name, type, values: column })),
      { name: 'kolkata', type: 'timestamp' as ColumnType, values: [0, 1, 2, 3, 4, 5, 6].map((i) => new Date(1_700_000_000_000 + i * 3_600_000)), timezone: 'Asia/Kolkata' },
    ]);
    expect(source.numRows).to.equal(rows);
    const target = freshName('types');
    const jobId = freshJob();
    const seen: boolean[] = [];
    const result = await upload(source, {
      target,
      jobId,
      chunkRows: 3,
      onProgress: async ({ phase }) => {
        if (phase !== 'done') seen.push(Number((await sql(`EXISTS TABLE ${target}`)).value(0, 0)) === 1);
      },
    });
    expect(result).to.include({ jobId, rows, chunks: 3, chunksWritten: 3 });
    expect(seen, 'whether the target existed at each step before the commit').to.deep.equal([false, false, false, false, false, false, false]);
    expect(result.bytes).to.be.greaterThan(0);

    const stored = await readBack(target);
    expect(stored.schema.map((c) => c.sourceType)).to.deep.equal([
      'Int32', 'Nullable(Int8)', 'Int16', 'Nullable(Int32)', 'Nullable(Int64)', 'UInt8', 'UInt16', 'Nullable(UInt32)', 'UInt64',
      'Nullable(Float32)', 'Float64', 'Nullable(UInt8)', 'Nullable(String)', 'Nullable(Date)', 'Nullable(DateTime)', "DateTime('Asia/Kolkata')",
    ]);
    for (const [name, type] of types) {
      const expected = type === 'bool' ? values(source, name).map((v) => (v === null ? null : Number(v))) : values(source, name);
      expect(values(stored, name), name).to.deep.equal(expected);
    }
    expect(values(stored, 'kolkata')).to.deep.equal(values(source, 'kolkata'));
    expect(await leftovers(jobId)).to.deep.equal([]);
  });

  it('append adds the rows once; readers of the target see the old rows until the commit', async () => {
    const target = freshName('append');
    const first = simpleTable(120);
    await upload(first, { target, chunkRows: 50 });
    const second = simpleTable(230, 120);
    const seen: number[] = [];
    await upload(second, {
      target,
      mode: 'append',
      chunkRows: 40,
      onProgress: async ({ phase }) => {
        if (phase === 'uploading' || phase === 'verifying' || phase === 'committing') seen.push(Number((await sql(`SELECT count() FROM ${target}`)).value(0, 0)));
      },
    });
    expect(seen.length).to.be.greaterThan(6);
    expect([...new Set(seen)], 'the target between chunks and before the commit').to.deep.equal([120]);
    await expectHolds(target, ColumnTable.concat([first, second]));
  });

  it('a job run again after its commit (a reload lost whether it finished) writes nothing twice, with keepLedger', async () => {
    const target = freshName('rerun');
    const first = simpleTable(30);
    await upload(first, { target });
    const source = simpleTable(50, 30);
    const jobId = freshJob();
    const done = await upload(source, { target, jobId, mode: 'append', chunkRows: 20, keepLedger: true });
    expect(done.committedEarlier).to.equal(false);
    expect(await leftovers(jobId)).to.deep.equal([`bento_stage_${jobId}_ledger`]);

    const again = await upload(source, { target, jobId, mode: 'append', chunkRows: 20, keepLedger: true });
    expect(again).to.include({ committedEarlier: true, chunksWritten: 0, bytes: 0, rows: 50 });
    await expectHolds(target, ColumnTable.concat([first, source]));

    await discardUpload(warehouse, { jobId, target });
    expect(await leftovers(jobId)).to.deep.equal([]);
  });

  it('a job whose page closed after its rows were moved in, before its chunk tables were dropped, is found committed when run again', async () => {
    const target = freshName('closed_after_commit');
    const source = simpleTable(50);
    const jobId = freshJob();
    const done = await upload(source, { target, jobId, mode: 'create', chunkRows: 20, keepLedger: true });
    expect(done.committedEarlier).to.equal(false);
    // What a page closed between the commit's last RENAME and the drops leaves: the ledger and the chunk tables.
    const chunks = await sql(`SELECT name FROM system.tables WHERE database = '${DB}' AND match(name, '^bento_stage_${jobId}_c[0-9]+$')`);
    if (chunks.numRows === 0) await sql(`CREATE TABLE ${DB}.bento_stage_${jobId}_c0 (id Int64, x Float64, s Nullable(String)) ENGINE = MergeTree ORDER BY tuple()`);
    expect(await leftovers(jobId)).to.include(`bento_stage_${jobId}_ledger`);

    const again = await upload(source, { target, jobId, mode: 'create', chunkRows: 20, keepLedger: true });
    expect(again).to.include({ committedEarlier: true, chunksWritten: 0, rows: 50 });
    await expectHolds(target, source);
    await discardUpload(warehouse, { jobId, target });
    expect(await leftovers(jobId)).to.deep.equal([]);
  });

  it('replace swaps the whole table at once, new columns and all', async () => {
    const target = freshName('replace');
    await sql(`CREATE TABLE ${target} (id Int64, old_column String) ENGINE = MergeTree ORDER BY id`);
    await sql(`INSERT INTO ${target} VALUES (1, 'a'), (2, 'b')`);
    const source = simpleTable(95);
    const jobId = freshJob();
    const seen: string[] = [];
    await upload(source, {
      target,
      jobId,
      mode: 'replace',
      chunkRows: 10,
      onProgress: async ({ phase }) => {
        if (phase !== 'done') seen.push((await sql(`SELECT count(), groupArray(old_column) FROM ${target}`)).columns.map((c) => String(columnValue(c, 0))).join(' '));
      },
    });
    expect([...new Set(seen)], 'the target until the commit').to.deep.equal(["2 ['a','b']"]);
    await expectHolds(target, source);
    expect((await readBack(target)).columnNames).to.deep.equal(['id', 'x', 's']);
    expect(await leftovers(jobId)).to.deep.equal([]);
  });

  it('refuses before writing anything: a target that exists under create, a bad name, a type or value it cannot write', async () => {
    const target = freshName('refusals');
    await sql(`CREATE TABLE ${target} (id Int64, tags Array(String)) ENGINE = MergeTree ORDER BY id`);
    await sql(`INSERT INTO ${target} VALUES (7, ['a'])`);
    const jobId = freshJob();
    const source = simpleTable(10);

    let error = await failure(upload(source, { target, jobId }));
    expect(error.message).to.equal(`The table \`bento_upload\`.\`${target.split('.')[1]}\` exists already; upload with mode 'append' to add rows to it or 'replace' to replace it.`);
    expect(error.detail.retryable).to.equal(false);

    error = await failure(upload(source, { target: 'bad name; DROP TABLE x', jobId }));
    expect(error.message).to.match(/^'bad name; DROP TABLE x' is not a table name an upload takes: use letters, digits and '_'/);

    const tags = ColumnTable.fromArrays([
      { name: 'id', type: 'int64', values: [1n] },
      { name: 'tags', type: 'string', values: ['["b"]'] },
    ]);
    error = await failure(upload(tags, { target, jobId, mode: 'append' }));
    expect(error.message).to.equal(`Column 'tags' of \`bento_upload\`.\`${target.split('.')[1]}\` is Array(String), a type uploads cannot write into; only plain values (numbers, strings, dates, times) can be appended.`);

    error = await failure(upload(source, { target: `${DB}.missing_${jobId}`, jobId, mode: 'append' }));
    expect(error.message).to.match(/does not exist; upload with mode 'create' to make it\.$/);

    error = await failure(upload(source, { target: 'no_such_database.trips', jobId }));
    expect(error.message).to.equal("There is no database 'no_such_database' on ClickHouse at /clickhouse; create it first or name another.");

    const fractional = ColumnTable.fromArrays([{ name: 'at', type: 'timestamp', values: [new Date(1_700_000_000_000), new Date(1_700_000_000_250)] }]);
    error = await failure(upload(fractional, { target: freshName('fraction'), jobId }));
    expect(error.message).to.equal("Column 'at' row 2: ClickHouse's DateTime keeps whole seconds and this value has a fraction (2023-11-14T22:13:20.250Z); round the column to seconds first.");
    // A caller that checks the schema only (no rows) still cannot write a value the column would round.
    const plan: UploadPlan = { jobId, target: freshName('fraction'), mode: 'create', schema: fractional.schema, chunkRows: 10, totalRows: 12 };
    error = await failure(warehouse.uploads!.writeChunk(plan, 1, fractional));
    expect(error.message).to.equal("Column 'at' row 12: ClickHouse's DateTime keeps whole seconds and this value has a fraction (2023-11-14T22:13:20.250Z); round the column to seconds first.");
    const early = ColumnTable.fromArrays([{ name: 'at', type: 'timestamp', values: [new Date(-1000)] }]);
    error = await failure(upload(early, { target: freshName('early'), jobId }));
    expect(error.message).to.equal("Column 'at' row 1: ClickHouse's DateTime holds 1970 to 2105, not 1969-12-31T23:59:59.000Z.");
    const late = ColumnTable.fromArrays([{ name: 'on', type: 'date', values: [new Date(Date.UTC(2106, 0, 1))] }]);
    error = await failure(upload(late, { target: freshName('late'), jobId }));
    expect(error.message).to.equal("Column 'on' row 1: ClickHouse's Date holds 1970-01-01 to 2105-12-31, not 2106-01-01.");

    expect(await leftovers(jobId), 'no staging table was made').to.deep.equal([]);
    expect(values(await sql(`SELECT id FROM ${target}`), 'id'), 'the target').to.deep.equal([7n]);
  });

  it("a user who may only read gets ClickHouse's own refusal, and nothing is made", async () => {
    registerConnector({ name: 'upload-reader', kind: 'clickhouse', options: { url: server.url }, credentials: { user: server.readonlyUser, password: server.password } });
    const reader = await getConnector('upload-reader');
    const jobId = freshJob();
    const target = freshName('readonly');
    const error = await failure(uploadTable(reader, simpleTable(10), { target, jobId, retryDelayMs: 20 }));
    expect(error.detail.serverMessage).to.match(/^Code: 164, e\.displayText\(\) = DB::Exception: Cannot create table in readonly mode/);
    expect(error.message).to.include(error.detail.serverMessage!);
    expect(error.message).not.to.include(server.password);
    expect(await leftovers(jobId)).to.deep.equal([]);
  });

  it('an empty table makes an empty target; discardUpload removes what an unfinished job staged', async () => {
    const target = freshName('empty');
    const result = await upload(simpleTable(0), { target });
    expect(result).to.include({ rows: 0, chunks: 0, chunksWritten: 0 });
    expect((await readBack(target)).columnNames).to.deep.equal(['id', 'x', 's']);
    expect((await readBack(target)).numRows).to.equal(0);

    const jobId = freshJob();
    const source = simpleTable(5);
    const plan: UploadPlan = { jobId, target, mode: 'append', schema: source.schema, chunkRows: 5, totalRows: 5 };
    await warehouse.uploads!.createStaging(plan);
    await warehouse.uploads!.writeChunk(plan, 0, source);
    expect(await leftovers(jobId)).to.deep.equal([`bento_stage_${jobId}_c0`]);
    await discardUpload(warehouse, { jobId, target });
    expect(await leftovers(jobId)).to.deep.equal([]);
    expect((await readBack(target)).numRows).to.equal(0);
  });

  it('a staged chunk that differs from what the page sends fails the verification, and nothing is written', async () => {
    const target = freshName('verify');
    const jobId = freshJob();
    const source = simpleTable(60);
    const plan: UploadPlan = { jobId, target, mode: 'create', schema: source.schema, chunkRows: 20, totalRows: 60 };
    // Chunk 1 as an earlier run of this job id staged it, from a table that differs in one value.
    const other = source.slice(0);
    (other.column('x')!.values as Float64Array)[25] = 0.5;
    await warehouse.uploads!.createStaging(plan);
    await warehouse.uploads!.writeChunk(plan, 1, other.slice(20, 40));

    const error = await failure(upload(source, { target, jobId, chunkRows: 20 }));
    expect(error.message).to.equal(
      `Uploading to '${target}' (ClickHouse at /clickhouse) stopped before writing it: the values the warehouse stored differ from those sent in column 'x' ` +
        '(their checksums do not match: a value was changed on the way, e.g. rounded or cut short). Nothing was written to the target.',
    );
    expect(await leftovers(jobId)).to.deep.equal([]);
    expect(Number((await sql(`EXISTS TABLE ${target}`)).value(0, 0))).to.equal(0);
  });

  it("a value the target cannot take fails the job with the server's words, and the target stays as it was", async () => {
    const target = freshName('rejected');
    await sql(`CREATE TABLE ${target} (id Int64, n Int32) ENGINE = MergeTree ORDER BY id`);
    await sql(`INSERT INTO ${target} VALUES (1, 10), (2, 20)`);
    const source = ColumnTable.fromArrays([
      { name: 'id', type: 'int64', values: [3n, 4n, 5n] },
      { name: 'n', type: 'string', values: ['30', 'forty', '50'] },
    ]);
    const jobId = freshJob();
    const error = await failure(upload(source, { target, jobId, mode: 'append', chunkRows: 2 }));
    expect(error.detail.serverMessage).to.match(/^Code: 6, e\.displayText\(\) = DB::Exception: Cannot parse string 'forty' as Int32/);
    expect(error.message).to.include(error.detail.serverMessage!);
    expect(error.message).to.match(/Nothing was written to the target\.$/);
    expect(error.detail.retryable).to.equal(false);
    expect(values(await sql(`SELECT n FROM ${target} ORDER BY id`), 'n')).to.deep.equal([10, 20]);
    expect(await leftovers(jobId)).to.deep.equal([]);
  });

  it("a chunk the server refuses fails the job with the server's words; nothing is written", async () => {
    const target = freshName('chunk_refused');
    const jobId = freshJob();
    const error = await failure(
      upload(simpleTable(140), {
        target,
        jobId,
        chunkRows: 20,
        onProgress: async ({ chunk }) => {
          // Someone remakes the last chunk's table under the job, with a column of another type: the chunk no longer fits.
          if (chunk !== 1) return;
          await sql(`DROP TABLE ${DB}.bento_stage_${jobId}_c6`);
          await sql(`CREATE TABLE ${DB}.bento_stage_${jobId}_c6 (id Int64, x String, s Nullable(String)) ENGINE = MergeTree ORDER BY tuple()`);
        },
      }),
    );
    expect(error.detail.serverMessage).to.equal('Code: 368, e.displayText() = DB::Exception: Bad cast from type DB::ColumnVector<double> to DB::ColumnString, e.what() = DB::Exception');
    expect(error.message).to.equal(`Uploading to '${target}' (ClickHouse at /clickhouse) failed: ClickHouse at /clickhouse: ${error.detail.serverMessage}. Nothing was written to the target.`);
    expect(error.detail.retryable).to.equal(false);
    expect(await leftovers(jobId)).to.deep.equal([]);
    expect(Number((await sql(`EXISTS TABLE ${target}`)).value(0, 0))).to.equal(0);
  });

  it('cancel drops the staging table and leaves the target as it was', async () => {
    const target = freshName('cancel');
    const before = simpleTable(30);
    await upload(before, { target });
    const controller = new AbortController();
    const jobId = freshJob();
    const error = await failure(
      upload(simpleTable(200, 1000), {
        target,
        jobId,
        mode: 'replace',
        chunkRows: 20,
        signal: controller.signal,
        onProgress: ({ chunk }) => {
          if (chunk === 2) controller.abort();
        },
      }),
    );
    expect(error.detail.cancelled).to.equal(true);
    expect(error.message).to.match(/cancelled: its staging table was dropped and the target was not changed\.$/);
    expect(await leftovers(jobId)).to.deep.equal([]);
    await expectHolds(target, before);
  });

  describe('faults', function () {
    this.timeout(120_000);
    let down = false;
    let recovering: Promise<void> | undefined;
    const crash = async () => {
      down = true;
      recovering = undefined;
      await executeServerCommand('clickhouse-crash');
    };
    const recover = () =>
      (recovering ??= executeServerCommand('clickhouse-recover').then(() => {
        down = false;
      }));
    // A test that fails between the crash and the recovery must not leave the server down for what runs next.
    afterEach(async () => {
      if (down) await recover();
    });

    it('ClickHouse killed mid-upload: the job pauses; once it is back, the same job resumes from the first missing chunk, exactly once', async () => {
      const target = freshName('crash');
      const source = simpleTable(300);
      const jobId = freshJob();
      const error = await failure(
        upload(source, {
          target,
          jobId,
          chunkRows: 25,
          retries: 1,
          onProgress: async ({ chunk }) => {
            if (chunk === 4) await crash();
          },
        }),
      );
      expect(error.detail.resumable, error.message).to.equal(true);
      const said = /paused: .* The (\d+) rows staged so far are kept; run the upload again with jobId '\w+' to resume\.$/.exec(error.message);
      expect(said, error.message).to.be.ok;
      await recover();

      // Chunks may land out of order (two in flight): the staged ones are what the server says; 0, 1 and 4 at least.
      const chunkTables = await sql(`SELECT table FROM system.parts WHERE active AND database = '${DB}' AND match(table, '^bento_stage_${jobId}_c[0-9]+$') GROUP BY table`);
      const staged = (values(chunkTables, 'table') as string[]).map((name) => Number(name.split('_c').at(-1))).sort((a, b) => a - b);
      expect(staged).to.include.members([0, 1, 4]);
      expect(Number(said![1])).to.be.within(100, staged.length * 25);
      const missing = Array.from({ length: 12 }, (_, chunk) => chunk).filter((chunk) => !staged.includes(chunk));
      // The other lane goes on while the server is being killed, so how many more land depends on the machine's load.
      expect(missing.length, 'chunks the crash kept from landing').to.be.at.least(2);
      // A chunk that landed only in part (as a cut connection could leave it): the resume writes it again.
      await sql(`CREATE TABLE IF NOT EXISTS ${DB}.bento_stage_${jobId}_c${missing[0]} AS ${DB}.bento_stage_${jobId}_c0`);
      await sql(`INSERT INTO ${DB}.bento_stage_${jobId}_c${missing[0]} (id, x, s) VALUES (${missing[0] * 25}, 0, 'half')`);

      const written: number[] = [];
      const result = await upload(source, { target, jobId, chunkRows: 25, onProgress: ({ chunk }) => void (chunk === undefined || written.push(chunk)) });
      expect(written.sort((a, b) => a - b), 'chunks the resumed job wrote: the missing ones, from the first').to.deep.equal(missing);
      expect(result).to.include({ rows: 300, chunks: 12, chunksWritten: missing.length });
      await expectHolds(target, source);
      expect(await leftovers(jobId)).to.deep.equal([]);
    });

    it('a chunk whose connection breaks halfway is written again, and each row lands once', async () => {
      const target = freshName('cut_request');
      const source = simpleTable(200);
      const jobId = freshJob();
      const result = await upload(source, {
        target,
        jobId,
        chunkRows: 30,
        onProgress: async ({ chunk }) => {
          if (chunk === 1) await executeServerCommand('clickhouse-cut', { match: `bento_stage_${jobId}`, where: 'request' });
        },
      });
      expect(await executeServerCommand('clickhouse-cut-fired'), 'the connection was cut').to.deep.equal({ fired: true });
      expect(result).to.include({ chunks: 7, chunksWritten: 7 });
      await expectHolds(target, source);
    });

    it('a chunk whose answer is lost is found staged and not written twice', async () => {
      const target = freshName('cut_response');
      const source = simpleTable(200);
      const jobId = freshJob();
      const result = await upload(source, {
        target,
        jobId,
        chunkRows: 30,
        onProgress: async ({ chunk }) => {
          if (chunk === 3) await executeServerCommand('clickhouse-cut', { match: `bento_stage_${jobId}`, where: 'response' });
        },
      });
      expect(await executeServerCommand('clickhouse-cut-fired'), 'the answer was lost').to.deep.equal({ fired: true });
      expect(result).to.include({ chunks: 7, chunksWritten: 7 });
      await expectHolds(target, source);
    });

    it('a chunk that lands twice (as a browser resends a POST) is written again once before the verification', async () => {
      const target = freshName('twice');
      const source = simpleTable(200);
      const jobId = freshJob();
      const chunk2 = `${DB}.bento_stage_${jobId}_c2`;
      let doubled = 0;
      const result = await upload(source, {
        target,
        jobId,
        chunkRows: 30,
        onProgress: async ({ chunk }) => {
          if (chunk !== 2) return;
          await sql(`INSERT INTO ${chunk2} SELECT * FROM ${chunk2}`);
          doubled = Number((await sql(`SELECT count() AS n FROM ${chunk2}`)).value(0, 0));
        },
      });
      expect(doubled, 'chunk 2 held twice its rows before the verification').to.equal(60);
      expect(result).to.include({ chunks: 7, chunksWritten: 7 });
      await expectHolds(target, source);
      expect(await leftovers(jobId)).to.deep.equal([]);
    });

    it('an append whose answer is lost is not applied twice', async () => {
      const target = freshName('cut_append');
      const first = simpleTable(50);
      await upload(first, { target });
      const source = simpleTable(90, 50);
      const jobId = freshJob();
      await upload(source, {
        target,
        jobId,
        mode: 'append',
        chunkRows: 40,
        onProgress: async ({ phase }) => {
          if (phase === 'committing') await executeServerCommand('clickhouse-cut', { match: `bento_upload_${jobId}_append`, where: 'response' });
        },
      });
      expect(await executeServerCommand('clickhouse-cut-fired'), 'the answer was lost').to.deep.equal({ fired: true });
      await expectHolds(target, ColumnTable.concat([first, source]));
      expect(await leftovers(jobId)).to.deep.equal([]);
    });

    it('a failure that passes is retried with backoff, in the same run, without a duplicate or a gap', async () => {
      const target = freshName('retry');
      const first = simpleTable(40);
      await upload(first, { target });
      const source = simpleTable(160, 40);
      let recovered: Promise<unknown> | undefined;
      const result = await upload(source, {
        target,
        mode: 'append',
        chunkRows: 20,
        retries: 8,
        retryDelayMs: 100,
        onProgress: async ({ chunk }) => {
          if (chunk !== 1) return;
          await crash();
          // Back while the upload waits to try again.
          recovered = recover();
        },
      });
      await recovered;
      expect(result).to.include({ rows: 160, chunksWritten: 8 });
      await expectHolds(target, ColumnTable.concat([first, source]));
    });
  });
});

describe('uploads to DuckDB-WASM', function () {
  this.timeout(120_000);
  let embedded: Connector;
  const readBackFrom = async (target: string) => (await embedded.query(`SELECT * FROM ${target} ORDER BY id`)).table;
  const holds = async (target: string, source: ColumnTable) => expectSameRows(await readBackFrom(target), source);
  const stagingTables = async (jobId: string) => {
    const { table } = await embedded.query(`SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'bento_stage_${jobId}%'`);
    return values(table, 'table_name');
  };
  const embeddedUpload = (table: ColumnTable, options: UploadOptions) => uploadTable(embedded, table, { retryDelayMs: 20, ...options });

  before(async () => {
    registerConnector({ name: 'upload-duckdb', kind: 'duckdb', options: { bundleURL: '/node_modules/@duckdb/duckdb-wasm/dist/' } });
    embedded = await getConnector('upload-duckdb');
  });

  it('create: every type arrives exactly (fractions of a second and dates before 1970 too)', async () => {
    const source = ColumnTable.fromArrays([
      { name: 'id', type: 'int32', values: [0, 1, 2, 3, 4] },
      { name: 'i8', type: 'int8', values: [-128, 127, null, -1, 0] },
      { name: 'i16', type: 'int16', values: [-32768, 32767, 0, null, 1] },
      { name: 'i64', type: 'int64', values: [-9223372036854775808n, 9223372036854775807n, 9007199254740993n, null, 0n] },
      { name: 'u8', type: 'uint8', values: [0, 255, 1, 2, null] },
      { name: 'u16', type: 'uint16', values: [0, 65535, 1, 2, 3] },
      { name: 'u32', type: 'uint32', values: [0, 4294967295, 1, null, 3] },
      { name: 'u64', type: 'uint64', values: [0n, 18446744073709551615n, 9007199254740993n, 2n, null] },
      { name: 'f32', type: 'float32', values: [0.5, -3.25, Infinity, NaN, null] },
      { name: 'f64', type: 'float64', values: [0.1, -0, 5e-324, NaN, -Infinity] },
      { name: 'flag', type: 'bool', values: [true, false, null, true, false] },
      { name: 's', type: 'string', values: ['plain', 'tab\there\nquote \' and "', 'héllo — 世界 🎉', '', null] },
      { name: 'd', type: 'date', values: [new Date(Date.UTC(1900, 0, 1)), new Date(0), null, new Date(Date.UTC(2300, 11, 31)), new Date(Date.UTC(2024, 1, 29))] },
      { name: 'ts', type: 'timestamp', values: [-1_000_000_123n, 1_700_000_000_250_001n, null, 0n, 32_503_680_000_000_000n] },
    ]);
    const target = `types_${freshJob()}`;
    const jobId = freshJob();
    const result = await embeddedUpload(source, { target, jobId, chunkRows: 2 });
    expect(result).to.include({ rows: 5, chunks: 3, chunksWritten: 3 });
    const stored = await readBackFrom(target);
    expect(stored.schema.map((c) => c.type)).to.deep.equal(source.schema.map((c) => c.type));
    for (const name of source.columnNames) expect(values(stored, name), name).to.deep.equal(values(source, name));
    expect(Array.from(stored.column('ts')!.values as BigInt64Array)).to.deep.equal([-1_000_000_123n, 1_700_000_000_250_001n, 0n, 0n, 32_503_680_000_000_000n]);
    expect(await stagingTables(jobId)).to.deep.equal([]);
  });

  it('a value DuckDB stored differently fails the verification, whichever column it is in', async () => {
    // The staged table changed under the job after its first chunk: one value in a column DuckDB sums itself (the
    // string), or in one whose stored values come back to be summed here (the float).
    for (const [column, change] of [
      ['s', `UPDATE {stage} SET s = 'changed' WHERE id = 3`],
      ['x', `UPDATE {stage} SET x = x + 1e-9 WHERE id = 2`],
    ]) {
      const target = `verify_${freshJob()}`;
      const jobId = freshJob();
      const error = await failure(
        embeddedUpload(simpleTable(40), {
          target,
          jobId,
          chunkRows: 10,
          parallel: 1,
          onProgress: async ({ chunk }) => {
            if (chunk === 0) await embedded.query(change.replace('{stage}', `bento_stage_${jobId}`));
          },
        }),
      );
      expect(error.message, column).to.contain(`differ from those sent in column '${column}'`);
      expect(await stagingTables(jobId)).to.deep.equal([]);
    }
  });

  it('append and replace change the target at the commit only', async () => {
    const target = `modes_${freshJob()}`;
    const first = simpleTable(70);
    await embeddedUpload(first, { target, chunkRows: 30 });
    const counts: number[] = [];
    const count = async () => {
      counts.push(Number((await embedded.query(`SELECT count(*) FROM ${target}`)).table.value(0, 0)));
    };
    const second = simpleTable(90, 70);
    await embeddedUpload(second, { target, mode: 'append', chunkRows: 25, onProgress: ({ phase }) => (phase === 'done' ? undefined : count()) });
    expect([...new Set(counts)], 'the target until the append commits').to.deep.equal([70]);
    await holds(target, ColumnTable.concat([first, second]));

    counts.length = 0;
    const third = simpleTable(40, 500);
    await embeddedUpload(third, { target, mode: 'replace', chunkRows: 15, onProgress: ({ phase }) => (phase === 'done' ? undefined : count()) });
    expect([...new Set(counts)], 'the target until the replace commits').to.deep.equal([160]);
    await holds(target, third);

    const error = await failure(embeddedUpload(third, { target }));
    expect(error.message).to.equal(`The table "${target}" exists already; upload with mode 'append' to add rows to it or 'replace' to replace it.`);
    const missing = await failure(embeddedUpload(third, { target: `missing_${freshJob()}`, mode: 'append' }));
    expect(missing.message).to.match(/does not exist; upload with mode 'create' to make it\.$/);
  });

  it('a chunk written twice is staged once, and a resumed job writes only the missing chunks', async () => {
    const source = simpleTable(100);
    const jobId = freshJob();
    const target = `resume_${freshJob()}`;
    const plan: UploadPlan = { jobId, target, mode: 'create', schema: source.schema, chunkRows: 20, totalRows: 100 };
    const sink = embedded.uploads!;
    // What an earlier run left when the page went away: chunks 0 and 1, the first of them sent twice.
    await sink.createStaging(plan);
    await sink.writeChunk(plan, 0, source.slice(0, 20));
    await sink.writeChunk(plan, 0, source.slice(0, 20));
    await sink.writeChunk(plan, 1, source.slice(20, 40));
    expect([...(await sink.stagedChunks(plan))].sort()).to.deep.equal([[0, 20], [1, 20]]);

    const written: number[] = [];
    const result = await embeddedUpload(source, { target, jobId, chunkRows: 20, onProgress: ({ chunk }) => void (chunk === undefined || written.push(chunk)) });
    expect(written.sort()).to.deep.equal([2, 3, 4]);
    expect(result).to.include({ chunks: 5, chunksWritten: 3 });
    await holds(target, source);
    expect(await stagingTables(jobId)).to.deep.equal([]);
  });

  it('a job run again after its commit writes nothing twice, with keepLedger', async () => {
    const target = `rerun_${freshJob()}`;
    const source = simpleTable(40);
    const jobId = freshJob();
    await embeddedUpload(source, { target, jobId, chunkRows: 15, keepLedger: true });
    expect(await stagingTables(jobId)).to.deep.equal([`bento_stage_${jobId}_ledger`]);
    const again = await embeddedUpload(source, { target, jobId, chunkRows: 15, keepLedger: true });
    expect(again).to.include({ committedEarlier: true, chunksWritten: 0 });
    await holds(target, source);
    await discardUpload(embedded, { jobId, target });
    expect(await stagingTables(jobId)).to.deep.equal([]);
  });

  it('cancel drops the staging table and leaves the target as it was', async () => {
    const target = `cancel_${freshJob()}`;
    const before = simpleTable(30);
    await embeddedUpload(before, { target });
    const controller = new AbortController();
    const jobId = freshJob();
    const error = await failure(
      embeddedUpload(simpleTable(100, 1000), {
        target,
        jobId,
        mode: 'append',
        chunkRows: 10,
        signal: controller.signal,
        onProgress: ({ chunk }) => {
          if (chunk === 3) controller.abort();
        },
      }),
    );
    expect(error.detail.cancelled).to.equal(true);
    expect(await stagingTables(jobId)).to.deep.equal([]);
    await holds(target, before);
  });
});
