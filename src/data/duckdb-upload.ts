/**
 * The embedded DuckDB side of an upload (upload.ts). DuckDB has transactions, so each step is one: a chunk is
 * "delete that chunk's rows, insert them" (written twice, it is there once), and the commit creates, replaces or
 * appends to the target and drops the staging table in the same transaction, so it happens once or not at all and
 * a reader (any later query on the connector) sees the target before it or after it.
 *
 * The checksum: DuckDB computes the count and the sums of every column but the floats, over what it stored (strings
 * by `md5_number_upper`, the MD5's first 8 bytes); float columns come back (their stored values, through Arrow) and
 * are summed here, since DuckDB's SQL cannot reinterpret a double's bits.
 *
 * Types, ColumnTable → DuckDB:
 *
 * | column type      | DuckDB                                                                             |
 * |------------------|------------------------------------------------------------------------------------|
 * | int8 … int64     | TINYINT, SMALLINT, INTEGER, BIGINT                                                 |
 * | uint8 … uint64   | UTINYINT, USMALLINT, UINTEGER, UBIGINT                                             |
 * | float32, float64 | FLOAT, DOUBLE                                                                      |
 * | bool             | BOOLEAN                                                                            |
 * | string           | VARCHAR                                                                            |
 * | date             | DATE                                                                               |
 * | timestamp        | TIMESTAMP (the UTC instant; the column's zone is not kept: TIMESTAMPTZ needs ICU)   |
 *
 * The tables live in the connector's database: in memory (an upload lasts as long as the page), or with
 * `persist: true` in the origin-private file system (it lasts across reloads; the connector checkpoints after every
 * write, see duckdb.ts).
 */
import { tableToIPC } from 'apache-arrow';
import { tableToArrow } from './arrow.ts';
import type { DuckDBConnector } from './duckdb.ts';
import { ColumnTable, type ColumnType } from './table.ts';
import { addChecksums, tableChecksum, UploadError, type TableChecksum, type UploadPlan, type UploadSink } from './upload.ts';

const TYPES: Record<ColumnType, string> = {
  int8: 'TINYINT',
  int16: 'SMALLINT',
  int32: 'INTEGER',
  int64: 'BIGINT',
  uint8: 'UTINYINT',
  uint16: 'USMALLINT',
  uint32: 'UINTEGER',
  uint64: 'UBIGINT',
  float32: 'FLOAT',
  float64: 'DOUBLE',
  bool: 'BOOLEAN',
  string: 'VARCHAR',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
};

const TWO_64 = '18446744073709551616::HUGEINT';

const isFloat = (type: ColumnType) => type === 'float32' || type === 'float64';

/** A DuckDB expression of a (non-float) column's canonical 64-bit form (upload.ts), before the modulo. */
function canonical(type: ColumnType, column: string): string {
  switch (type) {
    case 'string':
      return `md5_number_upper(${column})::HUGEINT`; // the digest's first 8 bytes, little-endian
    case 'bool':
      return `${column}::HUGEINT`;
    case 'date':
      return `(${column} - DATE '1970-01-01')::HUGEINT`;
    case 'timestamp':
      return `epoch_us(${column})::HUGEINT`;
    default:
      return `${column}::HUGEINT`;
  }
}

/** `sum` of a HUGEINT expression modulo 2⁶⁴, non-negative (a sum over nulls only is 0). */
function modulo64(sum: string): string {
  return `((coalesce(${sum}, 0) % ${TWO_64} + ${TWO_64}) % ${TWO_64})`;
}

const CHUNK_COLUMN = 'bento_chunk';
const ROW_COLUMN = 'bento_row';
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const quoteName = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteString = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** Chunk `chunk` as the Arrow IPC stream its staging table takes: the rows, then their chunk and row numbers. */
export function encodeChunk(chunk: number, rows: ColumnTable): Uint8Array {
  const n = rows.numRows;
  const withPosition = new ColumnTable(
    [
      // A copy: the chunk may be a view whose string offsets do not start at 0, which Arrow's writer would not cut.
      ...rows.slice(0).columns,
      { name: CHUNK_COLUMN, type: 'uint32', values: new Uint32Array(n).fill(chunk) },
      { name: ROW_COLUMN, type: 'uint32', values: Uint32Array.from({ length: n }, (_, row) => row) },
    ],
    n,
  );
  return tableToIPC(tableToArrow(withPosition), 'stream');
}

/** The upload seam of a DuckDBConnector. */
export class DuckDBUploads implements UploadSink {
  constructor(private readonly connector: DuckDBConnector) {}

