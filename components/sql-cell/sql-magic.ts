/**
 * What the main bundle knows of `<sql-cell>` without loading it: the `%%sql` magic (so a notebook recognises
 * such a cell) and how to load it. The element is a chunk of its own (components/shared/data-cell-api.ts).
 */
import type { CellMagicSpec } from '../../src/magics/magics.ts';
import { BentoQueryEvent, loadDataCell, registerDataCell, RENDERED_ROWS_CAP } from '../shared/data-cell-api.ts';
import type { BentoTableView } from '../bento-table-view/bento-table-view.ts';
import type { SqlCell } from './sql-cell.ts';

export { BentoQueryEvent, RENDERED_ROWS_CAP };

/** `%%sql [var] [--conn NAME] [--limit N]`: the magic `<sql-cell>` owns. */
export const SQL_MAGIC: CellMagicSpec = {
  name: 'sql',
  tagName: 'sql-cell',
  positionals: [{ name: 'var', kind: 'identifier' }],
  options: { conn: { type: 'string', metavar: 'NAME' }, limit: { type: 'int', metavar: 'N' } },
  summary: 'Runs the SQL below on a connector and binds the result to var in the kernel.',
};
registerDataCell(SQL_MAGIC, () => import('./sql-cell.ts'));

/**
 * Defines `<sql-cell>` and `<bento-table-view>` now (they are otherwise defined when the first one appears in
 * the document) and resolves with their classes. Needed only to create them inside a shadow root of your own,
 * or to use the classes themselves.
 */
export async function loadSqlCell(): Promise<{ SqlCell: typeof SqlCell; BentoTableView: typeof BentoTableView }> {
  const sqlCell = await loadDataCell('sql-cell');
  return { SqlCell: sqlCell as typeof SqlCell, BentoTableView: customElements.get('bento-table-view') as typeof BentoTableView };
}
