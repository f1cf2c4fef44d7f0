/**
 * Parquet → Arrow IPC in JavaScript, for DuckDB-WASM without its parquet extension (not built in, and fetched from
 * the internet by default). hyparquet reads the file (pure JavaScript, ~18 kB gzipped; parquet-wasm would be 1.6 MB
 * of WebAssembly); this module turns each row group into one Arrow record batch, keeping the types DuckDB's own
 * reader would give: exact 64-bit integers, decimals, timestamps at their unit and zone, dates, times, blobs, lists,
 * structs and maps. Loaded only when a Parquet file is used; pages compressed with anything but Snappy bring
 * hyparquet-compressors (ZSTD, GZIP, Brotli, LZ4) on top, only then.
 */
import {
  Binary,
  Bool,
  DataType,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  List,
  makeData,
  Map_,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableToIPC,
  TimeMicrosecond,
  TimeMillisecond,
  TimeNanosecond,
  Timestamp,
  TimeUnit,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
  type Data,
} from 'apache-arrow';
// The browser entry by path: its package's `browser` export condition is not one every tool applies (the test server
// does not), and the Node entry imports node:fs.
import { parquetMetadataAsync, parquetScan, parquetSchema, type AsyncBuffer, type Compressors, type FileMetaData, type SchemaElement, type SchemaTree } from 'hyparquet/src/index.js';

/**
 * The rows of a Parquet file as Arrow IPC streams, one per row group (at least one, with no rows for an empty file),
 * all of the same schema: each is what DuckDB-WASM's `insertArrowFromIPCStream` takes.
 */
export async function* parquetToArrowIPC(file: Blob): AsyncGenerator<Uint8Array> {
  const buffer: AsyncBuffer = { byteLength: file.size, slice: (start, end) => file.slice(start, end).arrayBuffer() };
  const metadata = await parquetMetadataAsync(buffer, { geoparquet: false });
  const columns = parquetSchema(metadata).children.map((node) => ({ name: node.element.name, converter: converterFor(node) }));
  const schema = new Schema(columns.map(({ name, converter }) => new Field(name, converter.type, true)));
  const scan = await parquetScan({
    file: buffer,
    metadata: withRawAnnotations(metadata),
    compressors: await compressorsFor(metadata),
    // Bytes stay bytes (strings are copied into Arrow as UTF-8, never decoded), and dates and timestamps stay the
    // numbers they are in the file: hyparquet's default Date objects would drop microseconds.
    utf8: false,
    parsers: {
      stringFromBytes: raw,
      jsonFromBytes: raw,
      geometryFromBytes: raw,
      geographyFromBytes: raw,
      dateFromDays: raw,
      timestampFromMilliseconds: raw,
      timestampFromMicroseconds: raw,
      timestampFromNanoseconds: raw,
    },
    geoparquet: false,
  });
  const ranges = scan.ranges.length > 0 ? scan.ranges : [{ rowStart: 0, rowEnd: 0 }];
  for (const { rowStart, rowEnd } of ranges) {
    const children: Data[] = [];
    for (const { name, converter } of columns) {
      let values: ArrayLike<unknown>;
      try {
        values = rowEnd > rowStart ? await scan.readColumn({ column: name, rowStart, rowEnd }) : [];
      } catch (error) {
        throw new Error(`column '${name}': ${error instanceof Error ? error.message : String(error)}`);
      }
      children.push(converter.build(values));
    }
    const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rowEnd - rowStart, nullCount: 0, children }));
    yield tableToIPC(new Table(batch), 'stream');
  }
}

const raw = <T>(value: T): T => value;
const toBigInt = (value: unknown) => BigInt(value as bigint | number);

/** hyparquet's own decoder does Snappy; the other codecs (~75 kB gzipped) load when a file uses one. */
async function compressorsFor(metadata: FileMetaData): Promise<Compressors | undefined> {
  const codecs = new Set(metadata.row_groups.flatMap((group) => group.columns.map((column) => column.meta_data?.codec)));
  if ([...codecs].every((codec) => codec === undefined || codec === 'UNCOMPRESSED' || codec === 'SNAPPY')) return undefined;
  return (await import('./parquet-compressors.ts')).compressors;
}

