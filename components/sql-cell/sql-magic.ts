/**
 * What the main bundle knows of `<sql-cell>` without loading it: the `%%sql` magic (so a notebook recognises
 * such a cell), the element's constants and event, and how to load it. The element, the table view and their
 * styles are a chunk of their own, loaded when a page shows a `<sql-cell>` or a notebook a `%%sql` cell.
 */
import { registerCellMagic, type CellMagicSpec } from '../../src/magics/magics.ts';
import { defineLazily, loadElement } from '../shared/lazy-elements.ts';
import type { BentoTableView } from '../bento-table-view/bento-table-view.ts';
import type { SqlCell } from './sql-cell.ts';

/** `%%sql [var] [--conn NAME] [--limit N]`: the magic `<sql-cell>` owns. */
export const SQL_MAGIC: CellMagicSpec = {
  name: 'sql',
  tagName: 'sql-cell',
  positionals: [{ name: 'var', kind: 'identifier' }],
  options: { conn: { type: 'string', metavar: 'NAME' }, limit: { type: 'int', metavar: 'N' } },
  summary: 'Runs the SQL below on a connector and binds the result to var in the kernel.',
};
registerCellMagic(SQL_MAGIC);

/**
 * The table view holds at most this many rows: past that, sorting and scrolling would cost the page more
 * than anyone reads. The kernel still gets every row.
 */
export const RENDERED_ROWS_CAP = 100_000;

/** A query finished: what came back and where it went. */
export class BentoQueryEvent extends Event {
  constructor(readonly detail: { rows: number; columns: number; elapsedMs: number; truncated: boolean; boundTo?: string }) {
    super('bento-query', { bubbles: true, composed: true });
  }
}

defineLazily('sql-cell', () => import('./sql-cell.ts'));
defineLazily('bento-table-view', () => import('../bento-table-view/bento-table-view.ts'));

/**
 * Defines `<sql-cell>` and `<bento-table-view>` now (they are otherwise defined when the first one appears in
 * the document) and resolves with their classes. Needed only to create them inside a shadow root of your own,
 * or to use the classes themselves.
 */
export async function loadSqlCell(): Promise<{ SqlCell: typeof SqlCell; BentoTableView: typeof BentoTableView }> {
  const [sqlCell, tableView] = await Promise.all([loadElement('sql-cell'), loadElement('bento-table-view')]);
  return { SqlCell: sqlCell as typeof SqlCell, BentoTableView: tableView as typeof BentoTableView };
}
