/**
 * Arrow (apache-arrow 17) ↔ ColumnTable. Towards a ColumnTable: Buffers are copied column by column, never walked as row objects, except
 * for the types a ColumnTable has no layout for (intervals, lists, structs, maps, blobs, ...), which become readable
 * strings one value at a time.
 */
import {
  Bool,
  DateDay,
  DateUnit,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  IntervalUnit,
  makeData,
  makeVector,
  Table,
  TimestampMicrosecond,
  TimeUnit,
  Type,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
  type Data,
  type DataType,
  type RecordBatch,
  type Schema,
  type Vector,
} from 'apache-arrow';
import { ColumnBuilder, ColumnTable, type Column, type ColumnType, type IntegerType } from './table.ts';

const MS_PER_DAY = 86_400_000;
/** Arrow's third interval unit (what DuckDB writes for INTERVAL); apache-arrow 17's enum stops at DAY_TIME. */
const MONTH_DAY_NANO = 2;

/** One record batch as a table with buffers of its own (nothing shared with the Arrow message). */
export function recordBatchToTable(batch: RecordBatch): ColumnTable {
  const columns = batch.schema.fields.map((field, index) => arrowColumn(field.name, batch.data.children[index] as Data));
  return new ColumnTable(uniqueNames(columns), batch.numRows);
}

/** An Arrow table (or its batches) as one ColumnTable: each batch converted, then the parts appended. */
export function arrowToTable(source: Table | RecordBatch | readonly RecordBatch[]): ColumnTable {
  const batches = Array.isArray(source) ? source : 'batches' in (source as Table) ? (source as Table).batches : [source as RecordBatch];
  if (batches.length === 0) return emptyTable((source as Table).schema);
  return ColumnTable.concat(batches.map(recordBatchToTable));
}

/** No rows, but the columns (names and types) of `schema`: the shape of an empty result. */
export function emptyTable(schema: Schema | undefined): ColumnTable {
  const columns = (schema?.fields ?? []).map((field) => {
    const type = targetType(field.type);
    const column: Column = { name: field.name, type, values: type === 'string' ? new Uint8Array(0) : new (arrayFor(type))(0), sourceType: String(field.type) };
    if (type === 'string') column.offsets = new Int32Array(1);
    const timezone = (field.type as unknown as { timezone?: string | null }).timezone;
    if (type === 'timestamp' && timezone) column.timezone = timezone;
    return column;
  });
  return new ColumnTable(uniqueNames(columns), 0);
}

/** The Arrow type each column type is written as (a timestamp keeps its zone in the type, its values stay UTC). */
const ARROW_TYPES: Record<ColumnType, (column: Column) => DataType> = {
  int8: () => new Int8(),
  int16: () => new Int16(),
  int32: () => new Int32(),
  int64: () => new Int64(),
  uint8: () => new Uint8(),
  uint16: () => new Uint16(),
  uint32: () => new Uint32(),
  uint64: () => new Uint64(),
  float32: () => new Float32(),
  float64: () => new Float64(),
  bool: () => new Bool(),
  string: () => new Utf8(),
  date: () => new DateDay(),
  timestamp: (column) => new TimestampMicrosecond(column.timezone ?? null),
};

/**
 * A ColumnTable as an Arrow table (for DuckDB's Arrow insert): the typed arrays are used as they are, except the
 * byte-per-value booleans and validity, which Arrow packs into bits.
 */
export function tableToArrow(table: ColumnTable): Table {
  const n = table.numRows;
  const vectors: Record<string, Vector> = {};
  for (const column of table.columns) {
    const type = ARROW_TYPES[column.type](column);
    const nullCount = column.valid ? column.valid.reduce((count, v) => count + (v ? 0 : 1), 0) : 0;
    const nullBitmap = nullCount > 0 ? packBits(column.valid!) : undefined;
    const data =
      column.type === 'string'
        ? makeData({ type: type as Utf8, length: n, nullCount, nullBitmap, valueOffsets: column.offsets!, data: column.values as Uint8Array })
        : makeData({ type, length: n, nullCount, nullBitmap, data: column.type === 'bool' ? packBits(column.values as Uint8Array) : column.values } as Parameters<typeof makeData>[0]);
    vectors[column.name] = makeVector(data as Data);
  }
  return new Table(vectors);
}

function packBits(bytes: Uint8Array): Uint8Array {
  const bits = new Uint8Array((bytes.length + 7) >> 3);
  for (let i = 0; i < bytes.length; i++) if (bytes[i]) bits[i >> 3] |= 1 << (i & 7);
  return bits;
}