/**
 * The metadata hyparquet reads with: decimals without their annotation (hyparquet would turn them into doubles;
 * this module makes exact decimals of the raw integers), maps without theirs (hyparquet would key a JavaScript
 * object by each key's text; raw, a map is its list of key/value entries, in order and typed), BSON as bytes.
 */
function withRawAnnotations(metadata: FileMetaData): FileMetaData {
  const plain = (element: SchemaElement): SchemaElement => {
    const annotation = element.logical_type?.type ?? element.converted_type;
    if (annotation !== 'DECIMAL' && annotation !== 'MAP' && annotation !== 'BSON') return element;
    const { converted_type: _c, logical_type: _l, ...rest } = element;
    return rest;
  };
  return { ...metadata, schema: metadata.schema.map(plain) };
}

// --- Parquet schema → Arrow types and data -----------------------------------------------------------------------

interface Converter {
  readonly type: DataType;
  /** Arrow data for `values` as hyparquet assembles them (raw parsers); null and undefined are nulls. */
  build(values: ArrayLike<unknown>): Data;
}

/** The Arrow type and builder for a column (or a field nested in one), following hyparquet's assembly. */
function converterFor(node: SchemaTree): Converter {
  // A repeated field outside a LIST (the legacy layout) holds a list of its values; never null, possibly empty.
  if (node.element.repetition_type === 'REPEATED') return listConverter(valueConverter(node), false);
  return valueConverter(node);
}

function valueConverter(node: SchemaTree): Converter {
  const { element, children } = node;
  // hyparquet assembles a list by its converted type only; a map never (withRawAnnotations), whichever annotation.
  const annotation = element.converted_type;
  if (annotation === 'LIST' && children.length === 1 && children[0].element.repetition_type === 'REPEATED' && children[0].children.length <= 1) {
    const repeated = children[0];
    // Three levels (`list` > `element`), or two: the repeated field is the element itself, never null.
    if (repeated.children.length === 0) return listConverter(valueConverter(repeated), false);
    const item = repeated.children[0];
    return listConverter(converterFor(item), item.element.repetition_type !== 'REQUIRED');
  }
  const map = annotation === 'MAP' || annotation === 'MAP_KEY_VALUE' || element.logical_type?.type === 'MAP';
  if (map && children.length === 1 && children[0].children.length === 2) {
    return mapConverter(children[0]);
  }
  if (children.length > 0) {
    if (element.logical_type?.type === 'VARIANT') return jsonTextConverter();
    return structConverter(children);
  }
  return leafConverter(element);
}

