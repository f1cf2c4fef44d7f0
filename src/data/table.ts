/**
 * ColumnTable: the one shape a table has between a data source and a kernel. Columns are typed arrays (Arrow's
 * primitive layouts, one byte per boolean), so a table moves to the Pyodide worker as transferred buffers and to
 * a remote kernel as a comm's binary buffers, never as row objects (DESIGN.md: "Tables move as columns").
 */

export type IntegerType = 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64';
export type ColumnType = IntegerType | 'float32' | 'float64' | 'bool' | 'string' | 'date' | 'timestamp';

export type ColumnValues =
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/**
 * One column. Layout by type:
 * - integers and floats: the typed array of that type (`int64` is a BigInt64Array);
 * - `bool`: Uint8Array of 0/1;
 * - `string`: `values` is UTF-8 bytes and `offsets` (Int32Array, numRows + 1) delimits each value;
 * - `date`: Int32Array of days since 1970-01-01;
 * - `timestamp`: BigInt64Array of microseconds since 1970-01-01T00:00:00Z.
 * A null's slot in `values` holds 0 (or an empty string); `valid` says which rows are null.
 */
export interface Column {
  name: string;
  type: ColumnType;
  values: ColumnValues;
  offsets?: Int32Array;
  /** One byte per row, 0 where the value is null. Absent when the column has no nulls. */
  valid?: Uint8Array;
  /** `timestamp` only: the IANA zone the source shows these instants in (the values stay UTC). */
  timezone?: string;
  /** The source's own type name (`Nullable(DateTime)`, `VARCHAR`), shown in a column header's tooltip. */
  sourceType?: string;
  /**
   * `string` only: `json` when each value is JSON text (a GraphQL list, a nested value): Python gets the decoded
   * value (a list, a dict) in that cell, JavaScript and the table view show the text.
   */
  encoding?: 'json';
}

/** What a column looks like without its buffers: travels as JSON beside them. */
export interface ColumnSchema {
  name: string;
  type: ColumnType;
  nullable: boolean;
  timezone?: string;
  sourceType?: string;
  encoding?: 'json';
}

/** A value as JavaScript shows it: `int64` as bigint, dates and timestamps as Date, null for null. */
export type CellValue = number | bigint | boolean | string | Date | null;

/** A typed-array class of a column type: new from a length, or as a view over a buffer. */
export interface ColumnArrayClass {
  new (length: number): ColumnValues;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): ColumnValues;
  readonly name: string;
  readonly BYTES_PER_ELEMENT: number;
}

/** The typed array that holds each fixed-width column type (`string` columns hold UTF-8 bytes and offsets). */
export const ARRAY_OF: Record<Exclude<ColumnType, 'string'>, ColumnArrayClass> = {
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  float32: Float32Array,
  float64: Float64Array,
  bool: Uint8Array,
  date: Int32Array,
  timestamp: BigInt64Array,
};

const MS_PER_DAY = 86_400_000;
const utf8 = new TextDecoder();

export class ColumnTable {
  readonly columns: readonly Column[];
  readonly numRows: number;

  constructor(columns: Column[], numRows?: number) {
    this.numRows = numRows ?? (columns[0] ? rowCount(columns[0]) : 0);
    const seen = new Set<string>();
    for (const column of columns) {
      if (seen.has(column.name)) throw new TypeError(`Column '${column.name}' appears twice; column names must be unique.`);
      seen.add(column.name);
      checkColumn(column, this.numRows);
    }
    this.columns = columns;
  }

  get columnNames(): string[] {
    return this.columns.map((c) => c.name);
  }

  get schema(): ColumnSchema[] {
    return this.columns.map((c) => ({
      name: c.name,
      type: c.type,
      nullable: Boolean(c.valid),
      ...(c.timezone ? { timezone: c.timezone } : {}),
      ...(c.sourceType ? { sourceType: c.sourceType } : {}),
      ...(c.encoding ? { encoding: c.encoding } : {}),
    }));
  }

  column(name: string): Column | undefined {
    return this.columns.find((c) => c.name === name);
  }

  /** The value at (`row`, column index `col`) as JavaScript shows it. */
  value(row: number, col: number): CellValue {
    return columnValue(this.columns[col], row);
  }

  /** The first `count` rows, sharing no buffers with this table (so this one may still be transferred). */
  head(count: number): ColumnTable {
    return this.slice(0, count);
  }

