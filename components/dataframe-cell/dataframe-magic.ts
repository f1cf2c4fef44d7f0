/**
 * What the main bundle knows of `%%dataframe` and `<job-status>` without loading them: the magic (so a notebook
 * recognises such a cell; its spec lives with the other data cells' in data-cell-api.ts, sharing their chunk) and
 * how to load each element, both chunks of their own.
 */
import { DATAFRAME_MAGIC, registerDataCell } from '../shared/data-cell-api.ts';
import { defineLazily } from '../shared/lazy-elements.ts';

export { DATAFRAME_MAGIC };

registerDataCell(DATAFRAME_MAGIC, () => import('./dataframe-cell.ts'));
// One chunk for both: <job-status> is the output of every %%dataframe cell, and a chunk of its own would split the
// shared chunks of the first load further (each split costs every page bytes).
defineLazily('job-status', () => import('./dataframe-cell.ts'));