function leafConverter(element: SchemaElement): Converter {
  const logical = element.logical_type;
  const annotation = logical?.type ?? element.converted_type;
  switch (element.type) {
    case 'BOOLEAN':
      return boolConverter();
    case 'INT32':
    case 'INT64': {
      if (annotation === 'DECIMAL' || element.converted_type === 'DECIMAL') return decimalConverter(element);
      if (annotation === 'DATE') return fixedConverter(new DateDay(), Int32Array, Number);
      if (annotation === 'TIMESTAMP' || annotation === 'TIMESTAMP_MILLIS' || annotation === 'TIMESTAMP_MICROS') {
        const unit = logical?.type === 'TIMESTAMP' ? logical.unit : annotation === 'TIMESTAMP_MILLIS' ? 'MILLIS' : 'MICROS';
        return timestampConverter(unit, logical?.type === 'TIMESTAMP' && logical.isAdjustedToUTC);
      }
      if (annotation === 'TIME' || annotation === 'TIME_MILLIS' || annotation === 'TIME_MICROS') {
        const unit = logical?.type === 'TIME' ? logical.unit : annotation === 'TIME_MILLIS' ? 'MILLIS' : 'MICROS';
        if (unit === 'MILLIS') return fixedConverter(new TimeMillisecond(), Int32Array, Number);
        return fixedConverter(unit === 'MICROS' ? new TimeMicrosecond() : new TimeNanosecond(), BigInt64Array, toBigInt);
      }
      const integer = logical?.type === 'INTEGER' ? logical : integerOf(element.converted_type);
      const bits = integer?.bitWidth ?? (element.type === 'INT32' ? 32 : 64);
      const signed = integer?.isSigned ?? true;
      return integerConverter(bits, signed);
    }
    case 'INT96':
      // Legacy nanosecond timestamps (Impala, old Spark); DuckDB reads them as TIMESTAMP.
      return timestampConverter('INT96', false);
    case 'FLOAT':
      return fixedConverter(new Float32(), Float32Array, Number);
    case 'DOUBLE':
      return fixedConverter(new Float64(), Float64Array, Number);
    case 'BYTE_ARRAY':
    case 'FIXED_LEN_BYTE_ARRAY':
      if (element.converted_type === 'DECIMAL' || annotation === 'DECIMAL') return decimalConverter(element);
      // hyparquet has already made half floats numbers, and UUIDs their usual text.
      if (annotation === 'FLOAT16') return fixedConverter(new Float32(), Float32Array, Number);
      if (annotation === 'STRING' || annotation === 'UTF8' || annotation === 'ENUM' || annotation === 'JSON' || annotation === 'UUID') return bytesConverter(new Utf8());
      return bytesConverter(new Binary());
    default:
      return jsonTextConverter();
  }
}

/** The raw metadata lost its DECIMAL annotation (withRawAnnotations); the original element still has it. */
function decimalConverter(element: SchemaElement): Converter {
  const precision = element.logical_type?.type === 'DECIMAL' ? element.logical_type.precision : (element.precision ?? 38);
  const scale = element.logical_type?.type === 'DECIMAL' ? element.logical_type.scale : (element.scale ?? 0);
  if (precision > 38) {
    // Wider than DuckDB's DECIMAL: a double, as DuckDB's own reader makes it.
    const divisor = 10 ** scale;
    return fixedConverter(new Float64(), Float64Array, (value) => Number(unscaled(value)) / divisor);
  }
  const type = new Decimal(scale, precision, 128);
  return {
    type,
    build(values) {
      const n = values.length;
      const words = new Uint32Array(n * 4);
      const { nullCount, nullBitmap } = validity(values);
      for (let i = 0; i < n; i++) {
        const value = values[i];
        if (value === null || value === undefined) continue;
        // Two's complement, least significant 32-bit word first.
        let rest = BigInt.asUintN(128, unscaled(value));
        for (let w = 0; w < 4; w++, rest >>= 32n) words[i * 4 + w] = Number(rest & 0xffffffffn);
      }
      return makeData({ type, length: n, nullCount, nullBitmap, data: words });
    },
  };
}

/** A decimal's integer: INT32, INT64 or big-endian two's complement bytes. */
function unscaled(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  const bytes = value as Uint8Array;
  let result = 0n;
  for (const byte of bytes) result = (result << 8n) | BigInt(byte);
  return bytes.length > 0 && bytes[0] & 0x80 ? result - (1n << BigInt(bytes.length * 8)) : result;
}

function integerOf(annotation: SchemaElement['converted_type']): { bitWidth: number; isSigned: boolean } | undefined {
  const match = annotation && /^(U?)INT_(8|16|32|64)$/.exec(annotation);
  return match ? { bitWidth: Number(match[2]), isSigned: match[1] === '' } : undefined;
}

