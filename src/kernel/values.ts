/**
 * Values that are not tables, between the page and a kernel: a GraphQL answer bound as a dict, the variables a
 * query reads from Python. They ride the table path (one row, one JSON column: `TableOptions.value`), so they
 * are bound atomically, in turn with executions, on the serverless and the remote kernel alike.
 */
import { ColumnBuilder, ColumnTable, columnValue } from '../data/table.ts';
import type { Kernel } from './kernel.ts';
import { TableError } from './table-wire.ts';

/** A table of one JSON cell holding `value`. Throws a TableError when `value` cannot be JSON. */
export function jsonCell(name: string, value: unknown): ColumnTable {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new TableError(`Cannot send '${name}' to Python as JSON: ${(error as Error).message}.`);
  }
  if (text === undefined) throw new TableError(`Cannot send '${name}' to Python: a ${typeof value} has no JSON form.`);
  const builder = new ColumnBuilder(name, 'string', { encoding: 'json' });
  builder.push(text);
  return new ColumnTable([builder.finish()], 1);
}

/** Binds the Python variable `name` to `value` (a dict for an object): all of it, or nothing on failure. */
export function bindValue(kernel: Kernel, name: string, value: unknown): Promise<void> {
  return kernel.inject(name, jsonCell(name, value), { value: true });
}

/**
 * The values of the Python variables `names`, as JSON sees them (dicts as objects, dates as ISO text). Rejects
 * with a TableError naming the first variable that is missing or cannot be JSON.
 */
export async function readValues(kernel: Kernel, names: readonly string[]): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  for (const name of names) {
    const cell = await kernel.extract(name, { value: true });
    values[name] = JSON.parse(String(columnValue(cell.columns[0], 0)));
  }
  return values;
}