/** One Arrow column (a batch's child Data) as a Column. */
export function arrowColumn(name: string, data: Data): Column {
  const type = data.type as DataType;
  const valid = validity(data);
  const column = convert(name, data, valid);
  column.sourceType = String(type);
  if (valid) column.valid = valid;
  else delete column.valid;
  return column;
}

/** Arrow's validity bitmap as one byte per row (0 = null); undefined when there are no nulls. */
function validity(data: Data): Uint8Array | undefined {
  const n = data.length;
  if (data.typeId === Type.Null) return new Uint8Array(n);
  if (data.nullCount === 0) return undefined;
  const bitmap = data.nullBitmap;
  if (!bitmap || bitmap.length === 0) return undefined;
  return unpackBits(bitmap, data.offset, n);
}

function unpackBits(bits: Uint8Array, offset: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let i = 0;
  // Whole bytes when aligned: the common case (batches straight from IPC have offset 0).
  if ((offset & 7) === 0) {
    const first = offset >> 3;
    const whole = n >> 3;
    for (let b = 0; b < whole; b++, i += 8) {
      const byte = bits[first + b];
      out[i] = byte & 1;
      out[i + 1] = (byte >> 1) & 1;
      out[i + 2] = (byte >> 2) & 1;
      out[i + 3] = (byte >> 3) & 1;
      out[i + 4] = (byte >> 4) & 1;
      out[i + 5] = (byte >> 5) & 1;
      out[i + 6] = (byte >> 6) & 1;
      out[i + 7] = (byte >> 7) & 1;
    }
  }
  for (; i < n; i++) {
    const bit = offset + i;
    out[i] = (bits[bit >> 3] >> (bit & 7)) & 1;
  }
  return out;
}

/** The ColumnType an Arrow type converts to. */
function targetType(type: DataType): ColumnType {
  switch (type.typeId) {
    case Type.Int: {
      const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
      return `${isSigned ? 'int' : 'uint'}${bitWidth}` as IntegerType;
    }
    case Type.Float:
      return (type as unknown as { precision: number }).precision === 2 ? 'float64' : 'float32';
    case Type.Decimal:
      return 'float64';
    case Type.Bool:
      return 'bool';
    case Type.Date:
      return 'date';
    case Type.Timestamp:
      return 'timestamp';
    default:
      return 'string';
  }
}

type TypedArray = Column['values'];

function arrayFor(type: Exclude<ColumnType, 'string'>): { new (length: number): TypedArray } {
  switch (type) {
    case 'int8':
      return Int8Array;
    case 'int16':
      return Int16Array;
    case 'int32':
    case 'date':
      return Int32Array;
    case 'int64':
    case 'timestamp':
      return BigInt64Array;
    case 'uint8':
    case 'bool':
      return Uint8Array;
    case 'uint16':
      return Uint16Array;
    case 'uint32':
      return Uint32Array;
    case 'uint64':
      return BigUint64Array;
    case 'float32':
      return Float32Array;
    case 'float64':
      return Float64Array;
  }
}