function integerConverter(bits: number, signed: boolean): Converter {
  switch (`${signed ? 'int' : 'uint'}${bits}`) {
    case 'int8':
      return fixedConverter(new Int8(), Int8Array, Number);
    case 'int16':
      return fixedConverter(new Int16(), Int16Array, Number);
    case 'uint8':
      return fixedConverter(new Uint8(), Uint8Array, Number);
    case 'uint16':
      return fixedConverter(new Uint16(), Uint16Array, Number);
    case 'uint32':
      return fixedConverter(new Uint32(), Uint32Array, Number);
    case 'int64':
      return fixedConverter(new Int64(), BigInt64Array, toBigInt);
    // Parquet stores UINT_64 in INT64: BigInt.asUintN reads the bits back as unsigned either way.
    case 'uint64':
      return fixedConverter(new Uint64(), BigUint64Array, (value) => BigInt.asUintN(64, toBigInt(value)));
    default:
      return fixedConverter(new Int32(), Int32Array, Number);
  }
}

/**
 * Microseconds, as DuckDB's TIMESTAMP (milliseconds widened, INT96 nanoseconds floored); nanoseconds stay
 * TIMESTAMP_NS unless adjusted to UTC (DuckDB's TIMESTAMPTZ counts microseconds).
 */
function timestampConverter(unit: 'MILLIS' | 'MICROS' | 'NANOS' | 'INT96', utc: boolean): Converter {
  const zone = utc ? 'UTC' : null;
  if (unit === 'NANOS' && !utc) return fixedConverter(new Timestamp(TimeUnit.NANOSECOND, zone), BigInt64Array, toBigInt);
  const type = new Timestamp(TimeUnit.MICROSECOND, zone);
  if (unit === 'MICROS') return fixedConverter(type, BigInt64Array, toBigInt);
  if (unit === 'MILLIS') return fixedConverter(type, BigInt64Array, (value) => toBigInt(value) * 1000n);
  return fixedConverter(type, BigInt64Array, (value) => {
    const nanos = toBigInt(value);
    const micros = nanos / 1000n;
    return nanos < 0n && micros * 1000n !== nanos ? micros - 1n : micros;
  });
}

type FixedArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

function fixedConverter<A extends FixedArray>(type: DataType, ArrayType: { new (length: number): A }, convert: (value: unknown) => A[number]): Converter {
  return {
    type,
    build(values) {
      const n = values.length;
      // Columns without nulls come as typed arrays, often of the very type needed.
      if (values instanceof ArrayType) return makeData({ type, length: n, nullCount: 0, data: values } as Parameters<typeof makeData>[0]) as Data;
      const { nullCount, nullBitmap } = validity(values);
      const data = new ArrayType(n);
      for (let i = 0; i < n; i++) {
        const value = values[i];
        if (value !== null && value !== undefined) data[i] = convert(value);
      }
      return makeData({ type, length: n, nullCount, nullBitmap, data } as Parameters<typeof makeData>[0]) as Data;
    },
  };
}

function boolConverter(): Converter {
  const type = new Bool();
  return {
    type,
    build(values) {
      const n = values.length;
      const { nullCount, nullBitmap } = validity(values);
      const bits = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if (values[i]) bits[i >> 3] |= 1 << (i & 7);
      return makeData({ type, length: n, nullCount, nullBitmap, data: bits });
    },
  };
}

const encoder = new TextEncoder();

/** UTF-8 or binary values, copied as they are; values hyparquet made text (UUIDs) are encoded. */
function bytesConverter(type: Utf8 | Binary): Converter {
  return {
    type,
    build(values) {
      const n = values.length;
      const { nullCount, nullBitmap } = validity(values);
      const parts: Uint8Array[] = new Array(n);
      const offsets = new Int32Array(n + 1);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const value = values[i];
        const bytes = value === null || value === undefined ? EMPTY : value instanceof Uint8Array ? value : encoder.encode(String(value));
        parts[i] = bytes;
        total += bytes.length;
        if (total > 0x7fffffff) throw new RangeError('more than 2 GiB of text in one row group');
        offsets[i + 1] = total;
      }
      const data = new Uint8Array(total);
      for (let i = 0; i < n; i++) data.set(parts[i], offsets[i]);
      return makeData({ type, length: n, nullCount, nullBitmap, valueOffsets: offsets, data } as Parameters<typeof makeData>[0]) as Data;
    },
  };
}