  /**
   * Rows `start` (inclusive) to `end` (exclusive, clamped to the table), sharing no buffers with this table: an
   * upload's chunk. A string column's offsets start at 0 again.
   */
  slice(start: number, end: number = this.numRows): ColumnTable {
    const from = Math.max(0, Math.min(start, this.numRows));
    const to = Math.max(from, Math.min(end, this.numRows));
    return new ColumnTable(
      this.columns.map((c) => {
        const sliced: Column = { ...c };
        if (c.type === 'string') {
          const base = c.offsets![from];
          sliced.values = c.values.slice(base, c.offsets![to]) as ColumnValues;
          sliced.offsets = c.offsets!.slice(from, to + 1);
          if (base !== 0) for (let i = 0; i < sliced.offsets.length; i++) sliced.offsets[i] -= base;
        } else {
          sliced.values = c.values.slice(from, to) as ColumnValues;
        }
        if (c.valid) sliced.valid = c.valid.slice(from, to);
        return sliced;
      }),
      to - from,
    );
  }

  /** Every distinct ArrayBuffer behind this table, for a `postMessage` transfer list. */
  buffers(): ArrayBuffer[] {
    const set = new Set<ArrayBuffer>();
    for (const c of this.columns) {
      for (const array of [c.values, c.offsets, c.valid]) if (array) set.add(array.buffer as ArrayBuffer);
    }
    return [...set];
  }

  /** Rows appended one table after another; every table must have the same schema. */
  static concat(tables: ColumnTable[]): ColumnTable {
    if (tables.length === 1) return tables[0];
    if (tables.length === 0) return new ColumnTable([], 0);
    const first = tables[0];
    const numRows = tables.reduce((sum, t) => sum + t.numRows, 0);
    const columns = first.columns.map((template, index) => {
      const parts = tables.map((t) => t.columns[index]);
      for (const part of parts) {
        if (part.name !== template.name || part.type !== template.type) {
          throw new TypeError(`Cannot append tables with different columns ('${part.name}' ${part.type} after '${template.name}' ${template.type}).`);
        }
      }
      return concatColumns(template, parts, tables.map((t) => t.numRows), numRows);
    });
    return new ColumnTable(columns, numRows);
  }

  /** A table from plain JavaScript columns; handy for host pages and small results. */
  static fromArrays(columns: Array<{ name: string; type: ColumnType; values: ArrayLike<CellValue>; timezone?: string }>): ColumnTable {
    const numRows = columns[0]?.values.length ?? 0;
    return new ColumnTable(
      columns.map(({ name, type, values, timezone }) => {
        const builder = new ColumnBuilder(name, type, { timezone });
        for (let i = 0; i < values.length; i++) builder.push(values[i]);
        return builder.finish();
      }),
      numRows,
    );
  }
}

/** The number of rows a column holds. */
function rowCount(column: Column): number {
  return column.type === 'string' ? (column.offsets?.length ?? 1) - 1 : column.values.length;
}

function checkColumn(column: Column, numRows: number): void {
  if (!(column.type in ARRAY_OF) && column.type !== 'string') throw new TypeError(`Column '${column.name}' has an unknown type '${column.type}'.`);
  if (column.type === 'string' && !(column.values instanceof Uint8Array && column.offsets instanceof Int32Array)) {
    throw new TypeError(`String column '${column.name}' needs UTF-8 bytes in a Uint8Array and offsets in an Int32Array.`);
  }
  if (column.type !== 'string' && !(column.values instanceof ARRAY_OF[column.type])) {
    throw new TypeError(`Column '${column.name}' of type ${column.type} needs a ${ARRAY_OF[column.type].name}.`);
  }
  if (rowCount(column) !== numRows) throw new TypeError(`Column '${column.name}' has ${rowCount(column)} rows, the table ${numRows}.`);
  if (column.valid && column.valid.length !== numRows) throw new TypeError(`Column '${column.name}': its null mask has ${column.valid.length} entries for ${numRows} rows.`);
}

export function columnValue(column: Column, row: number): CellValue {
  if (column.valid && column.valid[row] === 0) return null;
  switch (column.type) {
    case 'string':
      return utf8.decode(column.values.subarray(column.offsets![row], column.offsets![row + 1]) as Uint8Array);
    case 'bool':
      return column.values[row] !== 0;
    case 'date':
      return new Date((column.values[row] as number) * MS_PER_DAY);
    case 'timestamp': {
      const micros = column.values[row] as bigint;
      return new Date(Number(micros / 1000n));
    }
    default:
      return column.values[row];
  }
}