function convert(name: string, data: Data, valid: Uint8Array | undefined): Column {
  const type = data.type as DataType;
  const n = data.length;
  // apache-arrow positions value and offset buffers at the slice already; only bitmaps (validity, booleans) are
  // read from `data.offset` on.
  switch (type.typeId) {
    case Type.Int: {
      const columnType = targetType(type);
      const values = (data.values as TypedArray).slice(0, n);
      zeroNulls(values, valid);
      return { name, type: columnType, values };
    }
    case Type.Float: {
      const precision = (type as unknown as { precision: number }).precision;
      if (precision === 0) {
        // Float16 has no typed array of its own: widen each half to a float32.
        const halves = data.values as Uint16Array;
        const values = new Float32Array(n);
        for (let i = 0; i < n; i++) values[i] = halfToFloat(halves[i]);
        zeroNulls(values, valid);
        return { name, type: 'float32', values };
      }
      const values = (data.values as Float32Array | Float64Array).slice(0, n);
      zeroNulls(values, valid);
      return { name, type: precision === 2 ? 'float64' : 'float32', values };
    }
    case Type.Bool: {
      const values = unpackBits(data.values as Uint8Array, data.offset, n);
      zeroNulls(values, valid);
      return { name, type: 'bool', values };
    }
    case Type.Utf8:
    case Type.LargeUtf8:
      return { name, type: 'string', ...utf8Column(data.valueOffsets as Int32Array | BigInt64Array, data.values as Uint8Array, n, valid) };
    case Type.Date: {
      const values = new Int32Array(n);
      if ((type as unknown as { unit: DateUnit }).unit === DateUnit.DAY) {
        values.set((data.values as Int32Array).subarray(0, n));
      } else {
        const millis = data.values as BigInt64Array;
        for (let i = 0; i < n; i++) values[i] = Math.floor(Number(millis[i]) / MS_PER_DAY);
      }
      zeroNulls(values, valid);
      return { name, type: 'date', values };
    }
    case Type.Timestamp: {
      const { unit, timezone } = type as unknown as { unit: TimeUnit; timezone?: string | null };
      const values = toMicros(data.values as BigInt64Array, n, unit);
      zeroNulls(values, valid);
      const column: Column = { name, type: 'timestamp', values };
      if (timezone) column.timezone = timezone;
      return column;
    }
    case Type.Decimal:
      return { name, type: 'float64', values: decimalsToFloat(data, valid) };
    case Type.Dictionary: {
      const dictionary = (data.dictionary as Vector | undefined)?.data;
      if (dictionary?.length === 1 && (dictionary[0].typeId === Type.Utf8 || dictionary[0].typeId === Type.LargeUtf8)) {
        return { name, type: 'string', ...gatherStrings(dictionary[0], data.values as ArrayLike<number | bigint>, n, valid) };
      }
      return displayColumn(name, data, valid);
    }
    default:
      return displayColumn(name, data, valid);
  }
}

/** Keeps the ColumnTable promise that a null's slot holds 0. */
function zeroNulls(values: TypedArray, valid: Uint8Array | undefined): void {
  if (!valid) return;
  const zero = values instanceof BigInt64Array || values instanceof BigUint64Array ? 0n : 0;
  for (let i = 0; i < valid.length; i++) if (valid[i] === 0) (values as unknown as Array<number | bigint>)[i] = zero;
}

function utf8Column(valueOffsets: Int32Array | BigInt64Array, bytes: Uint8Array, n: number, valid: Uint8Array | undefined): { values: Uint8Array; offsets: Int32Array } {
  const offsets = new Int32Array(n + 1);
  const base = Number(valueOffsets[0]);
  if (valueOffsets instanceof Int32Array) {
    if (base === 0) offsets.set(valueOffsets.subarray(0, n + 1));
    else for (let i = 0; i <= n; i++) offsets[i] = valueOffsets[i] - base;
  } else {
    const end = Number(valueOffsets[n]) - base;
    if (end > 0x7fffffff) throw new RangeError('A string column of more than 2 GiB in one batch does not fit a ColumnTable.');
    for (let i = 0; i <= n; i++) offsets[i] = Number(valueOffsets[i]) - base;
  }
  // Arrow lets a null hold bytes; a ColumnTable's null is an empty string. Rebuild only in that rare case.
  if (valid) {
    for (let i = 0; i < n; i++) {
      if (valid[i] === 0 && offsets[i + 1] !== offsets[i]) return compactNulls(bytes, base, offsets, valid);
    }
  }
  return { values: bytes.slice(base, base + offsets[n]), offsets };
}

function compactNulls(bytes: Uint8Array, base: number, offsets: Int32Array, valid: Uint8Array): { values: Uint8Array; offsets: Int32Array } {
  const n = offsets.length - 1;
  const out = new Uint8Array(offsets[n]);
  const outOffsets = new Int32Array(n + 1);
  let at = 0;
  for (let i = 0; i < n; i++) {
    if (valid[i] !== 0) {
      out.set(bytes.subarray(base + offsets[i], base + offsets[i + 1]), at);
      at += offsets[i + 1] - offsets[i];
    }
    outOffsets[i + 1] = at;
  }
  return { values: out.slice(0, at), offsets: outOffsets };
}

/** Dictionary-encoded strings (DuckDB's ENUM) decoded into one UTF-8 buffer. */
function gatherStrings(dictionary: Data, indices: ArrayLike<number | bigint>, n: number, valid: Uint8Array | undefined): { values: Uint8Array; offsets: Int32Array } {
  const dict = utf8Column(dictionary.valueOffsets as Int32Array | BigInt64Array, dictionary.values as Uint8Array, dictionary.length, undefined);
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (!valid || valid[i] !== 0) {
      const key = Number(indices[i]);
      total += dict.offsets[key + 1] - dict.offsets[key];
    }
    offsets[i + 1] = total;
  }
  const values = new Uint8Array(total);
  for (let i = 0; i < n; i++) {
    const start = offsets[i];
    const length = offsets[i + 1] - start;
    if (length === 0) continue;
    const from = dict.offsets[Number(indices[i])];
    if (length < 16) for (let b = 0; b < length; b++) values[start + b] = dict.values[from + b];
    else values.set(dict.values.subarray(from, from + length), start);
  }
  return { values, offsets };
}

