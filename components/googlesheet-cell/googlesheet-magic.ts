/**
 * What the main bundle knows of `<googlesheet-cell>` without loading it: the `%%googlesheet` magic (so a notebook
 * recognises such a cell) and how to load the element. The element and the sheet reader are chunks of their own,
 * loaded when a page shows a `<googlesheet-cell>` or a notebook a `%%googlesheet` cell.
 */
import { GOOGLESHEET_MAGIC, loadDataCell, registerDataCell } from '../shared/data-cell-api.ts';
import type { GoogleSheetCell } from './googlesheet-cell.ts';

export { GOOGLESHEET_MAGIC };

registerDataCell(GOOGLESHEET_MAGIC, () => import('./googlesheet-cell.ts'));

/** Defines `<googlesheet-cell>` (and the table view) now and resolves with its class. */
export async function loadGoogleSheetCell(): Promise<typeof GoogleSheetCell> {
  return (await loadDataCell('googlesheet-cell')) as typeof GoogleSheetCell;
}
