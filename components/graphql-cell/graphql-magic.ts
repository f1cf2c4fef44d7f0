/**
 * What the main bundle knows of `<graphql-cell>` without loading it: the `%%graphql` magic (so a notebook
 * recognises such a cell) and how to load it. The element and the GraphQL client are chunks of their own.
 */
import { GRAPHQL_MAGIC, loadDataCell, registerDataCell } from '../shared/data-cell-api.ts';
import type { GraphQLCell } from './graphql-cell.ts';

export { GRAPHQL_MAGIC };

registerDataCell(GRAPHQL_MAGIC, () => import('./graphql-cell.ts'));

/** Defines `<graphql-cell>` (and the table view) now, and resolves with its class. */
export async function loadGraphQLCell(): Promise<typeof GraphQLCell> {
  return (await loadDataCell('graphql-cell')) as typeof GraphQLCell;
}