function toMicros(source: BigInt64Array, n: number, unit: TimeUnit): BigInt64Array {
  if (unit === TimeUnit.MICROSECOND) return source.slice(0, n);
  const values = new BigInt64Array(n);
  if (unit === TimeUnit.NANOSECOND) {
    // Floor, not truncation: an instant before 1970 stays at or before itself.
    for (let i = 0; i < n; i++) {
      const nanos = source[i];
      const micros = nanos / 1000n;
      values[i] = nanos < 0n && micros * 1000n !== nanos ? micros - 1n : micros;
    }
  } else {
    const factor = unit === TimeUnit.SECOND ? 1_000_000n : 1000n;
    for (let i = 0; i < n; i++) values[i] = source[i] * factor;
  }
  return values;
}

/** Decimal128/256 (two's complement, little-endian 32-bit words) divided by 10^scale, as doubles. */
function decimalsToFloat(data: Data, valid: Uint8Array | undefined): Float64Array {
  const { scale, bitWidth } = data.type as unknown as { scale: number; bitWidth: number };
  const words = bitWidth / 32;
  const source = data.values as Uint32Array;
  const signed = new Int32Array(source.buffer, source.byteOffset, source.length);
  const n = data.length;
  const values = new Float64Array(n);
  const divisor = 10 ** scale;
  for (let i = 0; i < n; i++) {
    if (valid && valid[i] === 0) continue;
    const at = i * words;
    // The top word carries the sign; the others are unsigned.
    let value = signed[at + words - 1];
    for (let w = words - 2; w >= 0; w--) value = value * 4294967296 + source[at + w];
    values[i] = value / divisor;
  }
  return values;
}

function halfToFloat(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Types with no columnar layout here: one readable string per value. */
function displayColumn(name: string, data: Data, valid: Uint8Array | undefined): Column {
  const builder = new ColumnBuilder(name, 'string');
  const type = data.type as DataType;
  const n = data.length;
  if (type.typeId === Type.Interval && (type as unknown as { unit: number }).unit === MONTH_DAY_NANO) {
    // apache-arrow 17 reads month-day-nano intervals as if they were day-time: take the 16-byte values raw.
    const raw = data.values as Int32Array;
    const words = new Int32Array(raw.buffer, raw.byteOffset, raw.byteLength >> 2);
    const nanos = new BigInt64Array(raw.buffer, raw.byteOffset, raw.byteLength >> 3);
    for (let i = 0; i < n; i++) {
      const at = i;
      builder.push(valid && valid[i] === 0 ? null : formatInterval(words[at * 4], words[at * 4 + 1], nanos[at * 2 + 1] / 1000n));
    }
    return builder.finish();
  }
  const vector = makeVector(data);
  for (let i = 0; i < n; i++) builder.push(valid && valid[i] === 0 ? null : display(vector.get(i), type, false));
  return builder.finish();
}

/** A value as DuckDB would print it; strings are quoted inside nested values only. */
function display(value: unknown, type: DataType, nested: boolean): string {
  if (value === null || value === undefined) return 'NULL';
  switch (type.typeId) {
    case Type.Utf8:
    case Type.LargeUtf8:
      return nested ? `'${String(value).replaceAll("'", "''")}'` : String(value);
    case Type.Binary:
    case Type.LargeBinary:
    case Type.FixedSizeBinary:
      return blobText(value as Uint8Array);
    case Type.Decimal:
      return decimalText(String(value), (type as unknown as { scale: number }).scale);
    case Type.Date:
      return new Date(Number(value)).toISOString().slice(0, 10);
    case Type.Timestamp:
      return new Date(Number(value)).toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, '');
    case Type.Time:
      return timeText(value as number | bigint, (type as unknown as { unit: TimeUnit }).unit);
    case Type.Interval:
      return intervalText(value, (type as unknown as { unit: number }).unit);
    case Type.Duration:
      return formatInterval(0, 0, durationMicros(value as bigint, (type as unknown as { unit: TimeUnit }).unit));
    case Type.List:
    case Type.FixedSizeList: {
      const child = (type as unknown as { children: Array<{ type: DataType }> }).children[0].type;
      return `[${Array.from(value as Iterable<unknown>, (v) => display(v, child, true)).join(', ')}]`;
    }
    case Type.Struct: {
      const fields = (type as unknown as { children: Array<{ name: string; type: DataType }> }).children;
      const row = value as Record<string, unknown>;
      return `{${fields.map((f) => `'${f.name}': ${display(row[f.name], f.type, true)}`).join(', ')}}`;
    }
    case Type.Map: {
      const entry = (type as unknown as { children: Array<{ type: { children: Array<{ type: DataType }> } }> }).children[0].type.children;
      return `{${Array.from(value as Iterable<[unknown, unknown]>, ([k, v]) => `${display(k, entry[0].type, true)}=${display(v, entry[1].type, true)}`).join(', ')}}`;
    }
    case Type.Dictionary:
      return display(value, (type as unknown as { dictionary: DataType }).dictionary, nested);
    default:
      if (value instanceof Uint8Array) return blobText(value);
      if (typeof value === 'object' && value && 'toJSON' in value) return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
      return String(value);
  }
}