  async check(plan: UploadPlan): Promise<void> {
    const { target, schema } = this.names(plan);
    for (const column of plan.schema) {
      if (column.name === CHUNK_COLUMN || column.name === ROW_COLUMN) this.refuse(`Column '${column.name}' has a name the upload's staging table uses itself; rename the column.`);
      if (!TYPES[column.type]) this.refuse(`Column '${column.name}' is of type ${column.type}, which uploads to DuckDB cannot write (they write ${Object.keys(TYPES).join(', ')}).`);
    }
    const columns = await this.targetColumns(plan, schema);
    const exists = columns.size > 0;
    if (plan.mode === 'create' && exists) this.refuse(`The table ${target} exists already; upload with mode 'append' to add rows to it or 'replace' to replace it.`);
    if (plan.mode === 'append') {
      if (!exists) this.refuse(`The table ${target} does not exist; upload with mode 'create' to make it.`);
      for (const column of plan.schema) {
        const type = columns.get(column.name.toLowerCase());
        if (type === undefined) this.refuse(`The table ${target} has no column '${column.name}' (it has ${[...columns.keys()].map((n) => `'${n}'`).join(', ')}).`);
        if (/\[\]$|^(STRUCT|MAP|UNION|LIST)\b/.test(type!)) this.refuse(`Column '${column.name}' of ${target} is ${type}, a type uploads cannot write into; only plain values can be appended.`);
      }
    }
  }

  async createStaging(plan: UploadPlan): Promise<void> {
    const { stage } = this.names(plan);
    const columns = [...plan.schema.map((c) => `${quoteName(c.name)} ${TYPES[c.type]}`), `${CHUNK_COLUMN} UINTEGER`, `${ROW_COLUMN} UINTEGER`];
    await this.connector.transaction((conn) => conn.query(`CREATE TABLE IF NOT EXISTS ${stage} (${columns.join(', ')})`));
  }

  async stagedChunks(plan: UploadPlan): Promise<Map<number, number>> {
    const { stage } = this.names(plan);
    const { table } = await this.connector.query(`SELECT ${CHUNK_COLUMN}, count(*) FROM ${stage} GROUP BY ${CHUNK_COLUMN}`);
    const chunks = new Map<number, number>();
    for (let row = 0; row < table.numRows; row++) chunks.set(Number(table.value(row, 0)), Number(table.value(row, 1)));
    return chunks;
  }

  async writeChunk(plan: UploadPlan, chunk: number, rows: ColumnTable, signal?: AbortSignal): Promise<number> {
    return this.writeEncodedChunk(plan, chunk, encodeChunk(chunk, rows), signal);
  }

