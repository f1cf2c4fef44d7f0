/**
 * The sending half of table-wire.ts (the format is described there): a ColumnTable laid out as wire buffers.
 * Only the worker and the remote kernel send tables, so pages load this with them, not with the main bundle.
 */
import type { Column } from '../data/table.ts';
import { checkTableShape, TABLE_WIRE_VERSION, TableError, type TableOptions, type WireColumn, type WireHeader, type WireTable } from './table-wire.ts';

/** The smallest and largest day and microsecond Python's `datetime` can hold (years 1 to 9999). */
const MIN_DAY = -719_162;
const MAX_DAY = 2_932_896;
const MIN_MICROS = -62_135_596_800_000_000n;
const MAX_MICROS = 253_402_300_799_999_999n;

function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** Throws unless every non-null date/timestamp can be a Python `date`/`datetime` (years 1 to 9999). */
function checkTimeRange(column: Column, numRows: number): void {
  const valid = column.valid;
  if (column.type === 'date') {
    const days = column.values as Int32Array;
    for (let i = 0; i < numRows; i++) {
      const d = days[i];
      if ((d < MIN_DAY || d > MAX_DAY) && (!valid || valid[i] !== 0)) {
        throw new TableError(`Column '${column.name}', row ${i}: day ${d} is outside the dates Python can hold (years 1 to 9999).`);
      }
    }
    return;
  }
  // Compare the high and low 32-bit words: reading a BigInt64Array element by element allocates a BigInt each.
  const values = column.values as BigInt64Array;
  const words = new Int32Array(values.buffer, values.byteOffset, numRows * 2);
  const minHi = Number(MIN_MICROS >> 32n);
  const minLo = Number(BigInt.asUintN(32, MIN_MICROS));
  const maxHi = Number(MAX_MICROS >> 32n);
  const maxLo = Number(BigInt.asUintN(32, MAX_MICROS));
  for (let i = 0; i < numRows; i++) {
    const hi = words[2 * i + 1];
    if (hi > minHi && hi < maxHi) continue;
    const lo = words[2 * i] >>> 0;
    const inRange = (hi > minHi || (hi === minHi && lo >= minLo)) && (hi < maxHi || (hi === maxHi && lo <= maxLo));
    if (!inRange && (!valid || valid[i] !== 0)) {
      throw new TableError(
        `Column '${column.name}', row ${i}: timestamp ${values[i]} µs is outside the instants Python can hold (years 1 to 9999).`,
      );
    }
  }
}

/**
 * One string column as wire buffers: its rows joined by a byte none of them contains (NUL, checked with one
 * native scan), or, when the text holds NUL characters, its bytes and offsets rebased to 0. Validates offsets.
 */
function encodeStrings(column: Column, numRows: number): { text: Uint8Array; separator?: number; offsets?: Int32Array } {
  const bytes = column.values as Uint8Array;
  const offsets = column.offsets!;
  const first = offsets[0];
  const last = offsets[numRows];
  if (first < 0 || last > bytes.length || last < first) {
    throw new TableError(`Column '${column.name}': its offsets point outside its ${bytes.length} bytes of text.`);
  }
  const used = bytes.subarray(first, last);
  if (used.indexOf(0) === -1) {
    const out = new Uint8Array(used.length + Math.max(numRows - 1, 0));
    let w = 0;
    for (let row = 0; row < numRows; row++) {
      const start = offsets[row];
      const end = offsets[row + 1];
      if (end < start || end > last) throw new TableError(`Column '${column.name}', row ${row}: its offsets are not in ascending order.`);
      if (row > 0) out[w++] = 0;
      if (end - start > 64) {
        out.set(bytes.subarray(start, end), w);
        w += end - start;
      } else {
        for (let i = start; i < end; i++) out[w++] = bytes[i];
      }
    }
    return { text: out, separator: 0 };
  }
  const rebased = new Int32Array(numRows + 1);
  for (let row = 0; row <= numRows; row++) {
    const offset = offsets[row];
    if (row > 0 && offset < offsets[row - 1]) throw new TableError(`Column '${column.name}', row ${row - 1}: its offsets are not in ascending order.`);
    rebased[row] = offset - first;
  }
  return { text: used, offsets: rebased };
}

/**
 * The wire form of a table: checks it thoroughly (shapes, offsets, date ranges) and lays out string columns
 * for Python's fast path. Fixed-width columns and null masks are views of the table's own buffers (no copy).
 */
export function toWire(columns: readonly Column[], numRows: number, options: TableOptions = {}): WireTable {
  checkTableShape(columns, numRows);
  if (options.value && (numRows !== 1 || columns.length !== 1 || columns[0].encoding !== 'json')) {
    throw new TableError('A value travels as a table of one row and one json column.');
  }
  const buffers: Uint8Array[] = [];
  const add = (bytes: Uint8Array) => buffers.push(bytes) - 1;
  const header: WireHeader = { version: TABLE_WIRE_VERSION, numRows, columns: [] };
  if (options.value) header.value = true;
  for (const column of columns) {
    const spec: WireColumn = { name: column.name, type: column.type, nullable: Boolean(column.valid), values: -1 };
    if (column.timezone) spec.timezone = column.timezone;
    if (column.sourceType) spec.sourceType = column.sourceType;
    if (column.encoding) spec.encoding = column.encoding;
    if (column.type === 'string') {
      const { text, separator, offsets } = encodeStrings(column, numRows);
      spec.values = add(text);
      if (separator !== undefined) spec.separator = separator;
      else spec.offsets = add(bytesOf(offsets!));
    } else {
      if (column.type === 'date' || column.type === 'timestamp') checkTimeRange(column, numRows);
      spec.values = add(bytesOf(column.values));
    }
    if (column.valid) spec.valid = add(column.valid);
    header.columns.push(spec);
  }
  return { header, buffers };
}

