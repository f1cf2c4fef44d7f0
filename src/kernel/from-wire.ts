/**
 * Reading a table from its wire form (table-wire.ts), which the kernels need only when a page extracts a variable:
 * apart from the rest of the wire code so that it loads with the first extract, not with every page.
 */
import { ARRAY_OF, ColumnTable, type Column, type ColumnType, type ColumnValues } from '../data/table.ts';
import { TABLE_WIRE_VERSION, TableError, type WireHeader } from './table-wire.ts';

/** A typed array over `bytes`, copied only when the bytes are not aligned for it. */
function typedArray(type: Exclude<ColumnType, 'string'>, bytes: Uint8Array, numRows: number, name: string): ColumnValues {
  const size = ARRAY_OF[type].BYTES_PER_ELEMENT;
  if (bytes.byteLength !== numRows * size) {
    throw new TableError(`Column '${name}' (${type}) arrived with ${bytes.byteLength} bytes; ${numRows} rows need ${numRows * size}.`);
  }
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  return new ARRAY_OF[type](aligned.buffer as ArrayBuffer, aligned.byteOffset, numRows);
}

/** Splits separator-joined text into compact bytes and offsets, in place (the text only shrinks). */
function splitText(text: Uint8Array, separator: number, numRows: number, name: string): { values: Uint8Array; offsets: Int32Array } {
  const offsets = new Int32Array(numRows + 1);
  if (numRows === 0) {
    if (text.length) throw new TableError(`Column '${name}' arrived with text for no rows.`);
    return { values: new Uint8Array(0), offsets };
  }
  // In place: the text only shrinks, and the buffer is ours (a fresh copy from the worker or the socket).
  const out = text;
  let row = 0;
  let w = 0;
  for (let r = 0; r < out.length; r++) {
    const byte = out[r];
    if (byte === separator) {
      row++;
      if (row >= numRows) throw new TableError(`Column '${name}' arrived with more strings than its ${numRows} rows.`);
      offsets[row] = w;
    } else {
      out[w++] = byte;
    }
  }
  if (row !== numRows - 1) throw new TableError(`Column '${name}' arrived with ${row + 1} strings for ${numRows} rows.`);
  offsets[numRows] = w;
  return { values: out.subarray(0, w), offsets };
}

/** A ColumnTable from the wire form Python sends (extract). Buffers are used in place where aligned. */
export function fromWire(header: WireHeader, buffers: Uint8Array[]): ColumnTable {
  if (!header || header.version !== TABLE_WIRE_VERSION || !Array.isArray(header.columns)) {
    throw new TableError('The kernel answered with a table this version of Bento Lite does not read.');
  }
  const numRows = header.numRows;
  const buffer = (index: number | undefined, name: string): Uint8Array => {
    const bytes = index === undefined ? undefined : buffers[index];
    if (!bytes) throw new TableError(`Column '${name}' arrived without its data.`);
    return bytes;
  };
  const columns = header.columns.map((spec) => {
    const column: Column = { name: spec.name, type: spec.type, values: new Uint8Array(0) };
    if (spec.type === 'string') {
      const text = buffer(spec.values, spec.name);
      if (spec.separator !== undefined) {
        Object.assign(column, splitText(text, spec.separator, numRows, spec.name));
      } else {
        column.values = text;
        column.offsets = typedArray('int32', buffer(spec.offsets, spec.name), numRows + 1, spec.name) as Int32Array;
      }
    } else if (spec.type in ARRAY_OF) {
      column.values = typedArray(spec.type, buffer(spec.values, spec.name), numRows, spec.name);
    } else {
      throw new TableError(`Column '${spec.name}' has a type this version of Bento Lite does not know: '${spec.type}'.`);
    }
    if (spec.valid !== undefined) column.valid = buffer(spec.valid, spec.name);
    if (spec.timezone) column.timezone = spec.timezone;
    if (spec.sourceType) column.sourceType = spec.sourceType;
    if (spec.encoding === 'json' && spec.type === 'string') column.encoding = 'json';
    return column;
  });
  try {
    return new ColumnTable(columns, numRows);
  } catch (error) {
    throw new TableError(`The kernel answered with a malformed table: ${(error as Error).message}`);
  }
}