  /**
   * Writes a chunk already encoded by `encodeChunk`. The jobs worker encodes there and calls this, so that the
   * page only hands the bytes on to DuckDB's own worker (encoding 100,000 rows took the page's main thread 50 to
   * 200 ms a chunk).
   */
  async writeEncodedChunk(plan: UploadPlan, chunk: number, ipc: Uint8Array, signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) throw signal.reason;
    const { stageName, stage } = this.names(plan);
    const bytes = ipc.byteLength;
    await this.connector.transaction(async (conn) => {
      await conn.query(`DELETE FROM ${stage} WHERE ${CHUNK_COLUMN} = ${chunk}`);
      await conn.insertArrowFromIPCStream(ipc, { name: stageName, create: false });
    });
    return bytes;
  }

  async dropChunk(plan: UploadPlan, chunk: number): Promise<void> {
    const { stage } = this.names(plan);
    await this.connector.transaction((conn) => conn.query(`DELETE FROM ${stage} WHERE ${CHUNK_COLUMN} = ${chunk}`));
  }

  async stagedChecksum(plan: UploadPlan): Promise<TableChecksum> {
    const { stage } = this.names(plan);
    // DuckDB sums every column it can put in canonical form, in its own worker; a million rows' MD5s summed in this
    // page were a 600 ms task on its main thread. Only floats come back (their bits are not reachable from SQL),
    // and summing those here is a few milliseconds.
    const floats = plan.schema.filter((c) => c.type === 'float32' || c.type === 'float64');
    const sums = plan.schema.map((c) => (isFloat(c.type) ? 'NULL' : `(${modulo64(`sum(${canonical(c.type, quoteName(c.name))})`)})::VARCHAR`));
    const { table: totals } = await this.connector.query(`SELECT count(*), ${plan.schema.map((c, i) => `count(${quoteName(c.name)}), ${sums[i]}`).join(', ')} FROM ${stage}`);
    // A chunk at a time: a million doubles decoded at once were one long task on the page's main thread.
    let floatSums = floats.map((c) => ({ name: c.name, nonNull: 0, sum: 0n }));
    const chunks = Math.ceil(plan.totalRows / plan.chunkRows);
    for (let chunk = 0; floats.length > 0 && chunk < chunks; chunk++) {
      const { table: stored } = await this.connector.query(`SELECT ${floats.map((c) => quoteName(c.name)).join(', ')} FROM ${stage} WHERE ${CHUNK_COLUMN} = ${chunk}`);
      floatSums = addChecksums({ rows: 0, columns: floatSums }, tableChecksum(stored)).columns;
    }
    return {
      rows: Number(totals.value(0, 0)),
      columns: plan.schema.map((c, i) => ({
        name: c.name,
        nonNull: Number(totals.value(0, 1 + 2 * i)),
        sum: isFloat(c.type) ? floatSums[floats.indexOf(c)].sum : BigInt((totals.value(0, 2 + 2 * i) as string | null) ?? '0'),
      })),
    };
  }

  async committed(plan: UploadPlan): Promise<boolean> {
    const { stageName } = this.names(plan);
    const { table } = await this.connector.query(
      `SELECT count(*) FILTER (WHERE table_name = ${quoteString(`${stageName}_ledger`)}) AS ledger, count(*) FILTER (WHERE table_name = ${quoteString(stageName)}) AS stage ` +
        `FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema = current_schema()`,
    );
    return Number(table.value(0, 0)) === 1 && Number(table.value(0, 1)) === 0;
  }

  async commit(plan: UploadPlan): Promise<void> {
    const { stage, stageName, target, ledger } = this.names(plan);
    const list = plan.schema.map((c) => quoteName(c.name)).join(', ');
    const select = `SELECT ${list} FROM ${stage} ORDER BY ${CHUNK_COLUMN}, ${ROW_COLUMN}`;
    await this.connector.transaction(async (conn) => {
      // Gone means an earlier commit of this job went through (the drop is part of the same transaction).
      const staged = await conn.query(`SELECT count(*) AS n FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema = current_schema() AND table_name = ${quoteString(stageName)}`);
      if (Number(staged.get(0)?.n ?? 0) === 0) return;
      if (plan.mode === 'append') {
        await conn.query(`INSERT INTO ${target} (${list}) ${select}`);
      } else {
        if (plan.mode === 'replace') await conn.query(`DROP TABLE IF EXISTS ${target}`);
        await conn.query(`CREATE TABLE ${target} AS ${select}`);
      }
      await conn.query(`DROP TABLE ${stage}`);
      // Kept after the commit (dropStaging removes it): with the staging table gone, it says the commit happened.
      await conn.query(`CREATE TABLE ${ledger} AS SELECT 1 AS committed`);
    });
  }

  async dropStaging(plan: UploadPlan): Promise<void> {
    const { stage, ledger } = this.names(plan);
    await this.connector.transaction(async (conn) => {
      await conn.query(`DROP TABLE IF EXISTS ${stage}`);
      await conn.query(`DROP TABLE IF EXISTS ${ledger}`);
    });
  }

  /** The target's columns (lower-cased name → type); none when it does not exist. */
  private async targetColumns(plan: UploadPlan, schema: string | undefined): Promise<Map<string, string>> {
    const table = plan.target.split('.').at(-1)!;
    const { table: columns } = await this.connector.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = current_database() ` +
        `AND table_schema = ${schema ? quoteString(schema) : 'current_schema()'} AND lower(table_name) = ${quoteString(table.toLowerCase())}`,
    );
    const found = new Map<string, string>();
    for (let row = 0; row < columns.numRows; row++) found.set(String(columns.value(row, 0)).toLowerCase(), String(columns.value(row, 1)));
    return found;
  }

  private names(plan: UploadPlan): { target: string; schema?: string; stage: string; stageName: string; ledger: string } {
    const parts = plan.target.split('.');
    if (parts.length > 2 || !parts.every((p) => NAME.test(p))) {
      this.refuse(`'${plan.target}' is not a table name an upload takes: use letters, digits and '_' (not first a digit), optionally after a schema and a dot, e.g. 'main.trips'.`);
    }
    if (/^bento_stage_/i.test(parts.at(-1)!)) this.refuse(`'${plan.target}' is a name uploads keep for their staging tables; choose another.`);
    const stageName = `bento_stage_${plan.jobId}`;
    return { target: parts.map(quoteName).join('.'), schema: parts.length === 2 ? parts[0] : undefined, stage: quoteName(stageName), stageName, ledger: quoteName(`${stageName}_ledger`) };
  }

  private refuse(message: string): never {
    throw new UploadError(message, { retryable: false });
  }
}