const EMPTY = new Uint8Array(0);

/** Values with no Arrow counterpart here (VARIANT, unknown physical types) as JSON text. */
function jsonTextConverter(): Converter {
  const text = bytesConverter(new Utf8());
  const json = (value: unknown) =>
    JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Array.from(v) : v));
  return { type: text.type, build: (values) => text.build(Array.from(values, (v) => (v === null || v === undefined ? null : json(v)))) };
}

function listConverter(item: Converter, itemNullable: boolean): Converter {
  const type = new List(new Field('element', item.type, itemNullable));
  return {
    type,
    build(values) {
      const n = values.length;
      const { nullCount, nullBitmap } = validity(values);
      const offsets = new Int32Array(n + 1);
      const items: unknown[] = [];
      for (let i = 0; i < n; i++) {
        const list = values[i] as ArrayLike<unknown> | null | undefined;
        if (list) for (let j = 0; j < list.length; j++) items.push(list[j]);
        offsets[i + 1] = items.length;
      }
      return makeData({ type, length: n, nullCount, nullBitmap, valueOffsets: offsets, child: item.build(items) });
    },
  };
}

function structConverter(children: SchemaTree[]): Converter {
  const fields = children.map((child) => ({ name: child.element.name, converter: converterFor(child), nullable: child.element.repetition_type !== 'REQUIRED' }));
  const type = new Struct(fields.map((f) => new Field(f.name, f.converter.type, f.nullable)));
  return {
    type,
    build(values) {
      const n = values.length;
      const { nullCount, nullBitmap } = validity(values);
      const data = fields.map(({ name, converter }) =>
        converter.build(Array.from(values, (row) => (row === null || row === undefined ? null : (row as Record<string, unknown>)[name]))),
      );
      return makeData({ type, length: n, nullCount, nullBitmap, children: data });
    },
  };
}

/** A MAP's repeated key/value group, which hyparquet (reading without the MAP annotation) hands over as a list. */
function mapConverter(entries: SchemaTree): Converter {
  const [keyNode, valueNode] = entries.children;
  const key = converterFor(keyNode);
  const value = converterFor(valueNode);
  const entry = new Struct([new Field('key', key.type, false), new Field('value', value.type, true)]);
  const type = new Map_(new Field('entries', entry, false));
  return {
    type,
    build(values) {
      const n = values.length;
      const { nullCount, nullBitmap } = validity(values);
      const offsets = new Int32Array(n + 1);
      const keys: unknown[] = [];
      const mapped: unknown[] = [];
      for (let i = 0; i < n; i++) {
        const list = (values[i] as Record<string, unknown> | null | undefined)?.[entries.element.name] as ArrayLike<Record<string, unknown>> | undefined;
        if (list) {
          for (let j = 0; j < list.length; j++) {
            keys.push(list[j][keyNode.element.name]);
            mapped.push(list[j][valueNode.element.name]);
          }
        }
        offsets[i + 1] = keys.length;
      }
      const child = makeData({ type: entry, length: keys.length, nullCount: 0, children: [key.build(keys), value.build(mapped)] });
      return makeData({ type, length: n, nullCount, nullBitmap, valueOffsets: offsets, child });
    },
  };
}

/** Arrow's validity bitmap (1 = a value) and null count; no bitmap when nothing is null. */
function validity(values: ArrayLike<unknown>): { nullCount: number; nullBitmap?: Uint8Array } {
  // hyparquet returns typed arrays for columns without nulls.
  if (ArrayBuffer.isView(values)) return { nullCount: 0 };
  const n = values.length;
  let nullCount = 0;
  for (let i = 0; i < n; i++) if (values[i] === null || values[i] === undefined) nullCount++;
  if (nullCount === 0) return { nullCount };
  const bitmap = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (values[i] !== null && values[i] !== undefined) bitmap[i >> 3] |= 1 << (i & 7);
  return { nullCount, nullBitmap: bitmap };
}