/** Bytes as DuckDB prints a BLOB: printable ASCII as is, everything else as \xHH. */
function blobText(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return text;
}

function decimalText(digits: string, scale: number): string {
  if (scale <= 0) return digits;
  const negative = digits.startsWith('-');
  const unsigned = (negative ? digits.slice(1) : digits).padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${unsigned.slice(0, -scale)}.${unsigned.slice(-scale)}`;
}

function timeText(value: number | bigint, unit: TimeUnit): string {
  const perSecond = [1n, 1000n, 1_000_000n, 1_000_000_000n][unit];
  const micros = (BigInt(value) * 1_000_000n) / perSecond;
  return clock(micros);
}

function clock(micros: bigint): string {
  const negative = micros < 0n;
  let rest = negative ? -micros : micros;
  const fraction = rest % 1_000_000n;
  rest /= 1_000_000n;
  const pad = (v: bigint) => v.toString().padStart(2, '0');
  const text = `${pad(rest / 3600n)}:${pad((rest / 60n) % 60n)}:${pad(rest % 60n)}${fraction ? `.${fraction.toString().padStart(6, '0').replace(/0+$/, '')}` : ''}`;
  return negative ? `-${text}` : text;
}

function durationMicros(value: bigint, unit: TimeUnit): bigint {
  const v = BigInt(value);
  return unit === TimeUnit.SECOND ? v * 1_000_000n : unit === TimeUnit.MILLISECOND ? v * 1000n : unit === TimeUnit.MICROSECOND ? v : v / 1000n;
}

function intervalText(value: unknown, unit: number): string {
  const parts = value as Int32Array;
  // apache-arrow hands year-month intervals over as [years, months].
  if (unit === IntervalUnit.YEAR_MONTH) return formatInterval(parts[0] * 12 + parts[1], 0, 0n);
  if (unit === IntervalUnit.DAY_TIME) return formatInterval(0, parts[0], BigInt(parts[1]) * 1000n);
  return String(value);
}

/** An interval the way DuckDB prints one: "1 year 2 months 3 days 04:05:06.5". */
export function formatInterval(months: number, days: number, micros: bigint): string {
  const parts: string[] = [];
  const years = Math.trunc(months / 12);
  const restMonths = months % 12;
  if (years) parts.push(`${years} year${Math.abs(years) === 1 ? '' : 's'}`);
  if (restMonths) parts.push(`${restMonths} month${Math.abs(restMonths) === 1 ? '' : 's'}`);
  if (days) parts.push(`${days} day${Math.abs(days) === 1 ? '' : 's'}`);
  if (micros || parts.length === 0) parts.push(clock(micros));
  return parts.join(' ');
}

/** Column names must be unique in a ColumnTable; SQL allows `SELECT 1 AS a, 2 AS a`. */
function uniqueNames(columns: Column[]): Column[] {
  const seen = new Map<string, number>();
  for (const column of columns) {
    const count = seen.get(column.name) ?? 0;
    seen.set(column.name, count + 1);
    if (count > 0) {
      let candidate = `${column.name}_${count}`;
      while (seen.has(candidate)) candidate = `${candidate}_`;
      seen.set(candidate, 1);
      column.name = candidate;
    }
  }
  return columns;
}