function concatColumns(template: Column, parts: Column[], rows: number[], numRows: number): Column {
  const out: Column = { ...template };
  if (template.type === 'string') {
    const bytes = parts.reduce((sum, p) => sum + p.offsets![p.offsets!.length - 1], 0);
    const values = new Uint8Array(bytes);
    const offsets = new Int32Array(numRows + 1);
    let row = 0;
    let base = 0;
    for (const p of parts) {
      const n = p.offsets!.length - 1;
      const end = p.offsets![n];
      values.set((p.values as Uint8Array).subarray(p.offsets![0], end), base);
      for (let i = 1; i <= n; i++) offsets[row + i] = base + p.offsets![i] - p.offsets![0];
      row += n;
      base += end - p.offsets![0];
    }
    out.values = values;
    out.offsets = offsets;
  } else {
    const values = new ARRAY_OF[template.type](numRows);
    let row = 0;
    for (const p of parts) {
      (values as unknown as { set(a: ArrayLike<unknown>, o: number): void }).set(p.values as ArrayLike<unknown>, row);
      row += p.values.length;
    }
    out.values = values;
  }
  if (parts.some((p) => p.valid)) {
    const valid = new Uint8Array(numRows).fill(1);
    let row = 0;
    parts.forEach((p, i) => {
      if (p.valid) valid.set(p.valid, row);
      row += rows[i];
    });
    out.valid = valid;
  } else {
    delete out.valid;
  }
  return out;
}

/**
 * Builds one column value by value, growing its buffers geometrically: for row-oriented sources (a text
 * stream from a server) that still must end as columns.
 */
export class ColumnBuilder {
  private values: ColumnValues;
  private bytes = new Uint8Array(0);
  private offsets = new Int32Array(0);
  private byteLength = 0;
  private valid?: Uint8Array;
  private length = 0;
  private readonly encoder = new TextEncoder();

  constructor(
    readonly name: string,
    readonly type: ColumnType,
    private readonly extra: { timezone?: string; sourceType?: string; encoding?: 'json' } = {},
  ) {
    const initial = 1024;
    if (type === 'string') {
      this.values = new Uint8Array(0);
      this.bytes = new Uint8Array(initial * 8);
      this.offsets = new Int32Array(initial + 1);
    } else {
      this.values = new ARRAY_OF[type](initial);
    }
  }

  get rows(): number {
    return this.length;
  }

  /** Appends one value; null (or undefined) appends a null. Dates and timestamps take Date, or their raw number. */
  push(value: CellValue | undefined): void {
    const row = this.length;
    this.ensureRows(row + 1);
    if (value === null || value === undefined) {
      this.valid ??= new Uint8Array(this.capacity()).fill(1, 0, row);
      this.valid[row] = 0;
      if (this.type === 'string') this.offsets[row + 1] = this.byteLength;
      this.length++;
      return;
    }
    if (this.valid) this.valid[row] = 1;
    switch (this.type) {
      case 'string': {
        const text = String(value);
        // A UTF-8 encoding is at most 3 bytes per UTF-16 unit.
        this.ensureBytes(this.byteLength + text.length * 3);
        const { written } = this.encoder.encodeInto(text, this.bytes.subarray(this.byteLength));
        this.byteLength += written;
        this.offsets[row + 1] = this.byteLength;
        break;
      }
      case 'bool':
        this.values[row] = value ? 1 : 0;
        break;
      case 'date':
        this.values[row] = value instanceof Date ? Math.floor(value.getTime() / MS_PER_DAY) : Number(value);
        break;
      case 'timestamp':
        (this.values as BigInt64Array)[row] = value instanceof Date ? BigInt(value.getTime()) * 1000n : BigInt(value as number | bigint);
        break;
      case 'int64':
      case 'uint64':
        (this.values as BigInt64Array)[row] = typeof value === 'bigint' ? value : BigInt(value as number);
        break;
      default:
        (this.values as Float64Array)[row] = Number(value);
    }
    this.length++;
  }

  finish(): Column {
    const n = this.length;
    const column: Column = { name: this.name, type: this.type, values: this.values.slice(0, n) as ColumnValues };
    if (this.type === 'string') {
      column.values = this.bytes.slice(0, this.byteLength);
      column.offsets = this.offsets.slice(0, n + 1);
    }
    if (this.valid) column.valid = this.valid.slice(0, n);
    if (this.extra.timezone) column.timezone = this.extra.timezone;
    if (this.extra.sourceType) column.sourceType = this.extra.sourceType;
    if (this.extra.encoding) column.encoding = this.extra.encoding;
    return column;
  }

  private capacity(): number {
    return this.type === 'string' ? this.offsets.length - 1 : this.values.length;
  }

  private ensureRows(rows: number): void {
    const capacity = this.capacity();
    if (rows <= capacity) return;
    const next = Math.max(rows, capacity * 2);
    if (this.type === 'string') {
      const offsets = new Int32Array(next + 1);
      offsets.set(this.offsets);
      this.offsets = offsets;
    } else {
      const values = new ARRAY_OF[this.type](next);
      (values as unknown as { set(a: ArrayLike<unknown>): void }).set(this.values as ArrayLike<unknown>);
      this.values = values;
    }
    if (this.valid) {
      const valid = new Uint8Array(next).fill(1);
      valid.set(this.valid.subarray(0, this.length));
      this.valid = valid;
    }
  }

  private ensureBytes(bytes: number): void {
    if (bytes <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(bytes, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.byteLength));
    this.bytes = grown;
  }
}
