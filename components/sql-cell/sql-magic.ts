/**
 * What the main bundle knows of `<sql-cell>` without loading it: the `%%sql` magic (so a notebook recognises
 * such a cell) and how to load it. The element is a chunk of its own (components/shared/data-cell-api.ts).
 */
import { BentoQueryEvent, loadDataCell, registerDataCell, RENDERED_ROWS_CAP, SQL_MAGIC } from '../shared/data-cell-api.ts';
import type { BentoTableView } from '../bento-table-view/bento-table-view.ts';
import type { SqlCell } from './sql-cell.ts';

export { BentoQueryEvent, RENDERED_ROWS_CAP, SQL_MAGIC };

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
