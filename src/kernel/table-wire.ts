/**
 * How a ColumnTable travels to Python and back, for both kernels (DESIGN.md: "Tables move as columns").
 *
 * A table on the wire is a JSON header plus a list of byte buffers. The header names, for each column, the
 * buffer index of its values, of its null mask (`valid`, one byte per row, 0 = null) and, for strings, how the
 * text is laid out:
 * - `separator`: the values buffer is every row's UTF-8 text joined by that byte, which no row contains, so
 *   Python decodes the whole column once and splits it (C speed) instead of slicing a million times;
 * - `offsets`: a buffer of numRows + 1 little-endian int32 byte offsets (only when every byte value that could
 *   separate occurs in the text, i.e. the text holds NUL characters).
 * A string column with `encoding: 'json'` holds JSON text that Python decodes cell by cell (lists, dicts).
 * Fixed-width columns are the little-endian bytes of their typed array. The Python side (bento_table.py) reads
 * the same header; the serverless kernel hands it the buffers in one call, the remote kernel in comm messages.
 */
import { pythonNameProblem } from './python-names.ts';
import { ARRAY_OF, type Column, type ColumnSchema, type ColumnType } from '../data/table.ts';

export const TABLE_WIRE_VERSION = 1;

export interface WireColumn extends ColumnSchema {
  /** Buffer index of the values (fixed-width bytes, or UTF-8 text for strings). */
  values: number;
  /** Buffer index of the null mask; absent when the column has none. */
  valid?: number;
  /** Strings: the byte that separates rows in `values`. */
  separator?: number;
  /** Strings: buffer index of numRows + 1 int32 offsets (when no separator could be used). */
  offsets?: number;
}

export interface WireHeader {
  version: typeof TABLE_WIRE_VERSION;
  numRows: number;
  columns: WireColumn[];
  /** The table stands for one value, not a table: one row, one `json` column (see TableOptions). */
  value?: boolean;
}

/** How a kernel binds or reads a table. */
export interface TableOptions {
  /**
   * A value that is not a table (a dict, a number) travels as a one-row table of one `encoding: 'json'` string
   * column: inject binds the value that cell holds, extract reads any JSON-able variable that way.
   */
  value?: boolean;
}

export interface WireTable {
  header: WireHeader;
  /** Each buffer holds exactly the bytes the header says (views, not copies, where possible). */
  buffers: Uint8Array[];
}

/** A table could not be injected or extracted; the message says why and what to do. */
export class TableError extends Error {
  override name = 'TableError';
}

function reasonOf(reason: unknown): string {
  const text = (reason instanceof Error ? reason.message : String(reason)).trim().replace(/\.$/, '');
  // "Column 'x' ..." reads better mid-sentence as "column 'x' ..."; leave acronyms ("UTF-8 ...") alone.
  return /^[A-Z][a-z]/.test(text) ? text[0].toLowerCase() + text.slice(1) : text;
}

/** The error an injection rejects with: what failed, and that the variable was left as it was. */
export function injectError(name: string, reason: unknown): TableError {
  if (reason instanceof TableError && reason.message.startsWith('Cannot use ')) return reason;
  return new TableError(
    `Could not bind the table to '${name}': ${reasonOf(reason)}. Nothing was bound: '${name}' keeps its previous value, if it had one.`,
  );
}

/** The error an extraction rejects with. */
export function extractError(name: string, reason: unknown, options: TableOptions = {}): TableError {
  if (reason instanceof TableError && reason.message.startsWith('Cannot use ')) return reason;
  return new TableError(`Could not read '${name}' ${options.value ? 'from Python' : 'as a table'}: ${reasonOf(reason)}.`);
}

/** Throws a TableError unless `name` can be a Python variable (Python checks again: str.isidentifier). */
export function checkVariableName(name: string): void {
  const problem = pythonNameProblem(name);
  if (problem === 'not-identifier') {
    throw new TableError(
      `Cannot use ${JSON.stringify(String(name))} as a Python variable name: a name is letters, digits and _, and does not start with a digit.`,
    );
  }
  if (problem === 'keyword') {
    throw new TableError(`Cannot use '${name}' as a Python variable name: it is a Python keyword. Choose another name, e.g. '${name}_'.`);
  }
}

/**
 * Cheap checks that need no pass over the data: each column's arrays have the right kind and length. Run on the
 * page before buffers are transferred, so a malformed table is refused while the caller still owns it.
 */
export function checkTableShape(columns: readonly Column[], numRows: number): void {
  if (!Number.isSafeInteger(numRows) || numRows < 0) throw new TableError(`A table's row count must be a whole number, not ${numRows}.`);
  const names = new Set<string>();
  for (const column of columns) {
    const name = column?.name;
    if (typeof name !== 'string') throw new TableError('Every column needs a name (a string).');
    if (names.has(name)) throw new TableError(`Column '${name}' appears twice; column names must be unique.`);
    names.add(name);
    const where = `Column '${name}'`;
    for (const array of [column.values, column.offsets, column.valid]) {
      if ((array?.buffer as { detached?: boolean } | undefined)?.detached) {
        throw new TableError(
          `${where}: its buffers were already handed over (inject transfers a table's buffers to the kernel). ` +
            'Inject a copy to keep using the table, e.g. table.head(table.numRows)',
        );
      }
    }
    if (column.type === 'string') {
      if (!(column.values instanceof Uint8Array) || !(column.offsets instanceof Int32Array)) {
        throw new TableError(`${where} (string) needs its UTF-8 bytes in a Uint8Array and its offsets in an Int32Array.`);
      }
      if (column.offsets.length !== numRows + 1) throw new TableError(`${where} has ${column.offsets.length - 1} rows, the table ${numRows}.`);
    } else if (column.type in ARRAY_OF) {
      const expected = ARRAY_OF[column.type as Exclude<ColumnType, 'string'>];
      if (!(column.values instanceof expected)) throw new TableError(`${where} of type ${column.type} needs a ${expected.name}.`);
      if (column.values.length !== numRows) throw new TableError(`${where} has ${column.values.length} rows, the table ${numRows}.`);
    } else {
      throw new TableError(`${where} has an unknown type '${String(column.type)}'.`);
    }
    if (column.valid !== undefined) {
      if (!(column.valid instanceof Uint8Array)) throw new TableError(`${where}: its null mask must be a Uint8Array.`);
      if (column.valid.length !== numRows) throw new TableError(`${where}: its null mask has ${column.valid.length} entries for ${numRows} rows.`);
    }
    if (column.timezone !== undefined && typeof column.timezone !== 'string') throw new TableError(`${where}: its timezone must be a string.`);
    if (column.encoding !== undefined && (column.encoding !== 'json' || column.type !== 'string')) {
      throw new TableError(`${where}: only a string column can have an encoding, and the one encoding is 'json'.`);
    }
  }
}

/** The ArrayBuffers behind `columns`, for a transfer list (SharedArrayBuffers are shared, never transferred). */
export function transferables(columns: readonly Column[]): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const c of columns) {
    for (const array of [c.values, c.offsets, c.valid]) if (array && array.buffer instanceof ArrayBuffer) set.add(array.buffer);
  }
  return [...set];
}
