/**
 * What the main bundle knows of `<googlesheet-cell>` without loading it: the `%%googlesheet` magic (so a notebook
 * recognises such a cell) and how to load the element. The element and the sheet reader are chunks of their own,
 * loaded when a page shows a `<googlesheet-cell>` or a notebook a `%%googlesheet` cell.
 */
import type { CellMagicSpec } from '../../src/magics/magics.ts';
import { loadDataCell, registerDataCell } from '../shared/data-cell-api.ts';
import type { GoogleSheetCell } from './googlesheet-cell.ts';

/** `%%googlesheet [var] [--sheet NAME] [--range A1:F] [--header N] [--no-header] [--source NAME]`, the sheet's URL or id below. */
export const GOOGLESHEET_MAGIC: CellMagicSpec = {
  name: 'googlesheet',
  tagName: 'googlesheet-cell',
  positionals: [{ name: 'var', kind: 'identifier' }],
  options: {
    sheet: { type: 'string', metavar: 'NAME' },
    range: { type: 'string', metavar: 'A1:F' },
    header: { type: 'int', metavar: 'N' },
    'no-header': { type: 'flag' },
    source: { type: 'string', metavar: 'NAME' },
  },
  summary: 'Reads the Google Sheet whose URL or id is below and binds it to var in the kernel as a table.',
};
registerDataCell(GOOGLESHEET_MAGIC, () => import('./googlesheet-cell.ts'));

/** Defines `<googlesheet-cell>` (and the table view) now and resolves with its class. */
export async function loadGoogleSheetCell(): Promise<typeof GoogleSheetCell> {
  return (await loadDataCell('googlesheet-cell')) as typeof GoogleSheetCell;
}
